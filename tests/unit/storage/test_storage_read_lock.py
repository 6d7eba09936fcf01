"""Lookups never take SQLite's write lock; writes still take it first and queue (SQLite and PostgreSQL).

A second :class:`Database` on the same URL plays another process (the admin CLI, a second server) holding a
write transaction open. On SQLite that transaction holds the write lock (``BEGIN IMMEDIATE``); on PostgreSQL it
holds row locks. Either way every repository lookup must answer at once, from the last committed state.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from madoguchi.storage.accounts import Accounts
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database, open_database
from madoguchi.storage.errors import StorageError
from madoguchi.storage.models import AuditEntry, Booth
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import ConsultationRecords, NewConsultation
from madoguchi.storage.testing import fast_password_hasher, temporary_database_url

NOW = datetime(2024, 6, 3, 0, 30, tzinfo=UTC)
PASSWORD = "umi-no-mieru-machi"
PROMPT_S = 2.0
"""A lookup must answer within this while another writer holds the lock (SQLite's busy timeout is 10 s)."""
BLOCKED = object()


@pytest.fixture
async def other_process(db: Database, database_url: str) -> AsyncIterator[Database]:
    """A second engine on the same (already migrated) database, as another process would have."""
    other = Database(database_url)
    try:
        yield other
    finally:
        await other.close()


@asynccontextmanager
async def write_held(other: Database) -> AsyncIterator[AsyncConnection]:
    """An open, uncommitted write on every booth row (rolled back at the end unless the caller commits)."""
    async with other.engine.connect() as connection:
        await connection.execute(text("UPDATE booths SET name = 'held'"))  # SQLite: BEGIN IMMEDIATE came first
        yield connection


async def _promptly(call: Awaitable[Any]) -> Any:
    try:
        return await asyncio.wait_for(call, PROMPT_S)
    except TimeoutError:
        return BLOCKED


async def _collect(rows: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row async for row in rows]


async def test_every_lookup_answers_while_another_process_holds_a_write(
    db: Database, town: str, accounts: Accounts, other_process: Database
) -> None:
    booths, records, audit, municipalities = Booths(db), ConsultationRecords(db), AuditLog(db), Municipalities(db)
    booth, device_token = await booths.add("汐見郵便局ブース", municipality_id=town, place_id="post", now=NOW)
    agent = await accounts.add_user(
        "tanaka", PASSWORD, role="agent", municipality_ids=[town], routes=["*"], languages=["ja"]
    )
    session_token, _csrf = await accounts.create_session(agent.id, 3600, NOW)
    await records.create(
        NewConsultation(
            id="c1",
            municipality_id=town,
            channel="booth",
            booth_id=booth.id,
            route="tax",
            language="ja",
            state="waiting",
            requested_at=NOW,
        )
    )
    await records.transition("c1", at=NOW + timedelta(seconds=5), kind="offered", state="offered", agent_id=agent.id)
    await records.add_chat("c1", seq=None, sender="resident", text="こんにちは", at=NOW, client_id="m1")
    await audit.write("cli:root", "booth.add", {"booth_id": booth.id}, NOW)

    lookups: dict[str, Callable[[], Awaitable[Any]]] = {
        "Booths.by_token": lambda: booths.by_token(device_token),
        "Booths.get": lambda: booths.get(booth.id),
        "Booths.list": lambda: booths.list(town),
        "Accounts.get": lambda: accounts.get(agent.id),
        "Accounts.by_username": lambda: accounts.by_username("tanaka"),
        "Accounts.list": accounts.list,
        "Accounts.authenticate": lambda: accounts.authenticate("tanaka", PASSWORD),
        "Accounts.session": lambda: accounts.session(session_token, NOW),
        "Municipalities.get": lambda: municipalities.get(town),
        "Municipalities.list": municipalities.list,
        "Municipalities.get_place": lambda: municipalities.get_place("post"),
        "Municipalities.places": lambda: municipalities.places(town),
        "ConsultationRecords.get": lambda: records.get("c1"),
        "ConsultationRecords.events": lambda: records.events("c1"),
        "ConsultationRecords.chat": lambda: records.chat("c1"),
        "ConsultationRecords.max_seq": lambda: records.max_seq("c1"),
        "ConsultationRecords.unfinished": records.unfinished,
        "ConsultationRecords.export_rows": lambda: _collect(records.export_rows()),
        "AuditLog.recent": audit.recent,
    }
    before = {name: await lookup() for name, lookup in lookups.items()}
    assert before["Booths.by_token"] == booth and before["Accounts.session"] is not None

    async with write_held(other_process):
        answers = await asyncio.gather(*(_promptly(lookup()) for lookup in lookups.values()))

    blocked = [name for name, answer in zip(lookups, answers, strict=True) if answer is BLOCKED]
    assert blocked == [], f"waited for the other writer: {blocked}"
    assert dict(zip(lookups, answers, strict=True)) == before  # the last committed state, not the held write


async def test_a_writer_still_waits_for_the_other_and_both_writes_land(
    db: Database, town: str, other_process: Database
) -> None:
    booths = Booths(db)
    booth, device_token = await booths.add("汐見郵便局ブース", municipality_id=town, now=NOW)

    async with write_held(other_process) as held:
        revoke = asyncio.create_task(booths.revoke(booth.id, now=NOW))
        await asyncio.sleep(0.5)
        assert not revoke.done()  # SQLite: waiting at BEGIN IMMEDIATE; PostgreSQL: waiting for the row lock
        assert await _promptly(booths.by_token(device_token)) == booth  # meanwhile lookups go on
        await held.commit()
    revoked = await asyncio.wait_for(revoke, PROMPT_S)

    assert revoked.revoked_at == NOW
    stored = await booths.get(booth.id)
    assert stored is not None and (stored.name, stored.revoked_at) == ("held", NOW)


async def test_two_processes_that_read_then_write_both_succeed(db: Database, other_process: Database) -> None:
    """Each reads, pauses, then writes based on what it read. With ``BEGIN IMMEDIATE`` on SQLite the second
    waits at the start and then sees the first one's row; a deferred begin would fail it with ``database is
    locked`` (its snapshot went stale while it waited to write)."""

    async def read_then_write(database: Database, actor: str) -> None:
        async with database.transaction() as session:
            seen = await session.scalar(select(func.count()).select_from(AuditEntry))
            await asyncio.sleep(0.3)
            session.add(AuditEntry(at=NOW, actor=actor, action=f"after {seen}", detail={}))

    await asyncio.wait_for(asyncio.gather(read_then_write(db, "a"), read_then_write(other_process, "b")), 10)

    async with db.read() as session:
        actions = sorted((await session.scalars(select(AuditEntry.action))).all())
    if db.dialect == "sqlite":
        assert actions == ["after 0", "after 1"]  # one after the other
    else:
        assert len(actions) == 2  # PostgreSQL serialises on row locks, not one database-wide lock


async def test_a_read_session_refuses_to_write(db: Database, town: str) -> None:
    booth, _ = await Booths(db).add("A", municipality_id=town, now=NOW)

    with pytest.raises(StorageError, match="read-only"):
        async with db.read() as session:
            row = await session.get(Booth, booth.id)
            assert row is not None
            row.name = "changed"
            await session.flush()

    stored = await Booths(db).get(booth.id)
    assert stored is not None and stored.name == "A"


@pytest.mark.postgres
async def test_a_read_session_is_read_only_on_postgresql(tmp_path: Path) -> None:
    async with temporary_database_url("postgresql", tmp_path) as url:
        db = await open_database(url)
        try:
            with pytest.raises(Exception, match="read-only transaction"):
                async with db.read() as session:
                    await session.execute(text("UPDATE booths SET name = 'x'"))
            async with db.transaction() as session:  # the pool hands out writable connections again
                await session.execute(text("UPDATE booths SET name = 'x'"))
        finally:
            await db.close()


async def test_reads_begin_deferred_and_writes_begin_immediate_on_sqlite(tmp_path: Path) -> None:
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'begins.db'}")
    accounts = Accounts(db, hasher=fast_password_hasher())
    await Municipalities(db).add_municipality("shiomi", name_ja="汐見町", name_en="Shiomi Town")
    begins: list[str] = []

    def record(_conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        booths = Booths(db)
        _booth, device_token = await booths.add("A", municipality_id="shiomi", now=NOW)
        assert begins == ["BEGIN IMMEDIATE"]
        begins.clear()

        await booths.by_token(device_token)
        await accounts.session("no-such-session", NOW)
        await ConsultationRecords(db).chat("c1")
        async with db.read() as session:
            await session.execute(select(Booth.id))
        assert begins == ["BEGIN DEFERRED"] * 4
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        await db.close()
