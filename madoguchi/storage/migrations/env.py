"""Alembic environment for Madoguchi's schema, usable with async engines and without an ``alembic.ini``.

Normally :func:`madoguchi.storage.db.migrate` passes an open connection in ``config.attributes["connection"]``
and the migrations run on it inside the caller's transaction. When Alembic runs this file by itself (for
example ``alembic.command.revision(..., autogenerate=True)`` from :func:`madoguchi.storage.db.alembic_config`),
it opens its own async engine from ``sqlalchemy.url`` or ``MADOGUCHI_DATABASE_URL``.

SQLite cannot ALTER most things in place, so migrations are rendered in batch mode there. Its DDL is
transactional like PostgreSQL's, so a failed migration leaves the database as it was.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from madoguchi.settings import Settings
from madoguchi.storage.db import create_engine
from madoguchi.storage.models import Base

target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # Both databases roll DDL back with the transaction migrate() runs us in (SQLite included).
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _database_url() -> str:
    return context.config.get_main_option("sqlalchemy.url") or Settings().effective_database_url


def _run_offline() -> None:
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    engine = create_engine(_database_url())
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_configure_and_run)
    finally:
        await engine.dispose()


def _run() -> None:
    if context.is_offline_mode():
        _run_offline()
        return
    connection = context.config.attributes.get("connection")
    if connection is None:
        asyncio.run(_run_with_own_engine())
    else:
        _configure_and_run(connection)


_run()
