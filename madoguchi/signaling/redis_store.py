"""Live state in Redis, shared by several server processes, with the same all-or-nothing promise as memory.

Why one JSON document and optimistic concurrency: routing decisions look at every waiting case and every agent
at once (see :mod:`madoguchi.signaling.counter`), so the unit of atomicity is the whole :class:`CounterState`.
It is stored under one hash with a random version token. :meth:`RedisStore.transact` reads state and token, runs
the pure operation on a private copy, and writes back with a Lua compare-and-set that succeeds only if the token
is still the one it read. When another process got there first the operation is simply run again on the newer
state (the counter is pure, so re-running is always safe); after a bounded number of attempts with jittered
back-off the caller gets a clear :class:`LiveStoreBusy`. Only the effects of the attempt that was written are
returned, so every effect happens exactly once across all processes.

A random token rather than a counter makes the cache below immune to the key being deleted and rebuilt (a
counter would start again at the same numbers). Reads are cheap: a small Lua script returns only the token when
it matches the one this process already parsed, and the state text only when it changed.

Hot paths (relaying every WebRTC signal and chat line) should not pay even that round trip, which was most of
what madoguchi added to a cross-process relay. So the compare-and-set also publishes the new token on a change
channel, and :meth:`RedisStore.read_recent` answers from this process's copy until a token it does not hold
arrives. The notices come over the same Redis subscription as the Socket.IO events between processes (the socket
manager feeds them to the store: :func:`madoguchi.signaling.live.follow_changes`), and Redis delivers one
subscription's
messages in the order they were published: a process that writes publishes its notice before it emits anything
about the change, so by the time a client can react to an event about a change, the copy of the process it talks
to is already marked old. The copy is also refetched when it is more than :data:`RECENT_MAX_AGE_S` old, and
always while not subscribed (a notice lost while reconnecting must not leave it stale). Transactions never rely
on the notices (they always compare-and-set against Redis), and callers confirm a refusal with
:meth:`RedisStore.read` before giving it.

Within one process transactions are also serialised by a lock, so conflicts only ever come from other
processes. Connection failures become :class:`LiveStoreUnavailable` (a :class:`CounterError`, so a socket event
gets an error ack instead of a stack trace), and nothing is written.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from madoguchi.signaling.counter import Counter, CounterConfig, CounterError, CounterState, Effect

log = logging.getLogger(__name__)
T = TypeVar("T")

PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

# KEYS[1] = state hash; ARGV[1] = the token the caller already has ("" for none).
# Returns {token} when unchanged, {token, state} when changed, {} when there is no state yet.
_FETCH = """
local token = redis.call('HGET', KEYS[1], 'version')
if not token then return {} end
if token == ARGV[1] then return {token} end
return {token, redis.call('HGET', KEYS[1], 'state')}
"""

# KEYS[1] = state hash; ARGV = expected token ("" = no state yet), new token, new state, change channel.
_COMPARE_AND_SET = """
local token = redis.call('HGET', KEYS[1], 'version') or ''
if token ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'state', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
"""

RECENT_MAX_AGE_S = 1.0
"""How old this process's copy may be before :meth:`RedisStore.read_recent` asks Redis even without a notice."""
OWN_TOKENS_KEPT = 16

_EMPTY_STATE_TEXT = CounterState().model_dump_json()


class LiveStoreUnavailable(CounterError):
    """Redis cannot be reached (or answered too slowly); nothing was changed."""

    def __init__(self, detail: str) -> None:
        super().__init__("internal", "the counter's shared state cannot be reached just now; please try again")
        self.detail = detail


class LiveStoreBusy(CounterError):
    """Other processes kept changing the state under this operation; it was given up, nothing was changed."""

    def __init__(self, attempts: int) -> None:
        super().__init__("internal", f"the counter is very busy (gave up after {attempts} attempts); please try again")
        self.attempts = attempts


@dataclass
class _Snapshot:
    token: str
    text: str
    parsed: CounterState | None = None


def validate_prefix(prefix: str) -> str:
    if not PREFIX_PATTERN.match(prefix):
        raise ValueError(f"Redis key prefix must be 1-64 letters, digits or _.:- characters, got {prefix!r}")
    return prefix


