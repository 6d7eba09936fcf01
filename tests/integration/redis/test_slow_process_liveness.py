"""A process that is slow is not taken as gone; one that stopped is (issue #11). Two real apps on one Redis prefix.

Session 13's 2,000-waiting bench: process A was alive, but its heartbeat (an ordinary live-store transaction) sat
behind ~40 operations of 0.6–0.9 s each and arrived more than ``process_timeout_s`` late; process B's tick took A
as gone and, after the grace period, closed 1,840 waiting residents' cases (``resident_link_lost``). Here A's live
store operations are held (every transaction waits at a gate) for longer than the timeout plus the grace period:
its heartbeat cannot get through, but its liveness signal (its own key, its own task, its own Redis client) can.
Short timeouts (heartbeat 0.5 s, so a 1.5 s process timeout; grace 1 s) keep the test quick; the waits are polls of
the live state, not fixed sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

import pytest

from madoguchi import keys, observability
from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import Counter, CounterState
from madoguchi.signaling.liveness import RedisLiveness
from madoguchi.signaling.redis_store import RedisStore
from tests.integration.redis.conftest import REDIS_TEST_URL, redis_settings
from tests.support import LiveServer, Peer, booth_peer, ok, serve

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]

T = TypeVar("T")
HEARTBEAT_S = 0.5
TIMEOUT_S = 3 * HEARTBEAT_S
GRACE_S = 1.0


@pytest.fixture
async def two_servers(tmp_path: Path, postgres_url: str, redis_prefix: str) -> AsyncIterator[list[LiveServer]]:
    settings = redis_settings(
        tmp_path,
        database_url=postgres_url,
        redis_url=REDIS_TEST_URL,
        prefix=redis_prefix,
        heartbeat_interval_s=HEARTBEAT_S,
        grace_period_s=GRACE_S,
    )
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(serve(settings)) for _ in range(2)]


class Gate:
    """Every live-store transaction of one process waits here while closed: its heartbeat included, as when it sat
    behind a long queue of slow operations."""

    def __init__(self, store: RedisStore) -> None:
        self.open = asyncio.Event()
        self.open.set()
        self.held = 0
        inner = store.transact

        async def transact(operation: Callable[[Counter], T]) -> tuple[T, list[Any]]:
            if not self.open.is_set():
                self.held += 1
                await self.open.wait()
            return await inner(operation)

        store.transact = transact  # type: ignore[method-assign]


def process_of(server: LiveServer) -> str:
    return server.app[keys.COUNTER].process_id


def raw_store(server: LiveServer) -> RedisStore:
    store = server.app[observability.LIVE_STORE]
    assert isinstance(store, RedisStore)
    return store


async def state_of(server: LiveServer) -> CounterState:
    return (await raw_store(server).read()).state


async def until(check: Callable[[], Awaitable[bool]], *, within: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        assert loop.time() < deadline, f"not within {within} s: {what}"
        await asyncio.sleep(0.05)


async def waiting_booths(server: LiveServer, count: int) -> list[tuple[Peer, str]]:
    booths = []
    for i in range(count):
        _, token, _ = await server.add_booth(f"ブース{i}")
        booth = await booth_peer(server, token)
        await booth.wait_for("booth.state")
        cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
        booths.append((booth, cid))
    return booths


async def test_a_process_whose_operations_are_held_past_the_timeout_keeps_its_waiting_residents(
    two_servers: list[LiveServer], caplog: Any
) -> None:
    slow, ticking = two_servers
    booths = await waiting_booths(slow, 2)
    slow_id = process_of(slow)
    gate = Gate(raw_store(slow))
    before = await state_of(ticking)
    last_beat = before.processes[slow_id]
    gate.open.clear()
    try:
        # the moment the cases would have closed without the signal: reaped at last_beat + timeout, and the
        # residents' grace period after that; wait until the other process has looked at the slow one since then
        closes_at = last_beat + TIMEOUT_S + GRACE_S

        async def looked_after_closing_or_closed() -> bool:
            state = await state_of(ticking)
            looked = state.alive_until.get(slow_id, 0.0) > closes_at + 0.5
            return looked or any(cid not in state.consultations for _, cid in booths)

        with caplog.at_level("WARNING"):
            await until(looked_after_closing_or_closed, within=20, what="the ticking process looked at the slow one")
        held = await state_of(ticking)
        for booth, cid in booths:
            c = held.consultations.get(cid)
            assert c is not None, f"{cid} closed while its booth was connected to a slow process"
            assert c.state == State.WAITING and c.resident_lost_at is None, c
            assert booth.received["consultation.closed"] == []
        assert held.processes[slow_id] == last_beat, "the slow process's heartbeat never got through meanwhile"
        assert gate.held >= 1
        assert slow_id in {conn.split(":", 1)[0] for conns in held.connections.values() for conn in conns}
        late = [r.getMessage() for r in caplog.records if f"{slow_id}: heartbeat late" in r.getMessage()]
        assert len(late) == 1, late
        assert not any("taken as gone" in r.getMessage() for r in caplog.records)
    finally:
        gate.open.set()

    async def beat_landed() -> bool:
        state = await state_of(ticking)
        return state.processes.get(slow_id, 0) > last_beat and slow_id not in state.alive_until

    await until(beat_landed, within=20, what="the slow process's heartbeat landed once released")
    after = await state_of(ticking)
    assert all(after.consultations[cid].state == State.WAITING for _, cid in booths)
    # and the slow process serves its booths again: the first resident leaves the queue, the second moves up
    (first, first_cid), (second, second_cid) = booths
    ok(await first.call("consultation.cancel", {"consultation_id": first_cid}))
    await second.wait_for("queue.position", lambda m: m["consultation_id"] == second_cid and m["position"] == 1)
    for booth, _ in booths:
        await booth.close()


async def test_a_process_whose_signal_stops_too_is_taken_as_gone_and_its_residents_after_the_grace_period(
    two_servers: list[LiveServer], caplog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped, ticking = two_servers
    [(booth, cid)] = await waiting_booths(stopped, 1)
    stopped_id = process_of(stopped)
    gate = Gate(raw_store(stopped))
    announce = RedisLiveness.announce

    async def dead_for_one(self: RedisLiveness, process_id: str, ttl_s: float) -> None:
        if process_id == stopped_id:  # its link to Redis is gone (or it was killed): nothing is written
            raise ConnectionError("stopped")
        await announce(self, process_id, ttl_s)

    monkeypatch.setattr(RedisLiveness, "announce", dead_for_one)
    gate.open.clear()
    try:

        async def closed() -> bool:
            return cid not in (await state_of(ticking)).consultations

        with caplog.at_level("WARNING"):
            await until(closed, within=20, what="the stopped process's waiting resident's case closed")
        said = [r.getMessage() for r in caplog.records]
        assert any(f"server process {stopped_id} silent for" in m and "taken as gone" in m for m in said), said
        assert stopped_id not in (await state_of(ticking)).processes
    finally:
        gate.open.set()
    await booth.wait_for("consultation.closed", lambda m: m["consultation_id"] == cid, within=10)
    await booth.close()
