"""When a closed counter opens next (ux14 item 6: the chat waiting outside the hours says when, not only that it
is closed). Fake times: aware datetimes, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

from madoguchi.domain.opening_hours import HoursSpec, OpeningHours, hours_of, next_opening

WEEKDAYS = hours_of(HoursSpec(weekly={day: "08:30-12:00,13:00-17:15" for day in ("mon", "tue", "wed", "thu", "fri")}))


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text + "+09:00")


def test_after_closing_the_next_weekday_morning() -> None:
    opens = next_opening(WEEKDAYS, None, jst("2026-12-07T17:30:00"))  # Monday evening
    assert opens is not None and opens.isoformat() == "2026-12-08T08:30:00+09:00"


def test_at_lunch_the_afternoon_window() -> None:
    opens = next_opening(WEEKDAYS, None, jst("2026-12-07T12:10:00"))
    assert opens is not None and opens.isoformat() == "2026-12-07T13:00:00+09:00"


def test_on_friday_evening_monday_morning() -> None:
    opens = next_opening(WEEKDAYS, None, jst("2026-12-11T18:00:00"))
    assert opens is not None and opens.isoformat() == "2026-12-14T08:30:00+09:00"


def test_a_closed_date_is_skipped() -> None:
    closed = hours_of(HoursSpec(weekly={"mon": "08:30-17:15", "tue": "08:30-17:15"}, closed=[date(2026, 12, 8)]))
    opens = next_opening(closed, None, jst("2026-12-07T18:00:00"))
    assert opens is not None and opens.isoformat() == "2026-12-14T08:30:00+09:00"


def test_open_now_is_now_and_no_window_is_never() -> None:
    at = jst("2026-12-07T10:00:00")
    assert next_opening(WEEKDAYS, None, at) == at
    assert next_opening(OpeningHours(), None, at) == at  # no schedule: always open
    never = hours_of(HoursSpec(weekly={"mon": "closed"}))
    assert next_opening(never, None, at.astimezone(UTC)) is None
