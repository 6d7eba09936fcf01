"""The report query on SQLite and PostgreSQL: the chat's wait starts at its handoff, scope and filters in SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from madoguchi.reports.kpis import JST, KpiSettings, compute, day_bounds
from madoguchi.reports.query import ReportFilter, read_columns, read_rows
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database, open_database
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import ConsultationRecords
from madoguchi.storage.testing import Backend, temporary_database_url
from tests.report_cases import booth_case, chat_case


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    backend: Backend = request.param
    async with temporary_database_url(backend, tmp_path) as url:
        database = await open_database(url)
        try:
            yield database
        finally:
            await database.close()


def jst(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=JST)


async def test_rows_carry_the_handoff_and_stay_in_scope(db: Database) -> None:
    municipalities = Municipalities(db)
    for town in ("shiomi", "nagi"):
        await municipalities.add_municipality(town, name_ja=town, name_en=town)
    await municipalities.add_place("post", municipality_id="shiomi", name="郵便局", kind="post_office")
    booth, _ = await Booths(db).add("ブース", municipality_id="shiomi", place_id="post")
    other, _ = await Booths(db).add("ブース", municipality_id="nagi")
    records = ConsultationRecords(db)
    await booth_case(records, "a1", municipality="shiomi", booth_id=booth.id, at=jst(2, 9, 0), abandon_after=30)
    await chat_case(records, "a2", municipality="shiomi", at=jst(2, 23, 55), handoff_after=600, wait=15)
    await chat_case(records, "a3", municipality="shiomi", at=jst(2, 12, 0), handoff_after=None)
    await booth_case(records, "a4", municipality="shiomi", booth_id=booth.id, at=jst(3, 0, 0), abandon_after=30)
    await booth_case(records, "b1", municipality="nagi", booth_id=other.id, at=jst(2, 9, 0), abandon_after=30)
    since, until = day_bounds(date(2026, 11, 2), date(2026, 11, 2), JST)

    rows = {row.id: row for row in await read_rows(db, ReportFilter(since, until, ["shiomi"]))}

    assert sorted(rows) == ["a1", "a2", "a3"]
    assert rows["a1"].queued_at == rows["a1"].requested_at == jst(2, 9, 0)
    assert rows["a1"].place_id == "post"
    assert rows["a2"].queued_at == jst(3, 0, 5)  # the handoff, after midnight
    assert rows["a2"].answered_at == jst(3, 0, 5) + timedelta(seconds=15)
    assert rows["a3"].queued_at is None
    assert all(row.satisfaction is None for row in rows.values())  # none of them answered the satisfaction question
    figures = compute(rows.values(), KpiSettings())
    assert (figures["asa_s"], figures["bot_containment"], figures["abandoned"]) == (15, 0.5, 1)
    # the fast path (epoch seconds computed by the database) gives the same figures
    assert compute(await read_columns(db, ReportFilter(since, until, ["shiomi"])), KpiSettings()) == figures
    assert compute(await read_columns(db, ReportFilter(since, until, [])), KpiSettings())["volume"] == 0

    assert await read_rows(db, ReportFilter(since, until, [])) == []
    chats = await read_rows(db, ReportFilter(since, until, ["shiomi", "nagi"], channel="chat"))
    assert sorted(row.id for row in chats) == ["a2", "a3"]
    at_post = await read_rows(db, ReportFilter(since, until, ["shiomi", "nagi"], place_id="post"))
    assert [row.id for row in at_post] == ["a1"]
    both = await read_rows(db, ReportFilter(since, until, ["shiomi", "nagi"], route="tax"))
    assert sorted(row.id for row in both) == ["a1", "b1"]


async def test_the_supervisors_today_counts_abandons_as_the_report_does(db: Database) -> None:
    """#11: the supervisor page said 途中で帰られた方 7 where /reports said 待ちきれずに帰った 3 (plus 3 short ones):
    the same day's records give the same number both ways (short abandons left out, a bot-only chat too)."""
    municipalities = Municipalities(db)
    await municipalities.add_municipality("shiomi", name_ja="汐見", name_en="Shiomi")
    booth, _ = await Booths(db).add("ブース", municipality_id="shiomi")
    records = ConsultationRecords(db)
    for i, after in enumerate((3, 5, 9.5, 10, 45, 600)):  # three short (< 10 s), three who gave up on a wait
        await booth_case(
            records, f"b{i}", municipality="shiomi", booth_id=booth.id, at=jst(2, 9, i), abandon_after=after
        )
    await booth_case(records, "ok", municipality="shiomi", booth_id=booth.id, at=jst(2, 10, 0), wait=20, talk=60)
    await chat_case(records, "bot", municipality="shiomi", at=jst(2, 11, 0), handoff_after=None)
    since, until = day_bounds(date(2026, 11, 2), date(2026, 11, 2), JST)
    settings = KpiSettings(short_abandon_s=10.0)

    figures = compute(await read_rows(db, ReportFilter(since, until, ["shiomi"])), settings)
    received, answered, abandoned, short, callbacks = await records.counts_since("shiomi", since, short_abandon_s=10.0)

    assert (figures["abandoned"], figures["abandoned_short"]) == (3, 3)
    assert abandoned == figures["abandoned"]
    assert answered == figures["answered"] == 1 and received >= 7
    assert (short, callbacks) == (3, 0)
    # fix7b: a call-back request is its own figure, neither answered nor left; the figures add up
    for i, after in enumerate((2, 30)):
        await booth_case(records, f"cb{i}", municipality="shiomi", booth_id=booth.id, at=jst(2, 12, i))
        gone = jst(2, 12, i) + timedelta(seconds=after)
        await records.transition(
            f"cb{i}", at=gone, kind="cancel", state="abandoned", closed_at=gone, end_reason="callback"
        )
    await booth_case(records, "still", municipality="shiomi", booth_id=booth.id, at=jst(2, 13, 0))  # waiting
    counts = await records.counts_since("shiomi", since, short_abandon_s=10.0)
    assert counts[1:] == (1, 3, 3, 2)
    assert counts.received == sum(counts[1:]) + 1  # + the one still waiting
