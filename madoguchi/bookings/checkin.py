"""Check-in at the booth: within the window a booked resident goes ahead of walk-ins; outside it, they join
as a walk-in and are told why. A booking nobody checked in for is a no-show once its grace has passed.

Why a table: the rule is three ranges of "minutes from the slot's start", which staff tune in the plan
(``CheckinRules``) and the tests read row by row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from madoguchi.bookings.plan import CheckinRules

Outcome = Literal["early", "priority", "late"]
"""``priority``: joins ahead of walk-ins; ``early`` / ``late``: joins as a walk-in, told why."""

JOINS_WITH_PRIORITY: Final[dict[Outcome, bool]] = {"early": False, "priority": True, "late": False}


@dataclass(frozen=True, slots=True)
class Checkin:
    outcome: Outcome
    priority: bool
    minutes_from_start: int
    """Negative before the slot's start."""


def windows(rules: CheckinRules) -> tuple[tuple[Outcome, timedelta | None], ...]:
    """Each outcome from the offset (now - start) where it begins, in order: early until ``early_minutes``
    before the start, priority up to and including ``late_minutes`` after it, late after that."""
    return (
        ("early", None),
        ("priority", timedelta(minutes=-rules.early_minutes)),
        ("late", timedelta(minutes=rules.late_minutes, microseconds=1)),
    )


def check_in(rules: CheckinRules, start: datetime, now: datetime) -> Checkin:
    offset = now - start
    outcome = [name for name, begins in windows(rules) if begins is None or offset >= begins][-1]
    return Checkin(outcome, JOINS_WITH_PRIORITY[outcome], int(offset // timedelta(minutes=1)))


def no_show_after(rules: CheckinRules, start: datetime) -> datetime:
    """When a booking still not checked in becomes a no-show (its place is freed)."""
    return start + timedelta(minutes=rules.no_show_minutes)


def is_no_show(rules: CheckinRules, start: datetime, now: datetime) -> bool:
    return now >= no_show_after(rules, start)


TAKES_AN_AGENT: Final[frozenset[str]] = frozenset({"booth", "video"})
"""The ways of meeting that an agent at the console serves (the main office counter is staffed in person)."""


@dataclass(frozen=True, slots=True)
class Due:
    """A booking still ``booked`` (not checked in): its topic, way of meeting and start."""

    route: str
    mode: str
    start: datetime


def due_soon(rules: CheckinRules, bookings: Iterable[Due], now: datetime, horizon: timedelta) -> dict[str, int]:
    """Per route, the bookings that will go ahead of a walk-in who joins now: those an agent serves, starting
    within ``horizon`` from now and not yet past their check-in window (a later arrival joins as a walk-in)."""
    late = timedelta(minutes=rules.late_minutes)
    counts: dict[str, int] = {}
    for booking in bookings:
        if booking.mode in TAKES_AN_AGENT and now - late <= booking.start <= now + horizon:
            counts[booking.route] = counts.get(booking.route, 0) + 1
    return counts


KEEPS_THE_BOOKING_USED: Final[frozenset[str]] = frozenset({"callback"})
"""End reasons of an unanswered wait that still use the booking up: a call-back asked for instead (the office
calls them; a second check-in would serve them twice)."""


def gives_the_booking_back(*, state: str, answered: bool, end_reason: str | None) -> bool:
    """A checked-in resident's case that ended ``abandoned`` before any agent answered it (they pressed やめる,
    or their link was lost while waiting) gives the booking back: it is ``booked`` again and can be checked in
    again within its window. A case someone answered (even if it was then cut, transferred or given up) keeps it
    used, and so does a call-back asked for instead (docs/bookings.md, "Giving up a wait")."""
    return state == "abandoned" and not answered and end_reason not in KEEPS_THE_BOOKING_USED
