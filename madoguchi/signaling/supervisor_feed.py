"""The supervisors' live feed: after counter changes, each touched municipality's view is rebuilt, coalesced so a
busy town costs at most a few builds a second, and what changed since the view last sent goes to its supervisors
(``supervisor.delta``, :mod:`madoguchi.signaling.supervisor_delta`); a page joining or resyncing gets that last
view whole, with its version (:meth:`SupervisorFeed.current`). Why deltas: at 2,000 waiting the whole view was
452 KB, sent at every change by the process that also relays calls (``bench/supervisor/RESULTS.md``).

Why coalesce at the edge: a snapshot covers a whole municipality (queue, agents, booths, alarms), so building one
per operation would grow with the traffic; marking the municipality and flushing every ``interval`` keeps the
delay under a second and the cost bounded. Municipalities watched by a supervisor on this process are also
refreshed every ``refresh`` seconds, because waiting times and time-based alarms move without any operation.
The view and the alarms themselves are pure (:mod:`madoguchi.signaling.supervision`).

Where a snapshot is built: on the process whose sockets watch the municipality, and sent to those sockets only
(the notifier given is a local one). A change made on another process reaches this one as the live store's change
notice (:meth:`changed`, carried on the socket manager's Redis subscription beside the store's own follower) and
marks every municipality watched here. So a process nobody watches from (the one holding the booths, say) spends
nothing on supervisors, and a snapshot of a long queue is not carried through Redis to every process.

What a snapshot waits for: the live state only (after a town's first view). The database's parts are kept a little
while and, once old, used at once and re-read behind the view — the town's booth list (:data:`BOOTH_LIST_TTL_S`),
its rules with the opening hours (:data:`RULES_TTL_S`), today's counts (:data:`TODAY_TTL_S`), the staff roster
and the booths' last calls (:data:`ROSTER_TTL_S`); when a re-read differs, the town is marked again — so a busy or
slow database never delays a change's update. (Until session 13 the roster and the last calls were re-read on the
update's path every 30 s, and a read that failed at every update: with 2,201 booths, one query each.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

from madoguchi.domain.opening_hours import OpeningHours
from madoguchi.signaling.background import cancel_requested
from madoguchi.signaling.dispatch import Notifier, Supervisors
from madoguchi.signaling.server_events import (
    SupervisorBoothPage,
    SupervisorDelta,
    SupervisorLastCall,
    SupervisorSnapshot,
)
from madoguchi.signaling.service import Clock
from madoguchi.signaling.staff_sessions import SUPERVISING_ROLES
from madoguchi.signaling.store import LiveStore
from madoguchi.signaling.supervision import (
    JST,
    BoothInfo,
    SupervisionRules,
    TodayFigures,
    Watcher,
    booth_online,
    booth_page,
    last_call,
    supervisor_view,
    watching_ids,
)
from madoguchi.signaling.supervisor_delta import supervisor_delta
from madoguchi.storage.accounts import Accounts
from madoguchi.storage.booths import Booths
from madoguchi.storage.records import ConsultationRecords

log = logging.getLogger(__name__)

BOOTH_LIST_TTL_S = 2.0
"""How long a town's booth list (names, places; read from the database) is used before it is read again."""
TODAY_TTL_S = 1.0
RULES_TTL_S = 1.0
"""How old a town's rules (its opening hours, as an admin stored them) may be before they are re-read behind."""
MAX_REST_S = 0.5
"""The longest pause after a flush (a flush that took longer than :attr:`SupervisorFeed._interval` is followed by a
pause as long, up to this): the updates' delay stays under a second."""
"""How old today's counts may be before a snapshot has them re-read (behind it: the snapshot does not wait)."""


def _aged(view: SupervisorSnapshot, now: float) -> SupervisorSnapshot:
    """``view`` as it stands at ``now`` with nothing else changed: its clock and the waits counted from it moved on
    (what a page holding it has done meanwhile; as :func:`~madoguchi.signaling.supervisor_delta.apply_delta` ages
    what a delta does not resend), its version kept."""
    aged = now - view.now
    if aged <= 0:
        return view
    update: dict[str, Any] = {"now": now}
    update["queue"] = [c.model_copy(update={"waited_s": c.waited_s + aged}) for c in view.queue]
    update["alerts"] = [
        a if a.waited_s is None else a.model_copy(update={"waited_s": a.waited_s + aged}) for a in view.alerts
    ]
    if view.today.waiting:
        update["today"] = view.today.model_copy(update={"longest_wait_s": view.today.longest_wait_s + aged})
    return view.model_copy(update=update)


