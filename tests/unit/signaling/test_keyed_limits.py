"""Keyed rate limits in this process (``ratelimit.MemoryKeyedLimit``) on a fake clock; the same behaviour in Redis
is checked by ``tests/integration/redis/test_shared_limits.py``."""

from __future__ import annotations

from madoguchi.signaling.ratelimit import MemoryKeyedLimit, Rate


async def test_each_key_has_its_own_bucket_that_refills() -> None:
    limit = MemoryKeyedLimit(Rate(per_minute=60, burst=2))
    assert [await limit.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 1.0]  # refused: a token in 1 s
    assert await limit.take("b", 0.0) == 0.0  # another address is not charged for the first one's lines
    assert await limit.take("a", 0.5) == 0.5 and await limit.take("a", 1.5) == 0.0


async def test_past_max_keys_full_buckets_go_first_then_the_least_recently_used() -> None:
    limit = MemoryKeyedLimit(Rate(per_minute=60, burst=2), max_keys=3)
    for key in "abc":
        await limit.take(key, 0.0)
    assert len(limit) == 3
    await limit.take("d", 10.0)  # a, b and c have filled up again by then: they remember nothing
    assert len(limit) == 1
    assert await limit.take("d", 10.0) == 0.0 and await limit.take("d", 10.0) > 0  # d's own bucket was kept
    for key in "efg":  # none full: the least recently used (d, then e) make room, the table stays bounded
        await limit.take(key, 10.0)
    assert len(limit) == 3
    assert await limit.take("d", 10.0) == 0.0, "d was forgotten (a full bucket again)"
