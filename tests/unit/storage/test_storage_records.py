"""Consultation records, events, chat and export on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import text as sql

from madoguchi.signaling.masking_work import MaskingWork
from madoguchi.storage import records as records_module
from madoguchi.storage.accounts import Accounts
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database, current_revision, migrate
from madoguchi.storage.errors import (
    ChatSeqConflict,
    DuplicateConsultation,
    InvalidValue,
    UnknownBooth,
    UnknownColumn,
    UnknownConsultation,
)
from madoguchi.storage.models import ChatMessage
from madoguchi.storage.records import EXPORT_FIELDS, ConsultationRecords, NewConsultation
from madoguchi.storage.spreadsheets import ExportOptions, display_value

T0 = datetime(2024, 6, 3, 0, 30, tzinfo=UTC)
A = TypeVar("A")
T = TypeVar("T")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Scene:
    records: ConsultationRecords
    booth_id: str
    agent_id: str


@pytest.fixture
async def scene(db: Database, town: str, accounts: Accounts) -> Scene:
    booth, _ = await Booths(db).add("汐見郵便局ブース", municipality_id=town, place_id="post")
    agent = await accounts.add_user(
        "agent1",
        "long-enough-pw",
        role="agent",
        municipality_ids=[town],
        routes=["*"],
        languages=["ja"],
        display_name="窓口 一郎",
    )
    return Scene(ConsultationRecords(db), booth.id, agent.id)


def new(scene: Scene, consultation_id: str = "c1", **overrides: object) -> NewConsultation:
    values: dict[str, object] = {
        "id": consultation_id,
        "municipality_id": "shiomi",
        "channel": "booth",
        "booth_id": scene.booth_id,
        "route": "tax",
        "language": "ja",
        "state": "waiting",
        "requested_at": at(0),
    }
    values.update(overrides)
    return NewConsultation(**values)  # type: ignore[arg-type]


async def test_create_stores_the_case_and_its_first_event(scene: Scene) -> None:
    await scene.records.create(new(scene, triage={"route": "tax", "score": 0.9}))

    record = await scene.records.get("c1")
    assert record is not None
    assert (record.state, record.route, record.channel, record.booth_id) == ("waiting", "tax", "booth", scene.booth_id)
    assert record.requested_at == at(0) and record.updated_at == at(0)
    assert record.triage == {"route": "tax", "score": 0.9}
    assert record.answered_at is None and not record.urgent and not record.finished
    events = await scene.records.events("c1")
    assert [(e.kind, e.state, e.at) for e in events] == [("created", "waiting", at(0))]
    assert await scene.records.get("c2") is None


async def test_create_refuses_duplicates_and_unknown_references(scene: Scene) -> None:
    await scene.records.create(new(scene))
    with pytest.raises(DuplicateConsultation):
        await scene.records.create(new(scene))
    with pytest.raises(UnknownBooth):
        await scene.records.create(new(scene, "c2", booth_id="b_missing"))
    with pytest.raises(InvalidValue, match="channel"):
        await scene.records.create(new(scene, "c3", channel="fax"))
    with pytest.raises(InvalidValue, match="booth_id"):
        await scene.records.create(new(scene, "c4", booth_id=None))


async def test_transition_updates_columns_and_appends_one_event(scene: Scene) -> None:
    await scene.records.create(new(scene))

    offered = await scene.records.transition("c1", at=at(5), kind="offer", state="offered", offered_at=at(5))
    answered = await scene.records.transition(
        "c1", at=at(9), kind="accept", state="active", answered_at=at(9), agent_id=scene.agent_id
    )

    assert offered.state == "offered" and offered.offered_at == at(5)
    assert answered == await scene.records.get("c1")
    assert (answered.state, answered.answered_at, answered.agent_id) == ("active", at(9), scene.agent_id)
    assert answered.updated_at == at(9)
    events = await scene.records.events("c1")
    assert [(e.kind, e.state) for e in events] == [("created", "waiting"), ("offer", "offered"), ("accept", "active")]
    assert events[2].detail == {"answered_at": at(9).isoformat(), "agent_id": scene.agent_id}


async def test_transition_with_an_unknown_column_writes_nothing(scene: Scene) -> None:
    await scene.records.create(new(scene))

    with pytest.raises(UnknownColumn, match="requested_at"):
        await scene.records.transition("c1", at=at(5), kind="x", state="offered", requested_at=at(5))
    with pytest.raises(UnknownColumn, match="colour"):
        await scene.records.transition("c1", at=at(5), kind="x", state="offered", colour="red")

    record = await scene.records.get("c1")
    assert record is not None and record.state == "waiting" and record.requested_at == at(0)
    assert len(await scene.records.events("c1")) == 1


async def test_a_failing_transition_leaves_neither_the_columns_nor_the_event(scene: Scene) -> None:
    await scene.records.create(new(scene))

    with pytest.raises(Exception, match=r"(?i)foreign key"):
        await scene.records.transition(
            "c1", at=at(9), kind="accept", state="active", answered_at=at(9), agent_id="u_nobody"
        )

    record = await scene.records.get("c1")
    assert record is not None and (record.state, record.answered_at, record.agent_id) == ("waiting", None, None)
    assert [e.kind for e in await scene.records.events("c1")] == ["created"]


async def test_transition_of_an_unknown_consultation_is_refused(scene: Scene) -> None:
    with pytest.raises(UnknownConsultation):
        await scene.records.transition("nope", at=at(1), kind="offer", state="offered")


async def test_chat_retry_with_the_same_client_id_is_stored_once(scene: Scene) -> None:
    await scene.records.create(new(scene))

    first = await scene.records.add_chat("c1", seq=1, sender="resident", text="こんにちは", at=at(10), client_id="k1")
    retry = await scene.records.add_chat("c1", seq=2, sender="resident", text="こんにちは", at=at(11), client_id="k1")
    second = await scene.records.add_chat(
        "c1", seq=2, sender="agent", text="どうされましたか", at=at(12), client_id="k2"
    )

    assert (first, retry, second) == ((1, True), (1, False), (2, True))
    lines = await scene.records.chat("c1")
    assert [(line.seq, line.sender, line.text, line.client_id) for line in lines] == [
        (1, "resident", "こんにちは", scene.records.client_key("c1", "k1")),
        (2, "agent", "どうされましたか", scene.records.client_key("c1", "k2")),
    ]
    assert lines[0].at == at(10)
    assert [line.seq for line in await scene.records.chat("c1", after_seq=1)] == [2]
    assert await scene.records.max_seq("c1") == 2


async def test_a_client_id_is_stored_as_its_keyed_hash_and_still_dedupes(scene: Scene, db: Database) -> None:
    """Session 11 review: a client id of 16+ hex digits skips the 個人番号 check, so ``123456789018abcd`` was
    stored as it was; then as a bare SHA-256 with the case's id, which anyone with the database undoes by trying
    the 10^12 numbers. Now an HMAC under the deployment's key: another process with the same key still finds the
    line on a retry; the same id under another key (another deployment) stores something else."""
    key = b"k" * 32
    records = ConsultationRecords(db, line_key=key)
    await records.create(new(scene))
    hexed = "123456789018abcd"
    assert await records.add_chat("c1", seq=None, sender="resident", text="a", at=at(1), client_id=hexed) == (1, True)
    again = ConsultationRecords(db, line_key=key)  # another process: nothing kept in memory
    assert await again.add_chat("c1", seq=None, sender="resident", text="a", at=at(2), client_id=hexed) == (1, False)
    (stored,) = [line.client_id for line in await records.chat("c1")]
    assert stored is not None and len(stored) == 32 and "123456789018" not in stored
    bare = hashlib.sha256(f"c1\x00{hexed}".encode()).hexdigest()[:32]
    assert stored != bare, "a bare hash: found again by trying every number"
    assert stored == hmac.new(key, f"c1\x00{hexed}".encode(), hashlib.sha256).hexdigest()[:32]
    other = ConsultationRecords(db, line_key=b"o" * 32)
    assert other.client_key("c1", hexed) != stored
    assert await other.add_chat("c1", seq=None, sender="resident", text="a", at=at(3), client_id=hexed) == (2, True)


async def test_the_upgrade_clears_client_ids_stored_unkeyed(scene: Scene, db: Database) -> None:
    """Rows written before the keyed hash (raw ids, bare hashes) stop matching: migration 0014 empties them."""
    await scene.records.create(new(scene))
    async with db.transaction() as session:
        for seq, client_id in ((1, "123456789018abcd"), (2, "0" * 32), (3, None)):
            session.add(
                ChatMessage(consultation_id="c1", seq=seq, sender="resident", text="a", at=at(seq), client_id=client_id)
            )
    async with db.transaction() as session:  # as a database still at 0013 would be
        await session.execute(sql("UPDATE alembic_version SET version_num = '0013_office9_booth_last_seen'"))
    await migrate(db.engine, "0014_trust10_chat_client_keys")  # only 0014: the later ones are in place already
    assert [(line.seq, line.client_id) for line in await scene.records.chat("c1")] == [(1, None), (2, None), (3, None)]
    assert await current_revision(db.engine) == "0014_trust10_chat_client_keys"


async def test_chat_seq_taken_by_another_line_is_a_conflict(scene: Scene) -> None:
    await scene.records.create(new(scene))
    await scene.records.add_chat("c1", seq=1, sender="resident", text="a", at=at(1), client_id="k1")

    with pytest.raises(ChatSeqConflict):
        await scene.records.add_chat("c1", seq=1, sender="agent", text="b", at=at(2), client_id="k2")
    assert [line.text for line in await scene.records.chat("c1")] == ["a"]


async def test_chat_without_seq_takes_the_next_number(scene: Scene) -> None:
    await scene.records.create(new(scene))
    assert await scene.records.max_seq("c1") == 0

    assert await scene.records.add_chat("c1", seq=None, sender="system", text="a", at=at(1)) == (1, True)
    assert await scene.records.add_chat("c1", seq=None, sender="bot", text="b", at=at(2)) == (2, True)
    assert await scene.records.max_seq("c1") == 2


async def test_a_number_sent_in_pieces_is_masked_in_every_stored_piece(scene: Scene) -> None:
    """Session 6's outside attack: 「1234」「5678」「9018」 sent one by one (a bot line between) were kept in clear."""
    await scene.records.create(new(scene))
    pieces = [
        ("resident", "マイナンバーは 1234"),
        ("bot", "はい"),
        ("resident", "5678"),
        ("agent", "9018"),
        ("resident", "9018"),
    ]
    for n, (sender, text) in enumerate(pieces, start=1):
        await scene.records.add_chat("c1", seq=None, sender=sender, text=text, at=at(n))
    stored = [(line.sender, line.text) for line in await scene.records.chat("c1")]
    assert stored == [
        ("resident", "マイナンバーは ［個人番号］"),
        ("bot", "はい"),
        ("resident", "［個人番号］"),
        ("agent", "9018"),  # another sender's line is not part of it
        ("resident", "［個人番号］"),
    ]


