"""What changed between two views of a town's counter as its supervisors see it, as one ``supervisor.delta``. Pure.

Why: the feed rebuilt and sent the whole view (queue head, every agent, the booths, today's figures, the alarms)
at every coalesced change; at 2,000 waiting that was 452 KB a time and the page redrew thousands of elements
(``bench/supervisor/RESULTS.md``, session 11). A change moves a few rows, so the feed keeps the last view it sent
per town (with a version) and sends what differs: queue rows and agents and booths added or changed (whole rows)
or gone (ids), today's figures and the alarms whole when they changed (they are small). The page holds the base
version; a delta on any other base makes it ask for the whole view again (``supervisor.resync``).

What does not count as a change: time passing. A waiting case's ``waited_s``, an alarm's ``waited_s``, the longest
wait and an online booth's ``last_seen`` move with the clock alone; the page works them out from the server's
``now`` (each delta carries it), so they are compared by the moment they stand for (to within
:data:`SAME_MOMENT_S`), not by their value, and a view that only aged makes no delta at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from madoguchi.signaling.server_events import (
    SupervisorAgent,
    SupervisorAgentsChange,
    SupervisorAlert,
    SupervisorBooth,
    SupervisorBoothsChange,
    SupervisorCase,
    SupervisorDelta,
    SupervisorQueueChange,
    SupervisorSnapshot,
    SupervisorToday,
)

SAME_MOMENT_S: Final = 1.0
"""Two moments worked out from rounded times (``now - waited_s``) this close are the same moment."""

_R = TypeVar("_R", SupervisorCase, SupervisorAgent, SupervisorBooth)


def _fields(row: Any, drop: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in row.__dict__.items() if k not in drop}


_CASE_CLOCK: Final = frozenset({"waited_s"})
_NOTHING: Final[frozenset[str]] = frozenset()
_LAST_SEEN: Final = frozenset({"last_seen"})


def same_case(a: SupervisorCase, b: SupervisorCase) -> bool:
    """The same row on the page: ``waited_s`` follows from ``waiting_since`` and the clock."""
    return _fields(a, _CASE_CLOCK) == _fields(b, _CASE_CLOCK)


def same_agent(a: SupervisorAgent, b: SupervisorAgent) -> bool:
    return a == b


def same_booth(a: SupervisorBooth, b: SupervisorBooth) -> bool:
    """An online booth's ``last_seen`` is the view's ``now`` (the page shows it only for an offline booth)."""
    drop = _LAST_SEEN if a.online and b.online else _NOTHING
    return _fields(a, drop) == _fields(b, drop)


def _moment(now: float, waited_s: float | None) -> float | None:
    return None if waited_s is None else now - waited_s


def same_alerts(a: Sequence[SupervisorAlert], a_now: float, b: Sequence[SupervisorAlert], b_now: float) -> bool:
    """The same alarms in the same order, each waiting since the same moment."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if _fields(x, _CASE_CLOCK) != _fields(y, _CASE_CLOCK):
            return False
        mx, my = _moment(a_now, x.waited_s), _moment(b_now, y.waited_s)
        if (mx is None) != (my is None) or (mx is not None and my is not None and abs(mx - my) >= SAME_MOMENT_S):
            return False
    return True


_LONGEST: Final = frozenset({"longest_wait_s"})


def same_today(a: SupervisorToday, a_now: float, b: SupervisorToday, b_now: float) -> bool:
    """The same counts, the longest wait begun at the same moment (none when nobody waits)."""
    if _fields(a, _LONGEST) != _fields(b, _LONGEST):
        return False
    if not a.waiting:
        return True  # equal counts: nobody waits in either, and the longest wait is 0 in both
    return abs((a_now - a.longest_wait_s) - (b_now - b.longest_wait_s)) < SAME_MOMENT_S


def _rows(
    before: Sequence[_R], after: Sequence[_R], key: Callable[[_R], str], same: Callable[[_R, _R], bool]
) -> tuple[list[_R], list[str]] | None:
    """Rows added or changed and ids gone, by ``key``; ``None`` when nothing did."""
    old = {key(r): r for r in before}
    new_ids = {key(r) for r in after}
    upserts = [r for r in after if (o := old.get(key(r))) is None or not same(o, r)]
    removed = [k for k in old if k not in new_ids]
    if not upserts and not removed:
        return None
    return upserts, removed


