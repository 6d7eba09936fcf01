"""Opening hours per route and holidays, and the one question other features ask: is the counter open now?

Why a pure module with the time passed in: the supervisor's alarms ("booth offline during its opening hours"),
the wait messages and the booth's "closed now" screen all need the same answer, and each must be testable with
a fixed clock. Hours are in Japan time (the counters are in Japan and have no daylight saving time).

A schedule is data: for each weekday (0 = Monday) a tuple of ``(start, end)`` windows in minutes after
midnight, plus dates the counter is closed. A route without its own schedule uses the municipality's default
(the key :data:`DEFAULT_ROUTE`); with neither, the counter counts as always open (nothing configured is never a
reason to turn residents away).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Final

JST: Final = timezone(timedelta(hours=9), "JST")
DEFAULT_ROUTE: Final = "*"
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")

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


def open_now(hours: OpeningHours, route: str | None, at: datetime) -> bool:
    """Whether ``route``'s counter (None: the municipality's default) is open at the aware time ``at``."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    schedule = hours.routes.get(route or DEFAULT_ROUTE) or hours.routes.get(DEFAULT_ROUTE)
    if schedule is None:
        return True
    local = at.astimezone(JST)
    if local.date() in hours.holidays:
        return False
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in schedule.weekly.get(local.weekday(), ()))


def layered(base: OpeningHours, override: OpeningHours) -> OpeningHours:
    """The override's routes replace the base's route by route; holidays are the union of both."""
    return OpeningHours({**base.routes, **override.routes}, base.holidays | override.holidays)
