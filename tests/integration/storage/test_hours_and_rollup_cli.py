"""``madoguchi hours`` and ``madoguchi reports rollup`` as real subprocesses on SQLite: the stored hours the admin
page uses, audited, with mistakes as one plain line; the rollups built ahead of the first report."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from madoguchi.bookings.slots import Slot
from madoguchi.reports.kpis import JST
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.bookings import Bookings, NewBooking
from madoguchi.storage.db import open_database
from madoguchi.storage.opening_hours import OpeningHoursStore
from madoguchi.storage.records import ConsultationRecords, NewConsultation

from .conftest import add_town, cli_env, run_cli


async def test_hours_set_show_reset(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await add_town(url)
    env = cli_env(tmp_path, url)
    spec = "opening_hours:\n  weekly: {mon: '8:30-17:15', sat: '09:00-12:00'}\n  closed_yearly: ['12-29..01-03']\n"

    assert (await run_cli(env, "hours", "show")).stdout.startswith("shiomi: no stored hours")
    stored = await run_cli(env, "hours", "set", "-", stdin=spec)
    assert stored.status == 0, stored
    shown = await run_cli(env, "hours", "show", "--municipality", "shiomi")
    assert shown.status == 0
    body = json.loads(shown.stdout.split("\n", 1)[1])
    assert body["weekly"]["mon"] == "08:30-17:15" and body["weekly"]["sat"] == "09:00-12:00"
    assert body["weekly"]["sun"] == "closed" and body["closed_yearly"] == ["12-29..01-03"]

    wrong = await run_cli(env, "hours", "set", "-", stdin="weekly: {mon: '17:00-09:00'}\n")
    assert wrong.status == 2 and wrong.stderr.strip() == (
        "madoguchi: error: weekly: Value error, '17:00-09:00' ends before it starts"
    )
    back = await run_cli(env, "hours", "reset")
    assert back.status == 0 and "back to the municipality file" in back.stdout

    db = await open_database(url)
    try:
        assert await OpeningHoursStore(db).get("shiomi") is None
        actions = [e.action for e in reversed(await AuditLog(db).recent())]
        assert actions[-2:] == ["hours.update", "hours.reset"]
    finally:
        await db.close()


async def test_reports_rollup_builds_the_days_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await add_town(url)
    db = await open_database(url)
    try:
        yesterday = datetime.now(JST).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
        await ConsultationRecords(db).create(
            NewConsultation(
                id="c1",
                municipality_id="shiomi",
                channel="chat",
                route="tax",
                language="ja",
                state="triage",
                requested_at=yesterday,
            )
        )
    finally:
        await db.close()
    env = cli_env(tmp_path, url)
    first = await run_cli(env, "reports", "rollup", "--from", str(yesterday.date() - timedelta(days=2)))
    assert first.status == 0, first
    assert first.stdout.strip().endswith("for shiomi: 3 day(s) built")
    again = await run_cli(env, "reports", "rollup", "--from", str(yesterday.date() - timedelta(days=2)))
    assert again.stdout.strip().endswith("for shiomi: 0 day(s) built")
    wrong = await run_cli(env, "reports", "rollup", "--municipality", "nowhere")
    assert wrong.status == 2 and "unknown municipality 'nowhere'" in wrong.stderr


def _next(weekday: int, after: int = 7) -> date:
    day = datetime.now(JST).date() + timedelta(days=after)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


async def _book(url: str, day: date, hour: int, phone: str | None = None) -> str:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=JST)
    slot = Slot("honcho-counter", "counter", "honcho", start, start + timedelta(minutes=20), 2)
    db = await open_database(url)
    try:
        booked = await Bookings(db).book(
            NewBooking("shiomi", "tax", slot, "ヤマダ ハナコ", phone=phone), now=datetime.now(UTC)
        )
    finally:
        await db.close()
    return booked.code


async def test_hours_set_and_reset_name_the_bookings_they_close_first(tmp_path: Path) -> None:
    """Gap of session 8: ``hours set``/``reset`` changed the hours without the check /admin makes (409 until
    confirmed). Now the same rule (``bookings_closed_by``): exit 2 naming each booking and nothing changed, until
    ``--confirm``; then the change is stored and the bookings are named again, for the office to call."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await add_town(url)
    env = cli_env(tmp_path, url)
    tuesday = await _book(url, _next(1), 10, phone="090-1234-5678")
    closes_tuesdays = "weekly: {mon: '08:30-17:15', wed: '08:30-17:15'}\n"

    refused = await run_cli(env, "hours", "set", "-", stdin=closes_tuesdays)
    assert refused.status == 2, refused
    assert "1 booking(s) fall on hours this change closes; nothing was changed" in refused.stderr
    assert tuesday in refused.stderr and "--confirm" in refused.stderr and refused.stdout == ""
    # tidy13: each line has what /admin's list has, to call the resident: the name as booked and the contact,
    # masked in a terminal (the whole number is on /admin, where showing it is audited)
    (line,) = [text for text in refused.stderr.splitlines() if tuesday in text]
    assert f"{_next(1)} 10:00" in line and "tax" in line and "ヤマダ ハナコ" in line and "***5678" in line, line
    assert "1234-5678" not in refused.stderr and "/admin" in refused.stderr
    db = await open_database(url)
    try:
        assert await OpeningHoursStore(db).get("shiomi") is None
    finally:
        await db.close()
    stored = await run_cli(env, "hours", "set", "-", "--confirm", stdin=closes_tuesdays)
    assert stored.status == 0 and "stored opening hours" in stored.stdout and tuesday in stored.stdout, stored
    # no booking on a day it closes: stored at once
    opens_saturdays = "weekly: {tue: '08:30-17:15', sat: '09:00-12:00'}\n"
    assert (await run_cli(env, "hours", "set", "-", stdin=opens_saturdays)).status == 0
    # the file's hours (weekdays) would close a Saturday booked meanwhile: reset is checked the same way
    saturday = await _book(url, _next(5), 10)
    refused = await run_cli(env, "hours", "reset")
    assert refused.status == 2 and saturday in refused.stderr and tuesday not in refused.stderr, refused
    back = await run_cli(env, "hours", "reset", "--confirm")
    assert back.status == 0 and "back to the municipality file" in back.stdout and saturday in back.stdout, back
    assert "no contact" in back.stdout, back
