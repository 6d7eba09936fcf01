"""The dates a report or a day's list may ask for: one rule for every endpoint that takes a day or a period.

Why shared and so plain: the reports API, the booking report, the day's bookings list and the free-times lookup
all take dates from a query string. Years far away are nobody's work (a town's records start this century)
and break the date arithmetic at the edges (``9999-12-31`` plus one day overflows), and a long period makes one
request read and compute for many seconds. Each mistake is a :class:`BadDates` whose message says what to send;
``reason`` and ``field`` let a page say it in its own language (``reports.error.<reason>``).
"""

from __future__ import annotations

from datetime import date
from typing import Final

MAX_DAYS: Final = 366
"""The longest period one request may cover, both ends included (a leap year)."""
EARLIEST: Final = date(2000, 1, 1)
LATEST: Final = date(2099, 12, 31)


class BadDates(ValueError):
    """A day or period the request cannot use; the message says which and why, in plain words."""

    def __init__(self, message: str, *, reason: str = "other", field: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field


def check_day(day: date, name: str = "date") -> date:
    """``day`` itself, when it lies between :data:`EARLIEST` and :data:`LATEST`."""
    if not EARLIEST <= day <= LATEST:
        raise BadDates(
            f"'{name}' must be a day between {EARLIEST} and {LATEST}, got {day.isoformat()}",
            reason="date_invalid",
            field=name,
        )
    return day


def check_period(first: date, last: date) -> int:
    """The number of days ``first``..``last`` covers (both included), when both are sensible days, ``last`` is
    not before ``first`` and the period is at most :data:`MAX_DAYS` long."""
    check_day(first, "from")
    check_day(last, "to")
    if last < first:
        raise BadDates("'to' is before 'from': the range would be empty", reason="range_reversed", field="to")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise BadDates(
            f"the range is {days} days; ask for at most {MAX_DAYS} at once", reason="range_too_long", field="to"
        )
    return days
