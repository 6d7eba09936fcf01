"""An overflow moment that falls between two timer rounds (while a heartbeat is applied) is still due: the timers
look at every moment after the last time they checked, not only at those after the new round began."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from madoguchi.signaling.counter import Counter
from madoguchi.signaling.liveness import LocalLiveness
from madoguchi.signaling.timers import Timers

MOMENT = 100.5  # a waiting case reaches its overflow time here


@dataclass
class FakeClock:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeState:
    outbox: list[Any] = field(default_factory=list)


@dataclass
class FakeCounter:
    """Only what the timer loop reads: the overflow moment still ahead of ``now`` (as ``overflow_deadlines``)."""

    state: FakeState = field(default_factory=FakeState)

    def next_deadline(self, now: float | None = None) -> float | None:
        return MOMENT if now is not None and now < MOMENT else None

    def overdue_processes(self, now: float) -> list[str]:
        return []


class FakeStore:
    async def read(self) -> FakeCounter:
        return FakeCounter()


def timers_with(clock: FakeClock, beats_take: list[float], ticks: list[float]) -> Timers:
    """Each heartbeat moves the clock on by the next of ``beats_take`` (the last one again when they run out)."""

    async def run(op: Any) -> None:
        if isinstance(op, partial) and op.func is Counter.tick:
            ticks.append(op.keywords["now"])
        else:  # the heartbeat: the clock moves on while it is applied
            clock.now += beats_take.pop(0) if len(beats_take) > 1 else beats_take[0]

    return Timers(
        store=cast(Any, FakeStore()),
        outbox=cast(Any, None),
        liveness=LocalLiveness(),
        run=run,
        held=dict,
        process_id="p1",
        heartbeat_interval_s=0.0,  # a heartbeat every round, and no wait between rounds
        clock=clock,
        wake=asyncio.Event(),
    )


async def test_a_moment_reached_during_the_heartbeat_between_two_rounds_is_ticked() -> None:
    clock = FakeClock()
    ticks: list[float] = []
    timers = timers_with(clock, beats_take=[0.1, 0.5], ticks=ticks)
    await timers._round(clock.now, clock.now)
    assert ticks == [] and clock.now < MOMENT, "first round: the moment is still ahead"
    await timers._round(clock.now, clock.now)  # its heartbeat takes 0.5 s: the moment passes meanwhile
    assert clock.now > MOMENT
    assert ticks == [clock.now], "the moment passed during the heartbeat: the case overflows now, not never"


async def test_a_moment_is_ticked_once_not_at_every_round_after() -> None:
    clock = FakeClock(now=100.4)
    ticks: list[float] = []
    timers = timers_with(clock, beats_take=[0.0, 0.2], ticks=ticks)
    await timers._round(clock.now, clock.now)
    assert ticks == []
    await timers._round(clock.now, clock.now)
    assert len(ticks) == 1 and ticks[0] > MOMENT
    await timers._round(clock.now, clock.now)
    await timers._round(clock.now, clock.now)
    assert len(ticks) == 1, "checked once: later rounds look only after it"


async def test_a_process_taken_as_gone_and_connections_restated_are_logged(caplog: Any) -> None:
    """Session 13: a server alive but too slow to beat within the timeout was taken as gone, and 1,840 waiting
    residents' cases closed after the grace period without a word in either log. The timers now say so."""
    from madoguchi.signaling.presence import ProcessGone

    clock = FakeClock(now=200.0)

    async def run(op: Any) -> Any:
        if isinstance(op, partial) and op.func is Counter.tick:
            return {"p2": ProcessGone(silent_s=16.0, connections=1840, residents_waiting=1839)}
        return 1840  # the heartbeat: this process's connections were missing from the live state

    class DueStore:
        async def read(self) -> Any:
            counter = FakeCounter()
            counter.next_deadline = lambda now=None: 150.0  # type: ignore[method-assign]
            return counter

    timers = Timers(
        store=cast(Any, DueStore()),
        outbox=cast(Any, None),
        liveness=LocalLiveness(),
        run=run,
        held=dict,
        process_id="p1",
        heartbeat_interval_s=0.0,
        clock=clock,
        wake=asyncio.Event(),
    )
    with caplog.at_level("WARNING", logger="madoguchi.signaling.timers"):
        await timers._round(clock.now, clock.now)
    said = [r.getMessage() for r in caplog.records]
    assert any("p2 silent for 16 s" in m and "1840 connection(s), 1839 of them residents" in m for m in said), said
    assert any("1840 connection(s) of this process were missing" in m for m in said), said
