"""The outbox writer tells a database away (stop, keep the order, retry) from a record refused for its values (set
aside, write the rest), with a fake sink and the in-process store; no sleeps, a fake clock."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from madoguchi.signaling.counter import Counter, CounterConfig
from madoguchi.signaling.lookups import DatabaseHealth
from madoguchi.signaling.outbox import OutboxWriter
from madoguchi.signaling.store import MemoryStore
from madoguchi.storage.updates import RecordUpdate
from tests.cases import open_booth_case


class PgError(Exception):
    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class Sink:
    """Writes every update except those of ``bad`` cases (refused for their values); ``away``: refuses all as a
    lost connection would."""

    def __init__(self, bad: set[str]) -> None:
        self.bad = bad
        self.away = False
        self.written: list[str] = []

    async def apply(self, update: RecordUpdate) -> None:
        key = str(update.key)
        if self.away:
            raise ConnectionRefusedError(111, "connection refused")
        if key.split(":")[0] in self.bad:
            raise sa_exc.DBAPIError("UPDATE ...", {}, PgError("22P05", "unsupported Unicode escape sequence\nSQL..."))
        self.written.append(key)


async def three_cases(store: MemoryStore) -> None:
    def op(counter: Counter) -> None:
        for n, cid in enumerate(("c1", "c2", "c3")):
            open_booth_case(counter, cid, now=10.0 + n)

    await store.transact(op)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore(CounterConfig())


async def test_a_refused_record_is_set_aside_and_the_records_behind_it_are_written(store: MemoryStore) -> None:
    await three_cases(store)
    sink = Sink(bad={"c1"})
    health = DatabaseHealth()
    writer = OutboxWriter(store=store, sink=sink, health=health, clock=lambda: 99.0)

    assert await writer.flush() == 2
    state = (await store.read()).state
    assert sink.written == ["c2:0", "c3:0"]
    assert state.outbox == []
    assert [(s.record.key, s.error, s.at) for s in state.set_aside] == [
        ("c1:0", f"DBAPIError: ({__name__}.PgError) unsupported Unicode escape sequence", 99.0)
    ]
    assert health.away is False  # a bad record is not a database away
    assert await writer.flush() == 0  # nothing is retried


async def test_a_database_away_stops_the_round_and_keeps_every_record_in_order(store: MemoryStore) -> None:
    await three_cases(store)
    sink = Sink(bad=set())
    sink.away = True
    health = DatabaseHealth()
    writer = OutboxWriter(store=store, sink=sink, health=health, clock=lambda: 99.0)

    assert await writer.flush() == 0
    state = (await store.read()).state
    assert [e.key for e in state.outbox] == ["c1:0", "c2:0", "c3:0"]
    assert state.set_aside == [] and health.away is True

    sink.away = False
    assert await writer.flush() == 3
    assert sink.written == ["c1:0", "c2:0", "c3:0"] and health.away is False
