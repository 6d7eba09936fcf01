"""``madoguchi booth``: booths (kiosks) and their device tokens; a token is printed once, when the booth is added."""

from __future__ import annotations

import argparse
import json
from typing import Any

from madoguchi.admin.common import actor, nested, now, open_db, print_table, resolve_municipality, user_errors
from madoguchi.settings import Settings
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.booths import Booths, kiosk_url


@user_errors
async def booth_add(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        municipality_id = await resolve_municipality(db, args.municipality)
        booth, token = await Booths(db).add(
            args.name, municipality_id=municipality_id, location=args.location, place_id=args.place
        )
        await AuditLog(db).write(
            actor(), "booth.add", {"booth_id": booth.id, "name": booth.name, "place_id": booth.place_id}, now()
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


@user_errors
async def booth_list(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
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
    print_table(rows)
    return 0


@user_errors
async def booth_revoke(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        booth = await Booths(db).revoke(args.booth_id)
        await AuditLog(db).write(actor(), "booth.revoke", {"booth_id": booth.id}, now())
    finally:
        await db.close()
    print(f"revoked booth {booth.name} ({booth.id}): its token is refused from now on")
    return 0


@user_errors
async def booth_rename(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        booth = await Booths(db).rename(args.booth_id, args.name)
        await AuditLog(db).write(actor(), "booth.rename", {"booth_id": booth.id, "name": booth.name}, now())
    finally:
        await db.close()
    print(f"booth {booth.id} is now called {booth.name}")
    return 0


@user_errors
async def booth_move(args: argparse.Namespace, settings: Settings) -> int:
    place_id = None if args.place in ("", "none") else args.place
    db = await open_db(settings)
    try:
        booth = await Booths(db).move(args.booth_id, place_id)
        await AuditLog(db).write(actor(), "booth.move", {"booth_id": booth.id, "place_id": booth.place_id}, now())
    finally:
        await db.close()
    print(f"booth {booth.name} ({booth.id}) is now at {booth.place_name or 'no place'}")
    return 0


@user_errors
async def booth_rotate(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        booth, token = await Booths(db).rotate_token(args.booth_id)
        await AuditLog(db).write(actor(), "booth.rotate_token", {"booth_id": booth.id}, now())
    finally:
        await db.close()
    url = kiosk_url(booth.id, token)
    if args.json:
        print(json.dumps({"booth_id": booth.id, "token": token, "url": url}, ensure_ascii=False))
    else:
        print(f"new token for booth {booth.name} ({booth.id}); the old kiosk URL is refused from now on")
        print(f"kiosk page (open it on the booth's screen; keep it secret): {url}")
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
    add.set_defaults(handler=booth_add)
    listing = booths.add_parser("list", help="list booths (no tokens)")
    listing.add_argument("--municipality")
    listing.set_defaults(handler=booth_list)
    revoke = booths.add_parser("revoke", help="refuse a booth's token from now on")
    revoke.add_argument("booth_id")
    revoke.set_defaults(handler=booth_revoke)
    rename = booths.add_parser("rename", help="give a booth a new name")
    rename.add_argument("booth_id")
    rename.add_argument("name")
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
