"""``madoguchi records export`` and ``purge``: consultations as JSON lines, CSV or XLSX on stdout, each export
audited; finished records past their municipality's retention period deleted, with one audit line."""

from __future__ import annotations

import argparse
import io
import json
import sys
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from madoguchi.admin.common import UsageError, actor, nested, now, open_db, parse_time, print_table, user_errors
from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.settings import Settings
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.db import Database
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import ConsultationRecords
from madoguchi.storage.retention import PurgePlan, purge, years_before
from madoguchi.storage.spreadsheets import HEADER_CHOICES, Counted, ExportOptions, csv_chunks, export_window, write_xlsx

if TYPE_CHECKING:
    from madoguchi.signaling.state import SetAsideRecord

_LINE_BREAKS_IN_STRINGS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})
"""Line breaks JSON leaves raw inside strings (it escapes only the control characters below U+0020), while line
readers (Python's ``splitlines``, JavaScript before ES2019) split on them: escaped, one record stays one line."""


def jsonl_line(row: dict[str, Any]) -> str:
    """One record as one JSON line, whatever separators a resident typed (U+2028, NEL) in its text."""
    return json.dumps(row, ensure_ascii=False).translate(_LINE_BREAKS_IN_STRINGS) + "\n"


def parse_day(value: str) -> date:
    """A calendar day ``YYYY-MM-DD`` (in the report zone, ``MADOGUCHI_TIMEZONE``)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (write it as 2024-06-01)") from None


def _route_names(headers: str) -> dict[str, dict[str, str]] | None:
    """With Japanese headers, the routes' usual Japanese names (the CLI reads no town's own names)."""
    if headers == "keys":
        return None
    from madoguchi import ui  # the web side's catalogs: only when asked for, so the CLI starts fast (cli.py)

    catalog = ui.load_catalog(headers)
    return {"*": {route: catalog.get(f"route.{route}", route) for route in ROUTE_IDS}}


async def _town_names(db: Database, headers: str) -> dict[str, str] | None:
    """With Japanese headers, each town's Japanese name (汐見町 for ``shiomi``)."""
    if headers == "keys":
        return None
    return {town.id: town.name_ja for town in await Municipalities(db).list()}


