"""A burst of failed publishes must not take down this process's subscription (session 13, perf13b).

python-socketio's ``_publish`` reconnects through ``_redis_connect`` after each failed publish. That replaced the
listener's pub/sub object too, and ``RedisSocketManager`` closes clients several reconnections old: after a burst
(2,000 waiting, Redis slow: "Cannot publish to redis... retrying (882 more like this not logged)") the one the
listener was reading was closed under it — "cross-process events: cannot receive from Redis (Connection closed by
server.)" — and what the other processes published until it subscribed again was lost to this process.
"""

from __future__ import annotations

import asyncio
import contextlib

from redis.asyncio import Redis

from madoguchi.signaling.live import RedisSocketManager
from tests.integration.redis.conftest import REDIS_TEST_URL


class Heard:
    def __init__(self) -> None:
        self.subscribed = 0
        self.unsubscribed = 0
        self.tokens: list[str] = []

    def changes_subscribed(self) -> None:
        self.subscribed += 1

    def changes_unsubscribed(self) -> None:
        self.unsubscribed += 1

    def changed(self, token: str) -> None:
        self.tokens.append(token)


async def _until(check: object, within_s: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not check():  # type: ignore[operator]
        assert loop.time() < deadline, "not reached in time"
        await asyncio.sleep(0.01)


async def test_failed_publishes_leave_the_subscription_alone_and_nothing_published_meanwhile_is_lost(
    redis_prefix: str,
) -> None:
    manager = RedisSocketManager(REDIS_TEST_URL, channel=f"{redis_prefix}:socketio")
    heard = Heard()
    manager.follow(f"{redis_prefix}:changes", heard)

    async def listen() -> None:
        async for _event in manager._redis_listen_with_retries():
            pass

    listener = asyncio.create_task(listen())
    other = Redis.from_url(REDIS_TEST_URL)
    try:
        await _until(lambda: heard.subscribed == 1)
        for n in range(3 * RedisSocketManager.KEEP_SUPERSEDED):  # what _publish does after each failed publish
            manager.connected = False
            manager._redis_connect()
            await other.publish(f"{redis_prefix}:changes", f"t{n}")
            await asyncio.sleep(0)
        await manager._publish({"method": "emit", "event": "x"})  # the publisher itself still works
        await _until(lambda: len(heard.tokens) == 3 * RedisSocketManager.KEEP_SUPERSEDED)
        assert heard.tokens == [f"t{n}" for n in range(3 * RedisSocketManager.KEEP_SUPERSEDED)]
        assert heard.unsubscribed == 0 and heard.subscribed == 1, "the subscription was never dropped"
        assert manager.listening
    finally:
        listener.cancel()
        with contextlib.suppress(BaseException):
            await listener
        await manager.close_all()
        await other.aclose()
