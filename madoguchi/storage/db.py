"""Engines, migrations and the :class:`Database` handle shared by the server and the admin CLI.

One URL picks the database: ``sqlite+aiosqlite:///path/madoguchi.db`` (the default, a file in the data dir) or
``postgresql+asyncpg://user@host/db`` for a multi-process deployment.

SQLite is set up so the admin CLI can write while the server runs: WAL journal (readers never block the
writer and the writer never blocks readers), ``busy_timeout`` (a writer waits for the other instead of failing),
and foreign keys switched on (SQLite's default is off). Transactions start in one of two ways:

- Writes (:meth:`Database.transaction`, and any session from :attr:`Database.sessions`) start with
  ``BEGIN IMMEDIATE``, which takes the write lock at once. Two writers then queue up at the start (for up to the
  busy timeout) instead of the second failing half way through with ``database is locked`` when its first read
  turns into a write: a deferred transaction that has read cannot wait for the lock, because the snapshot it
  read would be stale by the time it got it.
- Reads (:meth:`Database.read`) start with ``BEGIN DEFERRED``, which takes no lock until the first ``SELECT``
  and then only a WAL read snapshot. Taking the write lock for a lookup would make every booth connect, agent
  connect and transcript read queue behind whatever is writing (and behind each other) for no reason: in WAL
  mode a reader needs no lock the writer wants, and it still sees everything committed before it began. A read
  session refuses to flush ORM changes, so a write cannot slip into it by mistake. On PostgreSQL (MVCC, readers
  never wait for writers either way) the same sessions begin ``READ ONLY``, so a stray write there is an error.

Migrations are Alembic scripts inside the package, run programmatically by :func:`migrate`; no ``alembic.ini``
is needed at runtime. Both the server and every CLI command call it first, so a fresh data dir just works.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final, TypeVarTuple

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Row, Select, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.pool import StaticPool

from madoguchi.storage.errors import StorageError
from madoguchi.storage.private_files import private_file

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
_MIGRATION_LOCK_KEY = 0x6D61646F  # "mado": serialises concurrent upgrades on PostgreSQL
READ_ONLY_OPTION = "madoguchi_read_only"
"""Execution option marking a connection whose transactions only read (see :func:`read_only_engine`)."""

log = logging.getLogger(__name__)
_Ts = TypeVarTuple("_Ts")


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


HIDE_PARAMETERS = True
"""A failed statement's error (logged, or in a traceback) does not show its parameters: they are residents' words
and the numbers kept on purpose (a call-back's phone, a booking's contact)."""


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
    options: dict[str, Any] = {
        "connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        "hide_parameters": HIDE_PARAMETERS,
    }
    if _is_sqlite_memory(url):
        options["poolclass"] = StaticPool  # one shared connection, or every session sees an empty database
    elif url.database:
        private_file(Path(url.database))  # 0600 before SQLite opens it: its -wal and -shm files copy the mode
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
                mode = _switch_to_wal(cursor)
                if mode is None or str(mode[0]).lower() != "wal":
                    # E.g. a file system without shared memory. Still correct (nothing relies on WAL for
                    # safety), but readers and the writer then wait for each other.
                    log.warning("SQLite refused WAL mode for %s (journal_mode=%s)", url.database, mode)
                # In WAL mode NORMAL survives any process crash; only a power cut can lose the last commits.
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Reads take no lock up front; everything else takes the write lock at once (module docstring).
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN DEFERRED")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _switch_to_wal(cursor: Any) -> Any:
    """``PRAGMA journal_mode=WAL``, retried while another connection holds a lock; returns the mode's row.

    Only a file not yet in WAL mode needs this: switching it takes an exclusive lock, and SQLite then answers
    ``database is locked`` at once instead of waiting out the busy timeout. That happens when two connections
    open a brand-new database together (two processes starting on a fresh data dir, concurrent migrations).
    Once the file is in WAL mode (it stays so) the pragma never waits, so the short blocking sleeps here are
    only ever paid on the first connections to a new file.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return cursor.fetchone()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
        time.sleep(0.01)


