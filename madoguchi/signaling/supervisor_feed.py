"""The supervisors' live feed: after counter changes, each touched municipality's snapshot is rebuilt and sent to
its supervisors, coalesced so a busy town costs at most a few snapshots a second.

Why coalesce at the edge: a snapshot covers a whole municipality (queue, agents, booths, alarms), so building one
per operation would grow with the traffic; marking the municipality and flushing every ``interval`` keeps the
delay under a second and the cost bounded. Municipalities watched by a supervisor on this process are also
refreshed every ``refresh`` seconds, because waiting times and time-based alarms move without any operation.
The view and the alarms themselves are pure (:mod:`madoguchi.signaling.supervision`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from madoguchi.domain.opening_hours import OpeningHours
from madoguchi.signaling.background import cancel_requested
from madoguchi.signaling.dispatch import Notifier, Supervisors
from madoguchi.signaling.server_events import SupervisorSnapshot
from madoguchi.signaling.service import Clock
from madoguchi.signaling.staff_sessions import SUPERVISING_ROLES
from madoguchi.signaling.store import LiveStore
from madoguchi.signaling.supervision import (
    JST,
    BoothInfo,
    SupervisionRules,
    TodayFigures,
    Watcher,
    supervisor_view,
    watching_ids,
)
from madoguchi.storage.accounts import Accounts
from madoguchi.storage.booths import Booths
from madoguchi.storage.records import ConsultationRecords

log = logging.getLogger(__name__)


def jst_midnight(now: float) -> datetime:
    local = datetime.fromtimestamp(now, tz=UTC).astimezone(JST)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


async def watcher_of(accounts: Accounts, staff_id: str) -> Watcher | None:
    """A supervisor's or admin's name and towns, to list them as watching (``None``: no such account)."""
    found = await accounts.get(staff_id)
    if found is None or found.role not in SUPERVISING_ROLES:
        return None
    return Watcher(found.id, found.display_name, tuple(found.municipality_ids))


class SupervisorFeed:
    def __init__(
        self,
        *,
        store: LiveStore,
        notifier: Notifier,
        booths: Booths,
        records: ConsultationRecords,
        clock: Clock,
        rules: SupervisionRules | None = None,
        hours: Callable[[str], Awaitable[OpeningHours]] | None = None,
        town_rules: Mapping[str, SupervisionRules] | None = None,
        interval: float = 0.25,
        refresh: float = 2.0,
        short_abandon_s: float = 0.0,
        staff: Callable[[str], Awaitable[Watcher | None]] | None = None,
    ) -> None:
        self._staff = staff  # a watching supervisor's name and towns (accounts), read once per person
        self._watchers: dict[str, Watcher | None] = {}
        self._short_abandon_s = short_abandon_s  # the reports' rule: who left sooner is not "待ちきれずに帰った"
        self._store = store
        self._notifier = notifier
        self._booths = booths
        self._records = records
        self._clock = clock
        self._rules = rules or SupervisionRules()
        self._hours = hours
        self._town_rules = dict(town_rules or {})
        self._interval = interval
        self._refresh = refresh
        self._dirty: set[str] = set()
        self._all_dirty = False
        self._watched: dict[str, int] = {}
        self._wake = asyncio.Event()

    def watch(self, municipality_ids: Iterable[str]) -> None:
        for m in municipality_ids:
            self._watched[m] = self._watched.get(m, 0) + 1

    def unwatch(self, municipality_ids: Iterable[str]) -> None:
        for m in municipality_ids:
            left = self._watched.get(m, 0) - 1
            if left > 0:
                self._watched[m] = left
            else:
                self._watched.pop(m, None)

    def touch(self, municipality_ids: Iterable[str] | None) -> None:
        """Mark municipalities changed (``None``: every watched one, e.g. a booth's link changed)."""
        if municipality_ids is None:
            self._all_dirty = True
        else:
            self._dirty.update(municipality_ids)
        self._wake.set()

    async def snapshot(self, municipality_id: str) -> SupervisorSnapshot:
        counter = await self._store.read()
        now = self._clock()
        found = await self._booths.list(municipality_id)
        booths = [BoothInfo(b.id, b.name, b.place_name) for b in found if not b.revoked]
        try:
            async with asyncio.timeout(2.0):
                counts = await self._records.counts_since(
                    municipality_id, jst_midnight(now), short_abandon_s=self._short_abandon_s
                )
            today = TodayFigures(*counts)
        except Exception:
            log.warning("today's figures unavailable for %s", municipality_id, exc_info=True)
            today = TodayFigures()
        return supervisor_view(
            counter,
            municipality_id,
            now,
            booths=booths,
            today=today,
            rules=await self._rules_of(municipality_id),
            watchers=await self._watchers_of(watching_ids(counter)),
        )

    async def _watchers_of(self, ids: Iterable[str]) -> list[Watcher]:
        found: list[Watcher] = []
        for staff_id in sorted(ids):
            if staff_id not in self._watchers and self._staff is not None:
                try:
                    async with asyncio.timeout(2.0):
                        self._watchers[staff_id] = await self._staff(staff_id)
                except Exception:
                    log.warning("watching supervisor %s not read", staff_id, exc_info=True)
                    continue
            watcher = self._watchers.get(staff_id)
            if watcher is not None:
                found.append(watcher)
        return found

    async def _rules_of(self, municipality_id: str) -> SupervisionRules:
        """The town's rules with its opening hours in force (stored by an admin, else its file's)."""
        rules = self._town_rules.get(municipality_id, self._rules)
        if self._hours is None:
            return rules
        try:
            async with asyncio.timeout(2.0):
                return replace(rules, hours=await self._hours(municipality_id))
        except Exception:
            log.warning("opening hours unavailable for %s", municipality_id, exc_info=True)
            return rules

    async def flush(self) -> None:
        wanted = set(self._dirty)
        if self._all_dirty:
            wanted |= set(self._watched)
        self._dirty.clear()
        self._all_dirty = False
        for m in sorted(wanted):
            await self._notifier.deliver([(Supervisors(m), await self.snapshot(m))])

    async def run_forever(self) -> None:
        last_refresh = self._clock()
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives as
            # the wake-up fires, and the app's shutdown would then wait for this task for ever (as in timers.py)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._refresh):
                    await self._wake.wait()
            self._wake.clear()
            if self._clock() - last_refresh >= self._refresh:
                self._all_dirty = True
                last_refresh = self._clock()
            try:
                await self.flush()
            except Exception:
                log.exception("supervisor feed flush failed")
            if cancel_requested():  # an emit through Redis may have swallowed it
                raise asyncio.CancelledError
            await asyncio.sleep(self._interval)


__all__ = ["SupervisorFeed", "jst_midnight"]
