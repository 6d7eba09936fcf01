"""Rate limits: a token bucket, and :class:`KeyedLimit`, the one noun for "one bucket per key" (a client address,
a connection) that the resident chat's line limits and the booking API's per-address limits both are.

A burst is fine, a flood is refused without touching anyone else. A :class:`KeyedLimit` lives in this process
(:class:`MemoryKeyedLimit`) or, when the deployment has Redis, in Redis for every process at once
(:class:`madoguchi.signaling.shared_limits.RedisKeyedLimit`): two processes behind a balancer must not give a
flooder twice the allowance. :func:`madoguchi.signaling.shared_limits.open_keyed_limit` picks one.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol


class TokenBucket:
    def __init__(self, *, rate: float, burst: int, now: float) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._last = now

    def take(self, now: float) -> bool:
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def give_back(self) -> None:
        """Return the token the last :meth:`take` used (it turned out not to count)."""
        self._tokens = min(self._burst, self._tokens + 1.0)

    def full(self, now: float) -> bool:
        """Whether the bucket has filled up again by ``now`` (it then remembers nothing about its past)."""
        return min(self._burst, self._tokens + (now - self._last) * self._rate) >= self._burst

    def wait(self, now: float) -> float:
        """Seconds from ``now`` until :meth:`take` can succeed again (0 when it can now)."""
        tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        return max(0.0, (1.0 - tokens) / self._rate)


@dataclass(frozen=True)
class Rate:
    """``per_minute`` tokens a minute, at most ``burst`` at once (a full bucket to start with)."""

    per_minute: float
    burst: int

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


class KeyedLimit(Protocol):
    """One token bucket per key, all at the same :class:`Rate`."""

    rate: Rate

    async def take(self, key: str, now: float) -> float:
        """Spend one of ``key``'s tokens: ``0.0`` when there was one, else the seconds until there is one (the
        request is refused and nothing was spent)."""
        ...


class MemoryKeyedLimit:
    """A :class:`KeyedLimit` in this process. At most ``max_keys`` buckets: past that, the buckets that have filled
    up again are forgotten (they remember nothing), then the least recently used ones, so many addresses cannot
    grow the table for good."""

    def __init__(self, rate: Rate, *, max_keys: int = 10_000) -> None:
        self.rate = rate
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    async def take(self, key: str, now: float) -> float:
        return self.take_now(key, now)

    def take_now(self, key: str, now: float) -> float:
        """:meth:`take` without an await (for callers that must not yield, and for the Redis limit's fallback)."""
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._forget(now)
            bucket = TokenBucket(rate=self.rate.per_second, burst=self.rate.burst, now=now)
        self._buckets[key] = bucket  # now the most recently used
        return 0.0 if bucket.take(now) else max(bucket.wait(now), 1e-3)

    def __len__(self) -> int:
        return len(self._buckets)

    def forget(self, key: str) -> None:
        """Drop ``key``'s bucket (its owner is gone)."""
        self._buckets.pop(key, None)

    def _forget(self, now: float) -> None:
        for key in [key for key, bucket in self._buckets.items() if bucket.full(now)]:
            del self._buckets[key]
        while len(self._buckets) >= self._max_keys:
            self._buckets.popitem(last=False)
