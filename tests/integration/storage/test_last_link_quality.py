"""``ConsultationRecords.last_link_quality``: each booth's latest call with a link summary, since a moment, on
SQLite and PostgreSQL, read in chunks of booths (session 13: one query per chunk, where it was one per booth)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from madoguchi.storage import records as records_module
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import open_database
from madoguchi.storage.models import Consultation
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.records import ConsultationRecords, NewConsultation

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


async def test_each_booths_latest_call_with_a_link_summary_in_chunks(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records_module, "LINK_QUALITY_CHUNK", 2)  # five booths: three chunks
    db = await open_database(database_url)
    try:
        await Municipalities(db).add_municipality("shiomi", name_ja="汐見町", name_en="Shiomi Town")
        booths = [(await Booths(db).add(f"ブース{n}", municipality_id="shiomi"))[0].id for n in range(5)]
        records = ConsultationRecords(db)
        # (booth, minutes ago, the summary kept or None)
        calls = [
            (0, 50, {"resident": {"rtt_ms": {"median": 100}}}),
            (0, 20, {"resident": {"rtt_ms": {"median": 200}}}),  # booth 0's latest with a summary
            (0, 10, None),  # later, but no summary: skipped
            (1, 30, {"agent": {"loss_pct": {"median": 1.5}}}),
            (2, 60 * 24 * 40, {"resident": {"rtt_ms": {"median": 900}}}),  # before ``since``
            (4, 5, {"resident": {"freezes": 2}}),
        ]
        for n, (booth, ago, summary) in enumerate(calls):
            cid = f"c{n}"
            await records.create(
                NewConsultation(
                    id=cid,
                    municipality_id="shiomi",
                    channel="booth",
                    route="tax",
                    language="ja",
                    state="ended",
                    requested_at=NOW - timedelta(minutes=ago),
                    booth_id=booths[booth],
                )
            )
            if summary is not None:
                kept = update(Consultation).where(Consultation.id == cid).values(link_quality=summary)
                async with db.transaction() as session:
                    await session.execute(kept)
        found = await records.last_link_quality(booths, NOW - timedelta(days=30))
        assert {booths.index(b): (NOW - at.astimezone(UTC), sides) for b, (at, sides) in found.items()} == {
            0: (timedelta(minutes=20), {"resident": {"rtt_ms": {"median": 200}}}),
            1: (timedelta(minutes=30), {"agent": {"loss_pct": {"median": 1.5}}}),
            4: (timedelta(minutes=5), {"resident": {"freezes": 2}}),
        }
        assert await records.last_link_quality([], NOW) == {}
    finally:
        await db.close()
