"""``madoguchi db``: migrate the database, and seed the demo town."""

from __future__ import annotations

import argparse
from typing import Any

from madoguchi.admin.common import nested, open_db, user_errors
from madoguchi.settings import Settings
from madoguchi.storage.db import current_revision
from madoguchi.storage.private_files import private_dir
from madoguchi.storage.seed import print_demo_credentials, seed_demo


@user_errors
async def db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_db(settings)
    try:
        revision = await current_revision(db.engine)
        where = db.display_url
    finally:
        await db.close()
    print(f"database {where} is at revision {revision}")
    return 0


@user_errors
async def db_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    private_dir(settings.data_dir)
    db = await open_db(settings)
    try:
        credentials = await seed_demo(db, settings.data_dir)
    finally:
        await db.close()
    print_demo_credentials(credentials)
    return 0


def register(subparsers: Any) -> None:
    """Add ``db`` to ``madoguchi``."""
    database = nested(subparsers, "db", "the database itself")
    database.add_parser("upgrade", help="migrate the database to the latest schema").set_defaults(handler=db_upgrade)
    database.add_parser(
        "seed-demo", help="create the demo town, booths and accounts if missing and print their credentials"
    ).set_defaults(handler=db_seed_demo)
