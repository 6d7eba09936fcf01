"""A heartbeat never undoes a connection that opens or closes around it. One process, the in-process live state, a
real database (SQLite), no sockets; the moments are forced with gates, not sleeps.

The heartbeat states the connections this process holds and closes the live-state entries it does not hold. A
connection counted as held only after its opening's whole run, or a heartbeat working from a copy taken before it
waited for the live state, closed a connection that had just opened: the agent lost their link right after
connecting and left the counter while still connected (the booked-video-from-home test failed 4 runs in 5)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest

from madoguchi.app import CounterParts, assemble_counter
from madoguchi.signaling.counter import Counter
from madoguchi.signaling.dispatch import Delivery
from madoguchi.signaling.effects import Effect
from madoguchi.signaling.service import StaffIdentity, counter_config
from madoguchi.signaling.store import MemoryStore
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database, open_database
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import ConsultationRecords
from tests.support import make_settings

T = TypeVar("T")

STAFF = StaffIdentity(
    id="u_tanaka",
    username="tanaka",
    display_name="田中",
    role="agent",
    municipality_ids=("shiomi",),
    routes=("*",),
    languages=("ja",),
)


class HeldDelivery:
    """Holds the first delivery until released: the opening is in the live state, its events not yet out."""

    def __init__(self) -> None:
        self.waiting = asyncio.Event()
        self.release = asyncio.Event()

    async def deliver(self, deliveries: Sequence[Delivery]) -> None:
        if not self.waiting.is_set():
            self.waiting.set()
            await self.release.wait()


class GatedStore(MemoryStore):
    """Once armed, the next operation waits at the door of the live state until released."""

    def __init__(self, store: MemoryStore) -> None:
        super().__init__(store._config)
        self.armed = False
        self.waiting = asyncio.Event()
        self.release = asyncio.Event()

    async def transact(self, operation: Callable[[Counter], T]) -> tuple[T, list[Effect]]:
        if self.armed:
            self.armed = False
            self.waiting.set()
            await self.release.wait()
        return await super().transact(operation)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'held.db'}")
    await Municipalities(database).add_municipality("shiomi", name_ja="汐見町", name_en="Shiomi Town")
    try:
        yield database
    finally:
        await database.close()


def parts(tmp_path: Path, db: Database, store: MemoryStore, notifier: object) -> CounterParts:
    return assemble_counter(
        settings=make_settings(tmp_path),
        store=store,
        records=ConsultationRecords(db),
        booths=Booths(db),
        notifier=notifier,  # type: ignore[arg-type]
        clock=lambda: 1_796_601_000.0,
    )


async def connected(store: MemoryStore) -> tuple[bool, tuple[str, ...]]:
    state = (await store.read()).state
    agent = state.agents.get(STAFF.id)
    return agent is not None and agent.connected, state.connections.get(STAFF.participant, ())


@pytest.mark.timeout(10)
async def test_a_heartbeat_inside_the_opening_keeps_the_new_connection(tmp_path: Path, db: Database) -> None:
    store = MemoryStore(counter_config(make_settings(tmp_path)))
    delivery = HeldDelivery()
    counter = parts(tmp_path, db, store, delivery)
    conn = counter.service.connection_id("sid1")
    opening = asyncio.create_task(counter.service.agent_connected(STAFF, conn))
    await delivery.waiting.wait()  # written to the live state; its events still on the way
    await counter.timers.beat()
    delivery.release.set()
    await opening
    assert await connected(store) == (True, (conn,))


class Passing:
    async def deliver(self, deliveries: Sequence[Delivery]) -> None:
        return None


@pytest.mark.timeout(10)
async def test_a_heartbeat_waiting_for_the_live_state_keeps_a_connection_opened_meanwhile(
    tmp_path: Path, db: Database
) -> None:
    store = GatedStore(MemoryStore(counter_config(make_settings(tmp_path))))
    counter = parts(tmp_path, db, store, Passing())
    conn = counter.service.connection_id("sid1")
    store.armed = True
    beat = asyncio.create_task(counter.timers.beat())
    await store.waiting.wait()
    await counter.service.agent_connected(STAFF, conn)
    store.release.set()
    await beat
    assert await connected(store) == (True, (conn,))


@pytest.mark.timeout(10)
async def test_a_heartbeat_waiting_for_the_live_state_does_not_reopen_a_connection_closed_meanwhile(
    tmp_path: Path, db: Database
) -> None:
    store = GatedStore(MemoryStore(counter_config(make_settings(tmp_path))))
    counter = parts(tmp_path, db, store, Passing())
    conn = counter.service.connection_id("sid1")
    await counter.service.agent_connected(STAFF, conn)
    store.armed = True
    beat = asyncio.create_task(counter.timers.beat())
    await store.waiting.wait()
    await counter.service.disconnected(STAFF.participant, conn)
    store.release.set()
    await beat
    assert await connected(store) == (False, ())
    assert counter.service.held() == {}
