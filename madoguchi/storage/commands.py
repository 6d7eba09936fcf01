"""Admin commands on the durable records: ``user``, ``booth``, ``municipality``, ``records`` and ``db``.

They work before the server ever ran (each migrates the database first) and while it runs (SQLite in WAL mode
with a busy timeout, or PostgreSQL). A mistake by the person typing gets one plain line on stderr and exit
status 2, never a traceback. Secrets (passwords, booth tokens) are only ever read from stdin or printed once.
"""

from __future__ import annotations

import argparse
import getpass
import io
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError

from madoguchi.chatbot.routes import ROUTE_IDS
from madoguchi.settings import Settings
from madoguchi.storage.accounts import MIN_PASSWORD_LENGTH, Accounts
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.booths import Booths, kiosk_url
from madoguchi.storage.db import Database, current_revision, open_database
from madoguchi.storage.errors import StorageError
from madoguchi.storage.exports import HEADER_CHOICES, Counted, ExportOptions, csv_chunks, export_window, write_xlsx
from madoguchi.storage.models import PLACE_KINDS, ROLES
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import ConsultationRecords
from madoguchi.storage.seed import print_demo_credentials, seed_demo

Handler = Callable[[argparse.Namespace, Settings], Awaitable[int]]
_LANGUAGE_PATTERN = re.compile(r"[a-z]{2,8}(-[a-z0-9]{2,8})*")


class UsageError(Exception):
    """A mistake in the command line or its input; the message is printed as is."""


def _fail(message: str) -> int:
    print(f"madoguchi: error: {message}", file=sys.stderr)
    return 2


def _user_errors(handler: Handler) -> Handler:
    """Turn refusals and unreachable databases into one line on stderr and exit status 2."""

    @wraps(handler)
    async def run(args: argparse.Namespace, settings: Settings) -> int:
        try:
            return await handler(args, settings)
        except (UsageError, StorageError) as error:
            return _fail(str(error))
        except BrokenPipeError:
            # stdout closed early (e.g. `records export | head`): stop quietly, like other Unix tools.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
        except (DBAPIError, OSError) as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            return _fail(f"cannot use the database: {reason}")

    return run


async def _open(settings: Settings) -> Database:
    return await open_database(settings.effective_database_url)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _now() -> datetime:
    return datetime.now(UTC)


async def _municipality(db: Database, requested: str | None) -> str:
    """The ``--municipality`` given, checked, or the only one there is."""
    municipalities = Municipalities(db)
    if requested is not None:
        if await municipalities.get(requested) is None:
            raise UsageError(f"there is no municipality with id {requested!r}")
        return requested
    known = await municipalities.list()
    if not known:
        raise UsageError(
            "no municipality exists yet: add one with `madoguchi municipality add` "
            "(or run `madoguchi db seed-demo` for the demo town)"
        )
    if len(known) > 1:
        ids = ", ".join(m.id for m in known)
        raise UsageError(f"there are several municipalities ({ids}): choose one with --municipality")
    return known[0].id


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_routes(value: str) -> list[str]:
    if value.strip().lower() in ("all", "*"):
        return ["*"]
    routes = _split(value)
    if not routes:
        raise UsageError("--routes needs 'all' or a comma-separated list of route ids")
    unknown = [r for r in routes if r not in ROUTE_IDS]
    if unknown:
        raise UsageError(f"unknown route id(s): {', '.join(unknown)}; known: {', '.join(ROUTE_IDS)}")
    return routes


def parse_languages(value: str) -> list[str]:
    languages = _split(value)
    bad = [lang for lang in languages if not _LANGUAGE_PATTERN.fullmatch(lang)]
    if not languages or bad:
        raise UsageError(f"--languages needs language codes like 'ja,en', got {value!r}")
    return languages


