"""The outbox: every state change queues its durable record in the same state, under a unique, ordered key."""

from __future__ import annotations

from typing import Any

import pytest

from madoguchi.signaling.consultation import State, Trigger
from madoguchi.signaling.counter import (
    Counter,
    CounterConfig,
    CounterError,
    CounterState,
    PendingRecord,
    Transitioned,
)
from madoguchi.signaling.store import MemoryStore
from tests.cases import open_booth_case


def test_every_transition_queues_one_record_with_a_unique_ordered_key(desk: Any) -> None:
    desk.active_call("c1", "a1", now=10.0)
    desk.counter.end("c1", participant=desk.booth("c1"), now=20.0)
    desk.wrap_up("a1", "c1", now=30.0)

    transitions = [e for e in desk.take() if isinstance(e, Transitioned)]
    outbox = desk.counter.state.outbox
    assert [(e.trigger, e.previous, e.consultation.state, e.at) for e in outbox] == [
        (t.trigger, t.previous, t.consultation.state, t.at) for t in transitions
    ]
    assert [e.key for e in outbox] == ["c1:0", "c1:1", "c1:2", "c1:3", "c1:4"]
    assert [e.trigger for e in outbox] == [Trigger.REQUEST, Trigger.OFFER, Trigger.ACCEPT, Trigger.END, Trigger.WRAP_UP]
    assert outbox[0].previous is None and outbox[-1].consultation.state == State.CLOSED
    assert desk.counter.staged == outbox
    # the closed case left the live state; its records did not
    assert "c1" not in desk.counter.state.consultations


