"""Japanese national holidays (国民の祝日), asked through one small Protocol.

Why a Protocol over a library: which days are holidays is law (祝日法), changed now and then (the Olympics moved
three in 2020-21), so we take it from a well-kept library, ``jpholiday``, which computes them from the published
rules — fixed dates, Happy Monday days, the equinoxes, 振替休日 (a holiday on a Sunday moves to the next free
weekday) and 国民の休日 (a day between two holidays). Opening hours and booking slots only ask "is this day a
holiday, and what is it called"; tests pass their own calendar, and a replacement library is one class here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Final, Protocol

import jpholiday


class HolidayCalendar(Protocol):
    def name(self, day: date) -> str | None:
        """The holiday's Japanese name on ``day``, or None on an ordinary day."""
        ...


class JapaneseHolidays:
    """The national holidays as the library computes them (Japan has one calendar for every town)."""

    def name(self, day: date) -> str | None:
        found = jpholiday.is_holiday_name(day)
        return found if isinstance(found, str) else None


class NoHolidays:
    """A calendar without holidays: for a town that opens on them (and for tests)."""

    def name(self, day: date) -> str | None:
        return None


JAPAN: Final[HolidayCalendar] = JapaneseHolidays()


def holidays_between(calendar: HolidayCalendar, first: date, last: date) -> Iterator[tuple[date, str]]:
    """Every holiday from ``first`` to ``last`` (both included), in date order, with its name."""
    day = first
    while day <= last:
        name = calendar.name(day)
        if name is not None:
            yield day, name
        day += timedelta(days=1)
