"""A consultation with more than two participants: a member of staff joins a running call, signals are routed by
``to``, the call ends for everyone who joined it, and stored documents from before participants are upgraded."""

from __future__ import annotations

from typing import Any

import pytest

from madoguchi.domain.participant import Participant
from madoguchi.signaling.consultation import Consultation, Role, State
from madoguchi.signaling.counter import (
    CounterError,
    CounterState,
    ParticipantJoined,
    ParticipantLeft,
    PeerLink,
)


def three_party(desk: Any) -> Consultation:
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("s1", now=1.0, available=False)
    desk.take()
    desk.counter.join("c1", participant="agent:s1", role=Role.INTERPRETER, now=2.0)
    return desk.c("c1")


def test_a_member_of_staff_joins_a_running_call_as_a_third_participant(desk: Any) -> None:
    c = three_party(desk)
    assert [(p.participant, p.role, p.joined_at, p.left_at) for p in c.participants] == [
        ("booth:c1", Role.RESIDENT, 0.0, None),
        ("agent:a1", Role.AGENT, 0.0, None),
        ("agent:s1", Role.INTERPRETER, 2.0, None),
    ]
    assert c.state == State.ACTIVE and c.agent_id == "a1" and c.resident == "booth:c1"
    assert ParticipantJoined("c1", "agent:s1", Role.INTERPRETER) in desk.take()
    assert desk.a("s1").consultation_id is None, "joining does not make the staff member busy for routing"


def test_signals_between_three_need_a_receiver_and_reach_only_members(desk: Any) -> None:
    three_party(desk)
    for sender, receiver in [
        ("agent:s1", "booth:c1"),
        ("agent:s1", "agent:a1"),
        ("booth:c1", "agent:s1"),
        ("agent:a1", "agent:s1"),
        ("booth:c1", "agent:a1"),
    ]:
        assert desk.counter.receiver_of(sender, "c1", receiver) == receiver
    with pytest.raises(CounterError) as raised:
        desk.counter.receiver_of("booth:c1", "c1", None)
    assert raised.value.code == "invalid_payload"
    for sender, receiver in [("agent:s1", "agent:s1"), ("agent:s1", "agent:a9"), ("agent:a9", "booth:c1")]:
        with pytest.raises(CounterError) as raised:
            desk.counter.receiver_of(sender, "c1", receiver)
        assert raised.value.code == "forbidden", (sender, receiver)
    assert sorted(desk.counter.others_in_call("agent:s1", "c1")) == ["agent:a1", "booth:c1"]


