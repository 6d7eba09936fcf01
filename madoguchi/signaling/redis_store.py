"""Live state in Redis, shared by several server processes, with the same all-or-nothing promise as memory.

Why optimistic concurrency over the whole state: routing decisions look at every waiting case and every agent
at once (see :mod:`madoguchi.signaling.counter`), so the unit of atomicity is the whole :class:`CounterState`.
It is stored in one hash with a random version token, one field per case (``c:<id>``), agent (``a:<id>``) and
participant's connections (``n:<participant>``), and ``doc`` for the small rest (outbox, handling times…), so
an operation writes only what it changed. :meth:`RedisStore.transact` reads state and token, runs the pure
operation on a private copy, and writes the changed fields back with a Lua compare-and-set that succeeds only if
the token is still the one it read, logging the names of the fields it wrote (the last :data:`LOG_KEPT` writes).
When another process got there first the operation is simply run again on the newer state (the counter is pure,
so re-running is always safe); after a bounded number of attempts with jittered back-off the caller gets a clear
:class:`LiveStoreBusy`. Only the effects of the attempt that was written are returned, so every effect happens
exactly once across all processes. A state written by an older release (the whole document in the ``state``
field) is read as it is and replaced by fields on the next write; all processes sharing a prefix must run the
same layout (stop them all to upgrade).

A random token rather than a counter makes the cache below immune to the key being deleted and rebuilt (a
counter would start again at the same numbers). Reads are cheap: a small Lua script returns only the token when
it matches the one this process already parsed, only the fields written since when the log still reaches back
to it, and everything otherwise.

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
import json
import logging
import random
import re
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pydantic import TypeAdapter
from redis import exceptions as redis_errors
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from madoguchi.signaling.consultation import Consultation
from madoguchi.signaling.counter import Counter, CounterConfig, CounterError, CounterState, Effect
from madoguchi.signaling.state import Agent

log = logging.getLogger(__name__)
T = TypeVar("T")

PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

# KEYS[1] = state hash, KEYS[2] = change log; ARGV[1] = the token the caller already has ("" for none).
# Returns {} when there is no state yet, {token} when unchanged, {token, "delta", field, text, ...} with the fields
# written since the caller's token ("" = deleted) when the log still reaches back to it, else {token, "all", field,
# text, ...} with every field.
_FETCH = """
local token = redis.call('HGET', KEYS[1], 'version')
if not token then return {} end
if token == ARGV[1] then return {token} end
if ARGV[1] ~= '' then
  local want, fields, seen, found = token, {}, {}, false
  for _, raw in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
    local entry = cjson.decode(raw)
    if entry['to'] ~= want then break end
    for _, f in ipairs(entry['f']) do
      if not seen[f] then seen[f] = true; table.insert(fields, f) end
    end
    if entry['from'] == ARGV[1] then found = true; break end
    want = entry['from']
  end
  if found then
    local out = {token, 'delta'}
    for _, f in ipairs(fields) do
      table.insert(out, f)
      table.insert(out, redis.call('HGET', KEYS[1], f) or '')
    end
    return out
  end
end
local out = {token, 'all'}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do table.insert(out, v) end
return out
"""

# KEYS[1] = state hash, KEYS[2] = change log; ARGV = expected token ("" = no state yet), new token, change channel,
# log entry, number of fields set (n), n field/text pairs, then the fields to delete.
_COMPARE_AND_SET = """
local token = redis.call('HGET', KEYS[1], 'version') or ''
if token ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2])
local n = tonumber(ARGV[5])
for i = 6, 5 + 2 * n, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
for i = 6 + 2 * n, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
redis.call('LPUSH', KEYS[2], ARGV[4])
redis.call('LTRIM', KEYS[2], 0, LOG_KEPT - 1)
redis.call('PUBLISH', ARGV[3], ARGV[2])
return 1
"""

LOG_KEPT = 64
"""Writes remembered in the change log: a process that missed fewer than this many reads only what they changed."""
_COMPARE_AND_SET = _COMPARE_AND_SET.replace("LOG_KEPT", str(LOG_KEPT))

RECENT_MAX_AGE_S = 1.0
"""How old this process's copy may be before :meth:`RedisStore.read_recent` asks Redis even without a notice."""
OWN_TOKENS_KEPT = 16

LEGACY_FIELD = "state"
"""The whole document in one field, as releases before the per-entry layout stored it; read, and replaced by
entries on the next write."""
_ENTRY_KINDS = {"c:": "consultations", "a:": "agents", "n:": "connections"}
_DOC = "doc"


