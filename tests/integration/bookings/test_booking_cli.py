"""``madoguchi bookings …`` as a real subprocess on a real database (SQLite file). The CLI reads the wall clock,
so the test books on the next open weekday at least two days from today."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import aiohttp
import pytest
from openpyxl import load_workbook

from madoguchi.bookings import codes
from madoguchi.bookings.plan import JST
from madoguchi.bookings.slots import day_slots, offered_capacity
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_municipality
from madoguchi.storage import bookings as storage_bookings
from madoguchi.storage.bookings import Bookings, NewBooking
from madoguchi.storage.db import open_database
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.opening_hours import OpeningHoursStore
from tests.support import make_settings, serve

MADOGUCHI = Path(sys.executable).with_name("madoguchi")
TOWN = load_municipality(bundled_kb_dir() / "municipality.yaml")
assert TOWN.booking is not None
PLAN = TOWN.booking


async def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")}
    env.update(MADOGUCHI_DATA_DIR=str(data_dir), PYTHONIOENCODING="utf-8")
    process = await asyncio.create_subprocess_exec(
        str(MADOGUCHI), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def next_open_day() -> datetime:
    day = datetime.now(JST).date() + timedelta(days=2)
    while True:
        try:
            day_slots(PLAN, "tax", day, place="honcho")
            return datetime.combine(day, time(9, 0), JST)
        except Exception:
            day += timedelta(days=1)


async def test_list_cancel_and_cancel_sailing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = await open_database(f"sqlite+aiosqlite:///{(data_dir / 'madoguchi.db').resolve()}")
    start = next_open_day()
    try:
        await Municipalities(db).ensure_municipality("shiomi", name_ja="汐見町", name_en="Shiomi")
        [slot] = [s for s in day_slots(PLAN, "tax", start.date(), place="honcho") if s.start == start]
        [later] = [
            s for s in day_slots(PLAN, "tax", start.date(), place="honcho") if s.start == start + timedelta(hours=1)
        ]
        bookings = Bookings(db)
        now = datetime.now(UTC)
        ferry = await bookings.book(
            NewBooking(
                "shiomi",
                "tax",
                slot,
                "ヤマダ ハナコ",
                email="hanako@example.jp",
                ferry_line="nagishima",
                ferry_arrive=time(8, 25),
                ferry_leave=time(12, 10),
            ),
            now=now,
        )
        plain = await bookings.book(
            NewBooking("shiomi", "tax", slot, "スズキ イチロウ", phone="090-1234-5678"), now=now
        )
        old_code = "8191832" + str(codes.damm("8191832"))  # what the generator gave before session 13
        with monkeypatch.context() as patch:
            patch.setattr(storage_bookings, "new_code", lambda: old_code)
            old = await bookings.book(NewBooking("shiomi", "tax", later, "タナカ ジロウ"), now=now)
    finally:
        await db.close()

    status, out, err = await run(data_dir, "bookings", "list", "--date", start.date().isoformat())
    assert status == 0, err
    assert ferry.code in out and plain.code in out and "ha***@example.jp" in out and "***5678" in out
    assert "hanako@" not in out and "1234-5678" not in out

    status, out, err = await run(data_dir, "bookings", "list", "--date", start.date().isoformat(), "--json")
    listed = json.loads(out)
    assert [b["code"] for b in listed] == [*sorted([ferry.code, plain.code]), old_code]
    assert {b["contact"] for b in listed} == {"ha***@example.jp", "***5678", None}

    assert len(plain.code) == 12 and old.code == old_code
    status, out, err = await run(data_dir, "bookings", "cancel", plain.code)
    assert (status, err) == (0, "") and f"cancelled booking {plain.code}" in out
    status, out, err = await run(data_dir, "bookings", "cancel", f"{old_code[:4]} {old_code[4:]}")
    assert (status, err) == (0, "") and f"cancelled booking {old_code}" in out
    status, out, err = await run(data_dir, "bookings", "cancel", plain.code[:-1] + str((int(plain.code[-1]) + 1) % 10))
    assert status == 2 and err == "madoguchi: error: there is no booking with that code\n"  # a typo
    status, out, err = await run(data_dir, "bookings", "cancel", plain.code)
    assert status == 2 and err == "madoguchi: error: this booking can no longer be changed\n"
    status, out, err = await run(data_dir, "bookings", "cancel", "00000000")
    assert status == 2 and err == "madoguchi: error: there is no booking with that code\n"

    status, out, err = await run(
        data_dir, "bookings", "cancel-sailing", "nagishima", start.date().isoformat(), "8:25", "--json"
    )
    assert status == 0, err
    [told] = json.loads(out)
    assert told["code"] == ferry.code and told["notice"]["kind"] == "sailing_cancelled"
    assert told["notice"]["instead"], "the next fitting times are offered"
    status, out, err = await run(data_dir, "bookings", "cancel-sailing", "nowhere", start.date().isoformat(), "8:25")
    assert status == 2 and "no such ferry line" in err


async def test_report(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = await open_database(f"sqlite+aiosqlite:///{(data_dir / 'madoguchi.db').resolve()}")
    start = next_open_day()
    try:
        await Municipalities(db).ensure_municipality("shiomi", name_ja="汐見町", name_en="Shiomi")
        [slot] = [s for s in day_slots(PLAN, "tax", start.date(), place="honcho") if s.start == start]
        bookings = Bookings(db)
        now = datetime.now(UTC)
        await bookings.book(NewBooking("shiomi", "tax", slot, "ヤマダ ハナコ", booked_by="staff:u1"), now=now)
        cancelled = await bookings.book(NewBooking("shiomi", "tax", slot, "スズキ イチロウ"), now=now)
        await bookings.cancel(cancelled.code, now=now)
    finally:
        await db.close()
    day = start.date().isoformat()
    status, out, err = await run(data_dir, "bookings", "report", "--from", day, "--to", day, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert (report["from"], report["bookings"], report["booked_by_staff"]) == (day, 2, 1)
    assert report["by_status"] == {"booked": 1, "cancelled": 1}
    assert report["no_show_rate"] is None  # nobody's time came yet
    assert report["by_route"] == {"tax": {"booked": 1, "cancelled": 1}}
    assert report["by_place"] == {"honcho": {"booked": 1, "cancelled": 1}}
    offered = offered_capacity(PLAN, start.date(), start.date())
    assert report["utilisation"]["honcho"] == {
        "offered": offered["honcho"],
        "booked": 1,  # the cancelled one gave its place back
        "rate": round(1 / offered["honcho"], 3),
    }
    assert report["utilisation"]["*"]["offered"] == sum(offered.values())
    # the reports page's figures (GET /api/staff/bookings/report) are the CLI's, number for number
    async with serve(make_settings(data_dir)) as live:
        await live.add_agent("kakari", "correct horse battery", role="supervisor")  # the figures are not an agent's
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            login = {"username": "kakari", "password": "correct horse battery"}
            async with http.post(f"{live.base_url}/api/login", json=login) as resp:
                assert resp.status == 200
            async with http.get(f"{live.base_url}/api/staff/bookings/report?from={day}&to={day}") as resp:
                assert resp.status == 200
                assert await resp.json() == report
            async with http.get(f"{live.base_url}/api/staff/bookings/report.xlsx?from={day}&to={day}") as resp:
                assert resp.status == 200 and resp.content_type.endswith("spreadsheetml.sheet")
                book = load_workbook(io.BytesIO(await resp.read()))
    rows = list(book["予約枠の使われ方"].iter_rows(values_only=True))
    assert ("honcho", offered["honcho"], 1, round(1 / offered["honcho"], 3)) in rows
    assert list(book["窓口別"].iter_rows(values_only=True))[1] == ("tax", 2, 1, 0, 0, 0, 1)
    status, out, err = await run(data_dir, "bookings", "report", "--from", day, "--to", day)
    assert status == 0 and "bookings " in out and "no-show rate: -" in out, err
    assert "slots used honcho: 1 of" in out
    status, _, err = await run(data_dir, "bookings", "report", "--from", day, "--to", "2000-01-01")
    assert status == 2 and "'to' is before 'from'" in err


async def test_report_uses_the_towns_stored_hours_and_the_reports_filters(tmp_path: Path) -> None:
    """The CLI's report is /reports': the admin's closed day offers nothing, and route/place/channel narrow it."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = await open_database(f"sqlite+aiosqlite:///{(data_dir / 'madoguchi.db').resolve()}")
    start = next_open_day()
    day = start.date().isoformat()
    try:
        await Municipalities(db).ensure_municipality("shiomi", name_ja="汐見町", name_en="Shiomi")
        [slot] = [s for s in day_slots(PLAN, "tax", start.date(), place="honcho") if s.start == start]
        await Bookings(db).book(NewBooking("shiomi", "tax", slot, "ヤマダ ハナコ"), now=datetime.now(UTC))
        spec = TOWN.file_hours()
        assert spec is not None
        closed = spec.model_copy(update={"closed": [*spec.closed, start.date()]})
        await OpeningHoursStore(db).save("shiomi", closed, actor="test", by="管理者", at=datetime.now(UTC))
    finally:
        await db.close()
    status, out, err = await run(data_dir, "bookings", "report", "--from", day, "--to", day, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert report["bookings"] == 1 and report["filters"] == {}
    assert report["utilisation"]["*"]["offered"] == 0  # the admin closed that day on /admin: no slot was offered
    status, out, err = await run(
        data_dir, "bookings", "report", "--from", day, "--to", day, "--route", "tax", "--place", "honcho", "--json"
    )
    assert status == 0, err
    report = json.loads(out)
    assert report["bookings"] == 1 and report["filters"] == {"route": "tax", "place": "honcho"}
    for narrowing in (["--route", "resident_records"], ["--channel", "booth"]):
        status, out, err = await run(data_dir, "bookings", "report", "--from", day, "--to", day, *narrowing, "--json")
        assert status == 0, err
        assert json.loads(out)["bookings"] == 0, narrowing
    status, _, err = await run(data_dir, "bookings", "report", "--from", day, "--to", day, "--booth", "nowhere")
    assert status == 2 and "no booth 'nowhere'" in err