def connect_redis(url: str) -> Redis:
    """A client with short timeouts and few retries: an outage must surface as an error ack within a second or
    two, not hang a socket event for half a minute."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=2.0,
        socket_timeout=5.0,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
        health_check_interval=15,
    )


async def delete_prefix(url: str, prefix: str) -> int:
    """Remove every key under ``prefix`` (a test run's, a benchmark's or a retired deployment's), scanning in
    batches rather than with ``KEYS``, so a shared Redis is not blocked; returns how many were removed."""
    client = Redis.from_url(url)
    try:
        found = [key async for key in client.scan_iter(match=f"{validate_prefix(prefix)}:*", count=500)]
        if found:
            await client.delete(*found)
        return len(found)
    finally:
        await client.aclose()


class RedisStore:
    """:class:`~madoguchi.signaling.store.LiveStore` on Redis; any number of processes may share one prefix."""

    def __init__(
        self,
        client: Redis,
        config: CounterConfig,
        *,
        prefix: str = "madoguchi",
        max_attempts: int = 50,
        backoff_cap_s: float = 0.05,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._client = client
        self._config = config
        self.prefix = validate_prefix(prefix)
        self.state_key = f"{self.prefix}:counter"
        self._max_attempts = max_attempts
        self._backoff_cap_s = backoff_cap_s
        self.changes_channel = f"{self.prefix}:counter:changes"
        self._lock = asyncio.Lock()
        self._snapshot = _Snapshot(token="", text=_EMPTY_STATE_TEXT)
        self._fetch = client.register_script(_FETCH)
        self._compare_and_set = client.register_script(_COMPARE_AND_SET)
        # The copy is current while subscribed and no notice of someone else's write arrived since it was taken.
        self._current_since: float | None = None  # loop time it was known current from; None = not known
        self._own_tokens: deque[str] = deque(maxlen=OWN_TOKENS_KEPT)
        self._listening = False
        self.conflicts = 0
        """How many times an operation had to be re-run because another process wrote first."""
        self.fetches = 0
        """Round trips made to read the state (not counting transactions)."""

    @classmethod
    def from_url(cls, url: str, config: CounterConfig, *, prefix: str = "madoguchi") -> RedisStore:
        return cls(connect_redis(url), config, prefix=prefix)

    # --- LiveStore ---------------------------------------------------------------------------------------------

    @property
    def listening(self) -> bool:
        """True while this store is subscribed to other processes' change notices."""
        return self._listening

    async def transact(self, operation: Callable[[Counter], T]) -> tuple[T, list[Effect]]:
        async with self._lock:
            for attempt in range(1, self._max_attempts + 1):
                snapshot = await self._current()
                counter = Counter(CounterState.model_validate_json(snapshot.text), self._config)
                result = operation(counter)  # may raise: then nothing is written
                new_text = counter.state.model_dump_json()
                if not counter.effects and new_text == snapshot.text:
                    return result, []
                new_token = secrets.token_hex(12)
                self._own_tokens.append(new_token)  # its notice may arrive before the reply
                self._mark_current()
                written = await self._call(
                    self._compare_and_set(
                        keys=[self.state_key], args=[snapshot.token, new_token, new_text, self.changes_channel]
                    )
                )
                if written == 1:
                    self._snapshot = _Snapshot(new_token, new_text, counter.state)
                    return result, counter.effects
                self._current_since = None
                self.conflicts += 1
                if attempt < self._max_attempts:
                    ceiling = min(self._backoff_cap_s, 0.0005 * 2**attempt)
                    await asyncio.sleep(random.uniform(0, ceiling))
            log.warning("live state: gave up after %d conflicting attempts", self._max_attempts)
            raise LiveStoreBusy(self._max_attempts)

    async def read(self) -> Counter:
        return self._counter_of(await self._current())

    async def read_recent(self) -> Counter:
        since = self._current_since
        if self._listening and since is not None and asyncio.get_running_loop().time() - since < RECENT_MAX_AGE_S:
            return self._counter_of(self._snapshot)
        return await self.read()

    async def close(self) -> None:
        await self._client.aclose()

    # --- health ------------------------------------------------------------------------------------------------

    async def ping(self) -> None:
        """Raise :class:`LiveStoreUnavailable` unless Redis answers."""
        await self._call(cast(Awaitable[Any], self._client.ping()))

    # --- internals ---------------------------------------------------------------------------------------------

    def _counter_of(self, snapshot: _Snapshot) -> Counter:
        if snapshot.parsed is None:
            snapshot.parsed = CounterState.model_validate_json(snapshot.text)
        return Counter(snapshot.parsed, self._config)

    def _mark_current(self) -> None:
        """About to learn the latest state from Redis: a notice arriving while we wait clears this again."""
        self._current_since = asyncio.get_running_loop().time()

    async def _current(self) -> _Snapshot:
        """The stored state, re-using what this process already has when the token has not moved."""
        known = self._snapshot
        self.fetches += 1
        self._mark_current()
        try:
            reply = await self._call(self._fetch(keys=[self.state_key], args=[known.token]))
        except BaseException:
            self._current_since = None
            raise
        fields = [str(x) for x in cast(list[Any], reply)]
        if not fields:
            snapshot = _Snapshot(token="", text=_EMPTY_STATE_TEXT)
        elif len(fields) == 1 and fields[0] == known.token:
            return known
        elif len(fields) == 2:
            snapshot = _Snapshot(token=fields[0], text=fields[1])
        else:
            raise LiveStoreUnavailable(f"unexpected reply from the fetch script: {len(fields)} fields")
        self._snapshot = snapshot
        return snapshot

    # --- change notices, fed by the socket manager's subscription (see live.py) ---------------------------------

    def changes_subscribed(self) -> None:
        """Notices flow from now on; what was fetched before may already be old."""
        self._current_since = None
        self._listening = True

    def changes_unsubscribed(self) -> None:
        self._listening = False
        self._current_since = None

    def changed(self, token: str) -> None:
        """A compare-and-set somewhere wrote ``token``; unless it is what we hold (or wrote), our copy is old."""
        if token != self._snapshot.token and token not in self._own_tokens:
            self._current_since = None

    @staticmethod
    async def _call(awaitable: Awaitable[Any]) -> Any:
        try:
            return await awaitable
        except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as exc:
            raise LiveStoreUnavailable(f"{type(exc).__name__}: {exc}") from exc
