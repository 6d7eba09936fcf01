"""Live state: where the counter lives between events.

The seam is deliberately small. :meth:`LiveStore.transact` runs a pure function against the counter and either
applies all of its changes or none: the in-process store holds a lock and works on a copy; the Redis store
(several server processes) does the same with an optimistic compare-and-set on a version number, re-running the
function when another process got there first. Because :class:`~madoguchi.signaling.counter.Counter` is pure,
re-running it is always safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol, TypeVar

from madoguchi.signaling.counter import Counter, CounterConfig, CounterState, Effect

T = TypeVar("T")


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
            "outbox": list(state.outbox),
            "set_aside": list(state.set_aside),
            "source_opens": dict(state.source_opens),
            "booked_soon": dict(state.booked_soon),
            "self_tests": dict(state.self_tests),
        }
    )


class MemoryStore:
    """One process, one event loop: a lock and a copy-on-write state."""

    def __init__(self, config: CounterConfig, state: CounterState | None = None) -> None:
        self._config = config
        self._state = state or CounterState()
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
            self._state = counter.state
            self._writes += 1
            return result, counter.effects

    async def read(self) -> Counter:
        return Counter(self._state, self._config)

    async def read_recent(self) -> Counter:
        return Counter(self._state, self._config)

    async def close(self) -> None:
        return None
