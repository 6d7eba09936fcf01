"""The participants table: migration 0003 fills it from consultations stored before it existed, and the records
writer keeps it in step with the live counter's participants (one row per stint, closed with the case)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from madoguchi.storage.db import Database, create_engine, migrate
from madoguchi.storage.records import ConsultationRecords, NewConsultation
from madoguchi.storage.updates import Creation, ParticipantRow, Transition

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


async def test_migration_0003_fills_participants_from_older_consultations(database_url: str) -> None:
    await migrate(database_url, "0002_event_record_key")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO municipalities (id, name_ja, name_en) VALUES ('m', 'm', 'm')"))
            await conn.execute(
                text(
                    "INSERT INTO staff (id, username, display_name, password_hash, role, routes, languages, "
                    "created_at, disabled) VALUES ('u1', 'u1', 'U', 'x', 'agent', '[\"*\"]', '[\"ja\"]', :t, false)"
                ),
                {"t": T0},
            )
            await conn.execute(
                text(
                    "INSERT INTO booths (id, municipality_id, name, location, token_hash, created_at) "
                    "VALUES ('b1', 'm', 'B', '', 'h', :t)"
                ),
                {"t": T0},
            )
            insert = text(
                "INSERT INTO consultations (id, municipality_id, channel, booth_id, resident_ref, route, language, "
                "urgent, state, agent_id, requested_at, answered_at, ended_at, closed_at, updated_at) VALUES "
                "(:id, 'm', :channel, :booth, :ref, 'tax', 'ja', false, :state, :agent, :t0, :ans, :end, :closed, :t0)"
            )
            await conn.execute(
                insert,
                {
                    "id": "c1",
                    "channel": "booth",
                    "booth": "b1",
                    "ref": None,
                    "state": "closed",
                    "agent": "u1",
                    "t0": T0,
                    "ans": at(10),
                    "end": at(60),
                    "closed": at(90),
                },
            )
            await conn.execute(
                insert,
                {
                    "id": "c2",
                    "channel": "chat",
                    "booth": None,
                    "ref": "resident:abc",
                    "state": "waiting",
                    "agent": None,
                    "t0": at(5),
                    "ans": None,
                    "end": None,
                    "closed": None,
                },
            )
    finally:
        await engine.dispose()

    await migrate(database_url)
    db = Database(database_url)
    try:
        records = ConsultationRecords(db)
        assert await records.participants("c1") == [
            ParticipantRow("booth:b1", "resident", T0, at(60), None),
            ParticipantRow("agent:u1", "agent", at(10), at(90), "u1"),
        ]
        assert await records.participants("c2") == [ParticipantRow("resident:abc", "resident", at(5), None, None)]
    finally:
        await db.close()


async def test_the_writer_keeps_one_row_per_stint_and_closes_them_with_the_case(db: Database) -> None:
    from madoguchi.storage.municipalities import Municipalities

    await Municipalities(db).add_municipality("m", name_ja="m", name_en="m")
    records = ConsultationRecords(db)
    resident = ParticipantRow("resident:abc", "resident", at(0))
    new = NewConsultation(
        id="c1", municipality_id="m", channel="chat", route="tax", language="ja", state="waiting", requested_at=at(0)
    )
    await records.apply(Creation(new, key="c1:0", participants=(resident,)))
    observer = ParticipantRow("agent:s1", "observer", at(20), None, "s1")
    step = Transition("c1", at(20), "join", "active", "c1:1", participants=(resident, observer))
    await records.apply(step)
    await records.apply(step)  # a retry changes nothing
    left = ParticipantRow("agent:s1", "observer", at(20), at(30), "s1")
    await records.apply(Transition("c1", at(30), "leave", "active", "c1:2", participants=(resident, left)))
    await records.apply(Transition("c1", at(40), "cancel", "abandoned", "c1:3", columns={"closed_at": at(40)}))
    assert await records.participants("c1") == [
        ParticipantRow("resident:abc", "resident", at(0), at(40), None),
        ParticipantRow("agent:s1", "observer", at(20), at(30), "s1"),
    ]
    record = await records.get("c1")
    assert record is not None and record.state == "abandoned" and record.closed_at == at(40)
