"""A consultation with more than two participants: a member of staff joins a running call, signals are routed by
``to``, the call ends for everyone who joined it, and stored documents from before participants are upgraded."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from madoguchi.domain.participant import Participant, ParticipantKind, is_of_kind
from madoguchi.signaling.consultation import Consultation, Role, StaffRights, State
from madoguchi.signaling.counter import (
    CounterError,
    CounterState,
    ParticipantJoined,
    ParticipantLeft,
    PeerLink,
)
from madoguchi.signaling.effects import InterpreterDeclined, InterpreterInvited


def three_party(desk: Any) -> Consultation:
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("s1", now=1.0, available=False)
    desk.take()
    invite(desk, "c1", "s1", now=1.5)
    desk.take()
    desk.counter.join("c1", participant="agent:s1", role=Role.INTERPRETER, now=2.0)
    return desk.c("c1")


def invite(desk: Any, cid: str, guest: str, *, now: float, by: str = "a1", supervises: bool = False) -> float:
    expires: float = desk.counter.invite_interpreter(
        cid, inviter=by, inviter_municipalities=(desk.TOWN,), staff_id=guest, now=now, supervises=supervises
    )
    return expires


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
    # session 8: an agent does not observe; session 9: an interpreter needs an invitation (a supervisor may do both)
    desk.agent("other_route", now=1.0, routes=("resident_records",), available=False)
    for kwargs, code in (
        (dict(participant="agent:s1", role=Role.OBSERVER), "forbidden"),
        (dict(participant="agent:s1", role=Role.INTERPRETER), "not_invited"),  # serves the route, uninvited
        (dict(participant="agent:other_route", role=Role.INTERPRETER), "not_invited"),
    ):
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
    # a key's kind without parsing it agrees with the parsed kind (supervision lists watchers this way)
    for key in ("supervisor:u_1", "supervisors:u_1", "agent:supervisor", "booth:supervisor:x", "supervisor:b:1"):
        for kind in ParticipantKind:
            assert is_of_kind(key, kind) == (Participant(key).kind == kind.value), (key, kind)


def refused(desk: Any, call: Any, **kwargs: Any) -> str:
    with pytest.raises(CounterError) as raised:
        call(**kwargs)
    assert raised.value.message
    return str(raised.value.code)


def test_an_interpreter_comes_by_one_invitation_to_one_call_before_it_expires(desk: Any) -> None:
    """Session 9's outside attack: any agent of a route joined every call of it as "interpreter", uninvited."""
    desk.active_call("c1", "a1", now=0.0)
    desk.active_call("c2", "a2", now=0.0)
    desk.agent("s1", now=1.0, available=False)
    desk.agent("far", now=1.0, towns=("uguisu",), available=False)
    desk.take()
    join = desk.counter.join
    assert invite(desk, "c1", "s1", now=10.0) == 310.0  # interpreter_invite_s, 300 by default
    assert InterpreterInvited("c1", "s1", "a1", 310.0) in desk.take()
    assert refused(desk, join, consultation_id="c2", participant="agent:s1", role=Role.INTERPRETER, now=11.0) == (
        "not_invited"
    ), "an invitation is for its call only"
    join("c1", participant="agent:s1", role=Role.INTERPRETER, now=11.0)
    desk.counter.leave("c1", participant="agent:s1", now=12.0)
    assert refused(desk, join, consultation_id="c1", participant="agent:s1", role=Role.INTERPRETER, now=13.0) == (
        "not_invited"
    ), "a join uses the invitation up"
    invite(desk, "c1", "s1", now=20.0)
    assert refused(desk, join, consultation_id="c1", participant="agent:s1", role=Role.INTERPRETER, now=320.0) == (
        "invitation_expired"
    )
    # who may invite: the call's own agent, or a supervisor of the town; the guest must be on duty there
    ask = desk.counter.invite_interpreter
    base = dict(consultation_id="c1", inviter_municipalities=(desk.TOWN,), now=400.0)
    assert refused(desk, ask, **base, inviter="a2", staff_id="s1") == "forbidden", "another call's agent"
    assert refused(desk, ask, **base, inviter="s1", staff_id="s1") == "forbidden"
    assert (
        refused(
            desk, ask, **{**base, "inviter_municipalities": ("uguisu",)}, inviter="x", staff_id="s1", supervises=True
        )
        == "forbidden"
    )
    assert refused(desk, ask, **base, inviter="a1", staff_id="far") == "not_found", "staff of another town"
    assert refused(desk, ask, **base, inviter="a1", staff_id="nobody") == "not_found"
    assert refused(desk, ask, **base, inviter="a1", staff_id="a1") == "invalid_state", "already in this call"
    invite(desk, "c1", "s1", now=400.0, by="chief", supervises=True)
    join("c1", participant="agent:s1", role=Role.INTERPRETER, now=401.0)
    assert [p.participant for p in desk.c("c1").present()][-1] == "agent:s1"
    assert desk.c("c1").interpreter_invites == {}
    desk.request("c3", now=402.0)
    assert refused(desk, ask, **{**base, "consultation_id": "c3"}, inviter="a1", staff_id="s1") == "invalid_state"
    # a supervisor interprets without an invitation, as they may observe
    desk.agent("boss", now=1.0, available=False)
    join("c2", participant="agent:boss", role=Role.INTERPRETER, now=403.0, supervises=True)


