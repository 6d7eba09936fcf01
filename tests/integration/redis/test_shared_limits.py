"""Keyed rate limits in the real Redis (``shared_limits.RedisKeyedLimit``): the same buckets as in memory, shared
by every client of the prefix, atomic under concurrent takes, and this process's own buckets when Redis is away."""

from __future__ import annotations

import asyncio
import logging

import pytest

from madoguchi.signaling.ratelimit import Rate
from madoguchi.signaling.redis_store import connect_redis
from madoguchi.signaling.shared_limits import Limits, RedisKeyedLimit
from tests.integration.redis.conftest import REDIS_TEST_URL

RATE = Rate(per_minute=60, burst=2)


async def test_a_redis_bucket_refills_like_the_memory_one_and_expires(redis_prefix: str) -> None:
    limits = Limits(connect_redis(REDIS_TEST_URL), redis_prefix)
    try:
        limit = limits.keyed("lines", RATE)
        assert [await limit.take("a", 100.0) for _ in range(3)] == [0.0, 0.0, 1.0]
        assert await limit.take("b", 100.0) == 0.0
        assert await limit.take("a", 100.5) == 0.5 and await limit.take("a", 101.5) == 0.0
        assert await limit.take("a", 101.0) == pytest.approx(0.5), "an earlier clock is never credited"
        client = connect_redis(REDIS_TEST_URL)
        ttl_ms = await client.pttl(f"{redis_prefix}:limit:lines:a")
        await client.aclose()
        assert 1000 < ttl_ms <= 3000, "kept only until it would be full again (plus a second)"
    finally:
        await limits.close()


async def test_two_clients_share_one_allowance_atomically(redis_prefix: str) -> None:
    """As two processes: each its own connection and limit object; 40 concurrent takes get the burst, no more."""
    first, second = (
        Limits(connect_redis(REDIS_TEST_URL), redis_prefix),
        Limits(connect_redis(REDIS_TEST_URL), redis_prefix),
    )
    try:
        limits = [first.keyed("address", Rate(per_minute=6, burst=5)), second.keyed("address", Rate(6, 5))]
        waits = await asyncio.gather(*(limits[n % 2].take("203.0.113.9", 50.0) for n in range(40)))
        assert sum(1 for w in waits if w == 0.0) == 5
    finally:
        await first.close()
        await second.close()


async def test_without_redis_the_limit_counts_in_this_process(caplog: pytest.LogCaptureFixture) -> None:
    limit = RedisKeyedLimit(connect_redis("redis://127.0.0.1:1/0"), "mdtest:gone", "lines", RATE)
    with caplog.at_level(logging.WARNING):
        assert [await limit.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 1.0]
    assert sum("Redis unreachable" in r.getMessage() for r in caplog.records) == 1, "said once per outage"
