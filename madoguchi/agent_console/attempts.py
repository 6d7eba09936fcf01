"""Where login failures and used login-form nonces are remembered: in this process, or in Redis for all of them.

The throttle (:mod:`madoguchi.agent_console.throttle`) only holds if every process sees the same counts, so with
``MADOGUCHI_REDIS_URL`` set they live in Redis under ``<prefix>:login:`` (the live state's Redis and prefix),
each key expiring by itself. Without Redis one process keeps them in memory, dropping expired ones as it grows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from redis.asyncio import Redis

from madoguchi.agent_console.throttle import Tally
from madoguchi.settings import Settings

SWEEP_FLOOR = 1024


class AttemptStore(Protocol):
    async def read(self, keys: Sequence[str], now: float) -> dict[str, Tally]:
        """The live tallies among ``keys`` (missing and expired ones are left out)."""
        ...

    async def add(self, key: str, now: float, ttl_s: float) -> int:
        """Count one more at ``now`` and return the new count; the tally expires ``ttl_s`` after this."""
        ...

    async def clear(self, keys: Sequence[str]) -> None: ...

    async def first_use(self, key: str, now: float, ttl_s: float) -> bool:
        """True the first time ``key`` is used within ``ttl_s``, False every later time."""
        ...

    async def close(self) -> None: ...


class MemoryAttemptStore:
    def __init__(self) -> None:
        self._tallies: dict[str, tuple[Tally, float]] = {}
        self._used: dict[str, float] = {}
        self._sweep_at = SWEEP_FLOOR

    async def read(self, keys: Sequence[str], now: float) -> dict[str, Tally]:
        found = {key: self._tallies.get(key) for key in keys}
        return {key: entry[0] for key, entry in found.items() if entry is not None and entry[1] > now}

    async def add(self, key: str, now: float, ttl_s: float) -> int:
        entry = self._tallies.get(key)
        count = entry[0].count if entry is not None and entry[1] > now else 0
        self._tallies[key] = (Tally(count=count + 1, last=now), now + ttl_s)
        self._sweep(now)
        return count + 1

    async def clear(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._tallies.pop(key, None)

    async def first_use(self, key: str, now: float, ttl_s: float) -> bool:
        expires = self._used.get(key)
        if expires is not None and expires > now:
            return False
        self._used[key] = now + ttl_s
        self._sweep(now)
        return True

    async def close(self) -> None:
        self._tallies.clear()
        self._used.clear()

    def _sweep(self, now: float) -> None:
        """Drop expired entries once the maps have doubled since the last sweep (keeps memory bounded by the
        number of live keys, at an amortised constant cost)."""
        if len(self._tallies) + len(self._used) < self._sweep_at:
            return
        self._tallies = {k: v for k, v in self._tallies.items() if v[1] > now}
        self._used = {k: v for k, v in self._used.items() if v > now}
        self._sweep_at = max(SWEEP_FLOOR, 2 * (len(self._tallies) + len(self._used)))


class RedisAttemptStore:
    """Each tally is a hash ``{count, last}`` changed in one MULTI, so concurrent failures on several processes
    are all counted; each used nonce is a ``SET NX`` key."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:login:"

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisAttemptStore:
        return cls(Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0), prefix)

    async def read(self, keys: Sequence[str], now: float) -> dict[str, Tally]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(self._prefix + key, "count", "last")
            rows = await pipe.execute()
        found: dict[str, Tally] = {}
        for key, (count, last) in zip(keys, rows, strict=True):
            if count is not None and last is not None:
                found[key] = Tally(count=int(count), last=float(last))
        return found

    async def add(self, key: str, now: float, ttl_s: float) -> int:
        name = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(name, "count", 1)
            pipe.hset(name, "last", repr(now))
            pipe.pexpire(name, max(1, int(ttl_s * 1000)))
            count, _last, _expire = await pipe.execute()
        return int(count)

    async def clear(self, keys: Sequence[str]) -> None:
        if keys:
            await self._redis.delete(*(self._prefix + key for key in keys))

    async def first_use(self, key: str, now: float, ttl_s: float) -> bool:
        created = await self._redis.set(self._prefix + key, "1", nx=True, px=max(1, int(ttl_s * 1000)))
        return bool(created)

    async def close(self) -> None:
        await self._redis.aclose()


def open_attempt_store(settings: Settings) -> AttemptStore:
    """Redis when the deployment has it (shared by every process), else this process's memory. Opening never
    touches the network."""
    if settings.redis_url is None:
        return MemoryAttemptStore()
    return RedisAttemptStore.from_url(settings.redis_url, settings.redis_prefix)
