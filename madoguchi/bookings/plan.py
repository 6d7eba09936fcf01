"""The office's booking plan and ferry timetables, as the ``booking:`` section of the municipality file.

Why pydantic models here and nothing else: staff write this section by hand next to the places and routes it
names, so it is validated with the rest of ``municipality.yaml`` (``madoguchi.chatbot.knowledge``), and a
mistake comes back as one ``file:line: …`` sentence. The slot, check-in and ferry rules that read the plan are
pure functions in the sibling modules; nothing here does I/O or knows the time.

All clock times in the plan are Japan Standard Time (UTC+9, no daylight saving), as staff read them.
"""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta, timezone
from typing import Annotated, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from madoguchi.domain.holidays import JAPAN, HolidayCalendar
from madoguchi.domain.languages import fallback_chain
from madoguchi.domain.opening_hours import OpeningHours

JST: Final = timezone(timedelta(hours=9), "JST")
HOME: Final = "home"
"""The place of a booking for a video call from home: the resident's own phone, no place of the town."""

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""``date.weekday()`` → the short name staff write in the plan."""

Mode = Literal["booth", "counter", "video"]
"""How the resident meets staff: at a named booth, at the main office's counter, or on video from home."""

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PlanId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]


def _clock(value: object) -> object:
    """YAML reads an unquoted ``8:30`` as the number 510 (sexagesimal); staff mean a clock time."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value // 60}:{value % 60:02d}"
    return value


def parse_clock(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{text!r} is not a clock time like 8:30")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f"{text!r} is not a clock time like 8:30")
    return time(h, m)


Clock = Annotated[time, BeforeValidator(lambda v: parse_clock(str(_clock(v))) if not isinstance(v, time) else v)]


class Hours(BaseModel):
    """One opening window such as ``8:30-12:00``."""

    model_config = ConfigDict(frozen=True)

    start: time
    end: time

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        if isinstance(value, str):
            first, sep, second = value.replace("〜", "-").replace("~", "-").partition("-")
            if not sep:
                raise ValueError(f"{value!r} is not a time range like 8:30-12:00")
            return {"start": parse_clock(first), "end": parse_clock(second)}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Hours:
        if self.end <= self.start:
            raise ValueError(f"opening hours end before they start ({self.start:%H:%M}-{self.end:%H:%M})")
        return self


class Desk(BaseModel):
    """A pool of slots: the routes it serves share its capacity, at each of its places separately."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: PlanId
    mode: Mode
    places: tuple[PlanId, ...] = ()
    routes: tuple[str, ...] = Field(min_length=1, description="route ids, or ['*'] for every route")
    days: tuple[Weekday, ...] = Field(min_length=1)
    hours: tuple[Hours, ...] = Field(min_length=1)
    slot_minutes: int = Field(ge=5, le=240)
    buffer_minutes: int = Field(default=0, ge=0, le=120)
    capacity: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _places_fit_mode(self) -> Desk:
        if self.mode == "video" and self.places not in ((), (HOME,)):
            raise ValueError("a video desk takes calls at home: leave 'places' out")
        if self.mode != "video" and not self.places:
            raise ValueError(f"a {self.mode} desk needs at least one place")
        ordered = sorted(self.hours, key=lambda h: h.start)
        for earlier, later in itertools.pairwise(ordered):
            if later.start < earlier.end:
                raise ValueError(f"opening hours overlap ({earlier.start:%H:%M} and {later.start:%H:%M})")
        return self

    @property
    def place_ids(self) -> tuple[str, ...]:
        return (HOME,) if self.mode == "video" else self.places

    def serves(self, route: str) -> bool:
        return "*" in self.routes or route in self.routes


