"""The national holidays of 2025-2027 as the Cabinet Office (内閣府「国民の祝日について」) lists them, including
振替休日 (a holiday on a Sunday moves to the next weekday) and 国民の休日 (a weekday between two holidays), and the
Protocol's other calendar."""

from __future__ import annotations

from datetime import date

import pytest

from madoguchi.domain.holidays import JAPAN, NoHolidays, holidays_between

CABINET_OFFICE = {
    2025: {
        "01-01": "元日", "01-13": "成人の日", "02-11": "建国記念の日", "02-23": "天皇誕生日", "02-24": "振替休日",
        "03-20": "春分の日", "04-29": "昭和の日", "05-03": "憲法記念日", "05-04": "みどりの日", "05-05": "こどもの日",
        "05-06": "振替休日", "07-21": "海の日", "08-11": "山の日", "09-15": "敬老の日", "09-23": "秋分の日",
        "10-13": "スポーツの日", "11-03": "文化の日", "11-23": "勤労感謝の日", "11-24": "振替休日",
    },
    2026: {
        "01-01": "元日", "01-12": "成人の日", "02-11": "建国記念の日", "02-23": "天皇誕生日", "03-20": "春分の日",
        "04-29": "昭和の日", "05-03": "憲法記念日", "05-04": "みどりの日", "05-05": "こどもの日", "05-06": "振替休日",
        "07-20": "海の日", "08-11": "山の日", "09-21": "敬老の日", "09-22": "国民の休日", "09-23": "秋分の日",
        "10-12": "スポーツの日", "11-03": "文化の日", "11-23": "勤労感謝の日",
    },
    2027: {
        "01-01": "元日", "01-11": "成人の日", "02-11": "建国記念の日", "02-23": "天皇誕生日", "03-21": "春分の日",
        "03-22": "振替休日", "04-29": "昭和の日", "05-03": "憲法記念日", "05-04": "みどりの日", "05-05": "こどもの日",
        "07-19": "海の日", "08-11": "山の日", "09-20": "敬老の日", "09-23": "秋分の日", "10-11": "スポーツの日",
        "11-03": "文化の日", "11-23": "勤労感謝の日",
    },
}  # fmt: skip


@pytest.mark.parametrize("year", sorted(CABINET_OFFICE))
def test_every_holiday_of_the_year_and_no_other_day(year: int) -> None:
    found = {f"{day:%m-%d}": name for day, name in holidays_between(JAPAN, date(year, 1, 1), date(year, 12, 31))}
    assert set(found) == set(CABINET_OFFICE[year])
    for month_day, name in CABINET_OFFICE[year].items():
        # the library names a substitute holiday after the holiday it replaces ("憲法記念日 振替休日")
        assert name in found[month_day], month_day


def test_substitute_and_citizens_holidays_are_holidays_and_the_days_around_them_are_not() -> None:
    assert JAPAN.name(date(2026, 5, 6)) is not None  # 振替休日 for Sunday 3 May
    assert JAPAN.name(date(2026, 9, 22)) == "国民の休日"  # between 敬老の日 and 秋分の日
    assert JAPAN.name(date(2026, 5, 7)) is None
    assert JAPAN.name(date(2026, 9, 24)) is None


def test_a_calendar_without_holidays() -> None:
    assert list(holidays_between(NoHolidays(), date(2026, 1, 1), date(2026, 12, 31))) == []
