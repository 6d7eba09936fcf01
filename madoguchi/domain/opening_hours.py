"""Opening hours per route and holidays, and the one question other features ask: is the counter open now?

Why a pure module with the time passed in: the supervisor's alarms ("booth offline during its opening hours"),
the wait messages and the booth's "closed now" screen all need the same answer, and each must be testable with
a fixed clock. Hours are in Japan time (the counters are in Japan and have no daylight saving time).

A schedule is data: for each weekday (0 = Monday) a tuple of ``(start, end)`` windows in minutes after
midnight, plus dates the counter is closed. A route without its own schedule uses the municipality's default
(the key :data:`DEFAULT_ROUTE`); with neither, the counter counts as always open (nothing configured is never a
reason to turn residents away).

National holidays (祝日, with 振替休日 and 国民の休日) close the counter by default: the spec's
``national_holidays`` (true unless the town says otherwise) and a :class:`~madoguchi.domain.holidays.HolidayCalendar`
decide them, and ``open_holidays`` lists the holidays the admin opened anyway. Other closed days are single dates (a
town event) and yearly spans such as 年末年始
(``12-29..01-03``, which wraps over New Year). The same plain data (:class:`HoursSpec`) is written in the
municipality file (``opening_hours:``, the default) and stored by the admin page (the override); both are read by
:func:`hours_of` into :class:`OpeningHours`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from madoguchi.domain.holidays import JAPAN, HolidayCalendar
from madoguchi.domain.routes import ROUTE_IDS

JST: Final = timezone(timedelta(hours=9), "JST")
DEFAULT_ROUTE: Final = "*"
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
_SPAN = re.compile(r"(\d{2})-(\d{2})\.\.(\d{2})-(\d{2})")
MonthDay = tuple[int, int]

Window = tuple[int, int]
"""Minutes after midnight, ``start`` inclusive, ``end`` exclusive; ``end`` may be 1440 (midnight)."""


class HoursError(ValueError):
    """A schedule text that cannot be read; the message says which part and how to write it."""


@dataclass(frozen=True, slots=True)
class Schedule:
    weekly: Mapping[int, tuple[Window, ...]]
    """Weekday (0 = Monday) to its open windows; a missing weekday is closed all day."""


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """A municipality's hours: per route (``DEFAULT_ROUTE`` for every route without its own) and closed days."""

    routes: Mapping[str, Schedule] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    yearly: tuple[tuple[MonthDay, MonthDay], ...] = ()
    """Spans closed every year, ``((12, 29), (1, 3))`` = 29 December to 3 January, both included."""
    calendar: HolidayCalendar | None = None
    """Closed on this calendar's holidays (None: holidays are ordinary days)."""
    open_holidays: frozenset[date] = frozenset()
    """Holidays of ``calendar`` the counter opens on anyway (a closed date or span still wins)."""

    def closed_on(self, day: date) -> bool:
        """A closed date, inside a yearly closed span, or a national holiday not opened."""
        if self.closed_by_town(day):
            return True
        return self.calendar is not None and day not in self.open_holidays and self.calendar.name(day) is not None

    def closed_by_town(self, day: date) -> bool:
        """One of the town's own closed days (a date, or inside a yearly span such as 年末年始), whatever the
        national calendar says: what the booking plan adds to its own closed days."""
        return day in self.holidays or any(_in_span(day, first, last) for first, last in self.yearly)


def _in_span(day: date, first: MonthDay, last: MonthDay) -> bool:
    md = (day.month, day.day)
    return first <= md <= last if first <= last else (md >= first or md <= last)


def parse_windows(text: str) -> tuple[Window, ...]:
    """``"08:30-12:00,13:00-17:15"`` → windows; ``""`` or ``"closed"`` → closed all day."""
    text = text.strip()
    if text in ("", "closed", "-"):
        return ()
    windows: list[Window] = []
    for part in (p.strip() for p in text.split(",")):
        match = _WINDOW.fullmatch(part)
        if match is None:
            raise HoursError(f"{part!r} is not a time range like 08:30-17:15")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise HoursError(f"{part!r} has an impossible time")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            raise HoursError(f"{part!r} ends before it starts")
        windows.append((start, end))
    windows.sort()
    for (_, end), (start, _) in itertools.pairwise(windows):
        if start < end:
            raise HoursError(f"the time ranges in {text!r} overlap")
    return tuple(windows)


def format_windows(windows: tuple[Window, ...]) -> str:
    return ",".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in windows) or "closed"


def parse_schedule(days: Mapping[str, str]) -> Schedule:
    """``{"mon": "08:30-17:15", …}`` (weekdays left out are closed) → a :class:`Schedule`."""
    unknown = sorted(set(days) - set(WEEKDAYS))
    if unknown:
        raise HoursError(f"unknown weekday(s) {', '.join(unknown)}; use {', '.join(WEEKDAYS)}")
    return Schedule({WEEKDAYS.index(day): parse_windows(text) for day, text in days.items()})


