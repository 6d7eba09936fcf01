"""``madoguchi records purge``: each town's retention period, a dry run that changes nothing, an audit line.

The real ``madoguchi`` executable runs against SQLite and PostgreSQL, with a knowledge-base folder whose
``municipality.yaml`` sets ``retention_years: 2`` for one town while the other falls back to
``MADOGUCHI_RETENTION_YEARS=10``.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from madoguchi.chatbot.knowledge import DATA_DIR
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.db import open_database
from madoguchi.storage.models import ChatMessage, Consultation, ConsultationEvent
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import ConsultationRecords, NewConsultation
from madoguchi.storage.retention import years_before
from tests.integration.storage.conftest import CliResult, cli_env, run_cli

NOW = datetime.now(UTC)
YEAR = timedelta(days=365)
# id: (town, finished how long ago (None: still open), requested how long ago)
CASES: dict[str, tuple[str, timedelta | None, timedelta]] = {
    "shiomi-old": ("shiomi", 3 * YEAR, 3 * YEAR + timedelta(hours=1)),  # past shiomi's 2 years
    "shiomi-recent": ("shiomi", 1 * YEAR, 1 * YEAR + timedelta(hours=1)),
    "shiomi-open": ("shiomi", None, 6 * YEAR),  # never purged while open, however old
    "ishi-3y": ("ishinomori", 3 * YEAR, 3 * YEAR + timedelta(hours=1)),  # inside the default 10 years
    "ishi-11y": ("ishinomori", 11 * YEAR, 11 * YEAR + timedelta(hours=1)),
}
PURGED = {"shiomi-old", "ishi-11y"}


async def write_cases(database_url: str) -> None:
    db = await open_database(database_url)
    try:
        municipalities = Municipalities(db)
        await municipalities.add_municipality("shiomi", name_ja="汐見町", name_en="Shiomi Town")
        await municipalities.add_municipality("ishinomori", name_ja="石ノ森村", name_en="Ishinomori Village")
        records = ConsultationRecords(db)
        for cid, (town, finished_ago, requested_ago) in CASES.items():
            requested = NOW - requested_ago
            await records.create(
                NewConsultation(
                    id=cid,
                    municipality_id=town,
                    channel="chat",
                    resident_ref="r_" + cid,
                    route="tax",
                    language="ja",
                    state="waiting",
                    requested_at=requested,
                )
            )
            await records.add_chat(cid, seq=None, sender="resident", text=f"記録の目印 {cid}", at=requested)
            if finished_ago is not None:
                done = NOW - finished_ago
                await records.transition(cid, at=done, kind="wrap_up", state="closed", closed_at=done, note="メモ")
    finally:
        await db.close()


async def counts(database_url: str) -> dict[str, object]:
    db = await open_database(database_url)
    try:
        async with db.read() as session:
            ids = set((await session.scalars(select(Consultation.id))).all())
            chat = int(await session.scalar(select(func.count()).select_from(ChatMessage)) or 0)
            events = int(await session.scalar(select(func.count()).select_from(ConsultationEvent)) or 0)
        audit = [entry for entry in await AuditLog(db).recent() if entry.action == "records.purge"]
    finally:
        await db.close()
    return {"ids": ids, "chat": chat, "events": events, "audit": audit}


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """The bundled town's folder, with ``retention_years: 2``."""
    root = tmp_path / "kb"
    shutil.copytree(DATA_DIR / "shiomi", root / "shiomi")
    municipality = root / "shiomi" / "municipality.yaml"
    text = municipality.read_text(encoding="utf-8")
    assert "retention_years: 5" in text
    municipality.write_text(text.replace("retention_years: 5", "retention_years: 2"), encoding="utf-8")
    return root


async def purge(tmp_path: Path, database_url: str, kb_dir: Path, *args: str) -> CliResult:
    env = cli_env(tmp_path / "data", database_url)
    env.update(MADOGUCHI_KB_DIR=str(kb_dir), MADOGUCHI_RETENTION_YEARS="10")
    return await run_cli(env, "records", "purge", *args)


def table_of(stdout: str) -> dict[str, int]:
    rows = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            rows[parts[0]] = int(parts[1])
    return rows


async def test_purge_removes_only_records_past_their_towns_period(
    tmp_path: Path, database_url: str, kb_dir: Path
) -> None:
    started = datetime.now(UTC)
    await write_cases(database_url)
    before = await counts(database_url)
    assert before["ids"] == set(CASES) and before["chat"] == 5

    dry = await purge(tmp_path, database_url, kb_dir, "--dry-run")

    assert dry.status == 0, dry
    assert "would delete (dry run, nothing changed):" in dry.stdout
    assert table_of(dry.stdout) == {
        "consultations": 2,
        "consultation_events": 4,
        "chat_messages": 2,
        "consultation_participants": 0,
        "callback_requests": 0,
    }
    assert "shiomi: kept 2 years" in dry.stdout and "ishinomori: kept 10 years" in dry.stdout
    assert await counts(database_url) == before  # nothing deleted, nothing audited

    real = await purge(tmp_path, database_url, kb_dir)

    assert real.status == 0, real
    assert table_of(real.stdout) == table_of(dry.stdout)
    after = await counts(database_url)
    assert after["ids"] == set(CASES) - PURGED
    assert (after["chat"], after["events"]) == (3, before["events"] - 4)  # type: ignore[operator]
    (entry,) = after["audit"]  # type: ignore[misc]
    assert entry.actor.startswith("cli")
    assert entry.detail["deleted"] == {
        "consultations": 2,
        "consultation_events": 4,
        "chat_messages": 2,
        "consultation_participants": 0,
        "callback_requests": 0,
    }
    assert set(entry.detail["cutoffs"]) == {"shiomi", "ishinomori"}
    cutoff = datetime.fromisoformat(entry.detail["cutoffs"]["shiomi"])
    assert years_before(started, 2) <= cutoff <= years_before(datetime.now(UTC), 2)

    if database_url.startswith("sqlite"):  # the deleted words are gone from the file, not just unlinked
        path = Path(database_url.split("///", 1)[1])
        stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert "記録の目印 shiomi-old".encode() not in stored
        assert "記録の目印 shiomi-recent".encode() in stored

    again = await purge(tmp_path, database_url, kb_dir)
    assert again.status == 0 and table_of(again.stdout)["consultations"] == 0


async def test_before_narrows_the_purge_but_never_reaches_inside_the_period(
    tmp_path: Path, database_url: str, kb_dir: Path
) -> None:
    await write_cases(database_url)

    narrow = await purge(tmp_path, database_url, kb_dir, "--before", (NOW - 5 * YEAR).date().isoformat())
    assert narrow.status == 0, narrow
    assert (await counts(database_url))["ids"] == set(CASES) - {"ishi-11y"}

    wide = await purge(tmp_path, database_url, kb_dir, "--before", NOW.date().isoformat())
    assert wide.status == 0, wide
    assert (await counts(database_url))["ids"] == set(CASES) - PURGED  # shiomi-recent and ishi-3y are kept

    future = await purge(tmp_path, database_url, kb_dir, "--before", (NOW + YEAR).date().isoformat())
    assert future.status == 2 and "future" in future.stderr and "Traceback" not in future.stderr
