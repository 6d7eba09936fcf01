"""The console's booking endpoints on the real server: staff book on behalf of a resident and list the day's
bookings; the server's clock starts Monday 7 December 2026, 08:00 JST (``tests.bookings_support``)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from madoguchi import keys
from madoguchi.booking_desk.api import DESK
from madoguchi.storage.models import AuditEntry
from tests.bookings_support import Api, running
from tests.report_cases import booth_case
from tests.support import LiveServer


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with running(tmp_path, booking_lookups_per_minute=600.0, booking_requests_per_minute=600.0) as api:
        yield api


async def staff_session(
    api: Api,
    username: str = "tanaka",
    municipality: str = "shiomi",
    role: str = "agent",
    routes: tuple[str, ...] = ("*",),
) -> tuple[str, str]:
    """(session cookie, CSRF token) of a fresh agent (or supervisor, admin)."""
    server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
    await server.add_agent(username, "correct horse battery", routes, municipality=municipality, role=role)
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


async def _case(api: Api, cid: str, agent_cookie: str) -> None:
    """A booth call on ``cid`` answered by the agent of ``agent_cookie`` and still going."""
    found = await api.app[keys.ACCOUNTS].session(agent_cookie, datetime.now(UTC))
    assert found is not None
    booth, _ = await api.app[keys.BOOTHS].add("テストブース", municipality_id="shiomi", location="テスト")
    at = datetime.fromtimestamp(api.clock(), UTC)
    await booth_case(
        api.app[keys.RECORDS], cid, municipality="shiomi", booth_id=booth.id, at=at, wait=5, agent_id=found[0].id
    )


async def test_a_booking_during_a_call_remembers_the_consultation(api: Api) -> None:
    cookie, csrf = await staff_session(api)
    await _case(api, "c_mine", cookie)
    status, made = await api.call(
        "POST", "/api/staff/bookings", json={**BODY, "consultation_id": "c_mine"}, **as_staff(cookie, csrf)
    )
    assert status == 201, made
    assert (await _record(api, made["code"])).consultation_id == "c_mine"


async def test_a_booking_names_only_the_agents_own_case(api: Api) -> None:
    """Outside attack F3: another agent's case, or one that does not exist, is refused in plain words."""
    cookie, csrf = await staff_session(api)
    other, _ = await staff_session(api, "sato")
    await _case(api, "c_theirs", other)
    for cid, status, code in (("c_theirs", 403, "not_your_case"), ("c_nothing", 404, "unknown_consultation")):
        got, answer = await api.call(
            "POST", "/api/staff/bookings", json={**BODY, "consultation_id": cid}, **as_staff(cookie, csrf)
        )
        assert (got, answer["error"]["code"]) == (status, code), answer
        assert answer["error"]["message"]
    status, day = await api.call("GET", "/api/staff/bookings?date=2026-12-07", **as_staff(cookie))
    assert day["bookings"] == [], "nothing was booked"


async def test_slots_and_options_for_staff(api: Api) -> None:
    cookie, _ = await staff_session(api)
    status, options = await api.call("GET", "/api/staff/bookings/options", **as_staff(cookie))
    assert status == 200 and options["municipality"] == "shiomi"
    assert "honcho" in {p["id"] for p in options["places"]}
    status, slots = await api.call("GET", "/api/staff/slots?route=tax&date=2026-12-08&place=honcho", **as_staff(cookie))
    assert status == 200 and slots[0]["start"] == "2026-12-08T08:30:00+09:00"

    assert options["public_url"] is None  # none set: the console falls back to its own address


async def test_options_carry_the_public_url_for_the_booking_link(tmp_path: Path) -> None:
    """Session 11 review: the booking link sent to the chat was built from the console's own address, which may be
    an internal one; the console now takes MADOGUCHI_PUBLIC_URL from here (staffbooking.js bookingLines)."""
    async with running(tmp_path, public_url="https://madoguchi.example.jp/") as api:
        cookie, _ = await staff_session(api)
        status, options = await api.call("GET", "/api/staff/bookings/options", **as_staff(cookie))
        assert (status, options["public_url"]) == (200, "https://madoguchi.example.jp")


