"""The console's booking endpoints on the real server: staff book on behalf of a resident and list the day's
bookings; the server's clock starts Monday 7 December 2026, 08:00 JST (``tests.bookings_support``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from madoguchi import keys
from madoguchi.booking_desk.api import DESK
from madoguchi.storage.models import AuditEntry
from tests.bookings_support import Api, running
from tests.support import LiveServer


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with running(tmp_path, booking_lookups_per_minute=600.0, booking_requests_per_minute=600.0) as api:
        yield api


async def staff_session(api: Api, username: str = "tanaka", municipality: str = "shiomi") -> tuple[str, str]:
    """(session cookie, CSRF token) of a fresh agent."""
    server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
    await server.add_agent(username, "correct horse battery", municipality=municipality)
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{api.base_url}/api/login", json={"username": username, "password": "correct horse battery"}
        ) as resp,
    ):
        assert resp.status == 200
        cookie = resp.cookies["madoguchi_session"].value
        return cookie, (await resp.json())["csrf_token"]


def as_staff(cookie: str, csrf: str | None = None) -> dict[str, Any]:
    headers = {"Cookie": f"madoguchi_session={cookie}"}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    return {"headers": headers}


BODY = {"route": "tax", "place": "honcho", "start": "2026-12-07T13:00:00+09:00", "name_kana": "すずき いちろう"}


async def test_staff_book_for_a_resident_and_see_it_in_todays_list(api: Api) -> None:
    cookie, csrf = await staff_session(api)
    status, _ = await api.book(start="2026-12-07T09:30:00+09:00")  # a resident booked from home
    assert status == 201
    status, made = await api.call(
        "POST", "/api/staff/bookings", json={**BODY, "contact": "090-1234-5678"}, **as_staff(cookie, csrf)
    )
    assert status == 201, made
    assert (made["start"], made["status"], made["booked_by"], made["contact"]) == (
        "2026-12-07T13:00:00+09:00",
        "booked",
        "staff",
        "***5678",
    )
    status, day = await api.call("GET", "/api/staff/bookings?date=2026-12-07", **as_staff(cookie))
    assert status == 200
    assert day["date"] == "2026-12-07"
    assert [(b["start"][11:16], b["booked_by"], b["name_kana"]) for b in day["bookings"]] == [
        ("09:30", "resident", "ヤマダ ハナコ"),
        ("13:00", "staff", "スズキ イチロウ"),
    ]
    status, today = await api.call("GET", "/api/staff/bookings", **as_staff(cookie))  # no date: today in Japan
    assert today == day
    record = await _record(api, made["code"])
    assert record.booked_by.startswith("staff:")
    async with api.app[keys.DATABASE].read() as session:
        actions = [(a.action, a.actor) for a in await session.scalars(select(AuditEntry))]
    assert ("booking.create", record.booked_by) in actions


async def _record(api: Api, code: str) -> Any:
    return await api.app[DESK].get(code)


async def test_a_booking_during_a_call_remembers_the_consultation(api: Api) -> None:
    cookie, csrf = await staff_session(api)
    status, made = await api.call(
        "POST", "/api/staff/bookings", json={**BODY, "consultation_id": "c_123"}, **as_staff(cookie, csrf)
    )
    assert status == 201, made
    assert (await _record(api, made["code"])).consultation_id == "c_123"


async def test_slots_and_options_for_staff(api: Api) -> None:
    cookie, _ = await staff_session(api)
    status, options = await api.call("GET", "/api/staff/bookings/options", **as_staff(cookie))
    assert status == 200 and options["municipality"] == "shiomi"
    assert "honcho" in {p["id"] for p in options["places"]}
    status, slots = await api.call("GET", "/api/staff/slots?route=tax&date=2026-12-08&place=honcho", **as_staff(cookie))
    assert status == 200 and slots[0]["start"] == "2026-12-08T08:30:00+09:00"


REFUSED: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("POST", "/api/staff/bookings", {**BODY, "start": "2026-12-07T07:00:00+09:00"}, 422, "past_slot"),
    ("POST", "/api/staff/bookings", {**BODY, "start": "2026-12-12T09:00:00+09:00"}, 422, "closed_day"),
    ("POST", "/api/staff/bookings", {**BODY, "name_kana": "鈴木"}, 400, "invalid"),
    ("POST", "/api/staff/bookings", {**BODY, "municipality": "elsewhere"}, 404, "unknown_town"),
    ("POST", "/api/staff/bookings", {**BODY, "extra": 1}, 400, "invalid"),
    ("GET", "/api/staff/bookings?date=tomorrow", {}, 400, "invalid"),
    ("GET", "/api/staff/slots?route=tax", {}, 400, "invalid"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), REFUSED)
async def test_refusals_are_clear(
    api: Api, method: str, path: str, body: dict[str, Any], status: int, code: str
) -> None:
    cookie, csrf = await staff_session(api)
    got, answer = await api.call(method, path, json=body or None, **as_staff(cookie, csrf))
    assert (got, answer["error"]["code"]) == (status, code), answer
    assert answer["error"]["message"]


async def test_a_full_slot_is_refused(api: Api) -> None:
    cookie, csrf = await staff_session(api)
    for _ in range(2):  # the main office counter takes two per slot
        assert (await api.call("POST", "/api/staff/bookings", json=BODY, **as_staff(cookie, csrf)))[0] == 201
    status, answer = await api.call("POST", "/api/staff/bookings", json=BODY, **as_staff(cookie, csrf))
    assert (status, answer["error"]["code"]) == (409, "full")


async def test_only_staff_and_only_from_the_console(api: Api) -> None:
    cookie, csrf = await staff_session(api)
    status, answer = await api.call("GET", "/api/staff/bookings")
    assert (status, answer["error"]["code"]) == (401, "unauthorized")
    status, answer = await api.call("POST", "/api/staff/bookings", json=BODY)
    assert (status, answer["error"]["code"]) == (401, "unauthorized")
    status, answer = await api.call("POST", "/api/staff/bookings", json=BODY, **as_staff(cookie))  # no CSRF token
    assert (status, answer["error"]["code"]) == (403, "csrf")
    headers = {**as_staff(cookie, csrf)["headers"], "Origin": "https://evil.example"}
    status, answer = await api.call("POST", "/api/staff/bookings", json=BODY, headers=headers)
    assert (status, answer["error"]["code"]) == (403, "csrf")


async def test_the_report_for_staff(api: Api) -> None:
    cookie, csrf = await staff_session(api)
    assert (await api.call("POST", "/api/staff/bookings", json=BODY, **as_staff(cookie, csrf)))[0] == 201
    status, report = await api.call(
        "GET", "/api/staff/bookings/report?from=2026-12-01&to=2026-12-31", **as_staff(cookie)
    )
    assert status == 200, report
    assert (report["from"], report["bookings"], report["booked_by_staff"]) == ("2026-12-01", 1, 1)
    days = "from=2026-12-01&to=2026-12-31"
    for narrowed, expected in ((f"route={BODY['route']}", 1), ("route=water_sewer", 0), ("channel=booth", 0)):
        status, report = await api.call("GET", f"/api/staff/bookings/report?{days}&{narrowed}", **as_staff(cookie))
        assert status == 200, (narrowed, report)
        assert report["bookings"] == expected, narrowed
    status, refused = await api.call("GET", f"/api/staff/bookings/report?{days}&channel=phone", **as_staff(cookie))
    assert (status, refused["error"]["code"]) == (400, "invalid") and "channel" in refused["error"]["message"]
    status, refused = await api.call(
        "GET", "/api/staff/bookings/report?from=2026-12-31&to=2026-12-01", **as_staff(cookie)
    )
    assert (status, refused["error"]["code"]) == (400, "invalid")
    status, refused = await api.call("GET", "/api/staff/bookings/report")
    assert status == 401
