"""Whether a server process runs, told apart from whether it keeps up: a liveness signal beside the heartbeat.

The heartbeat (:meth:`~madoguchi.signaling.timers.Timers.beat`) is an ordinary live-store operation: it states the
connections the process holds, so it must go through the store's transaction, and there it waits behind the
process's other operations. With 2,000 waiting residents (session 13's end-to-end bench) a process's heartbeat sat
behind ~40 operations of 0.6–0.9 s each and arrived after ``process_timeout_s``; the other process took it as gone,
and 1,840 waiting residents' cases closed after the grace period while their booths were connected all along.

So each process also keeps a signal of its own fresh: :class:`Beacon`, a small task on a fixed interval, sets a
Redis key ``<prefix>:alive:<process>`` with a TTL of ``process_timeout_s`` through a Redis client of its own (a busy
pooled client cannot hold it up). The reaper (the timers, before :meth:`Counter.tick`) asks for the signals of the
processes whose heartbeat is overdue and passes what it finds into the pure core, which takes a process as gone
only when its heartbeat is overdue AND its signal is gone: a process killed, or whose link to Redis is gone (its
key runs out), or whose event loop stood still for the whole TTL. Redis counts the TTL, so no two processes'
clocks are compared; the core gets "good for N more seconds" and looks again when that runs out.

The beacon runs on the event loop, not on a thread of its own, on purpose: it proves the loop still turns (a loop
wedged for the whole TTL serves nobody, and its process is rightly taken as gone).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from typing import Any, Protocol

from redis import exceptions as redis_errors
from redis.asyncio import Redis

from madoguchi.signaling.redis_store import LiveStoreUnavailable, validate_prefix

log = logging.getLogger(__name__)


class Liveness(Protocol):
    """Where processes announce that they run, each under its own name, for ``ttl_s`` at a time."""

    async def announce(self, process_id: str, ttl_s: float) -> None:
        """``process_id`` runs, and counts as running for ``ttl_s`` from now unless announced again."""
        ...

    async def remaining(self, process_ids: Collection[str]) -> dict[str, float]:
        """The processes of ``process_ids`` whose signal is present, each with how many seconds more it stays good
        (by the signal's own clock: no clock of another process is compared). Absent: gone or never announced."""
        ...

    async def withdraw(self, process_id: str) -> None:
        """``process_id`` is leaving (a clean shutdown): no longer running from now."""
        ...

    async def close(self) -> None: ...


class LocalLiveness:
    """One process with the in-process live state: the signal is a time in this process's memory. It still matters
    there: the process's own tick must not take the process as gone when its heartbeat waited behind its operations."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}

    async def announce(self, process_id: str, ttl_s: float) -> None:
        self._until[process_id] = self._clock() + ttl_s

    async def remaining(self, process_ids: Collection[str]) -> dict[str, float]:
        now = self._clock()
        return {p: left for p in process_ids if (left := self._until.get(p, now) - now) > 0}

    async def withdraw(self, process_id: str) -> None:
        self._until.pop(process_id, None)

    async def close(self) -> None:
        return None


class RedisLiveness:
    """:class:`Liveness` on Redis: one key per process, ``<prefix>:alive:<process>``, with a TTL (``SET … PX``).
    Give it a client of its own (:func:`~madoguchi.signaling.redis_store.connect_redis`): the live store's client
    can be busy with large transactions, and the signal must not queue behind them."""

    def __init__(self, client: Redis, *, prefix: str) -> None:
        self._client = client
        self.prefix = validate_prefix(prefix)

    def key(self, process_id: str) -> str:
        return f"{self.prefix}:alive:{process_id}"

    async def announce(self, process_id: str, ttl_s: float) -> None:
        await _call(self._client.set(self.key(process_id), "1", px=max(1, round(ttl_s * 1000))))

    async def remaining(self, process_ids: Collection[str]) -> dict[str, float]:
        names = list(process_ids)
        if not names:
            return {}
        pipe = self._client.pipeline(transaction=False)
        for name in names:
            pipe.pttl(self.key(name))
        left_ms: list[Any] = await _call(pipe.execute())
        # PTTL: -2 no key (expired or never set), -1 a key without a TTL (not ours: never written so)
        return {name: int(ms) / 1000 for name, ms in zip(names, left_ms, strict=True) if int(ms) > 0}

    async def withdraw(self, process_id: str) -> None:
        await _call(self._client.delete(self.key(process_id)))

    async def close(self) -> None:
        await self._client.aclose()


async def _call(awaitable: Any) -> Any:
    try:
        return await awaitable
    except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as exc:
        raise LiveStoreUnavailable(f"{type(exc).__name__}: {exc}") from exc


class Beacon:
    """Keeps this process's liveness signal fresh, every ``interval_s``, from a task of its own: nothing else this
    process does runs through it, so the signal never waits behind the process's operations. A failed announce
    (Redis away) is logged once per outage and retried at the next interval; the signal then runs out after
    ``ttl_s``, and the other processes rightly take this one as gone."""

    def __init__(self, *, liveness: Liveness, process_id: str, interval_s: float, ttl_s: float) -> None:
        if ttl_s <= interval_s:
            raise ValueError("the signal must outlive the interval between announcements")
        self._liveness = liveness
        self._process_id = process_id
        self._interval = interval_s
        self._ttl = ttl_s
        self._failing = False

    async def announce(self) -> bool:
        """Announce once; returns whether it reached the signal's store (within one interval)."""
        try:
            async with asyncio.timeout(self._interval):
                await self._liveness.announce(self._process_id, self._ttl)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not self._failing:
                log.warning(
                    "liveness signal of %s not written (%s); retrying every %.1f s",
                    self._process_id,
                    exc,
                    self._interval,
                )
            self._failing = True
            return False
        if self._failing:
            log.warning("liveness signal of %s written again", self._process_id)
        self._failing = False
        return True

    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await self.announce()
            await asyncio.sleep(max(0.0, self._interval - (loop.time() - started)))
