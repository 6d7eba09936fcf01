"""``madoguchi records export``: consultations as JSON lines or CSV on stdout, streamed, each export audited."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from madoguchi.admin.common import UsageError, actor, nested, now, open_db, parse_time, user_errors
from madoguchi.settings import Settings
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.records import EXPORT_FIELDS, ConsultationRecords


def _csv_cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "transcript":
        return "\n".join(f"[{line['seq']}] {line['sender']}: {line['text']}" for line in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@user_errors
async def records_export(args: argparse.Namespace, settings: Settings) -> int:
    if args.excel and args.format != "csv":
        raise UsageError("--excel only applies to --format csv")
    if args.since and args.until and args.until <= args.since:
        raise UsageError("--until must be later than --since")
    out = sys.stdout.buffer
    db = await open_db(settings)
    count = 0
    try:
        records = ConsultationRecords(db)
        rows = records.export_rows(since=args.since, until=args.until, municipality_ids=args.municipality)
        if args.format == "csv":
            if args.excel:
                out.write("\ufeff".encode())
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerow(EXPORT_FIELDS)
            async for row in rows:
                writer.writerow([_csv_cell(name, row[name]) for name in EXPORT_FIELDS])
                count += 1
                if buffer.tell() > 64 * 1024:
                    out.write(buffer.getvalue().encode("utf-8"))
                    buffer.seek(0)
                    buffer.truncate()
            out.write(buffer.getvalue().encode("utf-8"))
        else:
            async for row in rows:
                out.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
                count += 1
        out.flush()
        detail = {
            "format": args.format,
            "rows": count,
            "since": args.since.isoformat() if args.since else None,
            "until": args.until.isoformat() if args.until else None,
        }
        await AuditLog(db).write(actor(), "records.export", detail, now())
    finally:
        await db.close()
    return 0


def register(subparsers: Any) -> None:
    """Add ``records`` to ``madoguchi``."""
    records = nested(subparsers, "records", "consultation records")
    export = records.add_parser("export", help="write consultations to stdout, one a line/row")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--since", type=parse_time, help="requested at or after (ISO 8601; no offset = UTC)")
    export.add_argument("--until", type=parse_time, help="requested before (ISO 8601; no offset = UTC)")
    export.add_argument("--municipality", action="append", help="only this municipality (repeatable; default: all)")
    export.add_argument("--excel", action="store_true", help="CSV with a UTF-8 BOM so Excel shows Japanese")
    export.set_defaults(handler=records_export)
