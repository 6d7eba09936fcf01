"""What the bookings did over a period: volume, no-shows, cancellations, lead time, and how long booked residents
waited against walk-ins.

Why pure: the numbers are a few counts and medians over rows the edges read (bookings by their start, cases by
when they were requested); computing them here keeps the rules (what counts as due, what a no-show rate divides
by, what the reports page's filters mean for a booking) in one tested place, with no clock but the rows' own times.

The filters are the reports page's (route, place, booth, channel; :class:`ReportFilter`). A case has all four.
A booking has a route and a place but no booth or channel of its own, so: a booth filter keeps the bookings at the
booth's place (the edge looks the place up), and a channel filter keeps the bookings made for it
(:data:`CHANNEL_MODES`: ``booth`` → booked at a booth, ``chat`` → a video call from home; counter bookings belong to
neither). The offered capacity (utilisation) is narrowed the same way by the edge, and to the kept places here.
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

CHANNEL_MODES: Final[Mapping[str, frozenset[str]]] = {
    "booth": frozenset({"booth"}),
    "chat": frozenset({"video"}),
}
"""A report's channel → the booking modes that arrive through it (a booth check-in, a video call from home)."""


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
    booth: str | None = None
    place: str | None = None
    """The place of the case's booth (None for a chat, or a booth placed nowhere)."""


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """The reports page's filters as they apply to bookings and to the waits (module docstring)."""

    route: str | None = None
    place: str | None = None
    booth: str | None = None
    booth_place: str | None = None
    """The place the ``booth`` stands in, looked up by the edge (None: the booth is placed nowhere)."""
    channel: str | None = None

    def keeps_place(self, place: str) -> bool:
        if self.place is not None and place != self.place:
            return False
        return self.booth is None or place == self.booth_place

    def keeps_booking(self, row: BookingRow) -> bool:
        if self.route is not None and row.route != self.route:
            return False
        if self.channel is not None and row.mode not in CHANNEL_MODES.get(self.channel, frozenset()):
            return False
        return self.keeps_place(row.place)

    def keeps_wait(self, row: WaitRow) -> bool:
        return (
            (self.route is None or row.route == self.route)
            and (self.channel is None or row.channel == self.channel)
            and (self.booth is None or row.booth == self.booth)
            and (self.place is None or row.place == self.place)
        )

    def as_dict(self) -> dict[str, str]:
        """The filters in force, for the JSON and the workbook to say what they cover."""
        chosen = {"route": self.route, "place": self.place, "booth": self.booth, "channel": self.channel}
        return {k: v for k, v in chosen.items() if v is not None}


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
    where: ReportFilter | None = None,
) -> BookingKpis:
    """The figures of the rows ``where`` keeps; ``offered`` (place → slot capacity of the period, already narrowed
    to the filter's route and channel) adds the utilisation of the kept places."""
    where = where or ReportFilter()
    rows = [r for r in bookings if where.keeps_booking(r)]
    if offered is not None:
        offered = {place: size for place, size in offered.items() if where.keeps_place(place)}
    statuses = Counter(r.status for r in rows)
    due = sum(statuses[s] for s in DUE)
    lead = [(r.start - r.created_at).total_seconds() / 3600 for r in rows if r.start >= r.created_at]
    answered = [w for w in waits if where.keeps_wait(w)]
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