def entry_texts(state: CounterState) -> dict[str, str]:
    """The hash fields of a state: one per consultation (``c:<id>``), agent (``a:<id>``) and participant's
    connections (``n:<participant>``), and ``doc`` for the rest (small: the outbox, handling times, processes…)."""
    texts = {_DOC: state.model_dump_json(exclude={"consultations", "agents", "connections"})}
    texts.update((f"c:{k}", c.model_dump_json()) for k, c in state.consultations.items())
    texts.update((f"a:{k}", a.model_dump_json()) for k, a in state.agents.items())
    texts.update((f"n:{k}", json.dumps(list(v))) for k, v in state.connections.items())
    return texts


def state_of(texts: dict[str, str]) -> CounterState:
    """The state stored as ``texts`` (either layout), validated in one pass over one assembled document."""
    if LEGACY_FIELD in texts:
        return CounterState.model_validate_json(texts[LEGACY_FIELD])
    parts: dict[str, list[str]] = {name: [] for name in _ENTRY_KINDS.values()}
    for field, text in texts.items():
        kind = _ENTRY_KINDS.get(field[:2])
        if kind is not None:
            parts[kind].append(f"{json.dumps(field[2:])}:{text}")
    doc = texts.get(_DOC, "{}").strip()
    body = ",".join(f'"{name}":{{{",".join(items)}}}' for name, items in parts.items())
    joined = doc[:-1] + ("," if doc[1:-1].strip() else "") + body + "}"
    return CounterState.model_validate_json(joined)


_ENTRY_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "c:": TypeAdapter(Consultation),
    "a:": TypeAdapter(Agent),
    "n:": TypeAdapter(tuple[str, ...]),
}
_DOC_FIELDS = tuple(name for name in CounterState.model_fields if name not in _ENTRY_KINDS.values())


def decode_entry(field: str, text: str) -> Any:
    """One stored entry (``c:``, ``a:`` or ``n:`` field) as the state holds it."""
    return _ENTRY_ADAPTERS[field[:2]].validate_json(text)


def assemble(texts: dict[str, str], known: tuple[dict[str, str], CounterState] | None) -> CounterState:
    """The state stored as ``texts`` (the per-entry layout), re-using the entries of ``known`` (texts and the state
    parsed from them) whose text did not change: after a write elsewhere only what it wrote is parsed, instead of
    the whole state (~190 ms at 2,000 waiting on this machine). The objects re-used are shared, so nothing may change
    them in place: readers never do, and :meth:`RedisStore.transact` repairs what an operation changed."""
    old_texts, old = known if known is not None else ({}, None)
    doc_text = texts.get(_DOC, "{}")
    if old is not None and old_texts.get(_DOC) == doc_text:
        state = private_copy(old, entries=False)
    else:
        state = CounterState.model_validate_json(doc_text)
    for field, text in texts.items():
        kind = _ENTRY_KINDS.get(field[:2])
        if kind is None:
            continue
        key = field[2:]
        entries: dict[str, Any] = getattr(state, kind)
        if old is not None and old_texts.get(field) == text:
            entries[key] = getattr(old, kind)[key]
        else:
            entries[key] = decode_entry(field, text)
    return state


def private_copy(state: CounterState, *, entries: bool = True) -> CounterState:
    """A state whose maps and lists are this copy's own while the entries in them are ``state``'s (shared): adding,
    replacing or removing an entry does not touch ``state``; changing one in place does (see
    :meth:`RedisStore.transact`). The other parts' values are replaced, never changed in place (their field
    descriptions), so a shallow copy of each is private. Without ``entries``: the three entry maps start empty."""
    parts: dict[str, Any] = {}
    for name in CounterState.model_fields:
        value = getattr(state, name)
        if name in _DOC_FIELDS:
            parts[name] = value.copy() if isinstance(value, dict | list) else value
        else:
            parts[name] = dict(value) if entries else {}
    parts.update(state.__pydantic_extra__ or {})  # a newer release's fields, written back as they were read
    return CounterState.model_construct(**parts)


async def stored_state(client: Redis, prefix: str) -> dict[str, Any]:
    """The counter document stored under ``prefix`` as plain JSON (for tests' failure messages and tools)."""
    stored = await cast(Awaitable[dict[Any, Any]], client.hgetall(f"{validate_prefix(prefix)}:counter"))
    texts: dict[str, str] = {
        (k.decode() if isinstance(k, bytes) else str(k)): (v.decode() if isinstance(v, bytes) else str(v))
        for k, v in stored.items()
    }
    texts.pop("version", None)
    return json.loads(state_of(texts).model_dump_json()) if texts else {}


class LiveStoreUnavailable(CounterError):
    """Redis cannot be reached (or answered too slowly); nothing was changed."""

    def __init__(self, detail: str) -> None:
        super().__init__("internal", "the counter's shared state cannot be reached just now; please try again")
        self.detail = detail


