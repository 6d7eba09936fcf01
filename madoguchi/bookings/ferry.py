"""Booking around the ferry: a resident of another island may only book a time they can reach by boat and
leave early enough to catch a boat home.

Why it matters: on an island the last boat is the real closing time. A visit fits a line's timetable when
some boat arrives at least ``walk_minutes`` before the slot starts, and some boat leaves at least
``walk_minutes + margin_minutes`` after it ends; the booking remembers the two boats it relies on, so when
the office cancels a sailing the bookings that depended on it can be found and told.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final, Literal

from madoguchi.bookings.plan import JST, WEEKDAYS, BookingPlan, FerryLine
from madoguchi.bookings.slots import BookingRefused, Offer, SlotKey, local, offers

Direction = Literal["in", "out"]
"""``in``: towards the places (arrival); ``out``: back home (departure)."""

DIRECTIONS: Final[tuple[Direction, ...]] = ("in", "out")


@dataclass(frozen=True, slots=True, order=True)
class Sailing:
    line: str
    day: date
    direction: Direction
    at: time

    def departs(self) -> datetime:
        return datetime.combine(self.day, self.at, JST)


@dataclass(frozen=True, slots=True)
class Trip:
    """The boat that brings the resident and the boat that takes them home."""

    arrive: Sailing
    leave: Sailing


@dataclass(frozen=True, slots=True)
class FerryBooking:
    """What :func:`affected` needs to know of a booking."""

    code: str
    line: str
    day: date
    arrive: time
    leave: time


def lines_for(plan: BookingPlan, place: str) -> tuple[FerryLine, ...]:
    return tuple(line for line in plan.ferries if place in line.places)


def runs_on(line: FerryLine, day: date) -> bool:
    return WEEKDAYS[day.weekday()] in line.days


def trip(line: FerryLine, start: datetime, end: datetime, cancelled: Collection[Sailing] = ()) -> Trip | None:
    """The latest arrival and the earliest departure that fit a visit from ``start`` to ``end``, skipping
    cancelled sailings; None when no pair fits."""
    day = local(start).date()
    if not runs_on(line, day):
        return None
    walk = timedelta(minutes=line.walk_minutes)
    home_by = local(end) + walk + timedelta(minutes=line.margin_minutes)
    arrivals = [
        sailing
        for at in line.arrivals
        if (sailing := Sailing(line.id, day, "in", at)) not in cancelled and sailing.departs() + walk <= local(start)
    ]
    departures = [
        sailing
        for at in line.departures
        if (sailing := Sailing(line.id, day, "out", at)) not in cancelled and sailing.departs() >= home_by
    ]
    if not arrivals or not departures:
        return None
    return Trip(arrive=arrivals[-1], leave=departures[0])


def fitting(line: FerryLine, found: Iterable[Offer], cancelled: Collection[Sailing] = ()) -> list[tuple[Offer, Trip]]:
    """The offers a resident on ``line`` can reach and get home from."""
    return [(offer, t) for offer in found if (t := trip(line, offer.slot.start, offer.slot.end, cancelled))]


def affected(bookings: Iterable[FerryBooking], sailing: Sailing) -> list[FerryBooking]:
    """The bookings that relied on ``sailing`` (to arrive, or to get home)."""
    relied: Mapping[Direction, str] = {"in": "arrive", "out": "leave"}
    return [
        b
        for b in bookings
        if b.line == sailing.line and b.day == sailing.day and getattr(b, relied[sailing.direction]) == sailing.at
    ]


def next_fitting(
    plan: BookingPlan,
    line: FerryLine,
    *,
    route: str,
    place: str,
    after: datetime,
    now: datetime,
    booked: Mapping[SlotKey, int],
    cancelled: Collection[Sailing] = (),
    limit: int = 3,
) -> list[tuple[Offer, Trip]]:
    """Up to ``limit`` free slots from ``after`` on that fit the line's remaining sailings, day by day up to
    the booking horizon (what a resident whose boat was cancelled is offered instead)."""
    found: list[tuple[Offer, Trip]] = []
    day = max(local(after).date(), local(now).date())
    last = local(now).date() + timedelta(days=plan.horizon_days)
    while day <= last and len(found) < limit:
        try:
            candidates = [o for o in offers(plan, route, day, now, booked, place=place) if o.free > 0]
        except BookingRefused:
            candidates = []
        found.extend(p for p in fitting(line, candidates, cancelled) if p[0].slot.start >= local(after))
        day += timedelta(days=1)
    return found[:limit]
