"""``madoguchi hours``: a town's opening hours from the command line (the same stored hours as /admin).

``hours set`` reads YAML or JSON (the municipality file's ``opening_hours:`` shape) from a file or stdin.
A change (``set``, or ``reset`` back to the file's hours) that would close a booked time is checked by the rule
/admin uses (:func:`~madoguchi.storage.opening_hours.bookings_closed_by`), in the change's own transaction: refused
with exit status 2, naming each booking, until run again with ``--confirm``; the bookings are kept, for the office
to call each resident.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from madoguchi.admin.common import UsageError, actor, nested, now, open_db, resolve_municipality, user_errors
from madoguchi.chatbot.knowledge import KnowledgeBaseError, load_municipalities
from madoguchi.domain.opening_hours import JST, HoursSpec, OpeningHours, hours_in_force
from madoguchi.settings import Settings
from madoguchi.storage.bookings import BookingRecord
from madoguchi.storage.opening_hours import BookingsOnClosedDays, OpeningHoursStore


def _spec(text: str) -> HoursSpec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise UsageError(f"not YAML or JSON: {str(error).splitlines()[0]}") from None
    if isinstance(data, dict) and "opening_hours" in data:
        data = data["opening_hours"]
    try:
        return HoursSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise UsageError(f"{'.'.join(map(str, first['loc'])) or 'hours'}: {first['msg']}") from None


@user_errors
async def hours_show(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        municipality_id = await resolve_municipality(db, args.municipality)
        saved = await OpeningHoursStore(db).get(municipality_id)
    finally:
        await db.close()
    if saved is None:
        print(f"{municipality_id}: no stored hours; the municipality file's opening_hours apply")
        return 0
    print(f"# {municipality_id}: stored {saved.updated_at.isoformat(timespec='seconds')} by {saved.updated_by}")
    print(json.dumps(saved.spec.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0


def _listed(bookings: list[BookingRecord]) -> str:
    """One line a booking, the fields /admin's list shows (its ``_booking_json``): the number, day and time, desk
    and place, the name as booked, and the contact, masked here (a terminal's output ends up in scrollback and
    logs; the whole number is on /admin's hours page, where showing it is audited, or found by the booking
    number)."""
    return "\n".join(
        f"  {b.code}  {b.start.astimezone(JST):%Y-%m-%d %H:%M}  {b.route}  {b.place}  {b.name_kana or '-'}  "
        f"{b.masked_contact() or 'no contact (tell them at the counter)'}"
        for b in bookings
    )


def _refusal(closed: list[BookingRecord]) -> UsageError:
    """The bookings a change would close, named; nothing was changed until ``--confirm``."""
    return UsageError(
        f"{len(closed)} booking(s) fall on hours this change closes; nothing was changed.\n{_listed(closed)}\n"
        "Run again with --confirm to change the hours anyway (the bookings are kept: call each resident; the whole "
        "numbers are on /admin's hours page)."
    )


def _kept(municipality_id: str, closed: list[BookingRecord]) -> None:
    if closed:
        print(f"{municipality_id}: {len(closed)} booking(s) now fall on closed hours; call each resident:")
        print(_listed(closed))


def _file_hours(settings: Settings, municipality_id: str) -> OpeningHours:
    """The hours the town keeps once the stored ones are removed: its file's (``MADOGUCHI_KB_DIR``), else the
    office default, as the server's :class:`~madoguchi.storage.opening_hours.HoursBook` has them."""
    try:
        town = load_municipalities(settings.kb_dir).get(municipality_id)
    except KnowledgeBaseError as error:
        raise UsageError(str(error)) from None
    return hours_in_force(None if town is None else town.file_hours())


@user_errors
async def hours_set(args: argparse.Namespace, settings: Settings) -> int:
    source = sys.stdin.read if args.file == "-" else Path(args.file).read_text
    text = await asyncio.to_thread(source)
    spec = _spec(text)
    db = await open_db(settings)
    try:
        municipality_id = await resolve_municipality(db, args.municipality)
        try:  # checked against the bookings in the save's own transaction
            closed = await OpeningHoursStore(db).save(
                municipality_id,
                spec,
                actor=actor(),
                by=actor(),
                at=now(),
                check=hours_in_force(spec),
                confirmed=args.confirm,
            )
        except BookingsOnClosedDays as refused:
            raise _refusal(refused.bookings) from None
    finally:
        await db.close()
    print(f"stored opening hours for {municipality_id} (servers use them within a few seconds)")
    _kept(municipality_id, closed)
    return 0


@user_errors
async def hours_reset(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        municipality_id = await resolve_municipality(db, args.municipality)
        try:
            cleared, closed = await OpeningHoursStore(db).clear(
                municipality_id,
                actor=actor(),
                at=now(),
                check=_file_hours(settings, municipality_id),
                confirmed=args.confirm,
            )
        except BookingsOnClosedDays as refused:
            raise _refusal(refused.bookings) from None
    finally:
        await db.close()
    print(f"{municipality_id}: " + ("back to the municipality file's hours" if cleared else "nothing was stored"))
    _kept(municipality_id, closed)
    return 0


CONFIRM_HELP = "change the hours even though bookings fall on hours it closes (they are kept and listed)"


def register(subparsers: Any) -> None:
    """Add ``hours`` to ``madoguchi``."""
    hours = nested(subparsers, "hours", "opening hours and closed days (the same stored hours as /admin)")
    show = hours.add_parser("show", help="print the stored hours (JSON)")
    show.add_argument("--municipality", help="municipality id (default: the only one there is)")
    show.set_defaults(handler=hours_show)
    put = hours.add_parser("set", help="store hours read from a YAML/JSON file ('-': stdin)")
    put.add_argument("file")
    put.add_argument("--municipality", help="municipality id (default: the only one there is)")
    put.add_argument("--confirm", action="store_true", help=CONFIRM_HELP)
    put.set_defaults(handler=hours_set)
    back = hours.add_parser("reset", help="remove the stored hours: the municipality file's apply again")
    back.add_argument("--municipality", help="municipality id (default: the only one there is)")
    back.add_argument("--confirm", action="store_true", help=CONFIRM_HELP)
    back.set_defaults(handler=hours_reset)
