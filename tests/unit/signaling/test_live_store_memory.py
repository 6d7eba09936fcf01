"""MemoryStore: all of an operation or none of it, and chat sequence numbers."""

from __future__ import annotations

import pytest

from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import (
    AgentStatus,
    Counter,
    CounterConfig,
    CounterError,
    OfferMade,
    Transitioned,
)
from madoguchi.signaling.store import MemoryStore
from tests.cases import open_booth_case

_open = open_booth_case


def _agent(counter: Counter, now: float) -> None:
    counter.agent_online(
        agent_id="a1", display_name="A", municipality_ids=("setouchi",), routes=("*",), languages=("ja",), now=now
    )
    counter.set_status("a1", AgentStatus.AVAILABLE, now=now)


async def test_transact_applies_the_operation_and_returns_result_and_effects() -> None:
    store = MemoryStore(CounterConfig())
    await store.transact(lambda c: _agent(c, 0.0))
    result, effects = await store.transact(lambda c: _open(c, "c1", 1.0))
    assert result == "c1"
    assert [(e.previous, e.trigger.value) for e in effects if isinstance(e, Transitioned)] == [
        (None, "request"),
        (State.WAITING, "offer"),
    ]
    assert [e.agent_id for e in effects if isinstance(e, OfferMade)] == ["a1"]
    counter = await store.read()
    assert counter.state.consultations["c1"].state == State.OFFERED
    assert counter.effects == []


async def test_an_operation_that_raises_leaves_the_state_unchanged() -> None:
    store = MemoryStore(CounterConfig())
    await store.transact(lambda c: _open(c, "c1", 0.0))
    before = (await store.read()).state.model_copy(deep=True)

    def half_done(counter: Counter) -> None:
        _open(counter, "c2", 1.0)  # succeeds inside the operation...
        counter.state.consultations["c1"].priority = 9
        counter.cancel("c1", resident="booth:somebody_else", now=2.0)  # ...then this refuses

    with pytest.raises(CounterError) as raised:
        await store.transact(half_done)
    assert raised.value.code == "forbidden"
    after = (await store.read()).state
    assert after == before
    assert "c2" not in after.consultations


async def test_each_transaction_starts_with_no_effects_from_the_previous_one() -> None:
    store = MemoryStore(CounterConfig())
    _, first = await store.transact(lambda c: _open(c, "c1", 0.0))
    _, second = await store.transact(lambda c: c.tick(1.0))
    assert first and second == []
