"""The service's side of the outbox, without sockets: a real database (SQLite) and the in-process live state."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from madoguchi.app import CounterParts, assemble_counter
from madoguchi.signaling.dispatch import Delivery
from madoguchi.signaling.service import counter_config
from madoguchi.signaling.store import MemoryStore
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database, open_database
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import ConsultationRecords
from tests.support import make_settings


class Silent:
    async def deliver(self, deliveries: Sequence[Delivery]) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}")
    await Municipalities(database).add_municipality("shiomi", name_ja="汐見町", name_en="Shiomi Town")
    try:
        yield database
    finally:
        await database.close()


@dataclass(frozen=True)
class Service:
    """The operations and the start sweep of one process, wired as the app wires them."""

    parts: CounterParts

    def __getattr__(self, name: str) -> object:
        return getattr(self.parts.recovery if name == "recover" else self.parts.service, name)


def service(tmp_path: Path, db: Database, store: MemoryStore, clock: Clock) -> Service:
    return Service(
        assemble_counter(
            settings=make_settings(tmp_path),
            store=store,
            records=ConsultationRecords(db),
            booths=Booths(db),
            notifier=Silent(),
            clock=clock,
        )
    )


async def test_a_committed_operation_leaves_nothing_pending(tmp_path: Path, db: Database) -> None:
    booth, _ = await Booths(db).add("ブース", municipality_id="shiomi")
    clock = Clock()
    store = MemoryStore(counter_config(make_settings(tmp_path)))
    counter_service = service(tmp_path, db, store, clock)

    result = await counter_service.request_from_booth(booth, route="tax", language="ja", summary={"topic": "tax"})
    cid = result["consultation_id"]
    assert (await store.read()).state.outbox == []
    record = await ConsultationRecords(db).get(cid)
    assert record is not None and record.summary == {"topic": "tax"}


async def test_recover_writes_pending_records_before_marking_unknown_cases_interrupted(
    tmp_path: Path, db: Database
) -> None:
    booth, _ = await Booths(db).add("ブース", municipality_id="shiomi")
    clock = Clock()
    store = MemoryStore(counter_config(make_settings(tmp_path)))
    records = ConsultationRecords(db)

    # The case was created and written; then it was cancelled while the database was away (the store's
    # transaction alone, as when the write fails): the live state no longer knows the case, and its "abandoned"
    # record still waits in the outbox when the whole server restarts.
    cid = (await service(tmp_path, db, store, clock).request_from_booth(booth, route="tax", language="ja"))[
        "consultation_id"
    ]
    await store.transact(lambda c: c.cancel(cid, resident=f"booth:{booth.id}", now=clock.now + 5))
    assert [e.key for e in (await store.read()).pending_records()] == [f"{cid}:1"]

    clock.now += 600  # long after every old process's heartbeat: a full restart
    marked = await service(tmp_path, db, store, clock).recover()

    assert marked == 0
    assert [e.kind for e in await records.events(cid)] == ["created", "cancel"]
    record = await records.get(cid)
    assert record is not None and record.state == "abandoned"
    assert (await store.read()).state.outbox == []