@user_errors
async def records_export(args: argparse.Namespace, settings: Settings) -> int:
    if args.excel and args.format != "csv":
        raise UsageError("--excel only applies to --format csv")
    if args.raw_formulas and args.format != "csv":
        raise UsageError("--raw-formulas only applies to --format csv")
    if args.local_time and args.format != "csv":
        raise UsageError("--local-time only applies to --format csv (xlsx always has local times)")
    if args.format == "xlsx" and sys.stdout.isatty():
        raise UsageError("an xlsx file is binary: send it to a file, e.g. > records.xlsx")
    if args.since and args.until and args.until <= args.since:
        raise UsageError("--until must be later than --since")
    zone = ZoneInfo(settings.timezone)
    since, until = export_window(args.since, args.until, args.first, args.last, zone)
    out = sys.stdout.buffer
    db = await open_db(settings)
    count = 0
    try:
        records = ConsultationRecords(db)
        rows = records.export_rows(
            since=since, until=until, municipality_ids=args.municipality, short_abandon_s=settings.short_abandon_s
        )
        if args.format == "csv":
            options = ExportOptions(
                zone=zone if args.local_time else None,
                headers=args.headers,
                bom=args.excel,
                # resident text reaches notes and transcripts: a CSV opened anywhere must not run it as a formula
                formula_guard=not args.raw_formulas,
                route_names=_route_names(args.headers),
                municipality_names=await _town_names(db, args.headers),
            )
            counted = Counted(rows)
            async for chunk in csv_chunks(counted, options):
                out.write(chunk)
            count = counted.count
        elif args.format == "xlsx":
            collected = [row async for row in rows]
            count = len(collected)
            buffer = io.BytesIO()
            write_xlsx(
                collected,
                buffer,
                zone=zone,
                headers=args.headers,
                route_names=_route_names(args.headers),
                municipality_names=await _town_names(db, args.headers),
            )
            out.write(buffer.getvalue())
        else:
            async for row in rows:
                out.write(jsonl_line(row).encode("utf-8"))
                count += 1
        out.flush()
        detail = {
            "format": args.format,
            "rows": count,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
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


@user_errors
async def records_set_aside(args: argparse.Namespace, settings: Settings) -> int:
    """``madoguchi records set-aside``: the records the database refused for their values, kept in the live state
    (``docs/operations.md``, "Records set aside"): in Redis, or, with the in-process live state, in the file the
    server keeps them in (``<data_dir>/set-aside.jsonl``), read only: the running server owns that list, so
    ``--retry`` and ``--clear`` need Redis (or a stopped server and the file moved away)."""
    if settings.redis_url is None:
        if args.retry or args.clear:
            raise UsageError(
                "the live state is in the server's memory (no MADOGUCHI_REDIS_URL): --retry and --clear work on "
                "Redis only; the list is shown from the server's file, "
                f"{settings.data_dir / 'set-aside.jsonl'} (or GET /api/admin/records/set-aside as an admin)"
            )
        from madoguchi.signaling.set_aside_file import FILE_NAME, SetAsideFile  # only for this command (cli.py)

        items = SetAsideFile(settings.data_dir / FILE_NAME).load()
    else:
        items = await _redis_set_aside(args, settings, settings.redis_url)
    if args.json:
        for item in items:  # the whole record, its case's free text too: a copy an operator can keep
            sys.stdout.write(jsonl_line(item.model_dump(mode="json")))
        return 0
    if not items:
        print("no records set aside")
        return 0
    rows = [_set_aside_row(item) for item in items]
    print_table([list(rows[0]), *[[str(v) for v in row.values()] for row in rows]])
    return 0


async def _redis_set_aside(args: argparse.Namespace, settings: Settings, redis_url: str) -> list[SetAsideRecord]:
    """The set-aside list in the Redis live state, then ``--retry`` or ``--clear`` those read."""
    from madoguchi.signaling.counter_settings import counter_config  # only for this command (cli.py)
    from madoguchi.signaling.redis_store import RedisStore

    store = RedisStore.from_url(redis_url, counter_config(settings), prefix=settings.redis_prefix)
    try:
        items = (await store.read()).state.set_aside
        shown = {item.record.key for item in items}
        if args.retry and items:
            retried, _ = await store.transact(lambda counter: counter.retry_set_aside(shown))
            print(f"put {retried} set-aside record(s) back at the end of the outbox", file=sys.stderr)
        elif args.clear and items:
            cleared, _ = await store.transact(lambda counter: counter.clear_set_aside(shown))
            print(f"cleared {cleared} set-aside record(s)", file=sys.stderr)
    finally:
        await store.close()
    return items


def _set_aside_row(item: SetAsideRecord) -> dict[str, Any]:
    """One set-aside record without the case's free text: which change of which case, when, and the refusal."""
    return {
        "key": item.record.key,
        "consultation_id": item.record.consultation_id,
        "municipality": item.record.consultation.municipality_id,
        "trigger": item.record.trigger.value,
        "set_aside_at": datetime.fromtimestamp(item.at, UTC).isoformat(timespec="seconds"),
        "error": item.error,
    }


def register(subparsers: Any) -> None:
    """Add ``records`` to ``madoguchi``."""
    records = nested(subparsers, "records", "consultation records")
    export = records.add_parser("export", help="write consultations to stdout, one a line/row")
    export.add_argument("--format", choices=("jsonl", "csv", "xlsx"), default="jsonl")
    export.add_argument("--since", type=parse_time, help="requested at or after (ISO 8601; no offset = UTC)")
    export.add_argument("--until", type=parse_time, help="requested before (ISO 8601; no offset = UTC)")
    export.add_argument("--municipality", action="append", help="only this municipality (repeatable; default: all)")
    export.add_argument(
        "--excel",
        action="store_true",
        help="CSV for Excel: a UTF-8 BOM so it shows Japanese",
    )
    export.add_argument(
        "--raw-formulas",
        action="store_true",
        help="CSV cells exactly as stored, even text a spreadsheet would take as a formula (default: a ' before it)",
    )
    export.add_argument("--from", dest="first", type=parse_day, help="requested on or after this day (YYYY-MM-DD)")
    export.add_argument("--to", dest="last", type=parse_day, help="requested on or before this day (YYYY-MM-DD)")
    export.add_argument("--headers", choices=HEADER_CHOICES, default="keys", help="column names: keys or Japanese")
    export.add_argument(
        "--local-time", action="store_true", help="CSV times as YYYY-MM-DD HH:MM:SS in MADOGUCHI_TIMEZONE, not UTC"
    )
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
    set_aside = records.add_parser(
        "set-aside", help="records the database refused for their values, set aside in the live state (Redis)"
    )
    set_aside.add_argument(
        "--json",
        action="store_true",
        help="one JSON line each, the whole record (residents' words too): a copy to keep, instead of a table",
    )
    then = set_aside.add_mutually_exclusive_group()
    then.add_argument(
        "--clear", action="store_true", help="then forget the records shown (copy them first with --json)"
    )
    then.add_argument(
        "--retry",
        action="store_true",
        help="then put the records shown back at the end of the outbox (after fixing the cause, e.g. a migration)",
    )
    set_aside.set_defaults(handler=records_set_aside)
