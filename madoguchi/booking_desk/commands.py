"""``madoguchi bookings``: the office's view of the bookings from a terminal.

``list`` shows a day's bookings (contacts masked, as on every screen), ``cancel`` cancels one by its code, and
``cancel-sailing`` marks a boat cancelled: the bookings that relied on it are told (e-mail when they left one,
and on the booking page) and offered the next times that fit the remaining boats. Mistakes print one line on
stderr and exit with status 2, like the other admin commands.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import json
import sys
import time as wall
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from functools import wraps
from typing import Any

from sqlalchemy.exc import DBAPIError

from madoguchi.booking_desk.api import booking_json
from madoguchi.booking_desk.mail import SmtpMailer
from madoguchi.booking_desk.service import BookingDesk, DeskError, day_bounds
from madoguchi.bookings import codes
from madoguchi.bookings.ferry import DIRECTIONS, Sailing
from madoguchi.bookings.kpis import ReportFilter
from madoguchi.bookings.slots import local
from madoguchi.chatbot.knowledge import Municipality, load_municipalities
from madoguchi.settings import Settings
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.bookings import BookingRecord, Bookings
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database, open_database
from madoguchi.storage.errors import StorageError
from madoguchi.storage.opening_hours import HoursBook

Handler = Callable[..., Awaitable[int]]
"""``(args, settings, *, hours)``: a command's handler."""


def _fail(message: str) -> int:
    print(f"madoguchi: error: {message}", file=sys.stderr)
    return 2


def _refusals(handler: Handler) -> Handler:
    @wraps(handler)
    async def run(args: argparse.Namespace, settings: Settings, **kwargs: Any) -> int:
        try:
            return await handler(args, settings, **kwargs)
        except (DeskError, StorageError, ValueError) as error:
            return _fail(str(error))
        except (DBAPIError, OSError) as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            return _fail(f"cannot use the database: {reason}")

    return run


def load_towns(settings: Settings) -> dict[str, Municipality]:
    """Every municipality file under ``MADOGUCHI_KB_DIR`` (default: the bundled sample), as the server loads them."""
    return load_municipalities(settings.kb_dir)


HoursFactory = Callable[[Database, Callable[[str], Municipality | None]], HoursBook]
"""Builds the town calendar from the database and a municipality lookup: the composition root's one factory, so
``madoguchi bookings`` and the server never disagree on which day is open."""


async def _desk(settings: Settings, hours_book: HoursFactory) -> tuple[BookingDesk, Database]:
    """The desk as the server builds it, with the town's opening hours in force (the admin's stored ones, else its
    file's, closed too on its booking plan's closed days): the calendar /reports and the bookings use."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = await open_database(settings.effective_database_url)
    towns = load_towns(settings)
    hours = hours_book(db, towns.get)
    desk = BookingDesk(
        towns=towns,
        bookings=Bookings(db),
        clock=wall.time,
        mailer=SmtpMailer.from_settings(settings),
        reminder_hours=settings.booking_reminder_hours,
        town_hours=hours.hours,
        locked_hours=hours.hours_locked,
    )
    return desk, db


async def _where(args: argparse.Namespace, db: Database, municipality: str) -> ReportFilter:
    """The report's filters, as /reports takes them: a booth stands for its place."""
    booth_place = None
    if args.booth is not None:
        booth = await Booths(db).get(args.booth)
        if booth is None or booth.municipality_id != municipality:
            raise DeskError("invalid", f"there is no booth {args.booth!r} in this town")
        booth_place = booth.place_id
    return ReportFilter(
        route=args.route, place=args.place, booth=args.booth, booth_place=booth_place, channel=args.channel
    )


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _row(record: BookingRecord) -> list[str]:
    return [
        record.code,
        f"{local(record.start):%Y-%m-%d %H:%M}-{local(record.end):%H:%M}",
        record.route,
        record.place,
        record.status,
        record.name_kana,
        record.masked_contact() or "-",
        f"{record.ferry_line} {record.ferry_arrive}/{record.ferry_leave}" if record.ferry_line else "-",
    ]