def test_two_participants_need_no_receiver(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    assert desk.counter.receiver_of("booth:c1", "c1", None) == "agent:a1"
    assert desk.counter.receiver_of("agent:a1", "c1", "booth:c1") == "booth:c1"


def test_the_joined_participant_leaves_and_the_call_goes_on_for_two(desk: Any) -> None:
    three_party(desk)
    desk.take()
    desk.counter.leave("c1", participant="agent:s1", now=9.0)
    c = desk.c("c1")
    assert c.state == State.ACTIVE
    assert [(p.participant, p.left_at) for p in c.participants][-1] == ("agent:s1", 9.0)
    assert ParticipantLeft("c1", "agent:s1", "left") in desk.take()
    assert desk.counter.receiver_of("booth:c1", "c1", None) == "agent:a1"
    with pytest.raises(CounterError) as raised:
        desk.counter.receiver_of("agent:s1", "c1", "booth:c1")
    assert raised.value.code == "forbidden"
    with pytest.raises(CounterError) as raised:
        desk.counter.leave("c1", participant="agent:s1", now=10.0)
    assert raised.value.code == "forbidden"


def test_the_end_of_the_call_takes_the_joined_participant_out_and_everyone_hears_of_links(desk: Any) -> None:
    three_party(desk)
    desk.take()
    desk.counter.link_lost("booth:c1", now=3.0)
    assert desk.take() == [PeerLink("c1", "agent:a1", connected=False), PeerLink("c1", "agent:s1", connected=False)]
    desk.counter.link_restored("booth:c1", now=4.0)
    desk.take()
    desk.counter.end("c1", participant="agent:a1", now=5.0)
    assert ParticipantLeft("c1", "agent:s1", "hung_up_by_agent") in desk.take()
    c = desk.c("c1")
    assert c.state == State.WRAP_UP and c.agent_id == "a1"
    assert {p.participant: p.left_at for p in c.participants} == {"booth:c1": 5.0, "agent:a1": None, "agent:s1": 5.0}


def test_joining_is_refused_to_non_staff_other_towns_twice_and_outside_a_call(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("far", now=1.0, towns=("uguisu",), available=False)
    desk.agent("s1", now=1.0, available=False)
    refusals = [
        (dict(participant="booth:x", role=Role.OBSERVER), "forbidden"),
        (dict(participant="agent:far", role=Role.OBSERVER), "forbidden"),
        (dict(participant="agent:s1", role=Role.AGENT), "forbidden"),
        (dict(participant="agent:nobody", role=Role.OBSERVER), "invalid_state"),
        (dict(participant="agent:a1", role=Role.OBSERVER), "invalid_state"),
    ]
    for kwargs, code in refusals:
        with pytest.raises(CounterError) as raised:
            desk.counter.join("c1", now=2.0, **kwargs)
        assert raised.value.code == code, kwargs
    desk.request("c2", now=3.0)
    with pytest.raises(CounterError) as raised:
        desk.counter.join("c2", participant="agent:s1", role=Role.OBSERVER, now=3.0)
    assert raised.value.code == "invalid_state"
    assert len(desk.c("c1").participants) == 2


def test_a_stored_document_from_before_participants_is_upgraded() -> None:
    old = {
        "consultations": {
            "c1": {
                "id": "c1",
                "municipality_id": "setouchi",
                "channel": "booth",
                "resident": "booth:b1",
                "booth_id": "b1",
                "route": "tax",
                "state": "active",
                "created_at": 1.0,
                "enqueued_at": 1.0,
                "agent_id": "a1",
                "answered_at": 4.0,
                "transitions": 3,
            },
            "c2": {
                "id": "c2",
                "municipality_id": "setouchi",
                "channel": "chat",
                "resident": "resident:abc",
                "route": "tax",
                "state": "offered",
                "created_at": 2.0,
                "enqueued_at": 2.0,
                "agent_id": "a2",
                "offer_expires_at": 22.0,
            },
        },
    }
    state = CounterState.model_validate(old)
    assert state.version == 2
    active, offered = state.consultations["c1"], state.consultations["c2"]
    assert [(p.participant, p.role, p.joined_at) for p in active.participants] == [
        ("booth:b1", Role.RESIDENT, 1.0),
        ("agent:a1", Role.AGENT, 4.0),
    ]
    assert active.agent_id == "a1" and active.offered_to is None
    assert [p.participant for p in offered.participants] == ["resident:abc"]
    assert offered.offered_to == "a2" and offered.agent_id == "a2"
    assert isinstance(active.resident, Participant) and active.resident.kind == "booth"
    again = CounterState.model_validate_json(state.model_dump_json())
    assert again == state


def test_a_participant_is_parsed_and_formatted_in_one_place() -> None:
    p = Participant("agent:u_1")
    assert (p.kind, p.id, p.is_staff, p.agent_id()) == ("agent", "u_1", True, "u_1")
    assert p == "agent:u_1" and Participant.agent("u_1") == p and Participant(p) is p
    booth = Participant.booth("b1")
    assert (booth.kind, booth.id, booth.is_staff, booth.agent_id()) == ("booth", "b1", False, None)
    assert Participant("booth:b1:x").id == "b1:x"
    for bad in ("", "agent", "agent:", ":x", "Agent:x", "agent: x"):
        with pytest.raises(ValueError, match="not a participant"):
            Participant(bad)