class LiveStoreBusy(CounterError):
    """Other processes kept changing the state under this operation; it was given up, nothing was changed."""

    def __init__(self, attempts: int) -> None:
        # `busy`, not `internal`: nothing went wrong and nothing was changed; the same request later may pass
        super().__init__("busy", f"the counter is very busy (gave up after {attempts} attempts); please try again")
        self.attempts = attempts


@dataclass
class _Snapshot:
    """What this process holds of the stored state: the token, each field's text as stored, and the parsed state
    (made on first use; never changed: transactions work on a copy)."""

    token: str
    texts: dict[str, str]
    parsed: CounterState | None = None


def validate_prefix(prefix: str) -> str:
    if not PREFIX_PATTERN.match(prefix):
        raise ValueError(f"Redis key prefix must be 1-64 letters, digits or _.:- characters, got {prefix!r}")
    return prefix


POOL_CONNECTIONS = 64
"""Connections one client of a process may hold at once. redis-py's own pool fails a command at once ("Too many
connections") when 100 are in use; at 2,000 waiting the socket manager's publisher met that under the relay's burst
and dropped events. A blocking pool makes the command wait for a free connection instead (at most
:data:`POOL_WAIT_S`), and the bound keeps a few processes far below Redis's ``maxclients``."""
POOL_WAIT_S = 5.0
"""How long a command waits for a free connection before failing as an outage would (the socket timeout)."""


def blocking_pool(url: str, **options: Any) -> BlockingConnectionPool:
    """A connection pool that waits for a free connection (see :data:`POOL_CONNECTIONS`); ``options`` as for
    ``Redis.from_url``."""
    return BlockingConnectionPool.from_url(url, max_connections=POOL_CONNECTIONS, timeout=POOL_WAIT_S, **options)


