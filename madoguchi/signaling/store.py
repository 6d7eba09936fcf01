"""Live state: where the counter lives between events.

The seam is deliberately small. :meth:`LiveStore.transact` runs a pure function against the counter and either
applies all of its changes or none: the in-process store holds a lock and works on a copy; the Redis store
(several server processes) does the same with an optimistic compare-and-set on a version number, re-running the
function when another process got there first. Because :class:`~madoguchi.signaling.counter.Counter` is pure,
re-running it is always safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from madoguchi.signaling.counter import Counter, CounterConfig, CounterState, Effect, SetAsideRecord

T = TypeVar("T")
log = logging.getLogger(__name__)


class LiveStore(Protocol):
    async def transact(self, operation: Callable[[Counter], T]) -> tuple[T, list[Effect]]:
        """Apply ``operation`` atomically; return its result and the effects it recorded."""
        ...

    async def read(self) -> Counter:
        """The current counter, for queries only: never mutate it (use transact)."""
        ...

    async def read_recent(self) -> Counter:
        """Like :meth:`read`, but may miss other processes' writes of the last moments (Redis: until their
        change notice arrives, at most about a second). For hot paths: act on it only where a slightly old answer
        is harmless, and confirm a refusal with :meth:`read`."""
        ...

    async def close(self) -> None: ...

    @property
    def version(self) -> str:
        """Names the state this process last read or ran an operation on (read it right after :meth:`read`, or in
        the operation :meth:`transact` runs): two equal versions are the same state. Lets a caller keep what it
        worked out from a state (:func:`~madoguchi.signaling.dispatch.queue_places`) for the next operation."""
        ...

    @property
    def next_version(self) -> str:
        """Inside the operation :meth:`transact` runs: the version its state will have once written (a version never
        seen when the attempt is re-run or writes nothing)."""
        ...


def working_copy(state: CounterState) -> CounterState:
    """A copy the operation may change freely, made in time proportional to the cases and agents, not to the
        (possibly thousands of) connections: connection entries are immutable tuples and pending records are frozen, so
    that map and the outbox are copied shallowly."""
    return state.model_copy(
        update={
            "consultations": {k: c.model_copy(deep=True) for k, c in state.consultations.items()},
            "agents": {k: a.model_copy(deep=True) for k, a in state.agents.items()},
            "handle_time_s": dict(state.handle_time_s),
            "connections": dict(state.connections),
            "processes": dict(state.processes),
            "alive_until": dict(state.alive_until),
            "outbox": list(state.outbox),
            "set_aside": list(state.set_aside),
            "source_opens": dict(state.source_opens),
            "booked_soon": dict(state.booked_soon),
            "self_tests": dict(state.self_tests),
            "lost_places": dict(state.lost_places),
        }
    )


class SetAsideKeeper(Protocol):
    """Where an in-process store keeps its set-aside records across a restart
    (:class:`~madoguchi.signaling.set_aside_file.SetAsideFile`)."""

    def load(self) -> list[SetAsideRecord]: ...

    def save(self, items: Sequence[SetAsideRecord]) -> None: ...


class MemoryStore:
    """One process, one event loop: a lock and a copy-on-write state. With ``set_aside`` the records the outbox set
    aside are read from it at start and saved to it (before the operation returns) whenever they change: the rest
    of the live state is this process's alone and ends with it, those are not (``docs/operations.md``)."""

    def __init__(
        self, config: CounterConfig, state: CounterState | None = None, *, set_aside: SetAsideKeeper | None = None
    ) -> None:
        self._config = config
        self._state = state or CounterState()
        self._set_aside = set_aside
        if set_aside is not None:
            kept = set_aside.load()
            if kept:
                self._state = self._state.model_copy(update={"set_aside": [*kept, *self._state.set_aside]})
        self._lock = asyncio.Lock()
        self._writes = 0

    @property
    def version(self) -> str:
        return str(self._writes)

    @property
    def next_version(self) -> str:
        return str(self._writes + 1)

    async def transact(self, operation: Callable[[Counter], T]) -> tuple[T, list[Effect]]:
        async with self._lock:
            counter = Counter(working_copy(self._state), self._config)
            result = operation(counter)
            before = self._state.set_aside
            self._state = counter.state
            self._writes += 1
            if self._set_aside is not None and counter.state.set_aside != before:
                try:
                    await asyncio.to_thread(self._set_aside.save, list(counter.state.set_aside))
                except OSError:  # a full or read-only disk: the list is still served from memory
                    log.exception("the set-aside records could not be saved; they are kept in memory only")
            return result, counter.effects

    async def read(self) -> Counter:
        return Counter(self._state, self._config)

    async def read_recent(self) -> Counter:
        return Counter(self._state, self._config)

    async def close(self) -> None:
        return None
