"""Engines, migrations and the :class:`Database` handle shared by the server and the admin CLI.

One URL picks the database: ``sqlite+aiosqlite:///path/madoguchi.db`` (the default, a file in the data dir) or
``postgresql+asyncpg://user@host/db`` for a multi-process deployment.

SQLite is set up so the admin CLI can write while the server runs: WAL journal (readers never block the
writer), ``busy_timeout`` (a writer waits for the other instead of failing), and every transaction starts with
``BEGIN IMMEDIATE`` so two writers queue up at the start instead of failing half way through with
``database is locked`` when a read turns into a write. Foreign keys are switched on (SQLite's default is off).

Migrations are Alembic scripts inside the package, run programmatically by :func:`migrate`; no ``alembic.ini``
is needed at runtime. Both the server and every CLI command call it first, so a fresh data dir just works.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

from madoguchi.storage.errors import StorageError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
_MIGRATION_LOCK_KEY = 0x6D61646F  # "mado": serialises concurrent upgrades on PostgreSQL

log = logging.getLogger(__name__)


def parse_database_url(url: str) -> URL:
    """Parse and normalise a database URL; plain ``sqlite://`` / ``postgresql://`` get their async driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise StorageError(f"not a database URL: {url!r}") from error
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    plain = "+" not in parsed.drivername  # no driver named: use the async one
    if backend == "sqlite":
        if not plain and driver != "aiosqlite":
            raise StorageError(f"SQLite needs the aiosqlite driver (sqlite+aiosqlite://), got {driver!r}")
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        if not plain and driver != "asyncpg":
            raise StorageError(f"PostgreSQL needs the asyncpg driver (postgresql+asyncpg://), got {driver!r}")
        return parsed.set(drivername="postgresql+asyncpg")
    raise StorageError(f"unsupported database {backend!r}: use sqlite+aiosqlite:// or postgresql+asyncpg://")


def _is_sqlite_memory(url: URL) -> bool:
    return not url.database or url.database == ":memory:" or url.query.get("mode") == "memory"


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url`` with the per-database settings described in the module docstring.

    PostgreSQL URLs may carry ``?search_path=schema`` to keep Madoguchi's tables in their own schema (the
    tests use it to give every test a fresh schema).
    """
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed)
    return _create_postgresql_engine(parsed)


def _create_sqlite_engine(url: URL) -> AsyncEngine:
    options: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    if _is_sqlite_memory(url):
        options["poolclass"] = StaticPool  # one shared connection, or every session sees an empty database
    elif url.database:
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, **options)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit at the driver level, so SQLAlchemy's "begin" event below decides how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not _is_sqlite_memory(url):
                cursor.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL survives any process crash; only a power cut can lose the last commits.
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _create_postgresql_engine(url: URL) -> AsyncEngine:
    connect_args: dict[str, Any] = {}
    search_path = url.query.get("search_path")
    if search_path is not None:
        if not isinstance(search_path, str) or not search_path.replace("_", "").isalnum():
            raise StorageError("search_path must be one schema name of letters, digits and underscores")
        connect_args["server_settings"] = {"search_path": search_path}
        url = url.difference_update_query(["search_path"])
    return create_async_engine(url, pool_pre_ping=True, connect_args=connect_args)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the package's migrations (for :func:`migrate` and for new revisions)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def migrate(target: str | AsyncEngine, revision: str = "head") -> None:
    """Bring the database at ``target`` (a URL or an engine) up to ``revision``, in one transaction.

    Safe to run from several processes at once: SQLite's ``BEGIN IMMEDIATE`` and a PostgreSQL advisory lock
    make the second one wait and then find nothing to do.
    """
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, revision)
    finally:
        if isinstance(target, str):
            await engine.dispose()


async def current_revision(target: str | AsyncEngine) -> str | None:
    """The Alembic revision the database is at (None for an empty database)."""
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current)
    finally:
        if isinstance(target, str):
            await engine.dispose()


class Database:
    """The engine and session factory one process uses; the repositories (``Accounts``, ``Booths``...) take it."""

    def __init__(self, target: str | AsyncEngine) -> None:
        self.engine = create_engine(target) if isinstance(target, str) else target
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        """The URL with any password masked, for logs and messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed when the block ends, rolled back on an exception."""
        async with self.sessions() as session, session.begin():
            yield session

    async def migrate(self) -> None:
        await migrate(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()


async def open_database(url: str) -> Database:
    """Migrate the database at ``url`` to the latest schema and return a handle to it."""
    database = Database(url)
    try:
        await database.migrate()
    except BaseException:
        await database.close()
        raise
    return database
