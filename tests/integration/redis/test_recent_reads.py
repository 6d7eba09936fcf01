"""``RedisStore.read_recent``: the relay's guard answers from this process's copy, and other processes' writes
still reach it within moments, through the change notices the compare-and-set publishes.

Each store stands for one server process (own connection pool, fed by its own socket manager's subscription, as
in a server). ``fetches`` counts the reads
that went to Redis, which is what the fast path exists to avoid.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from madoguchi.signaling import redis_store
from madoguchi.signaling.counter import Counter
from madoguchi.signaling.live import RedisSocketManager
from madoguchi.signaling.redis_store import RedisStore
from tests.cases import open_booth_case
from tests.integration.redis.conftest import REDIS_TEST_URL

MakeStore = Callable[..., RedisStore]
SETTLE_S = 3.0


def _open(cid: str) -> Callable[[Counter], str]:
    return lambda counter: open_booth_case(counter, cid, 1000.0)


async def _eventually(check: Callable[[], Awaitable[bool]], within_s: float = SETTLE_S) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not await check():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


Follow = Callable[[RedisStore], Awaitable[RedisStore]]


@pytest.fixture
async def follow() -> AsyncIterator[Follow]:
    """Feed a store its change notices the way a server does: through a Redis socket manager's subscription."""
    managers: list[RedisSocketManager] = []
    listeners: list[asyncio.Task[None]] = []

    async def start(store: RedisStore) -> RedisStore:
        manager = RedisSocketManager(REDIS_TEST_URL, channel=f"{store.prefix}:socketio")
        manager.follow(store.changes_channel, store)
        managers.append(manager)

        async def listen() -> None:
            async for _event in manager._redis_listen_with_retries():
                pass

        listeners.append(asyncio.create_task(listen()))
        await _eventually(_is_listening(store))
        return store

    yield start
    for listener in listeners:
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
    for manager in managers:
        await manager.close_all()


def _is_listening(store: RedisStore) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return store.listening

    return check


def _knows(store: RedisStore, cid: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return cid in (await store.read_recent()).state.consultations

    return check


async def test_recent_reads_stay_local_while_nothing_changes(make_store: MakeStore, follow: Follow) -> None:
    a = await follow(make_store())
    await a.transact(_open("c1"))
    before = a.fetches
    for _ in range(200):
        assert "c1" in (await a.read_recent()).state.consultations
    assert a.fetches - before <= 1  # at most the one that re-validates after subscribing


async def test_another_process_write_reaches_recent_reads_without_polling(
    make_store: MakeStore, follow: Follow
) -> None:
    a, b = await follow(make_store()), await follow(make_store())
    assert (await b.read_recent()).state.consultations == {}
    settled = b.fetches
    for _ in range(50):
        await b.read_recent()
    assert b.fetches == settled  # quiet: no round trips
    await a.transact(_open("c2"))
    await _eventually(_knows(b, "c2"))
    assert b.fetches == settled + 1  # exactly one fetch, prompted by the notice


async def test_own_writes_do_not_make_the_copy_stale(make_store: MakeStore, follow: Follow) -> None:
    a = await follow(make_store())
    await a.read_recent()
    settled = a.fetches
    for i in range(20):
        await a.transact(_open(f"own{i}"))
    fetches_by_transactions = a.fetches - settled
    await asyncio.sleep(0.2)  # let every notice of our own writes arrive
    for _ in range(20):
        assert len((await a.read_recent()).state.consultations) == 20
    assert a.fetches - settled == fetches_by_transactions  # no read went to Redis


async def test_without_a_listener_every_recent_read_asks_redis(make_store: MakeStore) -> None:
    a, b = make_store(), make_store()  # nothing feeds b: it cannot hear about changes
    await b.read_recent()
    await a.transact(_open("c3"))
    assert "c3" in (await b.read_recent()).state.consultations  # immediately, no notice needed


async def test_a_copy_is_refetched_after_the_maximum_age_even_without_notices(
    make_store: MakeStore, monkeypatch: pytest.MonkeyPatch, follow: Follow
) -> None:
    monkeypatch.setattr(redis_store, "RECENT_MAX_AGE_S", 0.05)
    b = await follow(make_store())
    await b.read_recent()
    # a write whose notice never comes (published on a channel nobody listens to)
    other = make_store()
    other.changes_channel = f"{other.prefix}:elsewhere"
    await other.transact(_open("c4"))
    await asyncio.sleep(0.1)
    assert "c4" in (await b.read_recent()).state.consultations


async def test_notices_lost_while_the_listener_reconnects_are_made_up_for(
    make_store: MakeStore, redis_client: Redis, follow: Follow
) -> None:
    a = await follow(make_store())
    others = {c["id"] for c in await redis_client.client_list(_type="pubsub")}
    b = await follow(make_store())
    await b.read_recent()
    # cut b's subscription the way a Redis restart or a proxy would (only b's: other tests may be listening too);
    # writes go on meanwhile
    for client in await redis_client.client_list(_type="pubsub"):
        if client["id"] not in others:
            await redis_client.client_kill_filter(_id=client["id"])
    await a.transact(_open("c5"))
    await _eventually(_knows(b, "c5"))
    await _eventually(_is_listening(b))
    settled = b.fetches
    await a.transact(_open("c6"))
    await _eventually(_knows(b, "c6"))
    assert b.fetches - settled <= 2  # back on notices, not polling


async def test_notices_ride_with_the_socket_events_and_arrive_before_them(
    make_store: MakeStore, redis_client: Redis
) -> None:
    """In a server the notices share the socket manager's subscription: an event published after a change is
    seen only once the copy is already marked old, so a client reacting to the event meets a fresh guard."""
    b = make_store()  # not started: the manager feeds it
    manager = RedisSocketManager(REDIS_TEST_URL, channel=f"{b.prefix}:socketio")
    manager.follow(b.changes_channel, b)
    fetches_when_seen: list[int] = []
    events: list[Any] = []

    async def consume() -> None:
        async for message in manager._redis_listen_with_retries():
            before = b.fetches
            await b.read_recent()  # what the relay guard does when the client reacts
            fetches_when_seen.append(b.fetches - before)
            events.append(message["data"])

    consumer = asyncio.create_task(consume())
    try:
        await _eventually(_is_listening(b))
        await b.read_recent()  # a fresh copy
        await redis_client.publish(f"{b.prefix}:socketio", "no change")
        await redis_client.publish(b.changes_channel, "someone-elses-token")
        await redis_client.publish(f"{b.prefix}:socketio", "after a change")

        async def both_seen() -> bool:
            return len(events) == 2

        await _eventually(both_seen)
        assert events == [b"no change", b"after a change"]  # the notice itself is not a socket event
        assert fetches_when_seen == [0, 1]
    finally:
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
        await manager.close_all()
    assert not b.listening
