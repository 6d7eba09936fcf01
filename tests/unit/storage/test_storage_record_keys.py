"""Writes keyed by the live state's record key happen once, however often they are made (SQLite and PostgreSQL).

Pending records may be written by two processes at once, or again after a commit whose reply was lost; the
unique ``record_key`` makes every repeat a no-op."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database
from madoguchi.storage.errors import DuplicateConsultation
from madoguchi.storage.records import ConsultationRecords, NewConsultation

T0 = datetime(2024, 6, 3, 0, 30, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
async def booth_id(db: Database, town: str) -> str:
    booth, _ = await Booths(db).add("汐見郵便局ブース", municipality_id=town, place_id="post")
    return booth.id


def new(booth_id: str, consultation_id: str = "c1") -> NewConsultation:
    return NewConsultation(
        id=consultation_id,
        municipality_id="shiomi",
        channel="booth",
        booth_id=booth_id,
        route="tax",
        language="ja",
        state="waiting",
        requested_at=at(0),
    )


async def test_creating_with_the_same_key_twice_stores_one_row_and_one_event(db: Database, booth_id: str) -> None:
    records = ConsultationRecords(db)
    assert await records.create(new(booth_id), key="c1:0") is True
    assert await records.create(new(booth_id), key="c1:0") is False

    events = await records.events("c1")
    assert [(e.kind, e.state) for e in events] == [("created", "waiting")]
    assert [r.id for r in await records.unfinished()] == ["c1"]


async def test_a_different_key_or_no_key_for_an_existing_id_is_still_refused(db: Database, booth_id: str) -> None:
    records = ConsultationRecords(db)
    await records.create(new(booth_id), key="c1:0")
    with pytest.raises(DuplicateConsultation):
        await records.create(new(booth_id), key="c1:7")
    with pytest.raises(DuplicateConsultation):
        await records.create(new(booth_id))


async def test_a_transition_with_the_same_key_twice_appends_one_event(db: Database, booth_id: str) -> None:
    records = ConsultationRecords(db)
    await records.create(new(booth_id), key="c1:0")
    await records.transition("c1", at=at(5), kind="offer", state="offered", key="c1:1", offered_at=at(5))
    await records.transition("c1", at=at(9), kind="cancel", state="abandoned", key="c1:2", closed_at=at(9))

    # a late repeat of the offer must not move the case back, nor add an event
    again = await records.transition("c1", at=at(5), kind="offer", state="offered", key="c1:1", offered_at=at(5))
    assert again.state == "abandoned"
    events = await records.events("c1")
    assert [e.kind for e in events] == ["created", "offer", "cancel"]
    record = await records.get("c1")
    assert record is not None and record.state == "abandoned" and record.closed_at == at(9)


async def test_unkeyed_transitions_are_not_deduplicated(db: Database, booth_id: str) -> None:
    records = ConsultationRecords(db)
    await records.create(new(booth_id))
    await records.transition("c1", at=at(5), kind="note", state="waiting")
    await records.transition("c1", at=at(5), kind="note", state="waiting")
    assert [e.kind for e in await records.events("c1")] == ["created", "note", "note"]


async def test_concurrent_writers_of_the_same_records_store_them_once(db: Database, booth_id: str) -> None:
    records = ConsultationRecords(db)

    async def write_all() -> None:
        await records.create(new(booth_id), key="c1:0")
        await records.transition("c1", at=at(5), kind="offer", state="offered", key="c1:1")
        await records.transition("c1", at=at(6), kind="accept", state="active", key="c1:2")

    await asyncio.gather(write_all(), write_all(), write_all())
    assert [e.kind for e in await records.events("c1")] == ["created", "offer", "accept"]
    record = await records.get("c1")
    assert record is not None and record.state == "active"