async def test_pieces_are_read_on_the_masking_thread_when_given_one(db: Database, scene: Scene) -> None:
    """Session 13 (attack13 F5): reading a long line with the sender's earlier ones cost 10–30 ms of the event loop;
    with the masking threads (``signaling.masking_work``) it runs there, and masks the same."""
    threads: list[str] = []

    class Recording(MaskingWork):
        async def call(self, work: Callable[[A], T], argument: A, size: int) -> T:
            def run(value: A) -> T:
                threads.append(threading.current_thread().name)
                return work(value)

            return await super().call(run, argument, size)

    masking = Recording(min_chars=0)
    records = ConsultationRecords(db, masking=masking)
    try:
        await records.create(new(scene))
        for n, text in enumerate(("マイナンバーは 1234", "5678", "9018"), start=1):
            await records.add_chat("c1", seq=None, sender="resident", text=text, at=at(n))
    finally:
        masking.close()
    assert [line.text for line in await records.chat("c1")] == [
        "マイナンバーは ［個人番号］",
        "［個人番号］",
        "［個人番号］",
    ]
    assert len(threads) == 3 and all(name.startswith("masking") for name in threads)


async def test_bad_chat_lines_are_refused(scene: Scene) -> None:
    await scene.records.create(new(scene))
    with pytest.raises(InvalidValue, match="sender"):
        await scene.records.add_chat("c1", seq=1, sender="mayor", text="a", at=at(1))
    with pytest.raises(InvalidValue, match="seq"):
        await scene.records.add_chat("c1", seq=0, sender="agent", text="a", at=at(1))
    with pytest.raises(UnknownConsultation):
        await scene.records.add_chat("c9", seq=1, sender="agent", text="a", at=at(1), client_id="k")


