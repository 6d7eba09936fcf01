"""``madoguchi municipality`` and ``madoguchi place``: the towns a deployment serves and their places."""

from __future__ import annotations

import argparse
from typing import Any

from madoguchi.admin.common import actor, nested, now, open_db, print_table, resolve_municipality, user_errors
from madoguchi.settings import Settings
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.errors import InvalidValue, UnknownPlace
from madoguchi.storage.models import PLACE_KINDS
from madoguchi.storage.municipalities import Municipalities


@user_errors
async def municipality_add(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        record = await Municipalities(db).add_municipality(
            args.municipality_id, name_ja=args.name_ja, name_en=args.name_en
        )
        await AuditLog(db).write(actor(), "municipality.add", {"municipality_id": record.id}, now())
    finally:
        await db.close()
    print(f"added municipality {record.id} ({record.name_ja} / {record.name_en})")
    return 0


@user_errors
async def municipality_list(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        municipalities = Municipalities(db)
        rows = [["ID", "NAME_JA", "NAME_EN", "PLACES"]]
        for record in await municipalities.list():
            places = ", ".join(f"{p.id} ({p.name})" for p in await municipalities.places(record.id))
            rows.append([record.id, record.name_ja, record.name_en, places or "-"])
    finally:
        await db.close()
    print_table(rows)
    return 0


@user_errors
async def place_add(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        municipality_id = await resolve_municipality(db, args.municipality)
        record = await Municipalities(db).add_place(
            args.place_id,
            municipality_id=municipality_id,
            name=args.name,
            kind=args.kind,
            names=names_given(args.name_in),
            reading=args.reading,
        )
        detail = {"place_id": record.id, "names": record.names, "reading": record.reading}
        await AuditLog(db).write(actor(), "place.add", detail, now())
    finally:
        await db.close()
    print(f"added {record.kind} {record.id} ({record.name}) in {municipality_id}")
    return 0


def names_given(pairs: list[str] | None) -> dict[str, str]:
    """``--name-in en="Shiomi Post Office"`` (repeated) as ``{"en": ...}``."""
    names: dict[str, str] = {}
    for pair in pairs or []:
        language, sep, text = pair.partition("=")
        if not sep:
            raise InvalidValue(f"--name-in takes LANG=NAME, got {pair!r}")
        names[language.strip()] = text
    return names


@user_errors
async def place_names(args: argparse.Namespace, settings: Settings) -> int:
    """Replace a place's names in the other languages and its reading (what is not given is cleared)."""
    db = await open_db(settings)
    try:
        municipalities = Municipalities(db)
        before = await municipalities.get_place(args.place_id)
        if before is None:
            raise UnknownPlace(args.place_id)
        record = await municipalities.set_place_names(
            args.place_id, name=args.name, names=names_given(args.name_in), reading=args.reading
        )
        detail = {
            "place_id": record.id,
            "before": {"name": before.name, "names": before.names, "reading": before.reading},
            "after": {"name": record.name, "names": record.names, "reading": record.reading},
        }
        await AuditLog(db).write(actor(), "place.rename", detail, now())
    finally:
        await db.close()
    shown = ", ".join(f"{language}: {text}" for language, text in record.names.items()) or "-"
    print(f"{record.id}: {record.name} ({record.reading or '-'}); {shown}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``municipality`` and ``place`` to ``madoguchi``."""
    municipalities = nested(subparsers, "municipality", "municipalities served by this deployment")
    add = municipalities.add_parser("add", help="add a municipality")
    add.add_argument("municipality_id", help="short id such as 'shiomi'")
    add.add_argument("--name-ja", required=True)
    add.add_argument("--name-en", required=True)
    add.set_defaults(handler=municipality_add)
    municipalities.add_parser("list", help="list municipalities and places").set_defaults(handler=municipality_list)

    places = nested(subparsers, "place", "places of a municipality (main office, post offices...)")
    add = places.add_parser("add", help="add a place")
    add.add_argument("place_id")
    add.add_argument("--name", required=True)
    add.add_argument("--kind", required=True, choices=PLACE_KINDS)
    add.add_argument("--municipality", help="municipality id (default: the only one there is)")
    _name_options(add)
    add.set_defaults(handler=place_add)
    names = places.add_parser("names", help="set a place's names in other languages and its romaji reading")
    names.add_argument("place_id")
    names.add_argument("--name", help="a new Japanese name (default: keep it)")
    _name_options(names)
    names.set_defaults(handler=place_names)


def _name_options(parser: Any) -> None:
    parser.add_argument(
        "--name-in",
        action="append",
        metavar="LANG=NAME",
        help="the name in another page language, e.g. en='Shiomi Post Office' (repeat per language)",
    )
    parser.add_argument("--reading", default="", help="the Japanese name's reading in romaji, e.g. 'Shiomi Yubinkyoku'")