def parse_holiday(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise HoursError(f"{text!r} is not a date like 2026-12-29") from None


def _schedule(hours: OpeningHours, route: str | None, at: datetime) -> Schedule | None:
    """``route``'s week (None: the municipality's default), or None when neither has one; ``at`` must be aware."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    return hours.routes.get(route or DEFAULT_ROUTE) or hours.routes.get(DEFAULT_ROUTE)


def open_now(hours: OpeningHours, route: str | None, at: datetime) -> bool:
    """Whether ``route``'s counter (None: the municipality's default) is open at the aware time ``at``."""
    schedule = _schedule(hours, route, at)
    if schedule is None:
        return True
    local = at.astimezone(JST)
    if hours.closed_on(local.date()):
        return False
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in schedule.weekly.get(local.weekday(), ()))


def open_through(hours: OpeningHours, route: str | None, start: datetime, end: datetime) -> bool:
    """Whether ``route``'s counter (None: the municipality's default) is open for the whole of the aware times
    ``start`` to ``end``: one open window of an open day holds both. The one rule for a booked time: the booking
    page offers only such slots, and a change of hours that makes a booked time fail it names that booking first
    (/admin and ``madoguchi hours``), so the office never offers or keeps a time it will not open for unnoticed.
    A route without a schedule is always open (as :func:`open_now`)."""
    schedule = _schedule(hours, route, start)
    if schedule is None:
        return True
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    first, last = start.astimezone(JST), end.astimezone(JST)
    if last <= first:
        raise ValueError("end must come after start")
    if hours.closed_on(first.date()):
        return False
    opens = first.hour * 60 + first.minute
    # a time ending at the next midnight ends at minute 1440 of its day; later than that it spans two days
    span = last - datetime(first.year, first.month, first.day, tzinfo=JST)
    closes = -(-span // timedelta(minutes=1))  # whole minutes, rounded up
    if closes > 1440:
        return False
    return any(start_m <= opens and closes <= end_m for start_m, end_m in schedule.weekly.get(first.weekday(), ()))


def next_boundary(hours: OpeningHours, route: str | None, at: datetime) -> datetime | None:
    """The first moment after the aware time ``at`` at which :func:`open_now` for ``route`` may turn: a window's
    start or end, or a local midnight (a closed day begins or ends). None when the route has no schedule (always
    open). Why: a waiting resident's "closed" notice changes with the clock alone, and the edge must know when to
    look again (:func:`madoguchi.signaling.no_answer.next_reason_change`)."""
    schedule = _schedule(hours, route, at)
    if schedule is None:
        return None
    local = at.astimezone(JST)
    for offset in range(2):
        day = local.date() + timedelta(days=offset)
        midnight = datetime(day.year, day.month, day.day, tzinfo=JST)
        minutes = sorted({0, *(m for window in schedule.weekly.get(day.weekday(), ()) for m in window if m < 1440)})
        for minute in minutes:
            moment = midnight + timedelta(minutes=minute)
            if moment > local:
                return moment
    return None  # unreachable: tomorrow's midnight is always after ``at``


NEXT_OPENING_LOOKAHEAD = 400
"""How many boundaries :func:`next_opening` looks through: more than a year of closed days and windows."""


def next_opening(hours: OpeningHours, route: str | None, at: datetime) -> datetime | None:
    """When ``route``'s counter next opens after the aware time ``at`` (``at`` itself when it is open now); None
    when it never opens within :data:`NEXT_OPENING_LOOKAHEAD` boundaries (no window in the week). Why: a resident
    waiting in the chat outside the hours is told when the office opens, not only that it is closed (ux14)."""
    moment: datetime | None = at
    for _ in range(NEXT_OPENING_LOOKAHEAD):
        if moment is None or open_now(hours, route, moment):
            return moment
        moment = next_boundary(hours, route, moment)
    return None


def layered(base: OpeningHours, override: OpeningHours) -> OpeningHours:
    """The override's routes replace the base's route by route; holidays are the union of both."""
    return OpeningHours(
        {**base.routes, **override.routes},
        base.holidays | override.holidays,
        (*base.yearly, *override.yearly),
        override.calendar if override.calendar is not None else base.calendar,
        base.open_holidays | override.open_holidays,
    )


OFFICE_HOURS: Final = OpeningHours(
    {DEFAULT_ROUTE: Schedule({day: ((8 * 60 + 30, 17 * 60 + 15),) for day in range(5)})}, calendar=JAPAN
)
"""Weekdays 08:30-17:15 but national holidays: what the supervisor's booth alarm assumes for a town that
configured no hours."""


def parse_span(text: str) -> tuple[MonthDay, MonthDay]:
    """``"12-29..01-03"`` → ``((12, 29), (1, 3))``; each end must be a real day of some year."""
    match = _SPAN.fullmatch(text.strip())
    if match is None:
        raise HoursError(f"{text!r} is not a yearly span like 12-29..01-03 (month-day..month-day)")
    m1, d1, m2, d2 = (int(g) for g in match.groups())
    for month, day in ((m1, d1), (m2, d2)):
        try:
            date(2024, month, day)  # a leap year: 02-29 is a real day
        except ValueError:
            raise HoursError(f"{text!r} has an impossible day {month:02d}-{day:02d}") from None
    return (m1, d1), (m2, d2)


def format_span(span: tuple[MonthDay, MonthDay]) -> str:
    (m1, d1), (m2, d2) = span
    return f"{m1:02d}-{d1:02d}..{m2:02d}-{d2:02d}"


WeekText = dict[str, str]


class HoursSpec(BaseModel):
    """Opening hours as plain data: the municipality file's ``opening_hours:`` and the admin's stored version.

    ``weekly``: weekday → windows text (``"08:30-12:00,13:00-17:15"``, ``"closed"``); a weekday left out is closed.
    ``routes``: a route's own week, for a desk with other hours. ``closed``: dates. ``closed_yearly``: spans.
    ``national_holidays``: closed on 祝日 (the default). ``open_holidays``: 祝日 the counter opens on anyway."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekly: WeekText
    routes: dict[str, WeekText] = Field(default_factory=dict)
    closed: Annotated[list[date], Field(max_length=400)] = Field(default_factory=list)
    closed_yearly: Annotated[list[str], Field(max_length=20)] = Field(default_factory=list)
    national_holidays: bool = True
    open_holidays: Annotated[list[date], Field(max_length=100)] = Field(default_factory=list)

    @field_validator("weekly")
    @classmethod
    def _week(cls, value: WeekText) -> WeekText:
        return _canonical_week(value)

    @field_validator("routes")
    @classmethod
    def _routes(cls, value: dict[str, WeekText]) -> dict[str, WeekText]:
        return {route: _canonical_week(week) for route, week in value.items()}

    @field_validator("closed", "open_holidays")
    @classmethod
    def _dates(cls, value: list[date]) -> list[date]:
        return sorted(set(value))

    @field_validator("closed_yearly")
    @classmethod
    def _spans(cls, value: list[str]) -> list[str]:
        try:
            return [format_span(parse_span(text)) for text in value]
        except HoursError as error:
            raise ValueError(str(error)) from None

    @model_validator(mode="after")
    def _route_ids(self) -> HoursSpec:
        unknown = sorted(set(self.routes) - set(ROUTE_IDS))
        if unknown:
            raise ValueError(f"unknown route(s) {', '.join(unknown)}")
        return self


