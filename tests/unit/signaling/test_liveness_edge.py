"""The edge of the liveness signal (issue #11): the in-process signal, the beacon that keeps it fresh, and the timers
that read it before a tick and pass it into the pure core. Fake clocks; no sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import pytest

from madoguchi.signaling.consultation import Channel
from madoguchi.signaling.counter import Counter, CounterConfig, CounterState
from madoguchi.signaling.liveness import Beacon, LocalLiveness
from madoguchi.signaling.store import MemoryStore
from madoguchi.signaling.timers import Timers

T = TypeVar("T")
TIMEOUT = 15.0


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_in_process_signal_is_good_for_its_ttl_and_gone_after_or_when_withdrawn() -> None:
    clock = FakeClock()
    signals = LocalLiveness(clock)
    await signals.announce("p1", 15.0)
    clock.now += 4.0
    assert await signals.remaining(["p1", "p2"]) == {"p1": 11.0}
    clock.now += 11.0
    assert await signals.remaining(["p1"]) == {}, "ran out"
    await signals.announce("p1", 15.0)
    await signals.withdraw("p1")
    assert await signals.remaining(["p1"]) == {}


class FailingLiveness(LocalLiveness):
    def __init__(self) -> None:
        super().__init__(FakeClock())
        self.failing = True

    async def announce(self, process_id: str, ttl_s: float) -> None:
        if self.failing:
            raise ConnectionError("redis away")
        await super().announce(process_id, ttl_s)


async def test_the_beacon_says_once_when_its_signal_cannot_be_written_and_once_when_it_can_again(caplog: Any) -> None:
    signals = FailingLiveness()
    beacon = Beacon(liveness=signals, process_id="p1", interval_s=5.0, ttl_s=15.0)
    with caplog.at_level("WARNING", logger="madoguchi.signaling.liveness"):
        assert await beacon.announce() is False
        assert await beacon.announce() is False
        signals.failing = False
        assert await beacon.announce() is True
        assert await beacon.announce() is True
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "liveness signal of p1 not written (redis away); retrying every 5.0 s",
        "liveness signal of p1 written again",
    ]
    assert await signals.remaining(["p1"]) == {"p1": 15.0}


def test_a_signal_must_outlive_the_interval_between_announcements() -> None:
    with pytest.raises(ValueError, match="outlive"):
        Beacon(liveness=LocalLiveness(), process_id="p1", interval_s=5.0, ttl_s=5.0)


def slow_process_state() -> CounterState:
    """p2 holds a waiting resident's booth; its last heartbeat was at 1000, the clock is at 1020 (overdue)."""
    counter = Counter(CounterState(), CounterConfig(process_timeout_s=TIMEOUT))
    counter.open(
        consultation_id="c1",
        municipality_id="setouchi",
        channel=Channel.BOOTH,
        resident="booth:b1",
        booth_id="b1",
        route="tax",
        language="ja",
        urgent=False,
        to_person=True,
        now=1000.0,
    )
    counter.connection_opened("booth:b1", "p2:s1", process_id="p2", now=1000.0)
    counter.state.outbox.clear()  # records written: the timers have nothing to flush
    return counter.state


def timers_on(store: MemoryStore, signals: LocalLiveness, clock: FakeClock, *, interval_s: float = 5.0) -> Timers:
    async def run(op: Callable[[Counter], T]) -> T:
        result, _ = await store.transact(op)
        return result

    return Timers(
        store=store,
        outbox=cast(Any, None),  # no records wait: never flushed
        liveness=signals,
        run=run,
        held=dict,
        process_id="p1",
        heartbeat_interval_s=interval_s,
        clock=clock,
        wake=asyncio.Event(),
    )


async def test_the_timers_keep_an_overdue_process_whose_signal_is_present_and_say_it_is_late(caplog: Any) -> None:
    clock = FakeClock(now=1020.0)
    store = MemoryStore(CounterConfig(process_timeout_s=TIMEOUT), slow_process_state())
    signals = LocalLiveness(clock)
    await signals.announce("p2", TIMEOUT)  # p2's own task wrote it just now, while its heartbeat waits
    timers = timers_on(store, signals, clock)
    with caplog.at_level("WARNING", logger="madoguchi.signaling.timers"):
        await timers._round(clock.now, clock.now)  # this process's heartbeat, then the due tick
        clock.now += TIMEOUT  # the signal found good until now: looked at again, renewed meanwhile
        await signals.announce("p2", TIMEOUT)
        await timers._round(clock.now + 100, clock.now + 100)
    state = (await store.read()).state
    assert state.connections == {"booth:b1": ("p2:s1",)}
    assert state.consultations["c1"].resident_lost_at is None
    late = [r.getMessage() for r in caplog.records if "heartbeat late" in r.getMessage()]
    assert late == [
        "server process p2: heartbeat late (last one 20.0 s ago) but its liveness signal says it runs; kept with "
        "its connections (slow, not gone)"
    ], "said once, not at every look"


async def test_the_timers_reap_an_overdue_process_whose_signal_is_gone(caplog: Any) -> None:
    clock = FakeClock(now=1020.0)
    store = MemoryStore(CounterConfig(process_timeout_s=TIMEOUT), slow_process_state())
    timers = timers_on(store, LocalLiveness(clock), clock)  # p2 never announced (or its key ran out: killed)
    with caplog.at_level("WARNING", logger="madoguchi.signaling.timers"):
        await timers._round(clock.now, clock.now)
    state = (await store.read()).state
    assert "p2" not in state.processes and state.connections == {}
    assert state.consultations["c1"].resident_lost_at == 1020.0
    assert any("p2 silent for 20 s and its liveness signal gone" in r.getMessage() for r in caplog.records)


async def test_a_heartbeat_that_waited_behind_the_operations_says_how_long_once_per_episode(caplog: Any) -> None:
    clock = FakeClock(now=1000.0)
    store = MemoryStore(CounterConfig(process_timeout_s=TIMEOUT))
    waits = [18.0, 20.0, 0.1, 7.0]

    async def run(op: Callable[[Counter], T]) -> T:
        clock.now += waits.pop(0)  # the operations queued ahead of it
        result, _ = await store.transact(op)
        return result

    timers = timers_on(store, LocalLiveness(clock), clock)
    timers._run = run
    with caplog.at_level("WARNING", logger="madoguchi.signaling.timers"):
        for _ in range(4):
            await timers.beat()
    said = [r.getMessage() for r in caplog.records if "heartbeat waited" in r.getMessage()]
    assert [m.split(" behind")[0] for m in said] == ["heartbeat waited 18.0 s", "heartbeat waited 7.0 s"]
    # the heartbeat is stamped when applied, not when it joined the queue
    assert (await store.read()).state.processes == {"p1": clock.now}