REFUSED: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("POST", "/api/staff/bookings", {**BODY, "start": "2026-12-07T07:00:00+09:00"}, 422, "past_slot"),
    ("POST", "/api/staff/bookings", {**BODY, "start": "2026-12-12T09:00:00+09:00"}, 422, "closed_day"),
    ("POST", "/api/staff/bookings", {**BODY, "name_kana": "鈴木"}, 400, "invalid"),
    ("POST", "/api/staff/bookings", {**BODY, "municipality": "elsewhere"}, 404, "unknown_town"),
    ("POST", "/api/staff/bookings", {**BODY, "extra": 1}, 400, "invalid"),
    ("GET", "/api/staff/bookings?date=tomorrow", {}, 400, "invalid"),
    ("GET", "/api/staff/slots?route=tax", {}, 400, "invalid"),
    # outside attack F5: a year nobody books in is a 400 with a sentence, not a 500
    ("GET", "/api/staff/slots?route=tax&date=9999-12-31", {}, 400, "invalid"),
    ("GET", "/api/staff/slots?route=tax&date=0001-01-01", {}, 400, "invalid"),
    ("GET", "/api/staff/bookings?date=9999-12-31", {}, 400, "invalid"),
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
    agent, csrf = await staff_session(api)
    assert (await api.call("POST", "/api/staff/bookings", json=BODY, **as_staff(agent, csrf)))[0] == 201
    cookie, _ = await staff_session(api, "suzuki", role="supervisor")
    status, report = await api.call(
        "GET", "/api/staff/bookings/report?from=2026-12-01&to=2026-12-31", **as_staff(cookie)
    )
    assert status == 200, report
    assert (report["from"], report["bookings"], report["booked_by_staff"]) == ("2026-12-01", 1, 1)
    assert report["filters"] == {} and report["no_show_rate"] is None and report["lead_time_median_h"] is not None
    # the reports page's filters narrow the figures (their meaning for a booking: bookings.kpis, unit-tested)
    month = "/api/staff/bookings/report?from=2026-12-01&to=2026-12-31"
    for query, expected in (
        ("&route=tax", 1),
        ("&route=elderly_care", 0),
        ("&channel=booth", 0),  # booked at the counter: neither a booth nor a call from home
        ("&place=honcho", 1),
        ("&place=home", 0),
        ("&route=tax&place=honcho&channel=chat", 0),
    ):
        status, narrowed = await api.call("GET", month + query, **as_staff(cookie))
        assert status == 200, (query, narrowed)
        assert narrowed["bookings"] == expected, query
        assert narrowed["filters"] == dict(pair.split("=") for pair in query[1:].split("&"))
    for query, code in (
        ("&place=atlantis", "unknown_place"),
        ("&route=nothing", "unknown_route"),
        ("&channel=fax", "invalid"),
        ("&booth=no-such-booth", "invalid"),
        ("&route=a%20b", "invalid"),
    ):
        status, refused = await api.call("GET", month + query, **as_staff(cookie))
        assert (status, refused["error"]["code"]) == (400, code), query
        assert refused["error"]["message"]
    status, refused = await api.call(
        "GET", "/api/staff/bookings/report?from=2026-12-31&to=2026-12-01", **as_staff(cookie)
    )
    assert (status, refused["error"]["code"]) == (400, "invalid")
    status, refused = await api.call("GET", "/api/staff/bookings/report")
    assert status == 401


async def test_the_report_is_for_supervisors_and_admins(api: Api) -> None:
    """Outside attack F4: the day's list is an agent's work, the figures are not (docs/reports.md)."""
    agent, _ = await staff_session(api)
    for path in ("/api/staff/bookings/report", "/api/staff/bookings/report.xlsx"):
        status, refused = await api.call("GET", f"{path}?from=2026-12-01&to=2026-12-07", **as_staff(agent))
        assert (status, refused["error"]["code"]) == (403, "forbidden"), path
        assert "supervisors" in refused["error"]["message"]
    assert (await api.call("GET", "/api/staff/bookings?date=2026-12-07", **as_staff(agent)))[0] == 200
    admin, _ = await staff_session(api, "kato", role="admin")
    path = "/api/staff/bookings/report.xlsx?from=2026-12-01&to=2026-12-07"
    async with api.http.get(f"{api.base_url}{path}", **as_staff(admin)) as resp:
        assert resp.status == 200 and (await resp.read()).startswith(b"PK"), "an Excel file (a zip)"