def supervisor_delta(
    before: SupervisorSnapshot, after: SupervisorSnapshot, *, base: int, version: int
) -> SupervisorDelta | None:
    """What a page holding ``before`` (at version ``base``) needs to show ``after``; ``None`` when nothing but
    time moved. Both views are of the same town."""
    if before.municipality_id != after.municipality_id:
        raise ValueError("a delta is between two views of one town")
    parts: dict[str, Any] = {}
    queue = _rows(before.queue, after.queue, lambda c: c.consultation_id, same_case)
    if queue is not None or before.queue_total != after.queue_total:
        upserts, removed = queue or ([], [])
        parts["queue"] = SupervisorQueueChange(upserts=upserts, removed=removed, total=after.queue_total)
    agents = _rows(before.agents, after.agents, lambda a: a.agent_id, same_agent)
    if agents is not None:
        parts["agents"] = SupervisorAgentsChange(upserts=agents[0], removed=agents[1])
    booths = _rows(before.booths, after.booths, lambda b: b.booth_id, same_booth)
    order = [b.booth_id for b in after.booths]
    counts = (before.booths_total, before.booths_online) != (after.booths_total, after.booths_online)
    rest = before.booths_rest != after.booths_rest  # the booths beyond the listed ones (a page may hold some)
    if booths is not None or counts or rest or [b.booth_id for b in before.booths] != order:
        upserts_b, removed_b = booths or ([], [])
        parts["booths"] = SupervisorBoothsChange(
            upserts=upserts_b,
            removed=removed_b,
            order=order,
            total=after.booths_total if after.booths_total is not None else len(after.booths),
            online=after.booths_online if after.booths_online is not None else sum(b.online for b in after.booths),
            rest=after.booths_rest,
        )
    if not same_today(before.today, before.now, after.today, after.now):
        parts["today"] = after.today
    if not same_alerts(before.alerts, before.now, after.alerts, after.now):
        parts["alerts"] = after.alerts
    if not parts:
        return None
    return SupervisorDelta(municipality_id=after.municipality_id, version=version, base=base, now=after.now, **parts)


def apply_delta(view: SupervisorSnapshot, delta: SupervisorDelta) -> SupervisorSnapshot:
    """The view a page holding ``view`` shows after ``delta`` (what ``supervisor.js`` does, for the tests: applying
    the delta of two views to the first must show the second). Rows keep the view's order: the queue in serving
    order (urgent first, then the longest waiting), agents by name, booths as the server listed them."""
    if delta.base != view.version or delta.municipality_id != view.municipality_id:
        raise ValueError(f"delta on version {delta.base}, view at {view.version}")
    aged = delta.now - view.now  # what was not sent again has aged on the page meanwhile
    update: dict[str, Any] = {"version": delta.version, "now": delta.now}
    update["queue"] = [c.model_copy(update={"waited_s": c.waited_s + aged}) for c in view.queue]
    update["alerts"] = [
        a if a.waited_s is None else a.model_copy(update={"waited_s": a.waited_s + aged}) for a in view.alerts
    ]
    if view.today.waiting:
        update["today"] = view.today.model_copy(update={"longest_wait_s": view.today.longest_wait_s + aged})
    if delta.queue is not None:
        cases = _merged(update["queue"], delta.queue.upserts, delta.queue.removed, lambda c: c.consultation_id)
        update["queue"] = sorted(cases, key=lambda c: (not c.urgent, c.waiting_since))
        update["queue_total"] = delta.queue.total
    if delta.agents is not None:
        agents = _merged(view.agents, delta.agents.upserts, delta.agents.removed, lambda a: a.agent_id)
        update["agents"] = sorted(agents, key=lambda a: (a.display_name, a.agent_id))
    if delta.booths is not None:
        merged = _merged(view.booths, delta.booths.upserts, delta.booths.removed, lambda b: b.booth_id)
        by_id = {b.booth_id: b for b in merged}
        update["booths"] = [by_id[i] for i in delta.booths.order]
        update["booths_total"] = delta.booths.total
        update["booths_online"] = delta.booths.online
        update["booths_rest"] = delta.booths.rest
    if delta.today is not None:
        update["today"] = delta.today
    if delta.alerts is not None:
        update["alerts"] = delta.alerts
    return view.model_copy(update=update)


def _merged(rows: Sequence[_R], upserts: Sequence[_R], removed: Sequence[str], key: Callable[[_R], str]) -> list[_R]:
    gone = set(removed)
    changed = {key(r): r for r in upserts}
    kept = [changed.pop(key(r), r) for r in rows if key(r) not in gone]
    return kept + list(changed.values())


__all__ = ["SAME_MOMENT_S", "apply_delta", "same_alerts", "same_booth", "same_case", "same_today", "supervisor_delta"]
