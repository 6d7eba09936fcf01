"""What the bookings did over a period: volume, no-shows, cancellations, lead time, and how long booked residents
waited against walk-ins.

Why pure: the numbers are a few counts and medians over rows the edges read (bookings by their start, cases by
when they were requested); computing them here keeps the rules (what counts as due, what a no-show rate divides
by) in one tested place, with no clock but the rows' own times.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

DUE: frozenset[str] = frozenset({"checked_in", "done", "no_show"})
"""The statuses of a booking whose time came and was not cancelled: the no-show rate divides by these."""


@dataclass(frozen=True, slots=True)
class BookingRow:
    status: str
    mode: str
    booked_by: str
    start: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class WaitRow:
    """One answered case: whether it came with a booking, and how long the resident waited for a person."""

    booked: bool
    waited_s: float


@dataclass(frozen=True, slots=True)
class BookingKpis:
    bookings: int
    by_status: dict[str, int]
    by_mode: dict[str, int]
    booked_by_staff: int
    no_show_rate: float | None
    """no-shows / bookings whose time came (checked in, done, no-show); None when none came."""
    lead_time_median_h: float | None
    """Median hours from booking to the booked start."""
    wait_median_booked_s: float | None
    wait_median_walk_in_s: float | None
    answered_booked: int
    answered_walk_in: int

    def as_dict(self) -> dict[str, object]:
        return {
            "bookings": self.bookings,
            "by_status": self.by_status,
            "by_mode": self.by_mode,
            "booked_by_staff": self.booked_by_staff,
            "no_show_rate": self.no_show_rate,
            "lead_time_median_h": self.lead_time_median_h,
            "wait_median_booked_s": self.wait_median_booked_s,
            "wait_median_walk_in_s": self.wait_median_walk_in_s,
            "answered_booked": self.answered_booked,
            "answered_walk_in": self.answered_walk_in,
        }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def compute(bookings: Iterable[BookingRow], waits: Iterable[WaitRow]) -> BookingKpis:
    rows = list(bookings)
    statuses = Counter(r.status for r in rows)
    due = sum(statuses[s] for s in DUE)
    lead = [(r.start - r.created_at).total_seconds() / 3600 for r in rows if r.start >= r.created_at]
    answered = list(waits)
    booked_waits = [w.waited_s for w in answered if w.booked]
    walk_in_waits = [w.waited_s for w in answered if not w.booked]
    return BookingKpis(
        bookings=len(rows),
        by_status=dict(sorted(statuses.items())),
        by_mode=dict(sorted(Counter(r.mode for r in rows).items())),
        booked_by_staff=sum(1 for r in rows if r.booked_by.startswith("staff:")),
        no_show_rate=round(statuses["no_show"] / due, 3) if due else None,
        lead_time_median_h=_median(lead),
        wait_median_booked_s=_median(booked_waits),
        wait_median_walk_in_s=_median(walk_in_waits),
        answered_booked=len(booked_waits),
        answered_walk_in=len(walk_in_waits),
    )
