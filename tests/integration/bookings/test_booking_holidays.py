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
