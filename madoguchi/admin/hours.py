"""``madoguchi hours``: a town's opening hours from the command line (the same stored hours as /admin).

``hours set`` reads YAML or JSON (the municipality file's ``opening_hours:`` shape) from a file or stdin.
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
from madoguchi.domain.opening_hours import HoursSpec
from madoguchi.settings import Settings
from madoguchi.storage.opening_hours import OpeningHoursStore


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


@user_errors
async def hours_set(args: argparse.Namespace, settings: Settings) -> int:
    source = sys.stdin.read if args.file == "-" else Path(args.file).read_text
    text = await asyncio.to_thread(source)
    spec = _spec(text)
    db = await open_db(settings)
    try:
        municipality_id = await resolve_municipality(db, args.municipality)
        await OpeningHoursStore(db).save(municipality_id, spec, actor=actor(), by=actor(), at=now())
    finally:
        await db.close()
    print(f"stored opening hours for {municipality_id} (servers use them within a few seconds)")
    return 0


@user_errors
async def hours_reset(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        municipality_id = await resolve_municipality(db, args.municipality)
        cleared = await OpeningHoursStore(db).clear(municipality_id, actor=actor(), at=now())
    finally:
        await db.close()
    print(f"{municipality_id}: " + ("back to the municipality file's hours" if cleared else "nothing was stored"))
    return 0


def register(subparsers: Any) -> None:
    """Add ``hours`` to ``madoguchi``."""
    hours = nested(subparsers, "hours", "opening hours and closed days (the same stored hours as /admin)")
    show = hours.add_parser("show", help="print the stored hours (JSON)")
    show.add_argument("--municipality", help="municipality id (default: the only one there is)")
    show.set_defaults(handler=hours_show)
    put = hours.add_parser("set", help="store hours read from a YAML/JSON file ('-': stdin)")
    put.add_argument("file")
    put.add_argument("--municipality", help="municipality id (default: the only one there is)")
    put.set_defaults(handler=hours_set)
    back = hours.add_parser("reset", help="remove the stored hours: the municipality file's apply again")
    back.add_argument("--municipality", help="municipality id (default: the only one there is)")
    back.set_defaults(handler=hours_reset)