def jst_midnight(now: float) -> datetime:
    local = datetime.fromtimestamp(now, tz=UTC).astimezone(JST)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


async def watcher_of(accounts: Accounts, staff_id: str) -> Watcher | None:
    """A supervisor's or admin's name and towns, to list them as watching (``None``: no such account)."""
    found = await accounts.get(staff_id)
    if found is None or found.role not in SUPERVISING_ROLES:
        return None
    return Watcher(found.id, found.display_name, tuple(found.municipality_ids))


ROSTER_ROLES: Final = frozenset({"agent", "supervisor"})
"""The accounts listed on /supervisor by name even while not connected (未接続): who may take cases."""
ROSTER_TTL_S: Final = 30.0
"""How long a town's roster is kept before the accounts are read again (an added or disabled account shows
within this; the snapshot itself is rebuilt every couple of seconds)."""


LAST_CALL_WITHIN: Final = timedelta(days=30)
"""How far back a booth's last call with a measured link is looked for (older is no news about the link now)."""


async def roster_of(accounts: Accounts, municipality_id: str) -> list[Watcher]:
    """The town's enabled agents and supervisors, to list the ones not on the counter as 未接続."""
    members = await accounts.members_of(municipality_id, ROSTER_ROLES)
    return [Watcher(staff_id, name, (municipality_id,)) for staff_id, name in members]