async def test_unfinished_lists_only_cases_still_in_progress(scene: Scene) -> None:
    for index, state in enumerate(["waiting", "closed", "active", "abandoned", "interrupted", "wrap_up"]):
        await scene.records.create(new(scene, f"c{index}", state=state, requested_at=at(index)))

    unfinished = await scene.records.unfinished()

    assert [(r.id, r.state) for r in unfinished] == [("c0", "waiting"), ("c2", "active"), ("c5", "wrap_up")]


async def _full_case(scene: Scene) -> None:
    records = scene.records
    await records.create(new(scene, urgent=True))
    await records.transition("c1", at=at(30), kind="offer", state="offered", offered_at=at(30))
    await records.transition(
        "c1", at=at(42.5), kind="accept", state="active", answered_at=at(42.5), agent_id=scene.agent_id
    )
    await records.add_chat("c1", seq=1, sender="resident", text="住民票がほしい", at=at(50), client_id="k1")
    await records.add_chat("c1", seq=2, sender="agent", text="承知しました", at=at(55), client_id="k2")
    await records.transition(
        "c1", at=at(342.5), kind="end", state="wrap_up", ended_at=at(342.5), end_reason="agent_ended"
    )
    await records.transition(
        "c1",
        at=at(400),
        kind="wrap_up",
        state="closed",
        wrapped_up_at=at(400),
        closed_at=at(400),
        disposition="resolved",
        note="郵送で対応",
        summary={"topic": "住民票"},
    )


