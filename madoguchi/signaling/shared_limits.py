"""Keyed rate limits shared by every process through Redis, and the choice between them and this process's.

With ``MADOGUCHI_REDIS_URL`` set, each bucket is a Redis hash ``{tokens, last}`` under ``<prefix>:limit:<name>:<key>``,
read, refilled and spent by one Lua script (atomic: two processes taking the last token at once cannot both have
it) and expiring once it would be full again. The time is the caller's clock, as in the memory limit; a process
whose clock is a little behind another's is never credited twice (``last`` only moves forward). When Redis does
not answer, the limit falls back to this process's own buckets (a flooder then gets at most one allowance per
process, as before) and says so in the log once per outage.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from madoguchi.settings import Settings
from madoguchi.signaling.ratelimit import KeyedLimit, MemoryKeyedLimit, Rate
from madoguchi.signaling.redis_store import connect_redis, validate_prefix

log = logging.getLogger(__name__)

TAKE = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens, last = tonumber(held[1]), tonumber(held[2])
if tokens == nil or last == nil then
  tokens, last = burst, now
end
if now > last then
  tokens = math.min(burst, tokens + (now - last) * rate)
  last = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(last))
redis.call('PEXPIRE', KEYS[1], math.ceil(((burst - tokens) / rate + 1) * 1000))
return tostring(wait)
"""
"""Refill by the time since ``last``, spend one token if there is one; returns the wait as text (Lua numbers
come back from Redis as integers)."""


class RedisKeyedLimit:
    """A :class:`KeyedLimit` in Redis, the same for every process of the deployment."""

    def __init__(self, redis: Redis, prefix: str, name: str, rate: Rate) -> None:
        self.rate = rate
        self._redis = redis
        self._stem = f"{validate_prefix(prefix)}:limit:{name}:"
        self._script = redis.register_script(TAKE)
        self._fallback = MemoryKeyedLimit(rate)
        self._down = False

    async def take(self, key: str, now: float) -> float:
        try:
            wait = await self._script(keys=[self._stem + key], args=[self.rate.per_second, self.rate.burst, now])
        except (RedisError, OSError) as exc:
            if not self._down:
                log.warning("rate limit %s: Redis unreachable (%s); counting in this process", self._stem, exc)
            self._down = True
            return self._fallback.take_now(key, now)
        self._down = False
        return float(wait)


class Limits:
    """Where this deployment's keyed limits live: Redis when it has one, else this process. Opened once by the
    composition root (never touching the network) and closed with the app; :meth:`keyed` makes each limit."""

    def __init__(self, redis: Redis | None, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    @property
    def shared(self) -> bool:
        return self._redis is not None

    def keyed(self, name: str, rate: Rate) -> KeyedLimit:
        """The limit called ``name`` (its keys in Redis start with it: one name, one meaning)."""
        if self._redis is None:
            return MemoryKeyedLimit(rate)
        return RedisKeyedLimit(self._redis, self._prefix, name, rate)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


def open_limits(settings: Settings) -> Limits:
    return Limits(None if settings.redis_url is None else connect_redis(settings.redis_url), settings.redis_prefix)