def _canonical_week(week: Mapping[str, str]) -> WeekText:
    try:
        schedule = parse_schedule(week)
    except HoursError as error:
        raise ValueError(str(error)) from None
    return {day: format_windows(schedule.weekly.get(i, ())) for i, day in enumerate(WEEKDAYS)}


def week_of(spec: HoursSpec, route: str | None) -> WeekText:
    """The week ``route``'s counter keeps (its own, else the town's), weekday → windows text or ``closed``."""
    return dict(spec.routes.get(route or DEFAULT_ROUTE) or spec.weekly)


def closed_day(hours: OpeningHours, at: datetime) -> bool:
    """Whether the (aware) time ``at`` falls on a closed date or in a yearly closed span, in Japan time."""
    return hours.closed_on(at.astimezone(JST).date())


def hours_of(spec: HoursSpec, calendar: HolidayCalendar = JAPAN) -> OpeningHours:
    """The :class:`OpeningHours` a (validated) spec describes; ``calendar`` says which days are national holidays."""
    routes = {DEFAULT_ROUTE: parse_schedule(spec.weekly)}
    routes.update({route: parse_schedule(week) for route, week in spec.routes.items()})
    return OpeningHours(
        routes,
        frozenset(spec.closed),
        tuple(parse_span(text) for text in spec.closed_yearly),
        calendar if spec.national_holidays else None,
        frozenset(spec.open_holidays),
    )


def hours_in_force(spec: HoursSpec | None, calendar: HolidayCalendar = JAPAN) -> OpeningHours:
    """The hours a town keeps under ``spec`` (the admin's or its file's); with none, :data:`OFFICE_HOURS` (weekdays
    08:30-17:15 but ``calendar``'s holidays): what the server goes by, and what a change of hours is checked
    against before it is stored."""
    return replace(OFFICE_HOURS, calendar=calendar) if spec is None else hours_of(spec, calendar)
