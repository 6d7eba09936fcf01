"""National holidays on the real server: the demo town's plan lists none, yet 成人の日 (Monday 11 January 2027)
cannot be booked and is not offered as a day; once the admin opens it (the stored opening hours' open_holidays,
as /admin saves them) its slots are offered and can be booked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from madoguchi import keys
from madoguchi.bookings.plan import JST
from madoguchi.domain.opening_hours import HoursSpec
from madoguchi.storage.opening_hours import OpeningHoursStore
from tests.bookings_support import running

MONDAY_BEFORE = datetime(2027, 1, 4, 8, 0, tzinfo=JST).timestamp()
WEEKDAYS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "08:30-17:15")


async def test_a_holiday_is_closed_until_the_admin_opens_it(tmp_path: Path) -> None:
    async with running(tmp_path, start=MONDAY_BEFORE) as api:
        status, body = await api.call("GET", "/api/slots?route=tax&date=2027-01-11&place=honcho")
        assert (status, body["error"]["code"]) == (422, "closed_day"), body
        status, body = await api.book(start="2027-01-11T09:00:00+09:00")
        assert (status, body["error"]["code"]) == (422, "closed_day"), body
        status, page = await api.call("GET", "/book")
        assert status == 200 and "2027-01-11" not in page and "2027-01-12" in page

        spec = HoursSpec(weekly=WEEKDAYS, closed_yearly=["12-29..01-03"], open_holidays=["2027-01-11"])  # type: ignore[list-item]
        await OpeningHoursStore(api.app[keys.DATABASE]).save(
            "shiomi", spec, actor="test", by="test", at=datetime.now(UTC)
        )
        api.app[keys.HOURS].forget("shiomi")

        status, slots = await api.call("GET", "/api/slots?route=tax&date=2027-01-11&place=honcho")
        assert status == 200 and slots[0]["start"].startswith("2027-01-11T08:30"), slots
        status, booked = await api.book(start="2027-01-11T09:00:00+09:00")
        assert status == 201, booked
        status, page = await api.call("GET", "/book")
        assert "2027-01-11" in page


async def test_days_and_times_the_towns_hours_close_are_not_offered(tmp_path: Path) -> None:
    """Gap of session 8: the admin's hours close Wednesdays and end Thursdays at 12:00, and close Friday 8 January
    2027 (a date of their own); the plan's desks still open those days. Neither /api/slots, nor a booking, nor the
    /book page (its embedded open days) offers them, by the rule a change of hours checks bookings with."""
    async with running(tmp_path, start=MONDAY_BEFORE) as api:
        status, slots = await api.call("GET", "/api/slots?route=tax&date=2027-01-06&place=honcho")
        assert status == 200 and slots, slots  # the file's hours: Wednesday 6 January is open
        page_before = (await api.call("GET", "/book"))[1]
        assert '"2027-01-06"' in page_before and '"2027-01-08"' in page_before

        week = {**WEEKDAYS, "wed": "closed", "thu": "08:30-12:00"}
        spec = HoursSpec(weekly=week, closed=["2027-01-08"])  # type: ignore[list-item]
        await OpeningHoursStore(api.app[keys.DATABASE]).save(
            "shiomi", spec, actor="test", by="test", at=datetime.now(UTC)
        )
        api.app[keys.HOURS].forget("shiomi")

        for day in ("2027-01-06", "2027-01-08"):
            for query in (
                f"route=tax&date={day}&place=honcho",
                f"route=tax&date={day}",
                f"route=resident_records&date={day}&place=shiomi-post-office",
            ):
                status, body = await api.call("GET", f"/api/slots?{query}")
                assert (status, body["error"]["code"]) == (422, "closed_day"), (query, body)
        status, body = await api.book(start="2027-01-06T09:00:00+09:00")
        assert (status, body["error"]["code"]) == (422, "closed_day"), body
        status, slots = await api.call("GET", "/api/slots?route=tax&date=2027-01-07&place=honcho")
        assert status == 200 and slots and all(s["end"] <= "2027-01-07T12:00:00+09:00" for s in slots), slots
        status, body = await api.book(start="2027-01-07T13:00:00+09:00")
        assert (status, body["error"]["code"]) == (422, "no_such_slot"), body  # Thursday afternoon: no time
        page = (await api.call("GET", "/book"))[1]
        assert '"2027-01-06"' not in page and '"2027-01-08"' not in page
        assert '"2027-01-07"' in page and '"2027-01-05"' in page
