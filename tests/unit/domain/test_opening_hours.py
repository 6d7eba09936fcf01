"""Open now? computed from data with the time passed in (Japan time, holidays, per-route layering)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from madoguchi.domain.opening_hours import (
    DEFAULT_ROUTE,
    JST,
    HoursError,
    HoursSpec,
    OpeningHours,
    format_windows,
    hours_in_force,
    hours_of,
    layered,
    open_now,
    open_through,
    parse_holiday,
    parse_schedule,
    parse_windows,
)

WEEKDAYS_8_30 = parse_schedule({d: "08:30-17:15" for d in ("mon", "tue", "wed", "thu", "fri")})
TOWN = OpeningHours({DEFAULT_ROUTE: WEEKDAYS_8_30}, frozenset({date(2026, 12, 29)}))


def jst(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """2026-<month>-<day> hour:minute in Japan time, handed over in UTC (the function must convert back)."""
    return datetime(2026, month, day, hour, minute, tzinfo=JST).astimezone(UTC)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (jst(7, 8, 29), False),  # Monday, a minute before opening
        (jst(7, 8, 30), True),  # opening minute counts
        (jst(7, 17, 14), True),
        (jst(7, 17, 15), False),  # closing minute does not
        (jst(12, 10), False),  # Saturday
        (jst(29, 10), False),  # Tuesday, but a holiday
        (jst(28, 10), True),
    ],
)
def test_default_schedule(at: datetime, expected: bool) -> None:
    assert open_now(TOWN, None, at) is expected
    assert open_now(TOWN, "tax", at) is expected  # a route without its own hours uses the default


def test_utc_midnight_crossing_is_japan_time() -> None:
    # 2026-12-07 23:30 UTC is Tuesday 08:30 JST: open, though in UTC it is Monday night
    assert open_now(TOWN, None, datetime(2026, 12, 7, 23, 30, tzinfo=UTC))
    assert not open_now(TOWN, None, datetime(2026, 12, 7, 23, 29, tzinfo=UTC))


def test_route_override_and_layering() -> None:
    thursday_late = parse_schedule({"thu": "08:30-19:00"})
    hours = layered(TOWN, OpeningHours({"mynumber_card": thursday_late}, frozenset({date(2026, 12, 30)})))
    assert open_now(hours, "mynumber_card", jst(10, 18, 30))  # Thursday evening, its own hours
    assert not open_now(hours, "tax", jst(10, 18, 30))
    assert not open_now(hours, "mynumber_card", jst(7, 10))  # Monday: not in its own schedule
    assert not open_now(hours, "tax", jst(30, 10))  # holidays add up
    assert not open_now(hours, "tax", jst(29, 10))


def test_nothing_configured_is_open() -> None:
    assert open_now(OpeningHours(), "tax", jst(12, 3))


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        open_now(TOWN, None, datetime(2026, 12, 7, 10))


def test_windows_round_trip_and_split_day() -> None:
    windows = parse_windows("13:00-17:15, 08:30-12:00")
    assert windows == ((510, 720), (780, 1035))
    assert format_windows(windows) == "08:30-12:00,13:00-17:15"
    assert parse_windows("closed") == () and format_windows(()) == "closed"
    assert parse_windows("00:00-24:00") == ((0, 1440),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8-17", "not a time range"),
        ("17:00-08:30", "ends before"),
        ("08:00-12:00,11:00-13:00", "overlap"),
        ("25:00-26:00", "impossible"),
        ("08:60-09:00", "impossible"),
        ("24:30-24:45", "impossible"),
    ],
)
def test_bad_windows(text: str, message: str) -> None:
    with pytest.raises(HoursError, match=message):
        parse_windows(text)


def test_bad_weekday_and_holiday() -> None:
    with pytest.raises(HoursError, match="unknown weekday"):
        parse_schedule({"monday": "08:30-17:15"})
    with pytest.raises(HoursError, match="not a date"):
        parse_holiday("12/29")
    assert parse_holiday(" 2026-12-29 ") == date(2026, 12, 29)


def test_yearly_spans_wrap_over_new_year() -> None:
    spec = HoursSpec(
        weekly={"mon": "08:30-17:15", "sat": "09:00-12:00"}, closed_yearly=["12-29..01-03", "08-13..08-15"]
    )
    hours = hours_of(spec)
    assert not open_now(hours, None, datetime(2029, 1, 1, 10, tzinfo=JST))  # a Monday inside 年末年始
    assert not open_now(hours, None, datetime(2028, 12, 30, 10, tzinfo=JST))  # a Saturday inside it
    assert open_now(hours, None, datetime(2027, 1, 4, 10, tzinfo=JST))  # Monday after New Year
    assert open_now(hours, None, datetime(2026, 12, 28, 10, tzinfo=JST))  # Monday the 28th is still open
    assert not open_now(hours, None, datetime(2027, 8, 14, 10, tzinfo=JST))  # a Saturday inside お盆
    assert open_now(hours, None, datetime(2027, 8, 21, 10, tzinfo=JST))  # the next Saturday morning
    assert not open_now(hours, None, datetime(2027, 8, 21, 12, tzinfo=JST))  # noon: closed


def test_spec_is_canonical_and_refuses_mistakes_in_words() -> None:
    spec = HoursSpec(weekly={"mon": "8:30-12:00, 13:00-17:15"}, closed=["2026-12-31", "2026-12-30", "2026-12-31"])  # type: ignore[list-item]
    assert spec.weekly["mon"] == "08:30-12:00,13:00-17:15"
    assert spec.weekly["sun"] == "closed"
    assert spec.closed == [date(2026, 12, 30), date(2026, 12, 31)]
    for bad, says in [
        ({"weekly": {"mon": "17:00-09:00"}}, "ends before it starts"),
        ({"weekly": {"monday": "09:00-17:00"}}, "unknown weekday"),
        ({"weekly": {}, "closed_yearly": ["12-32..01-03"]}, "impossible day"),
        ({"weekly": {}, "closed_yearly": ["年末年始"]}, "yearly span"),
        ({"weekly": {}, "routes": {"nope": {}}}, "unknown route"),
        ({"weekly": {}, "closed": ["2026-02-30"]}, "date"),
    ]:
        with pytest.raises(ValueError, match=says):
            HoursSpec.model_validate(bad)


def test_a_route_with_its_own_week_and_the_town_default() -> None:
    hours = hours_of(HoursSpec(weekly={"mon": "08:30-17:15"}, routes={"tax": {"mon": "13:00-16:00"}}))
    monday_10 = datetime(2026, 12, 7, 10, tzinfo=JST)
    assert open_now(hours, None, monday_10) and open_now(hours, "pension", monday_10)
    assert not open_now(hours, "tax", monday_10)
    assert open_now(hours, "tax", datetime(2026, 12, 7, 13, tzinfo=JST))


class FakeCalendar:
    """A calendar with one holiday: Tuesday 2026-12-08 (no such holiday exists; the Protocol is what is tested)."""

    def name(self, day: date) -> str | None:
        return "テストの日" if day == date(2026, 12, 8) else None


def test_national_holidays_close_the_counter_unless_the_admin_opened_them() -> None:
    week = {d: "08:30-17:15" for d in ("mon", "tue", "wed", "thu", "fri")}
    default = hours_of(HoursSpec(weekly=week), FakeCalendar())
    assert not open_now(default, None, jst(8, 10))  # the holiday, a weekday morning
    assert open_now(default, None, jst(9, 10))  # the day after
    opened = hours_of(HoursSpec(weekly=week, open_holidays=[date(2026, 12, 8)]), FakeCalendar())
    assert open_now(opened, None, jst(8, 10))
    ignored = hours_of(HoursSpec(weekly=week, national_holidays=False), FakeCalendar())
    assert open_now(ignored, None, jst(8, 10))
    # a closed date wins over "opened"
    both = HoursSpec(weekly=week, closed=[date(2026, 12, 8)], open_holidays=[date(2026, 12, 8)])
    assert not open_now(hours_of(both, FakeCalendar()), None, jst(8, 10))


def test_the_real_calendar_closes_a_substitute_holiday_by_default() -> None:
    week = {d: "08:30-17:15" for d in ("mon", "tue", "wed", "thu", "fri")}
    substitute = datetime(2026, 5, 6, 10, tzinfo=JST)  # Wednesday, 振替休日 for Sunday 3 May
    assert not open_now(hours_of(HoursSpec(weekly=week)), None, substitute)
    assert HoursSpec.model_validate({"weekly": week}).national_holidays is True


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (jst(7, 8, 30), jst(7, 9, 0), True),  # Monday, from opening
        (jst(7, 16, 45), jst(7, 17, 15), True),  # ends at closing time: inside
        (jst(7, 17, 0), jst(7, 17, 20), False),  # starts open, runs past closing
        (jst(7, 8, 0), jst(7, 8, 40), False),  # starts before opening
        (jst(12, 10), jst(12, 11), False),  # Saturday: the hours close it
        (jst(29, 10), jst(29, 11), False),  # a closed date
    ],
)
def test_open_through_needs_one_window_for_the_whole_time(start: datetime, end: datetime, expected: bool) -> None:
    assert open_through(TOWN, None, start, end) is expected


def test_open_through_does_not_span_a_break() -> None:
    split = OpeningHours({DEFAULT_ROUTE: parse_schedule({"mon": "08:30-12:00,13:00-17:15"})})
    assert open_through(split, None, jst(7, 11, 30), jst(7, 12, 0))
    assert not open_through(split, None, jst(7, 11, 50), jst(7, 12, 10))  # runs into the lunch break
    assert not open_through(split, None, jst(7, 11, 50), jst(7, 13, 10))  # and out of it


def test_open_through_follows_the_routes_own_week_and_midnight() -> None:
    hours = hours_of(HoursSpec(weekly={"mon": "20:00-24:00"}, routes={"tax": {"tue": "09:00-10:00"}}))
    assert open_through(hours, "resident_records", jst(7, 23, 30), jst(8, 0, 0))  # ends at midnight: minute 1440
    assert not open_through(hours, "resident_records", jst(7, 23, 30), jst(8, 0, 1))  # into Tuesday
    assert not open_through(hours, "tax", jst(7, 21), jst(7, 22)) and open_through(hours, "tax", jst(8, 9), jst(8, 10))
    assert open_through(OpeningHours(), "tax", jst(12, 3), jst(12, 4))  # nothing configured: always open
    with pytest.raises(ValueError, match="after start"):
        open_through(hours, None, jst(7, 21), jst(7, 21))


def test_hours_in_force_is_the_office_default_without_a_spec() -> None:
    default = hours_in_force(None)
    assert open_now(default, None, jst(7, 9)) and not open_now(default, None, jst(12, 9))  # Mon open, Sat closed
    assert not open_now(default, None, jst(23, 9, month=11))  # 勤労感謝の日, a Monday: the national calendar
    assert open_now(hours_in_force(HoursSpec(weekly={"sat": "09:00-10:00"})), None, jst(12, 9, 30))
