"""Past redis-py's default of 100 connections in use, a command waits for a free one instead of failing.

At 2,000 waiting (session 14's end-to-end run) the socket manager's publisher failed with "Too many connections"
during the relay's burst and dropped events for the other process: redis-py's ``Redis.from_url`` pool raises at once
when 100 connections are in use. The live store, the liveness keys and the shared limits use the same kind of client
(``connect_redis``). Both now sit on a pool that waits (``redis_store.blocking_pool``). Here 130 commands that each
hold a connection for a moment run at once on the real Redis: every one must succeed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from madoguchi.signaling import redis_store
from madoguchi.signaling.live import RedisSocketManager
from madoguchi.signaling.redis_store import connect_redis
from tests.integration.redis.conftest import REDIS_TEST_URL

pytestmark = pytest.mark.timeout(60)

AT_ONCE = 130  # over redis-py's default pool size (100)
HOLD_S = 0.2


async def _all_at_once(client: Any, prefix: str) -> list[Any]:
    """AT_ONCE commands that each keep their connection HOLD_S (a blocking pop on an empty list)."""
    return await asyncio.gather(
        *(client.blpop(f"{prefix}:empty:{n}", timeout=HOLD_S) for n in range(AT_ONCE)), return_exceptions=True
    )


async def test_the_store_client_waits_for_a_free_connection(redis_prefix: str) -> None:
    client = connect_redis(REDIS_TEST_URL)
    try:
        results = await _all_at_once(client, redis_prefix)
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert client.connection_pool.max_connections == redis_store.POOL_CONNECTIONS
    finally:
        await client.aclose()


async def test_the_socket_managers_publisher_waits_too_and_every_publish_arrives(redis_prefix: str) -> None:
    manager = RedisSocketManager(REDIS_TEST_URL, channel=f"{redis_prefix}:socketio", redis_options={})
    listener = connect_redis(REDIS_TEST_URL)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"{redis_prefix}:socketio")
    try:
        manager._redis_connect()
        results = await _all_at_once(manager.redis, redis_prefix)
        assert [r for r in results if isinstance(r, BaseException)] == []

        await asyncio.gather(*(manager._publish({"n": n}) for n in range(AT_ONCE)))
        assert manager.publishes_dropped == 0
        heard: set[int] = set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len(heard) < AT_ONCE and loop.time() < deadline:
            message = await pubsub.get_message(timeout=0.5)
            if message is not None:
                heard.add(manager.json.loads(message["data"])["n"])
        assert heard == set(range(AT_ONCE))
    finally:
        await pubsub.aclose()
        await listener.aclose()
        await manager.close_all()
