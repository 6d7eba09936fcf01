"""Migrations, engine settings and the UTC timestamp type, on both databases."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select, text

from madoguchi.storage.db import (
    Database,
    alembic_config,
    create_engine,
    current_revision,
    migrate,
    parse_database_url,
)
from madoguchi.storage.errors import StorageError
from madoguchi.storage.models import AuditEntry, Base, WebSession

EXPECTED_TABLES = {
    "alembic_version",
    "municipalities",
    "places",
    "booths",
    "staff",
    "staff_municipalities",
    "web_sessions",
    "consultations",
    "consultation_events",
    "consultation_participants",
    "callback_requests",
    "chat_messages",
    "audit_log",
    "bookings",
    "booking_slots",
    "sailing_cancellations",
    "report_rollups",
    "report_rollup_changes",
    "opening_hours",
}


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_on_an_empty_database_creates_the_schema_of_the_models(database_url: str) -> None:
    assert await current_revision(database_url) is None

    await migrate(database_url)

    assert await current_revision(database_url) == "0018_ux16b_talked_before"
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            differences = await connection.run_sync(_differences)
            indexes = await connection.run_sync(lambda c: {i["name"] for i in inspect(c).get_indexes("consultations")})
    finally:
        await engine.dispose()
    assert tables == EXPECTED_TABLES
    assert differences == []
    assert {"ix_consultations_state", "ix_consultations_requested_at"} <= indexes


async def test_upgrading_again_or_concurrently_changes_nothing(database_url: str) -> None:
    await asyncio.gather(migrate(database_url), migrate(database_url))
    await migrate(database_url)
    assert await current_revision(database_url) == "0018_ux16b_talked_before"


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}")
    try:
        await database.migrate()
        async with database.engine.connect() as connection:
            journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
            foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
            busy_timeout = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    finally:
        await database.close()
    assert journal == "wal"
    assert foreign_keys == 1
    assert busy_timeout is not None and busy_timeout >= 5000


async def test_opening_a_new_sqlite_file_waits_for_another_connection_instead_of_failing(tmp_path: Path) -> None:
    """Switching a new file to WAL needs an exclusive lock, and SQLite refuses at once (no busy timeout) while
    another connection holds one: two processes starting on a fresh data dir must not fail on that."""
    path = tmp_path / "fresh.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the file is new, so still in rollback-journal mode
    other.execute("CREATE TABLE other_process (x)")
    release = threading.Timer(0.3, other.execute, ("COMMIT",))
    release.start()
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await database.migrate()
        async with database.engine.connect() as connection:
            journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
    finally:
        release.join()
        other.close()
        await database.close()
    assert journal == "wal"


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        async with db.transaction() as session:
            session.add(
                WebSession(
                    token_hash="0" * 64,
                    staff_id="u_nobody",
                    csrf_token="x",
                    created_at=datetime.now(UTC),
                    expires_at=datetime.now(UTC),
                )
            )


async def test_timestamps_come_back_as_the_same_instant_in_utc(db: Database) -> None:
    japan = timezone(timedelta(hours=9))
    written = datetime(2024, 6, 1, 9, 30, 15, 123456, tzinfo=japan)
    async with db.transaction() as session:
        session.add(AuditEntry(at=written, actor="test", action="t", detail={}))
    async with db.sessions() as session:
        read = await session.scalar(select(AuditEntry.at))
    assert read == written
    assert read is not None and read.utcoffset() == timedelta(0)
    assert (read.hour, read.minute) == (0, 30)  # 09:30 in Japan is 00:30 UTC


async def test_naive_timestamps_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with db.transaction() as session:
            session.add(AuditEntry(at=datetime(2024, 6, 1, 9, 30), actor="test", action="t", detail={}))
            await session.flush()


@pytest.mark.parametrize(
    "url",
    ["mysql://x@y/z", "sqlite+pysqlcipher:///x.db", "not a url", "postgresql+psycopg://u@h/d"],
)
def test_unsupported_urls_get_a_clear_error(url: str) -> None:
    with pytest.raises(StorageError):
        parse_database_url(url)


def test_plain_urls_get_their_async_driver() -> None:
    assert parse_database_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert parse_database_url("postgresql://u@h/d").drivername == "postgresql+asyncpg"


def test_postgresql_search_path_must_be_a_plain_name() -> None:
    with pytest.raises(StorageError, match="search_path"):
        create_engine("postgresql+asyncpg://u@h/d?search_path=x;drop")


async def test_the_booking_code_column_takes_twelve_digits_and_keeps_the_eight_of_before(database_url: str) -> None:
    """0016_codes13_booking_code_width: a case's 8-digit booking code survives the widening, a 12-digit one is stored
    whole (PostgreSQL refused it in ``VARCHAR(8)``), and going down drops only the codes that no longer fit."""
    await migrate(database_url, "0015_chat10_staff_latin_name")
    at = datetime(2026, 12, 7, 0, 0, tzinfo=UTC).replace(tzinfo=None)
    case = (
        "INSERT INTO consultations (id, municipality_id, channel, route, language, urgent, state, requested_at,"
        " updated_at, booking) VALUES (:id, 'shiomi', 'booth', 'tax', 'ja', false, 'closed', :at, :at, :booking)"
    )
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO municipalities (id, name_ja, name_en) VALUES ('shiomi', '汐見町', 'Shiomi')")
            )
            await connection.execute(text(case), {"id": "c-old", "at": at, "booking": "81918320"})
        await migrate(database_url)
        async with engine.begin() as connection:
            await connection.execute(text(case), {"id": "c-new", "at": at, "booking": "819183204417"})
            kept = dict((await connection.execute(text("SELECT id, booking FROM consultations"))).all())
        assert kept == {"c-old": "81918320", "c-new": "819183204417"}

        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, "0015_chat10_staff_latin_name")
            kept = dict((await connection.execute(text("SELECT id, booking FROM consultations"))).all())
        assert kept == {"c-old": "81918320", "c-new": None}
    finally:
        await engine.dispose()


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)
