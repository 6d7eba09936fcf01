"""The liveness signal on real Redis: one key per process with a TTL, read as "good for N more seconds" (Redis counts
the time, so no two processes' clocks are compared), gone when it runs out or the process leaves cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path

from redis.asyncio import Redis

from madoguchi import keys
from madoguchi.signaling.liveness import RedisLiveness
from madoguchi.signaling.redis_store import connect_redis
from tests.integration.redis.conftest import REDIS_TEST_URL, redis_settings
from tests.support import serve


async def test_a_signal_is_good_for_its_ttl_then_gone_and_withdrawn_at_once(
    redis_prefix: str, redis_client: Redis
) -> None:
    signals = RedisLiveness(connect_redis(REDIS_TEST_URL), prefix=redis_prefix)
    try:
        assert await signals.remaining(["p1"]) == {}
        await signals.announce("p1", 15.0)
        await signals.announce("p2", 0.2)
        left = await signals.remaining(["p1", "p2", "p3"])
        assert set(left) == {"p1", "p2"}
        assert 14.0 < left["p1"] <= 15.0 and 0.0 < left["p2"] <= 0.2
        assert await redis_client.exists(f"{redis_prefix}:alive:p1") == 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        while "p2" in await signals.remaining(["p2"]):  # Redis expires it: the process stopped announcing
            assert loop.time() < deadline, "the signal never ran out"
            await asyncio.sleep(0.05)
        await signals.withdraw("p1")
        assert await signals.remaining(["p1", "p2"]) == {}
        assert await signals.remaining([]) == {}
    finally:
        await signals.close()


async def test_a_server_announces_itself_while_it_runs_and_withdraws_when_it_leaves(
    tmp_path: Path, redis_prefix: str, redis_client: Redis
) -> None:
    settings = redis_settings(tmp_path, database_url=None, redis_url=REDIS_TEST_URL, prefix=redis_prefix)
    async with serve(settings) as server:
        key = f"{redis_prefix}:alive:{server.app[keys.COUNTER].process_id}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10.0
        while not await redis_client.exists(key):
            assert loop.time() < deadline, "no liveness signal"
            await asyncio.sleep(0.05)
        ttl_ms = await redis_client.pttl(key)
        assert 0 < ttl_ms <= 3 * settings.heartbeat_interval_s * 1000
    assert await redis_client.exists(key) == 0, "withdrawn at a clean shutdown"