def test_keys_stay_unique_across_consultations_and_returns_to_the_queue(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.agent("a2", now=1.0)
    desk.request("c1", now=2.0)
    desk.request("c2", now=3.0)
    desk.counter.decline("a1", "c1", now=4.0)  # back to the queue: more changes for the same case
    keys = [e.key for e in desk.counter.state.outbox]
    assert len(keys) == len(set(keys))
    for cid in ("c1", "c2"):
        numbers = [int(k.split(":")[1]) for k in keys if k.startswith(f"{cid}:")]
        assert numbers == list(range(len(numbers)))


def test_records_are_removed_only_by_key(desk: Any) -> None:
    desk.request("c1", now=1.0)
    desk.request("c2", now=2.0)
    assert [e.key for e in desk.counter.state.outbox] == ["c1:0", "c2:0"]

    assert desk.counter.discard_records({"c1:0", "nope:9"}) == 1
    assert [e.key for e in desk.counter.state.outbox] == ["c2:0"]
    desk.counter.cancel("c2", resident=desk.booth("c2"), now=3.0)
    assert desk.counter.discard_records({"c2:0"}) == 1
    assert [e.key for e in desk.counter.state.outbox] == ["c2:1"]  # queued meanwhile: kept
    assert desk.counter.discard_records(set()) == 0


def test_pending_records_by_consultation_keep_their_order(desk: Any) -> None:
    desk.request("c1", now=1.0)
    desk.request("c2", now=2.0)
    desk.counter.cancel("c1", resident=desk.booth("c1"), now=3.0)
    assert [e.key for e in desk.counter.pending_records({"c1"})] == ["c1:0", "c1:1"]
    assert [e.key for e in desk.counter.pending_records()] == ["c1:0", "c2:0", "c1:1"]


def test_extra_columns_go_to_the_first_record_of_the_operation_only(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)  # request and offer in one operation
    desk.counter.annotate_first_record({"summary": {"topic": "tax"}})
    first, offer = desk.counter.state.outbox
    assert first.extra == {"summary": {"topic": "tax"}} and offer.extra == {}
    assert desk.counter.staged[0] is first


def test_the_outbox_survives_a_json_round_trip(desk: Any) -> None:
    desk.active_call("c1", "a1", now=10.0)
    desk.counter.annotate_first_record({"triage": {"route": "tax"}, "summary": None})
    desk.counter.transfer("a1", "c1", route="pension", now=12.0)

    text = desk.counter.state.model_dump_json()
    again = CounterState.model_validate_json(text)
    assert again.outbox == desk.counter.state.outbox
    assert all(isinstance(e, PendingRecord) for e in again.outbox)
    assert again.outbox[-1].detail == {"from_route": "tax", "route": "pension", "note": ""}
    assert again.model_dump_json() == text


async def test_a_failed_operation_queues_nothing_and_a_committed_one_everything() -> None:
    store = MemoryStore(CounterConfig())

    def open_then_fail(counter: Counter) -> None:
        open_booth_case(counter, "c1", 1.0)
        raise CounterError("invalid_state", "changed my mind")

    with pytest.raises(CounterError):
        await store.transact(open_then_fail)
    assert (await store.read()).state.outbox == []

    await store.transact(lambda c: open_booth_case(c, "c1", 1.0))
    assert [e.key for e in (await store.read()).state.outbox] == ["c1:0"]


def test_set_aside_moves_refused_records_out_of_the_outbox_with_their_error(desk: Any) -> None:
    desk.active_call("c1", "a1", now=10.0)
    outbox = list(desk.counter.state.outbox)
    moved = desk.counter.set_aside_records({outbox[1].key: "DBAPIError: value too long"}, at=50.0)
    assert [(m.record, m.error, m.at) for m in moved] == [(outbox[1], "DBAPIError: value too long", 50.0)]
    assert desk.counter.state.outbox == [outbox[0], *outbox[2:]]
    assert desk.counter.state.set_aside == moved
    # a key no longer pending (another process moved or wrote it) moves nothing
    assert desk.counter.set_aside_records({outbox[1].key: "again"}, at=60.0) == []
    assert len(desk.counter.state.set_aside) == 1


def test_the_set_aside_list_keeps_the_newest(desk: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from madoguchi.signaling import routing

    monkeypatch.setattr(routing, "SET_ASIDE_KEPT", 2)
    desk.active_call("c1", "a1", now=10.0)
    keys = [e.key for e in desk.counter.state.outbox]
    for n, key in enumerate(keys):
        desk.counter.set_aside_records({key: f"error {n}"}, at=float(n))
    assert [m.record.key for m in desk.counter.state.set_aside] == keys[-2:]


def test_clearing_set_aside_records_is_by_key(desk: Any) -> None:
    desk.active_call("c1", "a1", now=10.0)
    keys = [e.key for e in desk.counter.state.outbox]
    desk.counter.set_aside_records({keys[0]: "e0", keys[1]: "e1"}, at=50.0)
    assert desk.counter.clear_set_aside({keys[0], "other:0"}) == 1
    assert [s.record.key for s in desk.counter.state.set_aside] == [keys[1]]


def test_retrying_set_aside_records_puts_them_back_at_the_end_of_the_outbox_by_key(desk: Any) -> None:
    """Before, nothing ever wrote a set-aside record again: ``madoguchi records set-aside --retry`` does."""
    desk.active_call("c1", "a1", now=10.0)
    outbox = list(desk.counter.state.outbox)
    desk.counter.set_aside_records({outbox[0].key: "e0", outbox[1].key: "e1"}, at=50.0)
    assert desk.counter.retry_set_aside({outbox[0].key, "other:0"}) == 1
    assert desk.counter.state.outbox == [*outbox[2:], outbox[0]]  # at the end, as it was
    assert [s.record.key for s in desk.counter.state.set_aside] == [outbox[1].key]
    assert desk.counter.retry_set_aside({outbox[0].key}) == 0  # no longer set aside: nothing queued twice
    assert desk.counter.state.outbox == [*outbox[2:], outbox[0]]


def test_a_number_completed_over_chat_lines_is_masked_in_the_pending_summary_and_triage(desk: Any) -> None:
    """The handoff's summary, still in the outbox, was written from a piece before the number was complete: the
    record written later must not bring the piece back (session 12 review)."""
    desk.request("c2", now=1.0)
    need = {"need": "マイナンバーは1234", "bot_said": ["代表 0997-00-1234"], "route": "general_inquiry"}
    desk.counter.annotate_first_record({"summary": need, "triage": {"masked_text": "マイナンバーは1234"}})
    desk.request("c1", now=2.0)
    first = desk.counter.state.outbox[0]
    assert first.consultation_id == "c2" and first.extra["summary"]["need"] == "マイナンバーは1234"

    assert desk.counter.mask_pending_texts("c2", {"1234": "［個人番号］"}) == 1
    masked = desk.counter.state.outbox[0]
    assert masked.key == first.key
    assert masked.extra["summary"] == {**need, "need": "マイナンバーは［個人番号］"}
    assert masked.extra["triage"] == {"masked_text": "マイナンバーは［個人番号］"}
    assert desk.counter.mask_pending_texts("c2", {"1234": "［個人番号］"}) == 0
    assert desk.counter.mask_pending_texts("c1", {"1234": "［個人番号］"}) == 0
