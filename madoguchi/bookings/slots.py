"""Which times can be booked: the slot grid of a day, and the rules that refuse a booking.

Why pure: the same answer must come from the phone page, the console and the race-safe write, and must be
testable for any day and any "now" without a clock or a database. Callers pass ``now`` (aware) and the
number already booked per slot; this module decides, the storage layer only counts.

A slot belongs to a desk (``plan.Desk``) at one place; the desk's routes share its capacity. Slots start at
the opening time and follow each other every ``slot_minutes + buffer_minutes`` while they end inside the
opening window.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal

from madoguchi.bookings.plan import JST, WEEKDAYS, BookingPlan, Desk, Mode
from madoguchi.domain.opening_hours import OpeningHours, open_through

Refusal = Literal[
    "unknown_route",
    "unknown_place",
    "closed_day",
    "past_slot",
    "too_late",
    "beyond_horizon",
    "no_such_slot",
    "full",
    "no_ferry",
]

REFUSALS: Final[Mapping[Refusal, str]] = {
    "unknown_route": "this topic cannot be booked",
    "unknown_place": "this topic cannot be booked at this place",
    "closed_day": "the office is closed on that day",
    "past_slot": "that time has already passed",
    "too_late": "that time is too soon to book; choose a later time",
    "beyond_horizon": "that day is too far ahead to book yet",
    "no_such_slot": "there is no booking time starting then",
    "full": "that time is fully booked; choose another time",
    "no_ferry": "no ferry lets you arrive before that time and get home after it",
}
"""Every refusal and its one English sentence (the pages show the catalog's ``book.error.<code>``)."""


class BookingRefused(Exception):
    """A booking or a slot search the plan does not allow; ``code`` is one of :data:`REFUSALS`."""

    def __init__(self, code: Refusal) -> None:
        super().__init__(REFUSALS[code])
        self.code: Refusal = code


@dataclass(frozen=True, slots=True)
class Slot:
    desk: str
    mode: Mode
    place: str
    start: datetime
    """Aware, in JST."""
    end: datetime
    capacity: int

    @property
    def key(self) -> SlotKey:
        return SlotKey(self.desk, self.place, self.start.astimezone(UTC))


@dataclass(frozen=True, slots=True)
class SlotKey:
    """What capacity is counted by: one desk at one place at one start time (UTC)."""

    desk: str
    place: str
    start: datetime


@dataclass(frozen=True, slots=True)
class Offer:
    slot: Slot
    free: int


def local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one")
    return moment.astimezone(JST)


def desk_open_on(desk: Desk, day: date) -> bool:
    return WEEKDAYS[day.weekday()] in desk.days


def desk_slots(desk: Desk, place: str, day: date) -> Iterator[Slot]:
    """The desk's grid on ``day`` at ``place``, ignoring holidays and the clock."""
    if not desk_open_on(desk, day):
        return
    length = timedelta(minutes=desk.slot_minutes)
    step = length + timedelta(minutes=desk.buffer_minutes)
    for window in sorted(desk.hours, key=lambda h: h.start):
        start = datetime.combine(day, window.start, JST)
        close = datetime.combine(day, window.end, JST)
        while start + length <= close:
            yield Slot(desk.id, desk.mode, place, start, start + length, desk.capacity)
            start += step


def day_slots(
    plan: BookingPlan,
    route: str,
    day: date,
    *,
    place: str | None = None,
    hours: OpeningHours | None = None,
) -> list[Slot]:
    """Every slot of ``route`` on ``day`` (at ``place`` if given), in time order; raises for an unknown
    route or place and for a closed day (a national holiday is closed unless the town's ``hours`` open it).

    With the town's ``hours`` (the calendar /admin and ``madoguchi hours`` keep), only slots the route's counter
    is open for from start to end are kept (:func:`~madoguchi.domain.opening_hours.open_through`, the same rule
    that names the bookings a change of hours closes); a day whose hours keep none (a weekday the hours close)
    is a closed day."""
    desks = [d for d in plan.desks if d.serves(route)]
    if not desks:
        raise BookingRefused("unknown_route")
    if place is not None:
        desks = [d for d in desks if place in d.place_ids]
        if not desks:
            raise BookingRefused("unknown_place")
    if plan.is_closed(day, hours=hours) or not any(desk_open_on(d, day) for d in desks):
        raise BookingRefused("closed_day")
    slots = [
        slot
        for desk in desks
        for where in desk.place_ids
        if place is None or where == place
        for slot in desk_slots(desk, where, day)
        if kept_open(hours, route, slot)
    ]
    if not slots:
        raise BookingRefused("closed_day")
    return sorted(slots, key=lambda s: (s.start, s.place))


def kept_open(hours: OpeningHours | None, route: str | None, slot: Slot) -> bool:
    """Whether the town's ``hours`` keep ``route``'s counter (None: the town's default) open for the whole slot
    (no hours given: the plan alone decides)."""
    return hours is None or open_through(hours, route, slot.start, slot.end)


def open_days(
    plan: BookingPlan,
    desk: Desk,
    place: str,
    days: Iterator[date] | list[date],
    *,
    route: str | None = None,
    hours: OpeningHours | None = None,
    now: datetime | None = None,
    booked: Mapping[SlotKey, int] | None = None,
) -> list[date]:
    """The days of ``days`` on which ``desk`` offers at least one slot at ``place`` for ``route`` (None: by the
    town's default hours): what the booking pages list, by the rule :func:`day_slots` offers slots by.

    With ``now``, a slot counts only while one may still book it (:func:`check_time`: not begun, not within the
    minimum notice, inside the horizon); with ``booked``, only while it has a free place. So today at 15:05, with
    the last slot at 15:30 and an hour's notice, today is not listed: a day is offered only if it has a time the
    resident can actually take, never to say 「空いている時間は ありません」 once chosen."""
    return [
        day
        for day in days
        if not plan.is_closed(day, hours=hours)
        and any(
            kept_open(hours, route, slot) and _bookable(plan, slot, now, booked)
            for slot in desk_slots(desk, place, day)
        )
    ]


def _bookable(plan: BookingPlan, slot: Slot, now: datetime | None, booked: Mapping[SlotKey, int] | None) -> bool:
    if now is not None:
        try:
            check_time(plan, slot, now)
        except BookingRefused:
            return False
    return booked is None or slot.capacity - booked.get(slot.key, 0) > 0


def offered_capacity(
    plan: BookingPlan,
    first: date,
    last: date,
    *,
    route: str | None = None,
    modes: frozenset[str] | None = None,
    hours: OpeningHours | None = None,
) -> dict[str, int]:
    """Per place, the capacity of every slot of ``first..last`` (both included) on the days the office opens:
    what "slot utilisation" divides by. Past slots count (they were offered); closed days and holidays do not.

    ``route`` and ``modes`` narrow it to the desks serving that route, of those modes (a report's filters);
    ``hours`` is the town's calendar the alarms and the booth's "closed now" use (the admin's closed dates, 年末年始):
    a day it closes offers nothing either, so the two never disagree about which days the office was open."""
    desks = [d for d in plan.desks if (route is None or d.serves(route)) and (modes is None or d.mode in modes)]
    offered: dict[str, int] = {}
    day = first
    while day <= last:
        if not plan.is_closed(day, hours=hours):
            for desk in desks:
                for place in desk.place_ids:
                    size = sum(slot.capacity for slot in desk_slots(desk, place, day) if kept_open(hours, route, slot))
                    if size:
                        offered[place] = offered.get(place, 0) + size
        day += timedelta(days=1)
    return dict(sorted(offered.items()))


def bookable_window(plan: BookingPlan, now: datetime) -> tuple[datetime, date]:
    """The earliest start one may book now, and the last day one may book."""
    earliest = local(now) + timedelta(minutes=plan.min_notice_minutes)
    return earliest, local(now).date() + timedelta(days=plan.horizon_days)


def check_time(plan: BookingPlan, slot: Slot, now: datetime) -> None:
    """Refuse a slot that has begun, starts within the minimum notice, or lies beyond the horizon."""
    earliest, last_day = bookable_window(plan, now)
    if slot.start <= local(now):
        raise BookingRefused("past_slot")
    if slot.start < earliest:
        raise BookingRefused("too_late")
    if slot.start.date() > last_day:
        raise BookingRefused("beyond_horizon")


def offers(
    plan: BookingPlan,
    route: str,
    day: date,
    now: datetime,
    booked: Mapping[SlotKey, int],
    *,
    place: str | None = None,
    hours: OpeningHours | None = None,
) -> list[Offer]:
    """The slots one can still book on ``day``, each with its free places (full ones included with 0, so a
    page can show them greyed; past and too-soon ones left out)."""
    _, last_day = bookable_window(plan, now)
    if day > last_day:
        raise BookingRefused("beyond_horizon")
    if day < local(now).date():
        raise BookingRefused("past_slot")
    result: list[Offer] = []
    for slot in day_slots(plan, route, day, place=place, hours=hours):
        try:
            check_time(plan, slot, now)
        except BookingRefused:
            continue
        result.append(Offer(slot, max(0, slot.capacity - booked.get(slot.key, 0))))
    return result


def find_slot(
    plan: BookingPlan,
    route: str,
    place: str,
    start: datetime,
    now: datetime,
    *,
    hours: OpeningHours | None = None,
) -> Slot:
    """The slot of ``route`` at ``place`` starting at ``start``, if one may book it now (capacity is the
    storage layer's to check, atomically)."""
    if plan.desk_for(route, place) is None:
        raise BookingRefused("unknown_route" if not any(d.serves(route) for d in plan.desks) else "unknown_place")
    wanted = local(start)
    if wanted <= local(now):
        raise BookingRefused("past_slot")
    slots = day_slots(plan, route, wanted.date(), place=place, hours=hours)
    slot = next((s for s in slots if s.start == wanted), None)
    if slot is None:
        raise BookingRefused("no_such_slot")
    check_time(plan, slot, now)
    return slot
