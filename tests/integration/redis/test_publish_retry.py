"""A publish that fails while Redis is briefly unreachable is retried with backoff, within a bounded time; during a
longer outage each publish is tried once, so a burst does not wait the whole budget message by message.

python-socketio's ``AsyncRedisManager._publish`` tries twice back to back, then logs "giving up" and drops the
message: events for clients on other processes (session 13's 2,000 bench: at least five, e.g. booths not told their
case had closed) were lost to a blip shorter than a second. The manager here publishes through a TCP proxy to the
real Redis that resets every link and refuses new ones on demand; a direct subscriber says what arrived.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from madoguchi.signaling.live import RedisSocketManager
from tests.integration.redis.conftest import REDIS_TEST_URL
from tests.support import TcpProxy

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    host, port = REDIS_TEST_URL.removeprefix("redis://").split("/")[0].split(":")
    link = TcpProxy(host, int(port))
    await link.restore()
    yield link
    await link.cut()


@pytest.fixture
async def heard(redis_prefix: str) -> AsyncIterator[list[Any]]:
    """What reaches the Socket.IO channel, read straight from Redis."""
    client = Redis.from_url(REDIS_TEST_URL)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"{redis_prefix}:socketio")
    messages: list[Any] = []

    async def listen() -> None:
        async for message in pubsub.listen():
            messages.append(json.loads(message["data"]))

    task = asyncio.create_task(listen())
    yield messages
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await pubsub.aclose()
    await client.aclose()


def manager_through(proxy: TcpProxy, prefix: str) -> RedisSocketManager:
    return RedisSocketManager(
        f"redis://127.0.0.1:{proxy.port}/0",
        channel=f"{prefix}:socketio",
        redis_options={"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
    )


async def _until(check: Any, within_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not check():
        assert loop.time() < deadline, "not reached in time"
        await asyncio.sleep(0.01)


async def test_a_publish_during_a_blip_is_retried_and_arrives(
    proxy: TcpProxy, heard: list[Any], redis_prefix: str
) -> None:
    manager = manager_through(proxy, redis_prefix)
    try:
        await manager._publish({"n": 0})
        await _until(lambda: len(heard) == 1)
        await proxy.cut()  # the publishing connection is reset; new ones are refused
        sending = asyncio.create_task(manager._publish({"n": 1}))
        await asyncio.sleep(0.3)  # upstream's two back-to-back attempts are long over by now
        await proxy.restore()
        await asyncio.wait_for(sending, RedisSocketManager.PUBLISH_BUDGET_S + 2)
        await _until(lambda: len(heard) == 2)
        assert [m["n"] for m in heard] == [0, 1], "delivered once, in order"
    finally:
        await manager.close_all()


async def test_during_a_longer_outage_a_burst_is_dropped_quickly_and_publishing_resumes_after(
    proxy: TcpProxy, heard: list[Any], redis_prefix: str, caplog: Any
) -> None:
    manager = manager_through(proxy, redis_prefix)
    loop = asyncio.get_running_loop()
    try:
        await proxy.cut()
        with caplog.at_level("WARNING", logger="madoguchi.signaling.live"):
            started = loop.time()
            for n in range(40):  # what a tick closing many cases sends
                await manager._publish({"n": n})
            took = loop.time() - started
            assert took < RedisSocketManager.PUBLISH_BUDGET_S + 3, f"{took:.1f} s: the burst waited message by message"
            await proxy.restore()
            await manager._publish({"n": 99})
        await _until(lambda: [m["n"] for m in heard] == [99])
        said = [r.getMessage() for r in caplog.records]
        assert len([m for m in said if "cannot publish" in m]) == 1, said  # once per outage, not per message
        assert any("publishing again" in m and "40 dropped" in m for m in said), said
    finally:
        await manager.close_all()