def _print(records: list[BookingRecord], as_json: bool) -> None:
    if as_json:
        print(json.dumps([booking_json(r) for r in records], ensure_ascii=False, indent=1))
        return
    rows = [["code", "time", "route", "place", "status", "name", "contact", "ferry"], *map(_row, records)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@_refusals
async def bookings_list(args: argparse.Namespace, settings: Settings, *, hours: HoursFactory) -> int:
    desk, db = await _desk(settings, hours)
    try:
        day = date.fromisoformat(args.date) if args.date else local(desk.now()).date()
        start, end = day_bounds(day)
        records = await desk.bookings.between(start, end, municipality_id=args.municipality)
    finally:
        await db.close()
    _print(records, args.json)
    return 0


@_refusals
async def bookings_cancel(args: argparse.Namespace, settings: Settings, *, hours: HoursFactory) -> int:
    parsed = codes.BookingCode.parse(args.code)  # 12 digits, or 8 from before session 13
    if parsed is None:
        raise DeskError("unknown_code")  # a typo: the check digit tells, no database is opened
    code = parsed.digits
    desk, db = await _desk(settings, hours)
    try:
        record = await desk.cancel(code)
        await AuditLog(db).write(_actor(), "booking.cancel", {"code": code}, desk.now())
    finally:
        await db.close()
    print(f"cancelled booking {record.code} ({local(record.start):%Y-%m-%d %H:%M}, {record.route} at {record.place})")
    return 0


@_refusals
async def bookings_cancel_sailing(args: argparse.Namespace, settings: Settings, *, hours: HoursFactory) -> int:
    sailing = Sailing(args.line, date.fromisoformat(args.date), args.direction, time.fromisoformat(args.time.zfill(5)))
    desk, db = await _desk(settings, hours)
    try:
        told = await desk.cancel_sailing(args.municipality, sailing)
        await AuditLog(db).write(
            _actor(),
            "sailing.cancel",
            {"line": sailing.line, "day": sailing.day.isoformat(), "direction": sailing.direction, "at": args.time},
            desk.now(),
        )
    finally:
        await db.close()
    if args.json:
        print(json.dumps([booking_json(r) for r in told], ensure_ascii=False, indent=1))
        return 0
    print(
        f"sailing {sailing.line} {sailing.day} {sailing.direction} {sailing.at:%H:%M} cancelled;"
        f" {len(told)} bookings told"
    )
    for record in told:
        instead = ", ".join(
            f"{datetime.fromisoformat(s['start']):%m-%d %H:%M}" for s in (record.notice or {}).get("instead", [])
        )
        print(
            f"  {record.code}  {local(record.start):%H:%M}  {record.masked_contact() or '-'}"
            f"  offered: {instead or 'none'}"
        )
    return 0


@_refusals
async def bookings_report(args: argparse.Namespace, settings: Settings, *, hours: HoursFactory) -> int:
    desk, db = await _desk(settings, hours)
    try:
        today = local(desk.now()).date()
        first = date.fromisoformat(args.date_from) if args.date_from else today.replace(day=1)
        last = date.fromisoformat(args.date_to) if args.date_to else today
        municipality = desk.town(args.municipality).id
        where = await _where(args, db, municipality)
        report = await desk.report(municipality, first, last, where)
    finally:
        await db.close()
    if args.json:
        body = {"from": first.isoformat(), "to": last.isoformat(), "filters": where.as_dict(), **report.as_dict()}
        print(json.dumps(body, indent=1))
        return 0
    rate = "-" if report.no_show_rate is None else f"{report.no_show_rate:.1%}"
    print(f"bookings {first} to {last}: {report.bookings} ({report.booked_by_staff} booked by staff)")
    print("  by status: " + (", ".join(f"{k} {v}" for k, v in report.by_status.items()) or "-"))
    print("  by way:    " + (", ".join(f"{k} {v}" for k, v in report.by_mode.items()) or "-"))
    print(f"  no-show rate: {rate}   median lead time: {_or_dash(report.lead_time_median_h, 'h')}")
    print(
        f"  median wait for a person: booked {_or_dash(report.wait_median_booked_s, 's')}"
        f" ({report.answered_booked} cases), walk-in {_or_dash(report.wait_median_walk_in_s, 's')}"
        f" ({report.answered_walk_in} cases)"
    )
    for title, table in (("by topic", report.by_route), ("by place", report.by_place)):
        for key, statuses in table.items():
            print(f"  {title} {key}: " + ", ".join(f"{k} {v}" for k, v in statuses.items()))
    for place, use in report.utilisation.items():
        rate = "-" if use["rate"] is None else f"{use['rate']:.1%}"
        print(f"  slots used {'all places' if place == '*' else place}: {use['booked']} of {use['offered']} ({rate})")
    return 0


def _or_dash(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:g} {unit}"


def register(subparsers: Any, *, hours: HoursFactory) -> None:
    """Add ``bookings list``, ``cancel``, ``cancel-sailing`` and ``report`` to ``madoguchi``; ``hours`` builds the
    town calendar (the composition root's factory, the same the server uses)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "bookings", help="booked times (予約)", description="booked times (予約)"
    )
    commands = parser.add_subparsers(dest="bookings_command", required=True, metavar="COMMAND")
    listing = commands.add_parser("list", help="the bookings of one day (contacts masked)")
    listing.add_argument("--date", help="YYYY-MM-DD in Japan time (default: today)")
    listing.add_argument("--municipality", help="only this municipality")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    listing.set_defaults(handler=functools.partial(bookings_list, hours=hours))
    cancel = commands.add_parser("cancel", help="cancel a booking by its code")
    cancel.add_argument("code")
    cancel.set_defaults(handler=functools.partial(bookings_cancel, hours=hours))
    sailing = commands.add_parser(
        "cancel-sailing", help="mark a boat cancelled; tell the bookings that relied on it and offer other times"
    )
    sailing.add_argument("line", help="ferry line id from the municipality file (e.g. nagishima)")
    sailing.add_argument("date", help="YYYY-MM-DD")
    sailing.add_argument("time", help="HH:MM of the sailing (Japan time)")
    sailing.add_argument(
        "--direction", choices=DIRECTIONS, default="in", help="in: the boat towards the office; out: the boat home"
    )
    sailing.add_argument("--municipality", help="municipality id (default: the only one with bookings)")
    sailing.add_argument("--json", action="store_true")
    sailing.set_defaults(handler=functools.partial(bookings_cancel_sailing, hours=hours))
    report = commands.add_parser(
        "report", help="volume, no-shows, lead time and the wait of booked against walk-in residents"
    )
    report.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD (default: the 1st of this month)")
    report.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD (default: today)")
    report.add_argument("--municipality", help="municipality id (default: the only one with bookings)")
    report.add_argument("--route", help="only this topic (route id)")
    report.add_argument("--place", help="only this place (place id)")
    report.add_argument("--booth", help="only this booth's place (booth id)")
    report.add_argument("--channel", choices=("booth", "chat"), help="only bookings of this way of coming")
    report.add_argument("--json", action="store_true")
    report.set_defaults(handler=functools.partial(bookings_report, hours=hours))