def parse_time(value: str) -> datetime:
    """An ISO 8601 date or time; without an offset it means UTC (add +09:00 for Japan time)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 date/time: {value!r} (e.g. 2024-06-01 or 2024-06-01T09:00+09:00)"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise UsageError("the two passwords differ")
    else:
        raise UsageError("give the password on stdin with --password-stdin")
    if not password:
        raise UsageError("the password is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _print_table(rows: Sequence[Sequence[str]]) -> None:
    if not rows:
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


# -- user ---------------------------------------------------------------------------------------------------


@_user_errors
async def user_add(args: argparse.Namespace, settings: Settings) -> int:
    routes = parse_routes(args.routes)
    languages = parse_languages(args.languages)
    password = _read_password(args.password_stdin)
    db = await _open(settings)
    try:
        municipality_id = await _municipality(db, args.municipality)
        user = await Accounts(db).add_user(
            args.username,
            password,
            role=args.role,
            municipality_ids=[municipality_id],
            routes=routes,
            languages=languages,
            display_name=args.display_name,
        )
        await AuditLog(db).write(
            _actor(),
            "user.add",
            {"staff_id": user.id, "username": user.username, "role": user.role, "routes": list(user.routes)},
            _now(),
        )
    finally:
        await db.close()
    print(f"added {user.role} {user.username} ({user.id}) in {municipality_id}")
    return 0


@_user_errors
async def user_list(args: argparse.Namespace, settings: Settings) -> int:
    db = await _open(settings)
    try:
        users = await Accounts(db).list()
    finally:
        await db.close()
    rows = [["USERNAME", "ROLE", "NAME", "MUNICIPALITIES", "ROUTES", "LANGUAGES", "STATUS"]]
    for user, disabled in users:
        routes = "all" if "*" in user.routes else ",".join(user.routes)
        rows.append(
            [
                user.username,
                user.role,
                user.display_name,
                ",".join(user.municipality_ids),
                routes,
                ",".join(user.languages),
                "disabled" if disabled else "active",
            ]
        )
    _print_table(rows)
    return 0


@_user_errors
async def user_password(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password(args.password_stdin)
    db = await _open(settings)
    try:
        await Accounts(db).set_password(args.username, password)
        await AuditLog(db).write(_actor(), "user.password", {"username": args.username}, _now())
    finally:
        await db.close()
    print(f"password of {args.username} changed; their open sessions were ended")
    return 0


def _set_disabled(disabled: bool) -> Handler:
    @_user_errors
    async def run(args: argparse.Namespace, settings: Settings) -> int:
        db = await _open(settings)
        try:
            await Accounts(db).set_disabled(args.username, disabled)
            action = "user.disable" if disabled else "user.enable"
            await AuditLog(db).write(_actor(), action, {"username": args.username}, _now())
        finally:
            await db.close()
        print(f"{args.username} is now {'disabled' if disabled else 'active'}")
        return 0

    return run


# -- booth --------------------------------------------------------------------------------------------------


@_user_errors
async def booth_add(args: argparse.Namespace, settings: Settings) -> int:
    db = await _open(settings)
    try:
        municipality_id = await _municipality(db, args.municipality)
        booth, token = await Booths(db).add(
            args.name, municipality_id=municipality_id, location=args.location, place_id=args.place
        )
        await AuditLog(db).write(
            _actor(), "booth.add", {"booth_id": booth.id, "name": booth.name, "place_id": booth.place_id}, _now()
        )
    finally:
        await db.close()
    url = kiosk_url(booth.id, token)
    if args.json:
        print(json.dumps({"booth_id": booth.id, "token": token, "url": url}, ensure_ascii=False))
    else:
        print(f"added booth {booth.name} ({booth.id}) in {municipality_id}")
        print(f"kiosk page (open it on the booth's screen; keep it secret): {url}")
    return 0


@_user_errors
async def booth_list(args: argparse.Namespace, settings: Settings) -> int:
    db = await _open(settings)
    try:
        booths = await Booths(db).list(args.municipality)
    finally:
        await db.close()
    rows = [["BOOTH_ID", "NAME", "MUNICIPALITY", "PLACE", "LOCATION", "STATUS"]]
    for booth in booths:
        status = f"revoked {booth.revoked_at:%Y-%m-%d}" if booth.revoked_at else "active"
        rows.append(
            [booth.id, booth.name, booth.municipality_id, booth.place_name or "-", booth.location or "-", status]
        )
    _print_table(rows)
    return 0


@_user_errors
async def booth_revoke(args: argparse.Namespace, settings: Settings) -> int:
    db = await _open(settings)
    try:
        booth = await Booths(db).revoke(args.booth_id)
        await AuditLog(db).write(_actor(), "booth.revoke", {"booth_id": booth.id}, _now())
    finally:
        await db.close()
    print(f"revoked booth {booth.name} ({booth.id}): its token is refused from now on")
    return 0


# -- municipality and place ---------------------------------------------------------------------------------


@_user_errors
async def municipality_add(args: argparse.Namespace, settings: Settings) -> int:
    db = await _open(settings)
    try:
        record = await Municipalities(db).add_municipality(
            args.municipality_id, name_ja=args.name_ja, name_en=args.name_en
        )
        await AuditLog(db).write(_actor(), "municipality.add", {"municipality_id": record.id}, _now())
    finally:
        await db.close()
    print(f"added municipality {record.id} ({record.name_ja} / {record.name_en})")
    return 0


@_user_errors
async def municipality_list(args: argparse.Namespace, settings: Settings) -> int:
    db = await _open(settings)
    try:
        municipalities = Municipalities(db)
        rows = [["ID", "NAME_JA", "NAME_EN", "PLACES"]]
        for record in await municipalities.list():
            places = ", ".join(f"{p.id} ({p.name})" for p in await municipalities.places(record.id))
            rows.append([record.id, record.name_ja, record.name_en, places or "-"])
    finally:
        await db.close()
    _print_table(rows)
    return 0


@_user_errors
async def place_add(args: argparse.Namespace, settings: Settings) -> int:
    db = await _open(settings)
    try:
        municipality_id = await _municipality(db, args.municipality)
        record = await Municipalities(db).add_place(
            args.place_id, municipality_id=municipality_id, name=args.name, kind=args.kind
        )
        await AuditLog(db).write(_actor(), "place.add", {"place_id": record.id}, _now())
    finally:
        await db.close()
    print(f"added {record.kind} {record.id} ({record.name}) in {municipality_id}")
    return 0


# -- records ------------------------------------------------------------------------------------------------


def parse_day(value: str) -> date:
    """A calendar day ``YYYY-MM-DD`` (in the report zone, ``MADOGUCHI_TIMEZONE``)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (write it as 2024-06-01)") from None


