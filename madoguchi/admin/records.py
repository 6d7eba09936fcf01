"""``madoguchi records export`` and ``purge``: consultations as JSON lines or CSV on stdout, streamed, each export
audited; finished records past their municipality's retention period deleted, with one audit line."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from madoguchi.admin.common import UsageError, actor, nested, now, open_db, parse_time, print_table, user_errors
from madoguchi.settings import Settings
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import EXPORT_FIELDS, ConsultationRecords
from madoguchi.storage.retention import PurgePlan, purge, years_before


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


def _retention_years(settings: Settings) -> dict[str, int]:
    """``retention_years`` of every municipality file that sets one (the knowledge-base folders)."""
    from madoguchi.chatbot.knowledge import DATA_DIR, KnowledgeBaseError, load_municipality

    found: dict[str, int] = {}
    for path in sorted((settings.kb_dir or DATA_DIR).glob("*/municipality.yaml")):
        try:
            town = load_municipality(path)
        except KnowledgeBaseError as error:
            raise UsageError(str(error)) from None
        if town.retention_years is not None:
            found[town.id] = town.retention_years
    return found


@user_errors
async def records_purge(args: argparse.Namespace, settings: Settings) -> int:
    at = now()
    if args.before is not None and args.before > at:
        raise UsageError("--before must not be in the future")
    years = _retention_years(settings)
    db = await open_db(settings)
    try:
        towns = [town.id for town in await Municipalities(db).list()]
        kept = {town: years.get(town, settings.retention_years) for town in towns}
        cutoffs = {town: years_before(at, kept[town]) for town in towns}
        if args.before is not None:
            cutoffs = {town: min(cutoff, args.before) for town, cutoff in cutoffs.items()}
        default = years_before(at, settings.retention_years)
        plan = PurgePlan(default=min(default, args.before or default), cutoffs=cutoffs)
        counts = await purge(db, plan, dry_run=args.dry_run)
        if not args.dry_run:
            detail = {
                "before": args.before.isoformat() if args.before else None,
                "cutoffs": {town: cutoff.isoformat() for town, cutoff in cutoffs.items()},
                "deleted": dict(counts.rows),
            }
            await AuditLog(db).write(actor(), "records.purge", detail, at)
    finally:
        await db.close()
    for town in towns:
        print(
            f"{town}: kept {kept[town]} years; records finished before {cutoffs[town]:%Y-%m-%d %H:%M} UTC are past it"
        )
    print("would delete (dry run, nothing changed):" if args.dry_run else "deleted:")
    print_table([[table, str(count)] for table, count in counts.rows.items()])
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
    purge_ = records.add_parser(
        "purge", help="delete finished records past their municipality's retention period (audited)"
    )
    purge_.add_argument(
        "--before",
        type=parse_time,
        help="only records that finished before this time too (ISO 8601); never records still inside the period",
    )
    purge_.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    purge_.set_defaults(handler=records_purge)
