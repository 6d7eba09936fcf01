"""Stored daily rollups on SQLite and PostgreSQL: triggers mark every change, and a report added up from stored
days equals the row-by-row report after every kind of write (new case, late answer, satisfaction, a case on an
old day, the same write repeated by the outbox), also with two processes building at once."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from madoguchi.reports.kpis import JST, KpiSettings, compute, day_bounds, finish
from madoguchi.reports.query import ReportFilter, read_columns
from madoguchi.reports.rollups import refresh, report_summary
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database, open_database
from madoguchi.storage.models import ReportRollup, ReportRollupChange
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import ConsultationRecords, NewConsultation
from madoguchi.storage.testing import Backend, temporary_database_url
from tests.report_cases import booth_case, chat_case

FIRST, LAST = date(2026, 11, 1), date(2026, 11, 7)
KPI = KpiSettings(short_abandon_s=10.0, target_s=60.0, route_targets={"tax": 300.0})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    backend: Backend = request.param
    async with temporary_database_url(backend, tmp_path) as database_url:
        yield database_url


async def towns(db: Database) -> dict[str, str]:
    municipalities = Municipalities(db)
    for town in ("shiomi", "nagi"):
        await municipalities.add_municipality(town, name_ja=town, name_en=town)
    await municipalities.add_place("post", municipality_id="shiomi", name="郵便局", kind="post_office")
    booth, _ = await Booths(db).add("ブース", municipality_id="shiomi", place_id="post")
    other, _ = await Booths(db).add("ブース", municipality_id="nagi")
    return {"shiomi": booth.id, "nagi": other.id}


async def random_cases(records: ConsultationRecords, booths: dict[str, str], seed: int, count: int) -> None:
    rng = random.Random(seed)
    for n in range(count):
        town = rng.choice(["shiomi", "nagi"])
        at = datetime.combine(FIRST, datetime.min.time(), JST) + timedelta(seconds=rng.uniform(0, 7 * 86400))
        cid = f"s{seed}-{n}"
        if rng.random() < 0.4:
            handoff = None if rng.random() < 0.4 else rng.uniform(5, 300)
            wait = rng.choice([None, rng.uniform(0, 200)])
            await chat_case(records, cid, municipality=town, at=at, handoff_after=handoff, wait=wait, talk=30, wrap=5)
        else:
            kind = rng.random()
            await booth_case(
                records,
                cid,
                municipality=town,
                booth_id=booths[town],
                at=at,
                wait=rng.uniform(0, 400) if kind < 0.7 else None,
                talk=rng.choice([None, rng.uniform(60, 600)]),
                wrap=rng.choice([None, rng.uniform(5, 60)]),
                abandon_after=rng.uniform(0, 120) if kind >= 0.85 else None,
                agent_id=None,
                route=rng.choice(["tax", "pension", "bus_ferry"]),
            )


async def row_by_row(db: Database, first: date = FIRST, last: date = LAST) -> dict[str, object]:
    since, until = day_bounds(first, last, JST)
    return compute(await read_columns(db, ReportFilter(since, until, ["shiomi", "nagi"])), KPI)


async def from_rollups(db: Database, first: date = FIRST, last: date = LAST) -> dict[str, object]:
    return finish(await report_summary(db, ["shiomi", "nagi"], first, last, KPI), KPI)


async def changes(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(ReportRollupChange)) or 0)


async def built(db: Database) -> dict[tuple[str, date], datetime]:
    async with db.read() as session:
        rows = (
            await session.execute(select(ReportRollup.municipality_id, ReportRollup.day, ReportRollup.built_at))
        ).all()
    return {(town, day): at for town, day, at in rows}


async def test_rollups_follow_every_write(url: str) -> None:
    db = await open_database(url)
    try:
        booths = await towns(db)
        records = ConsultationRecords(db)
        await random_cases(records, booths, seed=1, count=60)
        assert await changes(db) > 0  # the triggers marked the writes

        first = await from_rollups(db)
        assert first == await row_by_row(db)
        assert first["volume"] == 60
        assert await changes(db) == 0  # consumed by the build
        stored = await built(db)
        assert len(stored) == 2 * 7  # every day of both towns, empty ones too

        # nothing changed: the stored days are used as they are
        assert await from_rollups(db) == first
        assert await built(db) == stored

        # a case on Nov 3 is answered late, another resident rates theirs, a new case lands on Nov 5
        target = datetime(2026, 11, 3, 10, 0, tzinfo=JST)
        await booth_case(records, "late", municipality="shiomi", booth_id=booths["shiomi"], at=target)
        await from_rollups(db)
        late = target + timedelta(seconds=95)
        await records.transition("late", at=late, kind="offer", state="offered", offered_at=late)
        await records.transition("late", at=late, kind="accept", state="active", answered_at=late)
        await chat_case(
            records, "new", municipality="nagi", at=datetime(2026, 11, 5, 23, 59, tzinfo=JST), handoff_after=90, wait=20
        )
        assert await changes(db) > 0
        again = await from_rollups(db)
        assert again == await row_by_row(db)
        assert again["volume"] == 62 and again != first
        rebuilt = {key for key, at in (await built(db)).items() if stored[key] != at}
        assert rebuilt == {("shiomi", date(2026, 11, 3)), ("nagi", date(2026, 11, 5))}  # only the touched days

        # a range inside, one reaching past the data, and a single day all agree too
        for span in ((date(2026, 11, 3), date(2026, 11, 4)), (date(2026, 10, 30), date(2026, 11, 9)), (LAST, LAST)):
            assert await from_rollups(db, *span) == await row_by_row(db, *span)

        # the outbox writes a record twice (same key): stored once, and the report still agrees
        record = NewConsultation(
            id="twice",
            municipality_id="shiomi",
            channel="booth",
            route="tax",
            language="ja",
            state="waiting",
            requested_at=datetime(2026, 11, 6, 9, 0, tzinfo=JST),
            booth_id=booths["shiomi"],
        )
        assert await records.create(record, key="twice:0") is True
        assert await records.create(record, key="twice:0") is False
        assert await from_rollups(db) == await row_by_row(db)

        # a waiting case left within seconds: a short abandon, counted apart the same way
        await records.transition(
            "twice",
            at=record.requested_at + timedelta(seconds=3),
            kind="cancel",
            state="abandoned",
            closed_at=record.requested_at + timedelta(seconds=3),
        )
        assert (await from_rollups(db))["abandoned_short"] == (await row_by_row(db))["abandoned_short"]

        # another zone or other thresholds never reuse these days
        other = KpiSettings(short_abandon_s=0.0, target_s=60.0, route_targets={"tax": 300.0})
        since, until = day_bounds(FIRST, LAST, JST)
        raw = compute(await read_columns(db, ReportFilter(since, until, ["shiomi", "nagi"])), other)
        assert finish(await report_summary(db, ["shiomi", "nagi"], FIRST, LAST, other), other) == raw
    finally:
        await db.close()


async def test_two_processes_building_while_cases_arrive_agree_with_the_rows(url: str) -> None:
    first_db = await open_database(url)
    second_db = await open_database(url)  # a second process: its own engine and connections
    try:
        booths = await towns(first_db)
        records = ConsultationRecords(first_db)
        await random_cases(records, booths, seed=2, count=40)

        async def writer() -> None:
            await random_cases(ConsultationRecords(second_db), booths, seed=3, count=30)

        async def reader(db: Database) -> None:
            for _ in range(4):
                await report_summary(db, ["shiomi", "nagi"], FIRST, LAST, KPI)

        await asyncio.gather(writer(), reader(first_db), reader(second_db))
        assert await refresh(first_db, ["shiomi", "nagi"], FIRST, LAST, KPI) >= 0
        final = await from_rollups(second_db)
        assert final == await row_by_row(first_db)
        assert final["volume"] == 70
        assert await refresh(second_db, ["shiomi", "nagi"], FIRST, LAST, KPI) == 0  # nothing left to rebuild
    finally:
        await first_db.close()
        await second_db.close()
