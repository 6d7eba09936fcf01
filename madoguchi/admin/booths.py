"""``madoguchi booth``: booths (kiosks) and their device tokens; a token is printed once, when the booth is added."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from madoguchi.admin.common import actor, nested, now, open_db, print_table, resolve_municipality, user_errors
from madoguchi.admin.municipalities import names_given
from madoguchi.settings import Settings
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.booths import BoothRecord, Booths, audit_detail, kiosk_url
from madoguchi.storage.db import Database


@asynccontextmanager
async def _booths(settings: Settings) -> AsyncIterator[tuple[Database, Booths]]:
    """The database for one command, closed whatever happens."""
    db = await open_db(settings)
    try:
        yield db, Booths(db)
    finally:
        await db.close()


async def _audit(db: Database, action: str, booth: BoothRecord) -> None:
    """Every change is written down the way the admin page writes it (:func:`audit_detail`)."""
    await AuditLog(db).write(actor(), action, audit_detail(action, booth), now())


def _print_kiosk(args: argparse.Namespace, booth: BoothRecord, token: str, headline: str) -> None:
    """A new token is shown once: as one JSON line with ``--json``, else as a sentence and the kiosk page."""
    url = kiosk_url(booth.id, token)
    if args.json:
        print(json.dumps({"booth_id": booth.id, "token": token, "url": url}, ensure_ascii=False))
    else:
        print(headline)
        print(f"kiosk page (open it on the booth's screen; keep it secret): {url}")


@user_errors
async def booth_add(args: argparse.Namespace, settings: Settings) -> int:
    async with _booths(settings) as (db, booths):
        municipality_id = await resolve_municipality(db, args.municipality)
        booth, token = await booths.add(
            args.name,
            municipality_id=municipality_id,
            location=args.location,
            place_id=args.place,
            names=names_given(args.name_in),
        )
        await _audit(db, "booth.add", booth)
    _print_kiosk(args, booth, token, f"added booth {booth.name} ({booth.id}) in {municipality_id}")
    return 0


@user_errors
async def booth_list(args: argparse.Namespace, settings: Settings) -> int:
    async with _booths(settings) as (_, booths):
        listed = await booths.list(args.municipality)
    rows = [["BOOTH_ID", "NAME", "MUNICIPALITY", "PLACE", "LOCATION", "STATUS"]]
    for booth in listed:
        status = f"revoked {booth.revoked_at:%Y-%m-%d}" if booth.revoked_at else "active"
        rows.append(
            [booth.id, booth.name, booth.municipality_id, booth.place_name or "-", booth.location or "-", status]
        )
    print_table(rows)
    return 0


@user_errors
async def booth_revoke(args: argparse.Namespace, settings: Settings) -> int:
    async with _booths(settings) as (db, booths):
        booth = await booths.revoke(args.booth_id)
        await _audit(db, "booth.revoke", booth)
    print(f"revoked booth {booth.name} ({booth.id}): its token is refused from now on")
    return 0


@user_errors
async def booth_rename(args: argparse.Namespace, settings: Settings) -> int:
    async with _booths(settings) as (db, booths):
        # --name-in replaces the names in the other languages; without it they are kept
        names = None if args.name_in is None else names_given(args.name_in)
        booth = await booths.rename(args.booth_id, args.name, names)
        await _audit(db, "booth.rename", booth)
    print(f"booth {booth.id} is now called {booth.name}")
    return 0


@user_errors
async def booth_move(args: argparse.Namespace, settings: Settings) -> int:
    place_id = None if args.place in ("", "none") else args.place
    async with _booths(settings) as (db, booths):
        booth = await booths.move(args.booth_id, place_id)
        await _audit(db, "booth.move", booth)
    print(f"booth {booth.name} ({booth.id}) is now at {booth.place_name or 'no place'}")
    return 0


@user_errors
async def booth_rotate(args: argparse.Namespace, settings: Settings) -> int:
    async with _booths(settings) as (db, booths):
        booth, token = await booths.rotate_token(args.booth_id)
        await _audit(db, "booth.rotate_token", booth)
    _print_kiosk(
        args, booth, token, f"new token for booth {booth.name} ({booth.id}); the old kiosk URL is refused from now on"
    )
    return 0


def register(subparsers: Any) -> None:
    """Add ``booth`` to ``madoguchi``."""
    booths = nested(subparsers, "booth", "booths (kiosks) and their device tokens")
    add = booths.add_parser("add", help="register a booth and print its kiosk URL (shown once)")
    add.add_argument("name")
    add.add_argument("--location", default="", help="where it stands, e.g. '郵便局の窓口の横'")
    add.add_argument("--municipality", help="municipality id (default: the only one there is)")
    add.add_argument("--place", help="place id (see `madoguchi municipality list`)")
    add.add_argument("--json", action="store_true", help='print one JSON line {"booth_id", "token", "url"}')
    _name_in(add)
    add.set_defaults(handler=booth_add)
    listing = booths.add_parser("list", help="list booths (no tokens)")
    listing.add_argument("--municipality")
    listing.set_defaults(handler=booth_list)
    revoke = booths.add_parser("revoke", help="refuse a booth's token from now on")
    revoke.add_argument("booth_id")
    revoke.set_defaults(handler=booth_revoke)
    rename = booths.add_parser("rename", help="give a booth a new name")
    rename.add_argument("booth_id")
    rename.add_argument("name", help="the Japanese name (required; every language without its own shows it)")
    _name_in(rename, " (given: replaces them all; left out: they are kept)")
    rename.set_defaults(handler=booth_rename)
    move = booths.add_parser("move", help="put a booth in another place of its municipality")
    move.add_argument("booth_id")
    move.add_argument("place", help="place id, or 'none'")
    move.set_defaults(handler=booth_move)
    rotate = booths.add_parser(
        "rotate-token", aliases=["rotate"], help="give a booth a new token and kiosk URL (shown once)"
    )
    rotate.add_argument("booth_id")
    rotate.add_argument("--json", action="store_true", help='print one JSON line {"booth_id", "token", "url"}')
    rotate.set_defaults(handler=booth_rotate)


def _name_in(parser: Any, more: str = "") -> None:
    parser.add_argument(
        "--name-in",
        action="append",
        metavar="LANG=NAME",
        help="the booth's display name in another page language, e.g. en='Shiomi Post Office booth' (repeat per "
        f"language; the kiosk and the console show it on a page in that language){more}",
    )