async def test_export_outcome_counts_each_case_as_the_reports_do(scene: Scene) -> None:
    """A call-back request is state ``abandoned`` but outcome ``callback``; a short abandon is apart; a web chat
    that never asked for a person has no outcome; one handed over waits from its handoff."""
    r = scene.records
    await r.create(new(scene, "cb"))
    await r.transition("cb", at=at(300), kind="cancel", state="abandoned", closed_at=at(300), end_reason="callback")
    await r.create(new(scene, "quick", requested_at=at(1)))
    await r.transition("quick", at=at(4), kind="cancel", state="abandoned", closed_at=at(4), end_reason="cancelled")
    await r.create(new(scene, "gave_up", requested_at=at(2)))
    await r.transition("gave_up", at=at(90), kind="cancel", state="abandoned", closed_at=at(90), end_reason="cancelled")
    chat = {"channel": "chat", "booth_id": None}
    await r.create(new(scene, "bot_only", requested_at=at(3), state="triage", **chat))
    await r.transition("bot_only", at=at(200), kind="close", state="abandoned", closed_at=at(200))
    await r.create(new(scene, "handed", requested_at=at(4), state="triage", **chat))
    await r.transition("handed", at=at(195), kind="handoff", state="waiting")
    await r.transition(
        "handed", at=at(200), kind="cancel", state="abandoned", closed_at=at(200), end_reason="cancelled"
    )
    await r.create(new(scene, "waiting", requested_at=at(5)))
    # ux7: answered, passed on to another route, and the resident's link dropped while waiting there
    await r.create(new(scene, "passed_on", requested_at=at(6)))
    await r.transition("passed_on", at=at(20), kind="accept", state="active", answered_at=at(20))
    await r.transition("passed_on", at=at(40), kind="transfer", state="waiting", offered_at=at(40))
    gone = {"closed_at": at(60), "end_reason": "resident_link_lost"}
    await r.transition("passed_on", at=at(60), kind="resident_gone", state="abandoned", **gone)

    rows = [row async for row in r.export_rows(short_abandon_s=10.0)]

    assert {row["consultation_id"]: row["outcome"] for row in rows} == {
        "cb": "callback",
        "quick": "short_abandoned",
        "gave_up": "abandoned",
        "bot_only": None,
        "handed": "short_abandoned",  # 5 s from its handoff, though 196 s from the start of the chat
        "waiting": "in_hand",
        "passed_on": "answered",
    }
    # ux7: with Japanese headers 状態 tells the same story as 集計の区分 (the page's count), not 7 × 待ちきれずに終了
    ja = ExportOptions(headers="ja")
    assert {
        row["consultation_id"]: tuple(display_value(name, row[name], row, ja) for name in ("state", "outcome"))
        for row in rows
    } == {
        "cb": ("折り返し電話の依頼で終了", "折り返し電話の依頼"),
        "quick": ("すぐに終了", "すぐに帰った"),
        "gave_up": ("待ちきれずに終了", "待ちきれずに帰った"),
        "bot_only": ("自動案内だけで終了", None),
        "handed": ("すぐに終了", "すぐに帰った"),
        "waiting": ("順番待ち", "受付中・中断"),
        "passed_on": ("応対のあと途中で終了", "職員が応対"),
    }