POSTGRES_POOL_SIZE: Final = 10
"""Connections each process keeps open to PostgreSQL. SQLAlchemy's default (5, plus 10 overflow) closed every
connection above five as soon as it was returned, so a burst of concurrent requests (the booking benchmark's 50
clients) kept opening new ones: a TCP connect, authentication and asyncpg's type look-ups each time, tens of
milliseconds that landed on the unlucky request. Ten stay open; ``POSTGRES_MAX_OVERFLOW`` more may open in a burst
(20 per process, so a few processes stay well under PostgreSQL's default ``max_connections`` of 100)."""
POSTGRES_MAX_OVERFLOW: Final = 10


def _create_postgresql_engine(url: URL) -> AsyncEngine:
    connect_args: dict[str, Any] = {}
    search_path = url.query.get("search_path")
    if search_path is not None:
        if not isinstance(search_path, str) or not search_path.replace("_", "").isalnum():
            raise StorageError("search_path must be one schema name of letters, digits and underscores")
        connect_args["server_settings"] = {"search_path": search_path}
        url = url.difference_update_query(["search_path"])
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
        connect_args=connect_args,
        hide_parameters=HIDE_PARAMETERS,
    )


def read_only_engine(engine: AsyncEngine) -> AsyncEngine:
    """A view of ``engine`` (same pool) whose transactions only read: ``BEGIN DEFERRED`` on SQLite, ``READ ONLY``
    on PostgreSQL. Writing through it is a mistake: PostgreSQL refuses it, SQLite may fail with ``database is
    locked`` half way through (the reason writes begin ``IMMEDIATE``)."""
    options: dict[str, Any] = {READ_ONLY_OPTION: True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True  # asyncpg sends "BEGIN READ ONLY": no extra round trip
    return engine.execution_options(**options)


class _ReadOnlySession(Session):
    """The session class behind :meth:`Database.read`: it refuses to flush, so ORM changes made by mistake
    fail loudly on both databases instead of being rolled back silently."""


@event.listens_for(_ReadOnlySession, "before_flush")
def _refuse_flush(session: Session, _flush_context: UOWTransaction, _instances: object) -> None:
    raise StorageError("a read-only session cannot write: use Database.transaction()")


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
        async with read_only_engine(engine).connect() as connection:
            return await connection.run_sync(_current)
    finally:
        if isinstance(target, str):
            await engine.dispose()


class Database:
    """The engine and session factory one process uses; the repositories (``Accounts``, ``Booths``...) take it."""

    def __init__(self, target: str | AsyncEngine) -> None:
        self.engine = create_engine(target) if isinstance(target, str) else target
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        """Sessions that may write: on SQLite their transaction begins ``IMMEDIATE`` (takes the write lock)."""
        self._read_sessions = async_sessionmaker(
            read_only_engine(self.engine), expire_on_commit=False, sync_session_class=_ReadOnlySession
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        """The URL with any password masked, for logs and messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed when the block ends, rolled back on an exception.

        On SQLite it begins ``IMMEDIATE``: it waits (up to the busy timeout) for any other writer to finish
        first, so it never fails half way. Use it for anything that writes, or reads in order to write.
        """
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for lookups that never write; on SQLite it never takes the write lock.

        On SQLite it begins ``DEFERRED``: in WAL mode it neither waits for nor holds up a writer, and its queries
        share one snapshot of what was committed before the first of them. On PostgreSQL it begins ``READ ONLY``.
        It is rolled back when the block ends, and flushing ORM changes in it raises :class:`StorageError`. Do
        not read here and then write elsewhere based on what was read: that decision belongs in one
        :meth:`transaction`.
        """
        async with self._read_sessions() as session:
            yield session

    async def fetch(self, statement: Select[*_Ts]) -> Sequence[Row[*_Ts]]:
        """The rows of one ``SELECT``, for the hot read paths (a slot search).

        On PostgreSQL the statement runs alone, outside any transaction (autocommit): one statement sees one
        snapshot anyway, and it saves the ``BEGIN`` and ``ROLLBACK`` round trips a :meth:`read` session costs,
        half of a short read's trips to the server (and each trip waits for a CPU on a busy machine). On SQLite
        it is an ordinary :meth:`read` (there the transaction is a lock choice, not a network trip).
        """
        if self.dialect != "postgresql":
            async with self.read() as session:
                return (await session.execute(statement)).all()
        async with self.engine.connect() as connection:
            alone = await connection.execution_options(isolation_level="AUTOCOMMIT")
            return (await alone.execute(statement)).all()

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
