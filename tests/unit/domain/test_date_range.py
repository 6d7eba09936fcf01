"""The one date rule of reports and bookings (``madoguchi.domain.date_range``): edges and sentences."""

from __future__ import annotations

from datetime import date

import pytest

from madoguchi.domain.date_range import EARLIEST, LATEST, MAX_DAYS, BadDates, check_day, check_period


def test_the_window_is_inclusive_and_a_far_day_is_refused_in_words() -> None:
    assert check_day(EARLIEST) == EARLIEST and check_day(LATEST) == LATEST
    for far in (date(1999, 12, 31), date(2100, 1, 1), date(9999, 12, 31), date(1, 1, 1)):
        with pytest.raises(BadDates, match="between 2000-01-01 and 2099-12-31") as refused:
            check_day(far, "from")
        assert (refused.value.reason, refused.value.field) == ("date_invalid", "from")


def test_a_period_is_at_most_a_leap_year_and_not_reversed() -> None:
    assert check_period(date(2028, 1, 1), date(2028, 12, 31)) == MAX_DAYS
    with pytest.raises(BadDates, match=f"at most {MAX_DAYS}") as long:
        check_period(date(2026, 1, 1), date(2027, 1, 2))
    assert long.value.reason == "range_too_long"
    with pytest.raises(BadDates, match="before") as reversed_:
        check_period(date(2026, 12, 2), date(2026, 12, 1))
    assert reversed_.value.reason == "range_reversed"
    with pytest.raises(BadDates, match="'to' must be a day between"):
        check_period(date(2099, 12, 1), date(2100, 1, 1))