@_user_errors
async def records_export(args: argparse.Namespace, settings: Settings) -> int:
    if args.excel and args.format != "csv":
        raise UsageError("--excel only applies to --format csv")
    if args.local_time and args.format != "csv":
        raise UsageError("--local-time only applies to --format csv (xlsx always has local times)")
    if args.format == "xlsx" and sys.stdout.isatty():
        raise UsageError("an xlsx file is binary: send it to a file, e.g. > records.xlsx")
    if args.since and args.until and args.until <= args.since:
        raise UsageError("--until must be later than --since")
    zone = ZoneInfo(settings.timezone)
    since, until = export_window(args.since, args.until, args.first, args.last, zone)
    out = sys.stdout.buffer
    db = await _open(settings)
    count = 0
    try:
        records = ConsultationRecords(db)
        rows = records.export_rows(since=since, until=until, municipality_ids=args.municipality)
        if args.format == "csv":
            options = ExportOptions(zone=zone if args.local_time else None, headers=args.headers, bom=args.excel)
            counted = Counted(rows)
            async for chunk in csv_chunks(counted, options):
                out.write(chunk)
            count = counted.count
        elif args.format == "xlsx":
            collected = [row async for row in rows]
            count = len(collected)
            buffer = io.BytesIO()
            write_xlsx(collected, buffer, zone=zone, headers=args.headers)
            out.write(buffer.getvalue())
        else:
            async for row in rows:
                out.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
                count += 1
        out.flush()
        detail = {
            "format": args.format,
            "rows": count,
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        }
        await AuditLog(db).write(_actor(), "records.export", detail, _now())
    finally:
        await db.close()
    return 0


# -- db -----------------------------------------------------------------------------------------------------


@_user_errors
async def db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    db = await _open(settings)
    try:
        revision = await current_revision(db.engine)
        where = db.display_url
    finally:
        await db.close()
    print(f"database {where} is at revision {revision}")
    return 0


@_user_errors
async def db_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = await _open(settings)
    try:
        credentials = await seed_demo(db, settings.data_dir)
    finally:
        await db.close()
    print_demo_credentials(credentials)
    return 0


# -- registration -------------------------------------------------------------------------------------------


def _nested(subparsers: Any, name: str, help_text: str) -> Any:
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text, description=help_text)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")


