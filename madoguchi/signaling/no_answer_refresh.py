"""Re-sending a waiting resident's place when only the clock changed their "nobody can answer" reason.

Why: the reason (:mod:`madoguchi.signaling.no_answer`) turns with time alone (closing time, an overflow time
passing, a long wait), and a place in line is otherwise sent only after an operation. The rule of *when* to look
again and *what* changed is pure (:func:`~madoguchi.signaling.no_answer.next_refresh`,
:func:`~madoguchi.signaling.no_answer.changed_by_time`, time passed in); this loop only sleeps until that moment
(or, after a counter change, a second: a case that appeared has moments of its own), reads the counter and the
towns' hours, and sends the residents concerned their place again. Each process does this for the residents
connected to it, so several processes never send the same resident the same update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from madoguchi.domain.opening_hours import hours_of
from madoguchi.signaling import views
from madoguchi.signaling.background import cancel_requested
from madoguchi.signaling.counter import Counter
from madoguchi.signaling.dispatch import Delivery, Notifier
from madoguchi.signaling.no_answer import changed_by_time, next_refresh
from madoguchi.signaling.service import Clock
from madoguchi.signaling.store import LiveStore
from madoguchi.signaling.views import Facts

log = logging.getLogger(__name__)

MAX_SLEEP_S = 30.0
"""Longest sleep between two looks: a case that arrived since the last look has its moment found by then (its own
moments are minutes away: the overflow time, the long wait, the next turn of the hours)."""
MIN_SLEEP_S = 0.05
MIN_GAP_S = 1.0
"""After a counter change (a case may have come, with its own moments) look again, but at most once a second: at
2,000 waiting a look goes over the whole queue."""


class FactsSource(Protocol):
    """What the views need beside the counter (real: :class:`~madoguchi.signaling.lookups.Lookups`)."""

    async def facts(self, counter: Counter, *, now: float) -> Facts: ...


class NoAnswerRefresh:
    def __init__(
        self,
        *,
        store: LiveStore,
        lookups: FactsSource,
        notifier: Notifier,
        held: Callable[[], Mapping[str, Sequence[str]]],
        clock: Clock,
    ) -> None:
        self._store = store
        self._lookups = lookups
        self._notifier = notifier
        self._held = held
        self._clock = clock
        self._changed = asyncio.Event()

    def touch(self, municipality_ids: Iterable[str] | None) -> None:
        """The counter changed (the service's change listener): find the next moment again, soon."""
        self._changed.set()

    async def look(self, since: float) -> tuple[float, float | None]:
        """Send the residents of this process whose reason changed between ``since`` and now their place again;
        returns now and the next moment a reason may change (None: no waiting case has one ahead)."""
        counter = await self._store.read_recent()
        now = self._clock()
        queued = counter.queue()
        mine = self._held()
        local = [c for c in queued if c.resident in mine]
        if not local:
            return now, None
        facts = await self._lookups.facts(counter, now=now)
        hours = {m: hours_of(spec) for m, spec in facts.hours.items()}
        changed = changed_by_time(counter, local, since, now, hours)
        if changed:
            out: list[Delivery] = [(c.resident, views.queue_position(counter, c, facts)) for c in changed]
            await self._notifier.deliver(out)
        return now, next_refresh(counter, local, now, hours)

    async def run_forever(self) -> None:
        """Never ends but by cancellation; a failed look (Redis or the database away a moment) is logged and tried
        again after the longest sleep."""
        since = self._clock()
        while True:
            due: float | None = None
            self._changed.clear()  # before the look: a change during it must wake the next wait, not be wiped
            try:
                since, due = await self.look(since)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("re-sending the no-answer reasons failed; trying again later")
            delay = MAX_SLEEP_S if due is None else min(MAX_SLEEP_S, max(MIN_SLEEP_S, due - self._clock()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._changed.wait()
                    await asyncio.sleep(min(MIN_GAP_S, max(0.0, due - self._clock())) if due is not None else MIN_GAP_S)
            if cancel_requested():
                raise asyncio.CancelledError