async def test_the_report_takes_the_reports_period_rule(api: Api) -> None:
    """Outside attack F1: the reports API's rule (at most 366 days, this century), a 400 with a sentence; a
    whole year is answered, and quickly."""
    cookie, _ = await staff_session(api, "suzuki", role="supervisor")
    for path in ("/api/staff/bookings/report", "/api/staff/bookings/report.xlsx"):
        for query, words in (
            ("from=2000-01-01&to=2026-12-31", "at most 366"),
            ("from=0001-01-01&to=9999-12-31", "between 2000-01-01 and 2099-12-31"),
            ("from=1000-01-01&to=1000-12-31", "between 2000-01-01 and 2099-12-31"),
            ("from=2026-12-31&to=2026-12-01", "before"),
        ):
            status, refused = await api.call("GET", f"{path}?{query}", **as_staff(cookie))
            assert (status, refused["error"]["code"]) == (400, "invalid"), (path, query, refused)
            assert words in refused["error"]["message"], (path, query, refused)
    started = time.monotonic()
    status, year = await api.call("GET", "/api/staff/bookings/report?from=2026-01-01&to=2026-12-31", **as_staff(cookie))
    assert status == 200 and year["from"] == "2026-01-01", year
    assert time.monotonic() - started < 5


async def test_a_far_day_on_the_phone_page_is_a_400(api: Api) -> None:
    """Outside attack F5: the anonymous free-times lookup refuses a year nobody books in, in words."""
    for day in ("9999-12-31", "0001-01-01", "2100-01-01"):
        status, refused = await api.call("GET", f"/api/slots?route=tax&date={day}")
        assert (status, refused["error"]["code"]) == (400, "invalid"), refused
        assert "between 2000-01-01 and 2099-12-31" in refused["error"]["message"]


async def test_staff_free_times_are_rate_limited_per_staff_member(tmp_path: Path) -> None:
    """Outside attack F5: /api/staff/slots has the phone page's lookup budget, per staff member (a town hall's
    agents share one address, so one agent's burst must not stop another's)."""
    async with running(tmp_path, booking_lookups_per_minute=5.0) as small:
        first, _ = await staff_session(small)
        second, _ = await staff_session(small, "sato")
        path = "/api/staff/slots?route=tax&date=2026-12-08&place=honcho"
        statuses = [(await small.call("GET", path, **as_staff(first)))[0] for _ in range(6)]
        assert statuses == [200] * 5 + [429], statuses
        status, refused = await small.call("GET", path, **as_staff(first))
        assert (status, refused["error"]["code"]) == (429, "rate_limited") and refused["error"]["message"]
        assert (await small.call("GET", path, **as_staff(second)))[0] == 200


async def test_the_console_cannot_book_with_a_personal_number_as_contact(api: Api) -> None:
    cookie, csrf = await staff_session(api)
    status, body = await api.call(
        "POST", "/api/staff/bookings", json={**BODY, "contact": "1234 5678 9018"}, **as_staff(cookie, csrf)
    )
    assert (status, body["error"]["code"]) == (400, "personal_number") and "個人番号" in body["error"]["message"]
    status, day = await api.call("GET", "/api/staff/bookings?date=2026-12-07", **as_staff(cookie))
    assert status == 200 and day["bookings"] == []


async def test_an_agent_lists_only_the_bookings_of_their_routes(api: Api) -> None:
    """Outside attack (trust14 item 4): every agent saw every booking code of the town, and a code is enough to
    cancel, move or check a booking in. An agent sees their routes' bookings (as their call-back list); a
    supervisor sees every route of their town."""
    status, tax = await api.book(route="tax", start="2026-12-07T09:30:00+09:00")
    assert status == 201, tax
    status, records = await api.book(route="resident_records", start="2026-12-07T10:00:00+09:00")
    assert status == 201, records
    agent, _ = await staff_session(api, "tanaka", routes=("tax",))
    status, day = await api.call("GET", "/api/staff/bookings?date=2026-12-07", **as_staff(agent))
    assert status == 200, day
    assert [b["code"] for b in day["bookings"]] == [tax["code"]]
    assert records["code"] not in str(day)
    chief, _ = await staff_session(api, "sato", role="supervisor", routes=("tax",))
    status, day = await api.call("GET", "/api/staff/bookings?date=2026-12-07", **as_staff(chief))
    assert status == 200, day
    assert [b["code"] for b in day["bookings"]] == [tax["code"], records["code"]]