async def test_export_row_has_every_field_with_iso_times_and_durations(scene: Scene) -> None:
    await _full_case(scene)

    rows = [row async for row in scene.records.export_rows()]

    assert len(rows) == 1
    row = rows[0]
    assert tuple(row) == EXPORT_FIELDS
    assert row == {
        "consultation_id": "c1",
        "municipality_id": "shiomi",
        "channel": "booth",
        "booth_id": scene.booth_id,
        "booth_name": "汐見郵便局ブース",
        "place": "汐見郵便局",
        "route": "tax",
        "language": "ja",
        "urgent": True,
        "state": "closed",
        "outcome": "answered",
        # session 15: the name /reports shows (the sheet said only "agent1"), then the login name for admins
        "agent_name": "窓口 一郎",
        "agent_username": "agent1",
        "requested_at": "2024-06-03T00:30:00+00:00",
        "offered_at": "2024-06-03T00:30:30+00:00",
        "answered_at": "2024-06-03T00:30:42.500000+00:00",
        "ended_at": "2024-06-03T00:35:42.500000+00:00",
        "wrapped_up_at": "2024-06-03T00:36:40+00:00",
        "closed_at": "2024-06-03T00:36:40+00:00",
        "waited_s": 42.5,
        "handled_s": 300.0,
        "end_reason": "agent_ended",
        "disposition": "resolved",
        "note": "郵送で対応",
        "csat": None,
        "link_worst_step": None,
        "link_rtt_ms_median": None,
        "link_loss_pct_max": None,
        "link_weak_s": None,
        "summary": {"topic": "住民票"},
        "transcript": [
            {"seq": 1, "sender": "resident", "text": "住民票がほしい", "at": "2024-06-03T00:30:50+00:00"},
            {"seq": 2, "sender": "agent", "text": "承知しました", "at": "2024-06-03T00:30:55+00:00"},
        ],
        "legs": None,  # written without participant rows: no call to list
    }


async def test_abandoned_case_exports_its_wait_and_no_handling_time(scene: Scene) -> None:
    await scene.records.create(new(scene, channel="chat", booth_id=None, resident_ref="r_abc"))
    await scene.records.transition(
        "c1", at=at(75), kind="cancel", state="abandoned", closed_at=at(75), end_reason="cancelled"
    )

    [row] = [row async for row in scene.records.export_rows()]

    assert (row["booth_name"], row["place"], row["agent_name"], row["agent_username"]) == (None, None, None, None)
    assert (row["waited_s"], row["handled_s"], row["transcript"]) == (75.0, None, [])


async def test_export_filters_by_time_and_municipality_and_pages_through_everything(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records_module, "_EXPORT_BATCH", 2)
    for index in range(7):
        await scene.records.create(new(scene, f"c{index}", requested_at=at(index * 60)))
    await scene.records.create(
        new(scene, "other-town", municipality_id="ishinomori", booth_id=None, channel="chat", requested_at=at(30))
    )

    everything = [row["consultation_id"] async for row in scene.records.export_rows()]
    window = [row["consultation_id"] async for row in scene.records.export_rows(since=at(60), until=at(240))]
    shiomi = [row["consultation_id"] async for row in scene.records.export_rows(municipality_ids=["shiomi"])]
    other = [row["consultation_id"] async for row in scene.records.export_rows(municipality_ids=["ishinomori"])]

    assert everything == ["c0", "other-town", "c1", "c2", "c3", "c4", "c5", "c6"]
    assert window == ["c1", "c2", "c3"]
    assert shiomi == [f"c{i}" for i in range(7)]
    assert other == ["other-town"]


async def test_audit_log_keeps_entries_newest_first(db: Database) -> None:
    audit = AuditLog(db)
    await audit.write("cli:root", "booth.add", {"booth_id": "b_1", "at": at(0)}, at(0))
    await audit.write("staff:u_1", "records.export", {"rows": 3}, at(5))

    entries = await audit.recent()

    assert [(e.actor, e.action, e.at) for e in entries] == [
        ("staff:u_1", "records.export", at(5)),
        ("cli:root", "booth.add", at(0)),
    ]
    assert entries[1].detail == {"booth_id": "b_1", "at": "2024-06-03T00:30:00+00:00"}
    with pytest.raises(InvalidValue):
        await audit.write("", "x", {}, at(0))
    with pytest.raises(InvalidValue):
        await audit.write("a", "x", {"bad": object()}, at(0))