def test_only_the_invitee_declines_and_the_invitation_ends(desk: Any) -> None:
    """ことわる used to stay on the invitee's screen: the resident heard 「よんでいます」 until the call ended."""
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("s1", now=1.0, available=False)
    desk.agent("s2", now=1.0, available=False)
    desk.take()
    invite(desk, "c1", "s1", now=10.0)
    invite(desk, "c1", "s2", now=10.0)
    desk.take()
    decline = desk.counter.decline_interpreter
    assert refused(desk, decline, consultation_id="c1", staff_id="a1", now=11.0) == "not_invited", "not theirs"
    assert refused(desk, decline, consultation_id="nope", staff_id="s1", now=11.0) == "not_found"
    decline("c1", staff_id="s1", now=11.0)
    assert desk.take() == [InterpreterDeclined("c1", "s1", by="a1", still_until=310.0)]  # s2 still asked
    assert set(desk.c("c1").interpreter_invites) == {"s2"}, "the other invitation stands"
    assert refused(desk, decline, consultation_id="c1", staff_id="s1", now=12.0) == "not_invited", "once"
    assert (
        refused(desk, desk.counter.join, consultation_id="c1", participant="agent:s1", role=Role.INTERPRETER, now=13.0)
        == "not_invited"
    ), "declined: no join on it afterwards"
    assert refused(desk, decline, consultation_id="c1", staff_id="s2", now=311.0) == "not_invited", "expired"


def test_rights_taken_away_end_the_parts_they_no_longer_allow(desk: Any) -> None:
    """Session 21: a supervisor observing a call was demoted and stayed in it. The parts a member of staff holds are
    re-judged by ``may_hold`` with the account's rights of now (on every connect, and when access is revoked)."""
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("s1", now=1.0, available=False)
    desk.counter.join("c1", participant="agent:s1", role=Role.OBSERVER, now=2.0, supervises=True)
    desk.take()
    supervisor, agent = StaffRights(frozenset({desk.TOWN}), True), StaffRights(frozenset({desk.TOWN}), False)
    desk.counter.restate_rights("s1", supervisor, now=3.0)
    desk.counter.restate_rights("a1", agent, now=3.0)
    assert desk.take() == [] and len(desk.c("c1").present()) == 3, "rights that still allow the parts change nothing"
    desk.counter.restate_rights("s1", agent, now=4.0)
    assert ParticipantLeft("c1", "agent:s1", "access_changed") in desk.take()
    assert desk.c("c1").party_of("agent:s1") is None and desk.c("c1").state == State.ACTIVE
    with pytest.raises(CounterError) as raised:
        desk.counter.others_in_call("agent:s1", "c1")  # chat and signals check the part: it is gone
    assert raised.value.code == "forbidden"
    desk.agent("a1", now=5.0, towns=("uguisu",))  # moved to another town: their console reconnects
    desk.counter.restate_rights("a1", StaffRights(frozenset({"uguisu"}), False), now=5.0)
    c = desk.c("c1")
    assert c.state == State.WAITING and c.call_lost and c.agent_id is None and desk.a("a1").consultation_id is None


def test_revoked_access_ends_joined_parts_and_a_disabled_agents_case_at_once(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("s1", now=1.0, available=False)
    desk.counter.join("c1", participant="agent:s1", role=Role.OBSERVER, now=2.0, supervises=True)
    desk.take()
    desk.counter.access_ended("s1", disabled=False, now=3.0)  # a logout, a new role, a password reset
    assert ParticipantLeft("c1", "agent:s1", "access_revoked") in desk.take()
    desk.counter.access_ended("a1", disabled=False, now=3.0)
    assert desk.c("c1").state == State.ACTIVE, "the agent's own call waits out the grace period: they may come back"
    desk.counter.access_ended("a1", disabled=True, now=4.0)
    assert desk.c("c1").state == State.WAITING, "nobody comes back on a disabled account"
    desk.request("c2", now=5.0)
    desk.agent("a2", now=5.0)
    ringing = [c for c in (desk.c("c1"), desk.c("c2")) if c.state == State.OFFERED]
    assert [c.agent_id for c in ringing] == ["a2"]
    desk.counter.access_ended("a2", disabled=True, now=6.0)
    assert all(desk.c(cid).agent_id != "a2" for cid in ("c1", "c2")), "a ringing offer goes to the next agent"


def test_an_invitation_is_one_record_of_when_and_who(desk: Any) -> None:
    """The invitation's expiry and its sender were two parallel dicts that every change had to keep in step; now
    one frozen record per invitee, and a case stored in the old shape (Redis across an upgrade) reads as one."""
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("s1", now=1.0, available=False)
    desk.take()
    invite(desk, "c1", "s1", now=10.0)
    stored = desk.c("c1").interpreter_invites["s1"]
    assert (stored.expires_at, stored.by) == (310.0, "a1")
    with pytest.raises(ValidationError):
        stored.by = "someone else"  # type: ignore[misc]
    assert "interpreter_inviters" not in desk.c("c1").model_dump()
    old = desk.c("c1").model_dump(mode="json")
    old["interpreter_invites"] = {"s1": 310.0, "s2": 200.0}
    old["interpreter_inviters"] = {"s1": "chief"}
    upgraded = Consultation.model_validate(old).interpreter_invites
    assert {k: (v.expires_at, v.by) for k, v in upgraded.items()} == {"s1": (310.0, "chief"), "s2": (200.0, None)}
