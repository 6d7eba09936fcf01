"""``madoguchi hours`` and ``madoguchi reports rollup`` as real subprocesses on SQLite: the stored hours the admin
page uses, audited, with mistakes as one plain line; the rollups built ahead of the first report."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from madoguchi.reports.kpis import JST
from madoguchi.storage.audit import AuditLog
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
