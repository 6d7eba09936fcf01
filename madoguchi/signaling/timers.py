"""The timers: fire deadlines (offer timeouts, grace periods, dead processes, wrap-up timeouts) as they fall due,
keep this process's heartbeat fresh, and start the outbox flusher while records wait. One loop per process,
started by the composition root; with several processes the store's compare-and-set makes each deadline fire
exactly once, and because deadlines are data in the counter they survive a restart.

Before a tick the timers look up the liveness signals (:mod:`madoguchi.signaling.liveness`) of the processes whose
heartbeat is overdue and pass them in: a process whose heartbeat waits behind its own operations is slow, not gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any

from madoguchi.signaling.background import cancel_requested
from madoguchi.signaling.counter import Counter
from madoguchi.signaling.liveness import Liveness
from madoguchi.signaling.outbox import RECORD_WRITE_TIMEOUT_S, OutboxWriter
from madoguchi.signaling.presence import ProcessGone, ProcessLate, ProcessNews
from madoguchi.signaling.store import LiveStore

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 1.0
"""How often the timer loop writes pending records while there are any."""

Run = Callable[[Callable[[Counter], Any]], Awaitable[Any]]
"""The service's pipeline: apply an operation to the counter, record and dispatch what it changed."""


def _log_news(news: Mapping[str, ProcessNews] | None) -> None:
    """Say so when a tick took a process as gone (its residents' cases close after the grace period unless it comes
    back first), and, once per episode, when a process's heartbeat was overdue but its liveness signal said it runs.
    Session 13's 2,000 bench lost 1,840 waiting cases to a process too slow to beat, silently (the supervisor page
    showed the 160 left, truthfully); a slow process is now kept, and the operators still see the slowness."""
    for process_id, said in (news or {}).items():
        match said:
            case ProcessGone(silent_s=silent_s, connections=connections, residents_waiting=waiting):
                log.warning(
                    "server process %s silent for %.0f s and its liveness signal gone: taken as gone with its %d "
                    "connection(s), %d of them residents with a case in the queue (closed after the grace period "
                    "unless it states them again)",
                    process_id,
                    silent_s,
                    connections,
                    waiting,
                )
            case ProcessLate(silent_s=silent_s):
                log.warning(
                    "server process %s: heartbeat late (last one %.1f s ago) but its liveness signal says it runs; "
                    "kept with its connections (slow, not gone)",
                    process_id,
                    silent_s,
                )


class Timers:
    def __init__(
        self,
        *,
        store: LiveStore,
        outbox: OutboxWriter,
        liveness: Liveness,
        run: Run,
        held: Callable[[], Mapping[str, Sequence[str]]],
        process_id: str,
        heartbeat_interval_s: float,
        clock: Callable[[], float],
        wake: asyncio.Event,
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._liveness = liveness
        self._run = run
        self._held = held
        self._process_id = process_id
        self._interval = heartbeat_interval_s
        self._clock = clock
        self._wake = wake
        self._flushing: asyncio.Task[int] | None = None
        self._beat_late = False  # the last heartbeat waited longer than an interval (logged once per episode)
        self._checked: float | None = None
        """When the last round looked for due deadlines: overflow moments after it are looked at next round, so
        one that falls between two rounds (during a heartbeat or a tick) is still due, not skipped."""

    async def run_forever(self) -> None:
        """Nothing may end this loop but cancellation: a failed read or tick (the live store is unreachable for a
        while) is logged and retried after a second, and the timers carry on when the store is back."""
        next_beat = self._clock()
        next_flush = self._clock()
        try:
            while True:
                next_beat, next_flush = await self._round(next_beat, next_flush)
                if cancel_requested():  # an emit through Redis may have swallowed it
                    raise asyncio.CancelledError
        finally:
            if self._flushing is not None:
                self._flushing.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._flushing

    async def _round(self, next_beat: float, next_flush: float) -> tuple[float, float]:
        """One round; returns when the next heartbeat and the next flush are due."""
        try:
            if self._clock() >= next_beat:
                await self.beat()
                next_beat = self._clock() + self._interval
            since = self._clock() if self._checked is None else self._checked
            counter = await self._store.read()
            deadline = counter.next_deadline(since)
            now = self._clock()
            delay = min(1.0, max(0.0, next_beat - now))
            if deadline is not None:
                delay = min(delay, max(0.0, deadline - now))
            self._wake.clear()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives
            # as the wake-up fires, and the app's shutdown would then wait for this task for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            # a change may have brought a deadline forward: look again, and only tick when one is due. Overflow
            # moments count from when the last round looked (``since``): one reached while this round slept, beat
            # or ticked is due, not past.
            latest = await self._store.read()
            due = latest.next_deadline(since)
            checked = self._clock()
            if due is not None and due <= checked:
                alive = await self.signals(latest.overdue_processes(checked))
                _log_news(await self._run(partial(Counter.tick, now=checked, alive=alive)))
            self._checked = checked
            oldest = latest.state.outbox[0].at if latest.state.outbox else None
            # only records older than a round: younger ones are normally being written by their operation
            if (
                oldest is not None
                and oldest <= self._clock() - FLUSH_INTERVAL_S
                and self._clock() >= next_flush
                and self._flushing is None
            ):
                # in its own task: a database that hangs must not hold up offer timeouts and grace periods
                next_flush = self._clock() + FLUSH_INTERVAL_S
                self._flushing = asyncio.create_task(
                    self._outbox.flush(limit_s=RECORD_WRITE_TIMEOUT_S), name="flush-records"
                )
                self._flushing.add_done_callback(self._flushed)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("timer tick failed; retrying in a second")
            await asyncio.sleep(1.0)
        return next_beat, next_flush

    async def signals(self, overdue: Sequence[str]) -> dict[str, float]:
        """The liveness signals present among ``overdue`` (seconds each stays good). If they cannot be read, none:
        the tick then goes by the heartbeats alone, as before there were signals (its own transaction needs the
        same Redis, and normally fails with this read)."""
        if not overdue:
            return {}
        try:
            return await self._liveness.remaining(overdue)
        except Exception as exc:
            log.warning("liveness signals of %s not read (%s): the tick goes by heartbeats alone", overdue, exc)
            return {}

    async def beat(self) -> None:
        """State the connections this process holds (and that it runs). What it holds, and the time, are read when
        the heartbeat is applied to the live state, not before waiting for it: a copy taken earlier would close a
        connection opened meanwhile, or reopen one closed meanwhile, and a time taken earlier makes the heartbeat
        older than it is. How long it waited behind this process's operations is logged once per episode."""
        queued = self._clock()
        held = self._held
        applied: list[float] = []

        def op(counter: Counter) -> int:
            now = self._clock()
            applied.append(now)
            return counter.heartbeat(process_id=self._process_id, now=now, held=held())

        restated = await self._run(op)
        waited = (applied[-1] if applied else queued) - queued
        if waited > self._interval and not self._beat_late:
            log.warning(
                "heartbeat waited %.1f s behind this process's operations (the liveness signal keeps it counted as "
                "running)",
                waited,
            )
        self._beat_late = waited > self._interval
        if restated:
            # normally none: this process was taken as gone (its heartbeat came too late, e.g. behind a long queue
            # of operations), or an opening never reached the store; residents' cases closed meanwhile stay closed
            log.warning("heartbeat: %d connection(s) of this process were missing from the live state", restated)

    def _flushed(self, task: asyncio.Task[int]) -> None:
        self._flushing = None
        if not task.cancelled() and task.exception() is not None:
            log.warning("writing pending records failed: %s", task.exception())
