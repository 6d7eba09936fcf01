"""The .ics file: UTC times, escaped text, lines folded at 75 octets (RFC 5545), one alarm an hour before."""

from __future__ import annotations

from datetime import UTC, datetime

from madoguchi.booking_desk.ics import booking_ics
from madoguchi.bookings.plan import JST


def test_calendar_file() -> None:
    text = booking_ics(
        code="12345674",
        start=datetime(2026, 12, 8, 9, 0, tzinfo=JST),
        end=datetime(2026, 12, 8, 9, 20, tzinfo=JST),
        summary="汐見町 税金の 予約; 本庁, 1階",
        location="汐見町役場（本庁）" * 4,
        description="予約番号 12345674\n持ち物: 本人確認書類",
        now=datetime(2026, 12, 6, 9, 0, tzinfo=UTC),
    )
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and text.endswith("END:VCALENDAR\r\n")
    assert "DTSTART:20261208T000000Z" in lines and "DTEND:20261208T002000Z" in lines
    assert "UID:booking-12345674@madoguchi" in lines and "TRIGGER:-PT1H" in lines
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:汐見町 税金の 予約\\; 本庁\\, 1階" in unfolded
    assert "DESCRIPTION:予約番号 12345674\\n持ち物: 本人確認書類" in unfolded
    assert "LOCATION:" + "汐見町役場（本庁）" * 4 in unfolded