class CheckinRules(BaseModel):
    """When a booked resident counts as on time at the booth, and when a booking becomes a no-show."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    early_minutes: int = Field(default=15, ge=0, le=240)
    late_minutes: int = Field(default=10, ge=0, le=240)
    no_show_minutes: int = Field(default=20, ge=0, le=240)

    @model_validator(mode="after")
    def _no_show_after_late(self) -> CheckinRules:
        if self.no_show_minutes < self.late_minutes:
            raise ValueError("no_show_minutes must not be shorter than late_minutes")
        return self


class FerryLine(BaseModel):
    """The boats a resident of another island takes to reach ``places`` and to get home again.

    ``arrivals`` are the times boats arrive at the port near the places; ``departures`` the times boats
    leave that port for home. A visit fits when the resident can walk from an arrival to the start of the
    slot and from its end to a departure with ``margin_minutes`` to spare.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: PlanId
    name: dict[str, str] = Field(min_length=1, description="{ja: 凪島航路, en: …}")
    home: dict[str, str] = Field(min_length=1, description="where the residents come from: {ja: 凪島, …}")
    places: tuple[PlanId, ...] = Field(min_length=1)
    days: tuple[Weekday, ...] = Field(min_length=1)
    arrivals: tuple[Clock, ...] = Field(min_length=1)
    departures: tuple[Clock, ...] = Field(min_length=1)
    walk_minutes: int = Field(default=10, ge=0, le=180)
    margin_minutes: int = Field(default=15, ge=0, le=180)

    @field_validator("arrivals", "departures")
    @classmethod
    def _sorted(cls, times: tuple[time, ...]) -> tuple[time, ...]:
        if list(times) != sorted(set(times)):
            raise ValueError("list the sailings in order, each once")
        return times

    def label(self, language: str) -> str:
        """The line's name in ``language`` or the first of its fallbacks (Vietnamese → English → Japanese)."""
        return _in_language(self.name, language)

    def home_in(self, language: str) -> str:
        """Where its residents come from, in ``language`` or a fallback: a Vietnamese page said 「Tôi đi tàu từ
        凪島」 when the file named the island only in Japanese and English."""
        return _in_language(self.home, language)


def _in_language(texts: dict[str, str], language: str) -> str:
    return next((texts[code] for code in fallback_chain(language) if texts.get(code)), next(iter(texts.values())))


class BookingPlan(BaseModel):
    """The whole ``booking:`` section."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    horizon_days: int = Field(default=30, ge=1, le=366, description="how far ahead one can book")
    min_notice_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60, description="how late one can book")
    closed_dates: tuple[date, ...] = Field(default=(), description="holidays: the office is closed")
    closed_every_year: tuple[Annotated[str, Field(pattern=r"^\d{2}-\d{2}$")], ...] = Field(
        default=(), description="MM-DD closed every year (年末年始)"
    )
    national_holidays: bool = Field(default=True, description="closed on 祝日, 振替休日 and 国民の休日")
    checkin: CheckinRules = CheckinRules()
    desks: tuple[Desk, ...] = Field(min_length=1)
    ferries: tuple[FerryLine, ...] = ()

    @model_validator(mode="after")
    def _unambiguous(self) -> BookingPlan:
        taken: list[tuple[str, str, str]] = []  # (place, route, desk id)
        for desk in self.desks:
            if any(desk.id == other for _, _, other in taken):
                raise ValueError(f"desk id '{desk.id}' is used twice")
            for place in desk.place_ids:
                for route in desk.routes:
                    for other_place, other_route, other in taken:
                        if other_place == place and (route == other_route or "*" in (route, other_route)):
                            raise ValueError(f"desks '{other}' and '{desk.id}' both book route {route} at {place}")
                    taken.append((place, route, desk.id))
        if len({line.id for line in self.ferries}) != len(self.ferries):
            raise ValueError("two ferry lines share an id")
        return self

    def desk_for(self, route: str, place: str) -> Desk | None:
        return next((d for d in self.desks if place in d.place_ids and d.serves(route)), None)

    def desk(self, desk_id: str) -> Desk | None:
        return next((d for d in self.desks if d.id == desk_id), None)

    def ferry(self, line_id: str) -> FerryLine | None:
        return next((f for f in self.ferries if f.id == line_id), None)

    def place_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for d in self.desks for p in d.place_ids))

    def route_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for d in self.desks for r in d.routes))

    def is_closed(
        self,
        day: date,
        *,
        calendar: HolidayCalendar = JAPAN,
        hours: OpeningHours | None = None,
    ) -> bool:
        """A closed date, a yearly closed day, or a national holiday not opened by ``hours`` (the holidays the
        admin opened on /admin).

        ``hours`` is the town's opening hours in force (the calendar the supervisor's alarms, the wait messages and
        the booth's "closed now" use): its closed dates and yearly spans close bookings too, its opened holidays
        open them, and its holiday calendar is the one asked; so a day is never open for one and closed for the
        other (:meth:`closed_hours` gives the other direction)."""
        if day in self.closed_dates or f"{day:%m-%d}" in self.closed_every_year:
            return True
        opened: frozenset[date] = frozenset()
        if hours is not None:
            if hours.closed_by_town(day):
                return True
            opened = hours.open_holidays
            calendar = hours.calendar or calendar
        return self.national_holidays and day not in opened and calendar.name(day) is not None

    def closed_hours(self) -> OpeningHours:
        """The plan's own closed days as opening hours without a week (for :func:`~madoguchi.domain.opening_hours.
        layered`): the counter's hours then close on them as well, e.g. a town's 年末年始 written only here."""
        days = tuple(((int(md[:2]), int(md[3:])),) * 2 for md in self.closed_every_year)
        return OpeningHours(holidays=frozenset(self.closed_dates), yearly=days)
