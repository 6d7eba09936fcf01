"""A rolling upgrade's easy direction: the live state written by a version before bookings (no ``booked_soon``,
consultations without ``video``, ``video_invited``, ``booking``, ``priority``) is read by this version with those
fields at their defaults, and the counter carries on. The other direction: an older process reading a newer
version's state (a field it does not know, as ``danger`` was to the release before fix12) reads it and writes
it back with that field intact (the stored models are ``extra="allow"``, tidy13), where it used to refuse the
whole live state. The socket edge's event models stay strict (tests/unit/signaling/test_event_models.py
``test_extra_fields_are_refused``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import Counter
from madoguchi.signaling.redis_store import assemble, entry_texts, state_of
from madoguchi.signaling.set_aside_file import SetAsideFile
from madoguchi.signaling.state import AgentStatus, CounterState, SetAsideRecord

NEW_CONSULTATION_FIELDS = ("video", "video_invited", "booking", "priority")


def test_a_state_written_before_bookings_is_read_with_the_new_fields_at_their_defaults(desk: Any) -> None:
    desk.request("c1", now=0.0)
    desk.request("c2", now=1.0)
    written = json.loads(desk.counter.state.model_dump_json())
    del written["booked_soon"]
    for case in written["consultations"].values():
        for field in NEW_CONSULTATION_FIELDS:
            del case[field]

    counter = Counter(CounterState.model_validate_json(json.dumps(written)), desk.counter.config)

    assert counter.state.booked_soon == {}
    c1 = counter.state.consultations["c1"]
    assert (c1.video, c1.video_invited, c1.booking, c1.priority) == (False, False, None, 0)
    assert counter.position("c2").position == 2
    counter.set_booked_soon("setouchi", {"tax": 1})  # the new version's sweep fills it in
    assert counter.state.booked_soon == {"setouchi:tax": 1}
    counter.agent_online(
        agent_id="a1", display_name="A", municipality_ids=("setouchi",), routes=("*",), languages=("ja",), now=2.0
    )
    counter.set_status("a1", AgentStatus.AVAILABLE, now=2.0)
    assert counter.state.consultations["c1"].state == State.OFFERED


def _newer(written: dict[str, Any]) -> dict[str, Any]:
    """``written`` as a newer release would store it: a field this release does not know at every stored level."""
    written["weather"] = "fine"
    for case in written["consultations"].values():
        case["mood"] = "calm"
        case["participants"][0]["seat"] = 2
    for agent in written["agents"].values():
        agent["headset"] = "wired"
    written["outbox"][0]["origin"] = "p9"
    written["outbox"][0]["consultation"]["mood"] = "calm"
    return written


def test_a_state_a_newer_release_wrote_is_read_and_written_back_with_its_new_fields(desk: Any) -> None:
    desk.request("c1", now=0.0)
    desk.agent("a1", now=0.5)
    desk.request("c2", now=1.0)
    newer = _newer(json.loads(desk.counter.state.model_dump_json()))

    state = CounterState.model_validate_json(json.dumps(newer))  # refused before tidy13: extra_forbidden
    counter = Counter(state, desk.counter.config)
    assert counter.position("c2").position >= 1
    counter.set_booked_soon("setouchi", {"tax": 1})  # an operation, then the state is stored again
    again = json.loads(counter.state.model_dump_json())
    assert again["weather"] == "fine"
    assert again["consultations"]["c2"]["mood"] == "calm"
    assert again["consultations"]["c1"]["participants"][0]["seat"] == 2
    assert again["agents"]["a1"]["headset"] == "wired"
    assert (again["outbox"][0]["origin"], again["outbox"][0]["consultation"]["mood"]) == ("p9", "calm")


def test_the_redis_layout_reads_a_newer_record_and_keeps_its_new_fields(desk: Any) -> None:
    desk.request("c1", now=0.0)
    desk.agent("a1", now=0.5)
    texts = entry_texts(
        CounterState.model_validate_json(json.dumps(_newer(json.loads(desk.counter.state.model_dump_json()))))
    )
    assert '"mood":"calm"' in texts["c:c1"] and '"weather":"fine"' in texts["doc"]

    read = state_of(texts)
    assert read.consultations["c1"].model_dump()["mood"] == "calm"
    rebuilt = assemble(texts, (texts, read))  # the cached path: an unchanged doc is copied, not parsed
    assert entry_texts(rebuilt) == texts
    assert entry_texts(assemble(texts, None)) == texts


def test_a_set_aside_line_with_a_newer_field_still_loads(desk: Any, tmp_path: Path) -> None:
    desk.request("c1", now=0.0)
    record = SetAsideRecord(record=desk.counter.state.outbox[0], error="DataError", at=2.0).model_dump(mode="json")
    record["by"] = "p9"
    record["record"]["origin"] = "p9"
    record["record"]["consultation"]["mood"] = "calm"
    path = tmp_path / "set-aside.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")

    (kept,) = SetAsideFile(path).load()
    assert (kept.record.key, kept.error, kept.record.consultation.model_dump()["mood"]) == ("c1:0", "DataError", "calm")
    assert list(tmp_path.iterdir()) == [path]  # not taken for a damaged line