def connect_redis(url: str) -> Redis:
    """A client with short timeouts and few retries: an outage must surface as an error ack within a second or
    two, not hang a socket event for half a minute. Its pool waits for a free connection rather than failing."""
    pool = blocking_pool(
        url,
        decode_responses=True,
        socket_connect_timeout=2.0,
        socket_timeout=5.0,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
        health_check_interval=15,
    )
    return Redis.from_pool(pool)  # the client owns the pool: closing it closes the connections


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
        self.log_key = f"{self.prefix}:counter:log"
        self._max_attempts = max_attempts
        self._backoff_cap_s = backoff_cap_s
        self.changes_channel = f"{self.prefix}:counter:changes"
        self._lock = asyncio.Lock()
        self._snapshot = _Snapshot(token="", texts={})
        self._next_token = ""
        self._decoded: _Snapshot | None = None  # the last snapshot parsed: its entries are re-used by the next
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
        self.fields_written = 0
        """Hash fields written or deleted by this store's transactions (what the per-entry layout saves)."""

    @classmethod
    def from_url(cls, url: str, config: CounterConfig, *, prefix: str = "madoguchi") -> RedisStore:
        return cls(connect_redis(url), config, prefix=prefix)

    # --- LiveStore ---------------------------------------------------------------------------------------------

    @property
    def version(self) -> str:
        """The token of the state last fetched or written (what :meth:`read` returned, or what the operation of a
        running :meth:`transact` works on)."""
        return self._snapshot.token

    @property
    def next_version(self) -> str:
        """The token the running transaction's operation will write if it writes (read inside the operation)."""
        return self._next_token

    @property
    def listening(self) -> bool:
        """True while this store is subscribed to other processes' change notices."""
        return self._listening

    async def transact(self, operation: Callable[[Counter], T]) -> tuple[T, list[Effect]]:
        async with self._lock:
            for attempt in range(1, self._max_attempts + 1):
                snapshot = await self._current()
                counter = Counter(self._private(snapshot), self._config)
                new_token = self._next_token = secrets.token_hex(12)
                try:
                    result = operation(counter)  # may raise: then nothing is written
                except BaseException:  # a refusal, usually: what it changed before raising is put back
                    if snapshot.parsed is not None:
                        now_texts = entry_texts(snapshot.parsed)
                        self._repair(
                            snapshot, counter.state, {f for f, t in now_texts.items() if snapshot.texts.get(f) != t}
                        )
                    raise
                new_texts = entry_texts(counter.state)
                written_fields = {f: t for f, t in new_texts.items() if snapshot.texts.get(f) != t}
                gone = [f for f in snapshot.texts if f not in new_texts]
                self._repair(snapshot, counter.state, {*written_fields, *gone})
                if not counter.effects and not written_fields and not gone:
                    return result, []
                self._own_tokens.append(new_token)  # its notice may arrive before the reply
                self._mark_current()
                entry = json.dumps({"from": snapshot.token, "to": new_token, "f": [*written_fields, *gone]})
                args = [snapshot.token, new_token, self.changes_channel, entry, str(len(written_fields))]
                for field, text in written_fields.items():
                    args += [field, text]
                written = await self._call(self._compare_and_set(keys=[self.state_key, self.log_key], args=args + gone))
                if written == 1:
                    self.fields_written += len(written_fields) + len(gone)
                    self._snapshot = self._decoded = _Snapshot(new_token, new_texts, counter.state)
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
        return Counter(self._parsed(snapshot), self._config)

    def _parsed(self, snapshot: _Snapshot) -> CounterState:
        """The state of ``snapshot``, parsed once; only the entries changed since the last state this process
        parsed are parsed again (:func:`assemble`)."""
        if snapshot.parsed is None:
            if LEGACY_FIELD in snapshot.texts:
                snapshot.parsed = state_of(snapshot.texts)
            else:
                known = self._decoded
                snapshot.parsed = assemble(
                    snapshot.texts, (known.texts, known.parsed) if known and known.parsed else None
                )
            self._decoded = snapshot
        return snapshot.parsed

    def _private(self, snapshot: _Snapshot) -> CounterState:
        """A transaction's working copy: before, the whole state parsed from its texts (~190 ms at 2,000 waiting);
        now the parsed state's maps copied, its entries shared (:func:`private_copy`, repaired by :meth:`_repair`)."""
        if LEGACY_FIELD in snapshot.texts:
            return state_of(snapshot.texts)
        return private_copy(self._parsed(snapshot))

    def _repair(self, snapshot: _Snapshot, private: CounterState, suspects: set[str]) -> None:
        """Undo in ``snapshot``'s parsed state what an operation changed in place through its private copy: the
        entries written or removed (``suspects``) and those it replaced by another object. Each such entry is put
        back to its stored text *in place* (a reader may hold the object itself: an earlier read stays a stable
        snapshot), and the private copy keeps the changed value in an object of its own. Done before any await,
        so no reader ever sees a change that was not written."""
        shared = snapshot.parsed
        if shared is None or LEGACY_FIELD in snapshot.texts:
            return
        for prefix, kind in (("c:", "consultations"), ("a:", "agents")):  # connections are tuples: never changed
            mine: dict[str, Any] = getattr(private, kind)
            theirs: dict[str, Any] = getattr(shared, kind)
            for key, value in theirs.items():
                field = prefix + key
                own = mine.get(key) is value
                if field not in suspects and own:
                    continue
                if own:
                    mine[key] = value.model_copy()  # the new value, in its own object (nested parts move with it)
                stored = decode_entry(field, snapshot.texts[field])
                value.__dict__.update(stored.__dict__)
                object.__setattr__(value, "__pydantic_extra__", stored.__pydantic_extra__)
                object.__setattr__(value, "__pydantic_fields_set__", set(stored.__pydantic_fields_set__))

    def _mark_current(self) -> None:
        """About to learn the latest state from Redis: a notice arriving while we wait clears this again."""
        self._current_since = asyncio.get_running_loop().time()

    async def _current(self) -> _Snapshot:
        """The stored state, re-using what this process already has when the token has not moved."""
        known = self._snapshot
        self.fetches += 1
        self._mark_current()
        try:
            reply = await self._call(self._fetch(keys=[self.state_key, self.log_key], args=[known.token]))
        except BaseException:
            self._current_since = None
            raise
        fields = [str(x) for x in cast(list[Any], reply)]
        if not fields:
            snapshot = _Snapshot(token="", texts={})
        elif len(fields) == 1 and fields[0] == known.token:
            snapshot = known
        elif len(fields) >= 2 and fields[1] == "delta" and len(fields) % 2 == 0:
            texts = dict(known.texts)
            for field, text in zip(fields[2::2], fields[3::2], strict=True):
                if text:
                    texts[field] = text
                else:
                    texts.pop(field, None)
            snapshot = _Snapshot(token=fields[0], texts=texts)
        elif len(fields) >= 2 and fields[1] == "all" and len(fields) % 2 == 0:
            texts = dict(zip(fields[2::2], fields[3::2], strict=True))
            texts.pop("version", None)
            snapshot = _Snapshot(token=fields[0], texts=texts)
        else:
            raise LiveStoreUnavailable(f"unexpected reply from the fetch script: {len(fields)} fields")
        # installed even when unchanged: ``version`` names what this returns. Another read or this process's own
        # write may have installed another state meanwhile (the service then took that state's queue places for
        # this one: booths' requests failed `internal` under load); which is newer is not known: recent reads ask
        # Redis again
        if self._snapshot is not known:
            self._current_since = None
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