_T = TypeVar("_T")


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
        roster: Callable[[str], Awaitable[list[Watcher]]] | None = None,
        timer: Callable[[], float] | None = None,
    ) -> None:
        self._timer = timer  # time spent, for the database parts' freshness (default: the event loop's clock)
        self._staff = staff  # a watching supervisor's name and towns (accounts), read once per person
        self._roster = roster  # a town's staff accounts, read at most every ROSTER_TTL_S
        self._rosters: dict[str, tuple[float, list[Watcher]]] = {}
        self._last_calls: dict[str, tuple[float, dict[str, SupervisorLastCall]]] = {}
        self._stale_before = -math.inf  # what was read before this is old (a call's final link quality came in)
        self._last_seen: dict[str, float] = {}  # booth -> when a snapshot of this process last found it connected
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
        self._booth_lists: dict[str, tuple[float, list[BoothInfo]]] = {}
        self._rules_kept: dict[str, tuple[float, SupervisionRules]] = {}
        self._rereads: dict[tuple[str, str], asyncio.Task[None]] = {}  # (what, town) -> its re-read behind the view
        self._today: dict[str, tuple[float, datetime, TodayFigures]] = {}
        self._today_reads: dict[str, asyncio.Task[None]] = {}
        self._sent: dict[str, SupervisorSnapshot] = {}  # town -> the view last sent (with its version)
        self._versions: dict[str, int] = {}  # town -> the last version given (never reused while the process runs)

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
                self._sent.pop(m, None)  # nobody holds it here now; the next watcher gets a whole view

    def touch(self, municipality_ids: Iterable[str] | None) -> None:
        """Mark municipalities changed (``None``: every watched one — a call's final link quality came in, so the
        booths' last calls are read again too)."""
        if municipality_ids is None:
            self._stale_before = self._elapsed()  # the last calls kept are read again (behind the next view)
            self._rebuild_all()
        else:
            self._dirty.update(municipality_ids)
            self._wake.set()

    def _rebuild_all(self) -> None:
        """Every watched town is rebuilt, coalesced; what was read from the database stays within its time."""
        self._all_dirty = True
        self._wake.set()

    # --- change notices from other processes (a ChangeFollower beside the live store's) ---------------------------

    def changes_subscribed(self) -> None:
        """Notices flow (again): what changed while they did not is unknown, so every watched town is rebuilt."""
        self._rebuild_all()

    def changes_unsubscribed(self) -> None:
        """Nothing to do: the refresh every ``refresh`` seconds goes on meanwhile."""

    def changed(self, token: str) -> None:
        """The live state changed (on any process): every municipality watched here is rebuilt, coalesced."""
        if self._watched:
            self._rebuild_all()  # not touch(None): a live change is no news of a link, and re-reading every
            # booth's last call on each one put a database read back on the path perf8 had cleared

    # --- building ---------------------------------------------------------------------------------------------

    async def snapshot(self, municipality_id: str) -> SupervisorSnapshot:
        counter = await self._store.read()
        now = self._clock()
        listed = await self._booth_list(municipality_id)
        calls = await self._last_calls_of(municipality_id, [b.id for b in listed], now)
        booths = self._with_link(listed, calls)
        today = await self._today_of(municipality_id, now)
        view = supervisor_view(
            counter,
            municipality_id,
            now,
            booths=booths,
            today=today,
            rules=await self._rules_of(municipality_id),
            watchers=await self._watchers_of(watching_ids(counter)),
            roster=await self._roster_of(municipality_id, now),
        )
        for booth in listed:
            if booth_online(counter, booth.id):
                self._last_seen[booth.id] = now
        return view

    async def booth_page(self, municipality_id: str, offset: int, limit: int) -> SupervisorBoothPage:
        """A page of the town's booth list in the view's order (``supervisor.booths``)."""
        counter = await self._store.read()
        now = self._clock()
        listed = await self._booth_list(municipality_id)
        calls = await self._last_calls_of(municipality_id, [b.id for b in listed], now)
        booths = self._with_link(listed, calls)
        rules = await self._rules_of(municipality_id)
        total, rows = booth_page(counter, booths, now, rules.hours, offset, limit)
        return SupervisorBoothPage(municipality_id=municipality_id, offset=offset, total=total, booths=rows)

    async def current(self, municipality_id: str) -> SupervisorSnapshot:
        """The town's whole view as this process last sent it, with its version (built now if none was): what a page
        joining (or asking to resync) gets, so that the next ``supervisor.delta`` applies on top of it. When only
        time moved since, nothing was sent: the kept view is aged to the clock (its ``now`` and the waits that count
        on, as :func:`apply_delta` ages what a delta does not resend), at the same version."""
        kept = self._sent.get(municipality_id)
        if kept is not None:
            return _aged(kept, self._clock())
        built = await self.snapshot(municipality_id)
        kept = self._sent.get(municipality_id)  # a flush may have kept one meanwhile: the deltas go from that one
        if kept is not None:
            return _aged(kept, self._clock())
        return self._keep(municipality_id, built)

    def _keep(self, municipality_id: str, view: SupervisorSnapshot) -> SupervisorSnapshot:
        self._versions[municipality_id] = version = self._versions.get(municipality_id, 0) + 1
        kept = view.model_copy(update={"version": version})
        self._sent[municipality_id] = kept
        return kept

    async def update(self, municipality_id: str) -> SupervisorSnapshot | SupervisorDelta | None:
        """The town's view built again, as what to send its watchers: the delta from the view last sent (``None``:
        only time moved), or the whole view when none was sent yet. Nothing is awaited between reading the kept
        view and keeping the new one, so two updates never send deltas from one base."""
        built = await self.snapshot(municipality_id)
        kept = self._sent.get(municipality_id)
        if kept is None:
            return self._keep(municipality_id, built)
        version = self._versions.get(municipality_id, 0) + 1
        delta = supervisor_delta(kept, built, base=kept.version, version=version)
        if delta is None:
            return None
        self._keep(municipality_id, built)
        return delta

    def _seen_last(self, booth: BoothInfo) -> float | None:
        """The later of the database's time (any process, before a restart; at most a minute behind) and this
        process's own snapshots' (exact while it watched)."""
        mine, stored = self._last_seen.get(booth.id), booth.last_seen
        return stored if mine is None else mine if stored is None or mine > stored else stored

    def _with_link(self, listed: list[BoothInfo], calls: Mapping[str, SupervisorLastCall]) -> list[BoothInfo]:
        """The town's booths with when each was last seen (:meth:`_seen_last`) and its last call. Made directly, not
        by ``dataclasses.replace``: at 2,201 booths that took 4-5 ms of every update (session 12, perf11)."""
        return [BoothInfo(b.id, b.name, b.place, self._seen_last(b), calls.get(b.id), b.names) for b in listed]

    async def _last_calls_of(
        self, municipality_id: str, booth_ids: list[str], now: float
    ) -> dict[str, SupervisorLastCall]:
        """Each booth's last call's link quality (the records), kept :data:`ROSTER_TTL_S` per town and re-read behind
        the view (:meth:`_kept_behind`)."""

        async def read() -> dict[str, SupervisorLastCall]:
            since = datetime.fromtimestamp(now, tz=UTC) - LAST_CALL_WITHIN
            found = await self._records.last_link_quality(booth_ids, since)
            return {booth_id: last_call(at, sides) for booth_id, (at, sides) in found.items()}

        return await self._kept_behind(self._last_calls, "calls", municipality_id, read, {}, "booths' last calls")

    async def _roster_of(self, municipality_id: str, now: float) -> list[Watcher]:
        roster = self._roster
        if roster is None:
            return []
        return await self._kept_behind(
            self._rosters, "roster", municipality_id, lambda: roster(municipality_id), [], "staff roster"
        )

    async def _kept_behind(
        self,
        kept: dict[str, tuple[float, _T]],
        what: str,
        municipality_id: str,
        read: Callable[[], Awaitable[_T]],
        empty: _T,
        label: str,
    ) -> _T:
        """A town's database part of the view (the staff roster, the booths' last calls): read at once the first
        time (within 2 s, else ``empty`` for now), else the last one read, re-read behind the view once
        :data:`ROSTER_TTL_S` old or marked stale (:meth:`touch` with ``None``), the town marked again when it changed.
        Before session 13 an old one was re-read on the update's path, and one that failed was tried again at every
        update: at 2,201 booths the last calls took longer than the 2 s limit under load, and every update waited."""
        found = kept.get(municipality_id)
        if found is None:
            read_at = self._elapsed()
            try:
                async with asyncio.timeout(2.0):
                    value = await read()
            except Exception:
                log.warning("%s of %s not read", label, municipality_id, exc_info=True)
                kept[municipality_id] = (-math.inf, empty)  # tried again behind the next view
                return empty
            kept[municipality_id] = (read_at, value)
            return value
        if found[0] <= self._stale_before or self._elapsed() - found[0] >= ROSTER_TTL_S:
            self._behind((what, municipality_id), lambda: self._reread(kept, municipality_id, read, label))
        return found[1]

    async def _reread(
        self, kept: dict[str, tuple[float, _T]], municipality_id: str, read: Callable[[], Awaitable[_T]], label: str
    ) -> None:
        read_at = self._elapsed()
        try:
            async with asyncio.timeout(2.0):
                value = await read()
        except Exception:
            log.warning("%s of %s not read again", label, municipality_id, exc_info=True)
            return
        before = kept.get(municipality_id)
        kept[municipality_id] = (read_at, value)
        if before is None or before[1] != value:
            self.touch([municipality_id])

    async def _booth_list(self, municipality_id: str) -> list[BoothInfo]:
        """The town's booths: read at once the first time, else the last list read, re-read behind the view once
        :data:`BOOTH_LIST_TTL_S` old (time spent, not the counter's clock; the town is marked again when it changed).
        Why behind: at 2,201 booths the read took the database's time on every other update (session 12)."""
        kept = self._booth_lists.get(municipality_id)
        if kept is None:
            read_at = self._elapsed()
            booths = await self._read_booths(municipality_id)
            self._booth_lists[municipality_id] = (read_at, booths)
            return booths
        if self._elapsed() - kept[0] >= BOOTH_LIST_TTL_S:
            self._behind(("booths", municipality_id), lambda: self._reread_booths(municipality_id))
        return kept[1]

    async def _read_booths(self, municipality_id: str) -> list[BoothInfo]:
        found = await self._booths.list(municipality_id)
        return [
            BoothInfo(
                b.id,
                b.name,
                b.place_name,
                None if b.last_seen_at is None else b.last_seen_at.timestamp(),
                names=b.names,
            )
            for b in found
            if not b.revoked
        ]

    async def _reread_booths(self, municipality_id: str) -> None:
        read_at = self._elapsed()
        try:
            async with asyncio.timeout(2.0):
                booths = await self._read_booths(municipality_id)
        except Exception:
            log.warning("booth list of %s not read", municipality_id, exc_info=True)
            return
        before = self._booth_lists.get(municipality_id)
        self._booth_lists[municipality_id] = (read_at, booths)
        if before is None or before[1] != booths:
            self.touch([municipality_id])

    def _behind(self, key: tuple[str, str], read: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run a re-read behind the view, one at a time per ``key``."""
        if key in self._rereads:
            return
        task = asyncio.create_task(read())
        self._rereads[key] = task
        task.add_done_callback(lambda _t: self._rereads.pop(key, None))

    async def _today_of(self, municipality_id: str, now: float) -> TodayFigures:
        """Today's counts: read at once the first time (and after midnight), else the last ones read, re-read behind
        the snapshot once they are :data:`TODAY_TTL_S` old (the town is marked again when they changed)."""
        since = jst_midnight(now)
        kept = self._today.get(municipality_id)
        if kept is None or kept[1] != since:
            await self._read_today(municipality_id, since)
            kept = self._today.get(municipality_id)
            return kept[2] if kept is not None and kept[1] == since else TodayFigures()
        age = self._elapsed() - kept[0]
        if age >= TODAY_TTL_S and municipality_id not in self._today_reads:
            task = asyncio.create_task(self._read_today(municipality_id, since, touch=True))
            self._today_reads[municipality_id] = task
            task.add_done_callback(lambda _t: self._today_reads.pop(municipality_id, None))
        return kept[2]

    async def _read_today(self, municipality_id: str, since: datetime, *, touch: bool = False) -> None:
        read_at = self._elapsed()
        try:
            async with asyncio.timeout(2.0):
                counts = await self._records.counts_since(municipality_id, since, short_abandon_s=self._short_abandon_s)
        except Exception:
            log.warning("today's figures unavailable for %s", municipality_id, exc_info=True)
            return
        figures = TodayFigures(*counts)
        before = self._today.get(municipality_id)
        self._today[municipality_id] = (read_at, since, figures)
        if touch and (before is None or before[2] != figures):
            self.touch([municipality_id])

    def _elapsed(self) -> float:
        return self._timer() if self._timer is not None else asyncio.get_running_loop().time()

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
        """The town's rules with its opening hours in force (stored by an admin, else its file's): read at once the
        first time, else the last read, re-read behind the view once :data:`RULES_TTL_S` old (the town marked again
        when they changed), so the database never delays an update."""
        kept = self._rules_kept.get(municipality_id)
        if kept is None:
            read_at = self._elapsed()
            rules = await self._read_rules(municipality_id)
            self._rules_kept[municipality_id] = (read_at, rules)
            return rules
        if self._elapsed() - kept[0] >= RULES_TTL_S:
            self._behind(("rules", municipality_id), lambda: self._reread_rules(municipality_id))
        return kept[1]

    async def _reread_rules(self, municipality_id: str) -> None:
        """As :meth:`_reread_booths`: a read that fails or times out is logged and the last rules are kept (the
        file's hours never replace an admin's stored ones because the database was away)."""
        read_at = self._elapsed()
        try:
            async with asyncio.timeout(2.0):
                rules = await self._stored_rules(municipality_id)
        except Exception:
            log.warning("opening hours of %s not read again", municipality_id, exc_info=True)
            return
        before = self._rules_kept.get(municipality_id)
        self._rules_kept[municipality_id] = (read_at, rules)
        if before is None or before[1] != rules:
            self.touch([municipality_id])

    async def _read_rules(self, municipality_id: str) -> SupervisionRules:
        try:
            async with asyncio.timeout(2.0):
                return await self._stored_rules(municipality_id)
        except Exception:
            log.warning("opening hours unavailable for %s", municipality_id, exc_info=True)
            return self._town_rules.get(municipality_id, self._rules)

    async def _stored_rules(self, municipality_id: str) -> SupervisionRules:
        rules = self._town_rules.get(municipality_id, self._rules)
        if self._hours is None:
            return rules
        return replace(rules, hours=await self._hours(municipality_id))

    async def flush(self) -> None:
        """Send a fresh snapshot of each marked municipality that someone on this process watches (the others are
        built by the processes whose sockets watch them: they hear of the change by its notice)."""
        wanted = set(self._dirty)
        if self._all_dirty:
            wanted |= set(self._watched)
        self._dirty.clear()
        self._all_dirty = False
        for m in sorted(wanted & set(self._watched)):
            message = await self.update(m)
            if message is not None:
                await self._notifier.deliver([(Supervisors(m), message)])

    async def run_forever(self) -> None:
        try:
            await self._run()
        finally:
            # cancelled and waited for (a few seconds at most): a read cut off here must close its database
            # connection before the app disposes of the engine, not be garbage-collected with it still open
            reads = [*self._today_reads.values(), *self._rereads.values()]
            for task in reads:
                task.cancel()
            if reads:
                await asyncio.wait(reads, timeout=3.0)

    async def _run(self) -> None:
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
            started = self._elapsed()
            try:
                await self.flush()
            except Exception:
                log.exception("supervisor feed flush failed")
            if cancel_requested():  # an emit through Redis may have swallowed it
                raise asyncio.CancelledError
            # the flush runs on the loop that relays calls: after a long one, rest as long (at most half the loop's
            # time goes to the supervisors however busy the town), and changes meanwhile coalesce into one update
            await asyncio.sleep(max(self._interval, min(self._elapsed() - started, MAX_REST_S)))


__all__ = ["BOOTH_LIST_TTL_S", "MAX_REST_S", "RULES_TTL_S", "TODAY_TTL_S", "SupervisorFeed", "jst_midnight"]
