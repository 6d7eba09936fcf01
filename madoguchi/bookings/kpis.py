"""What the bookings did over a period: volume, no-shows, cancellations, lead time, and how long booked residents
waited against walk-ins.

Why pure: the numbers are a few counts and medians over rows the edges read (bookings by their start, cases by
when they were requested); computing them here keeps the rules (what counts as due, what a no-show rate divides
by) in one tested place, with no clock but the rows' own times.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

DUE: frozenset[str] = frozenset({"checked_in", "done", "no_show"})
"""The statuses of a booking whose time came and was not cancelled: the no-show rate divides by these."""


@dataclass(frozen=True, slots=True)
class BookingRow:
    status: str
    mode: str
    booked_by: str
    start: datetime
    created_at: datetime
    route: str = ""
    place: str = ""


@dataclass(frozen=True, slots=True)
class WaitRow:
    """One answered case: whether it came with a booking, and how long the resident waited for a person; its
    route, channel and the place of its booth (``""`` for a web chat) let the report's filters narrow it."""

    booked: bool
    waited_s: float
    route: str = ""
    channel: str = ""
    place: str = ""


CHANNEL_MODES: Final[Mapping[str, frozenset[str]]] = {
    "booth": frozenset({"booth"}),
    "chat": frozenset({"video"}),
}
"""Which ways of meeting a report's channel covers: a booth booking is met at a booth; a video booking from home
joins from the web chat page. A booking at the main office counter is neither (it is met in person)."""


@dataclass(frozen=True, slots=True)
class BookingScope:
    """The reports page's route, place and channel filters, as they apply to bookings: the same three choices
    narrow the consultations above the booking figures, so the booking figures must not count more than that.
    ``None`` is "all"."""

    route: str | None = None
    place: str | None = None
    channel: str | None = None

    def __post_init__(self) -> None:
        if self.channel is not None and self.channel not in CHANNEL_MODES:
            raise ValueError(f"channel must be one of {', '.join(CHANNEL_MODES)}, got {self.channel!r}")

    def keeps_mode(self, mode: str) -> bool:
        return self.channel is None or mode in CHANNEL_MODES[self.channel]

    def keeps(self, row: BookingRow) -> bool:
        return (
            (self.route is None or row.route == self.route)
            and (self.place is None or row.place == self.place)
            and self.keeps_mode(row.mode)
        )

    def keeps_wait(self, row: WaitRow) -> bool:
        return (
            (self.route is None or row.route == self.route)
            and (self.place is None or row.place == self.place)
            and (self.channel is None or row.channel == self.channel)
        )


EVERYTHING: Final = BookingScope()


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
    by_route: dict[str, dict[str, int]] = field(default_factory=dict)
    """Route → status → bookings."""
    by_place: dict[str, dict[str, int]] = field(default_factory=dict)
    """Place (``home`` for video from home) → status → bookings."""
    utilisation: dict[str, dict[str, float | int | None]] = field(default_factory=dict)
    """Place → ``offered`` (slot capacity of the period's open days), ``booked`` (bookings not cancelled) and
    ``rate`` (booked / offered, None when nothing was offered); the key ``*`` is every place together."""

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
            "by_route": self.by_route,
            "by_place": self.by_place,
            "utilisation": self.utilisation,
        }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _by(rows: list[BookingRow], key: str) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = {}
    for row in rows:
        out.setdefault(getattr(row, key), Counter())[row.status] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def utilisation(rows: Iterable[BookingRow], offered: Mapping[str, int]) -> dict[str, dict[str, float | int | None]]:
    """Booked capacity over offered capacity per place and for all (``*``): a booking takes one place of its slot
    unless it was cancelled (a no-show still held the place)."""
    held = Counter(r.place for r in rows if r.status != "cancelled")
    places = sorted(set(offered) | set(held))
    result: dict[str, dict[str, float | int | None]] = {}
    for place in [*places, "*"]:
        o = sum(offered.values()) if place == "*" else offered.get(place, 0)
        b = sum(held.values()) if place == "*" else held[place]
        result[place] = {"offered": o, "booked": b, "rate": round(b / o, 3) if o else None}
    return result


def compute(
    bookings: Iterable[BookingRow],
    waits: Iterable[WaitRow],
    offered: Mapping[str, int] | None = None,
    scope: BookingScope = EVERYTHING,
) -> BookingKpis:
    """The figures of the rows ``scope`` keeps; ``offered`` (place → slot capacity of the period, already for the
    scope's desks) adds the utilisation, narrowed to the scope's place."""
    rows = [r for r in bookings if scope.keeps(r)]
    if offered is not None and scope.place is not None:
        offered = {scope.place: offered.get(scope.place, 0)}
    statuses = Counter(r.status for r in rows)
    due = sum(statuses[s] for s in DUE)
    lead = [(r.start - r.created_at).total_seconds() / 3600 for r in rows if r.start >= r.created_at]
    answered = [w for w in waits if scope.keeps_wait(w)]
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
        by_route=_by(rows, "route"),
        by_place=_by(rows, "place"),
        utilisation={} if offered is None else utilisation(rows, offered),
    )