def register(subparsers: Any) -> None:
    """Add ``user``, ``booth``, ``municipality``, ``place``, ``records`` and ``db`` to ``madoguchi``."""
    users = _nested(subparsers, "user", "staff accounts")
    add = users.add_parser("add", help="add a staff account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    add.add_argument("--routes", default="all", help="'all' or route ids separated by commas (default: all)")
    add.add_argument("--languages", default="ja", help="language codes separated by commas (default: ja)")
    add.add_argument("--municipality", help="municipality id (default: the only one there is)")
    add.add_argument("--display-name", help="name shown to residents and colleagues (default: the username)")
    add.set_defaults(handler=user_add)
    users.add_parser("list", help="list staff accounts (no secrets)").set_defaults(handler=user_list)
    password = users.add_parser("password", help="set a new password (ends the user's sessions)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(handler=user_password)
    for name, disabled in (("disable", True), ("enable", False)):
        toggle = users.add_parser(name, help=f"{name} an account")
        toggle.add_argument("username")
        toggle.set_defaults(handler=_set_disabled(disabled))

    booths = _nested(subparsers, "booth", "booths (kiosks) and their device tokens")
    add = booths.add_parser("add", help="register a booth and print its kiosk URL (shown once)")
    add.add_argument("name")
    add.add_argument("--location", default="", help="where it stands, e.g. '郵便局の窓口の横'")
    add.add_argument("--municipality", help="municipality id (default: the only one there is)")
    add.add_argument("--place", help="place id (see `madoguchi municipality list`)")
    add.add_argument("--json", action="store_true", help='print one JSON line {"booth_id", "token", "url"}')
    add.set_defaults(handler=booth_add)
    listing = booths.add_parser("list", help="list booths (no tokens)")
    listing.add_argument("--municipality")
    listing.set_defaults(handler=booth_list)
    revoke = booths.add_parser("revoke", help="refuse a booth's token from now on")
    revoke.add_argument("booth_id")
    revoke.set_defaults(handler=booth_revoke)

    municipalities = _nested(subparsers, "municipality", "municipalities served by this deployment")
    add = municipalities.add_parser("add", help="add a municipality")
    add.add_argument("municipality_id", help="short id such as 'shiomi'")
    add.add_argument("--name-ja", required=True)
    add.add_argument("--name-en", required=True)
    add.set_defaults(handler=municipality_add)
    municipalities.add_parser("list", help="list municipalities and places").set_defaults(handler=municipality_list)

    places = _nested(subparsers, "place", "places of a municipality (main office, post offices...)")
    add = places.add_parser("add", help="add a place")
    add.add_argument("place_id")
    add.add_argument("--name", required=True)
    add.add_argument("--kind", required=True, choices=PLACE_KINDS)
    add.add_argument("--municipality", help="municipality id (default: the only one there is)")
    add.set_defaults(handler=place_add)

    records = _nested(subparsers, "records", "consultation records")
    export = records.add_parser("export", help="write consultations to stdout, one a line/row")
    export.add_argument("--format", choices=("jsonl", "csv", "xlsx"), default="jsonl")
    export.add_argument("--since", type=parse_time, help="requested at or after (ISO 8601; no offset = UTC)")
    export.add_argument("--until", type=parse_time, help="requested before (ISO 8601; no offset = UTC)")
    export.add_argument("--municipality", action="append", help="only this municipality (repeatable; default: all)")
    export.add_argument("--excel", action="store_true", help="CSV with a UTF-8 BOM so Excel shows Japanese")
    export.add_argument("--from", dest="first", type=parse_day, help="requested on or after this day (YYYY-MM-DD)")
    export.add_argument("--to", dest="last", type=parse_day, help="requested on or before this day (YYYY-MM-DD)")
    export.add_argument("--headers", choices=HEADER_CHOICES, default="keys", help="column names: keys or Japanese")
    export.add_argument(
        "--local-time", action="store_true", help="CSV times as YYYY-MM-DD HH:MM:SS in MADOGUCHI_TIMEZONE, not UTC"
    )
    export.set_defaults(handler=records_export)

    database = _nested(subparsers, "db", "the database itself")
    database.add_parser("upgrade", help="migrate the database to the latest schema").set_defaults(handler=db_upgrade)
    database.add_parser(
        "seed-demo", help="create the demo town, booths and accounts if missing and print their credentials"
    ).set_defaults(handler=db_seed_demo)


__all__ = ["UsageError", "parse_languages", "parse_routes", "parse_time", "register"]
