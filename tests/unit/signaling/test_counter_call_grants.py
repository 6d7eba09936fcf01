"""Per-call grants end with their call (session 13's outside attack, F2).

An invitation to interpret (and to video) was stored on the *case*: after a transfer, another agent of another
department answered, and the colleague the first agent had invited still joined that new call and read its chat;
the resident could still accept the first agent's video invitation, and the new agent's console started a video
call they never offered. Now every transition that starts or ends a call (``CALL_BOUNDARIES``, read off the
transition table) ends the case's per-call grants (``CALL_GRANTS``). Time is passed in (no wall clock).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from madoguchi.domain.participant import Participant
from madoguchi.signaling import server_events as se
from madoguchi.signaling.consultation import (
    CALL_BOUNDARIES,
    CALL_GRANTS,
    Channel,
    Consultation,
    InterpreterInvite,
    Role,
    State,
    Trigger,
)
from madoguchi.signaling.counter import CallStarted, CounterError, InterpreterWithdrawn, ParticipantLeft
from madoguchi.signaling.dispatch import call_events
from madoguchi.signaling.views import call_start

BOOTH = "booth:c1"
RESIDENT = "resident:r1"


def refused(call: Callable[..., object], **kwargs: Any) -> str:
    with pytest.raises(CounterError) as raised:
        call(**kwargs)
    assert raised.value.message
    return str(raised.value.code)


def refused_join(desk: Any, now: float) -> str:
    return refused(desk.counter.join, consultation_id="c1", participant="agent:s1", role=Role.INTERPRETER, now=now)


def invited_call(desk: Any) -> Consultation:
    """a1 answers an elderly-care booth call and invites s1 (who covers other routes) to interpret it."""
    desk.active_call("c1", "a1", now=0.0, route="elderly_care")
    desk.agent("s1", now=1.0, routes=("tax",), available=False)
    desk.counter.invite_interpreter("c1", inviter="a1", inviter_municipalities=(desk.TOWN,), staff_id="s1", now=10.0)
    desk.take()
    c: Consultation = desk.c("c1")
    return c


def join_as_interpreter(desk: Any, now: float) -> None:
    desk.counter.join("c1", participant="agent:s1", role=Role.INTERPRETER, now=now)


def test_the_call_boundaries_are_every_start_and_end_of_a_call_in_the_transition_table() -> None:
    active = State.ACTIVE
    assert frozenset(CALL_BOUNDARIES) == {
        (State.OFFERED, Trigger.ACCEPT),
        (active, Trigger.END),
        (active, Trigger.RESIDENT_GONE),
        (active, Trigger.AGENT_GONE),
        (active, Trigger.TRANSFER),
        (active, Trigger.INTERRUPT),
    }, "join and leave keep the call running: not a boundary"
    assert set(CALL_GRANTS) == {"interpreter_invites", "video_invited", "video_by_invite"}


def test_the_attack_invite_transfer_another_agent_answers_the_invitee_cannot_join(desk: Any) -> None:
    """/tmp/atk/t9.py as a unit: invite → transfer to disability welfare → another agent answers → join refused."""
    invited_call(desk)
    desk.counter.transfer("a1", "c1", route="disability_welfare", note="障害福祉へ", now=20.0)
    effects = desk.take()
    assert InterpreterWithdrawn("c1", "s1", BOOTH, Trigger.TRANSFER, by="a1") in effects
    assert desk.c("c1").interpreter_invites == {}
    desk.agent("joint", now=21.0, routes=("disability_welfare",))
    desk.counter.accept("joint", "c1", now=22.0)
    assert desk.c("c1").agent_id == "joint"
    assert refused_join(desk, now=23.0) == "not_invited"
    assert refused(desk.counter.decline_interpreter, consultation_id="c1", staff_id="s1", now=23.0) == "not_invited"
    assert desk.c("c1").party_of("agent:s1") is None


BOUNDARIES: dict[str, tuple[Callable[[Any], None], Trigger]] = {
    "transfer": (lambda d: d.counter.transfer("a1", "c1", route="tax", now=20.0), Trigger.TRANSFER),
    "agent hangs up": (lambda d: d.counter.end("c1", participant="agent:a1", now=20.0), Trigger.END),
    "booth revoked": (lambda d: d.counter.revoke_resident(BOOTH, now=20.0), Trigger.END),
    "agent disabled (back in line)": (
        lambda d: d.counter.access_ended("a1", disabled=True, now=20.0),
        Trigger.AGENT_GONE,
    ),
    "agent's link down past grace (back in line)": (
        lambda d: (d.counter.link_lost("agent:a1", now=20.0), d.counter.tick(now=60.0)),
        Trigger.AGENT_GONE,
    ),
    "resident's link down past grace": (
        lambda d: (d.counter.link_lost(BOOTH, now=20.0), d.counter.tick(now=60.0)),
        Trigger.RESIDENT_GONE,
    ),
    "server restart": (lambda d: d.counter.recover_after_restart("p2", now=20.0), Trigger.INTERRUPT),
}


@pytest.mark.parametrize("boundary", list(BOUNDARIES))
def test_every_way_a_call_ends_withdraws_its_open_invitations(desk: Any, boundary: str) -> None:
    invited_call(desk)
    desk.agent("s2", now=1.0, available=False)
    ask = desk.counter.invite_interpreter
    ask("c1", inviter="chief", inviter_municipalities=(desk.TOWN,), staff_id="s2", now=11.0, supervises=True)
    desk.counter.decline_interpreter("c1", staff_id="s2", now=12.0)  # declined: nothing left to withdraw for s2
    desk.take()
    end, trigger = BOUNDARIES[boundary]
    end(desk)
    effects = desk.take()
    assert desk.of_type(effects, InterpreterWithdrawn) == [InterpreterWithdrawn("c1", "s1", BOOTH, trigger, by="a1")]
    c = desk.counter.state.consultations.get("c1")
    assert c is None or c.interpreter_invites == {}


def test_an_expired_invitation_is_dropped_without_telling_anyone(desk: Any) -> None:
    invited_call(desk)
    desk.counter.transfer("a1", "c1", route="tax", now=400.0)  # the invitation ran out at 310
    assert desk.of_type(desk.take(), InterpreterWithdrawn) == []
    assert desk.c("c1").interpreter_invites == {}


def test_a_joined_interpreter_leaves_with_a_transfer_and_is_told_the_case_moved(desk: Any) -> None:
    invited_call(desk)
    join_as_interpreter(desk, now=11.0)
    desk.take()
    desk.counter.transfer("a1", "c1", route="disability_welfare", now=20.0)
    effects = desk.take()
    assert ParticipantLeft("c1", "agent:s1", "transferred") in effects
    assert desk.c("c1").party_of("agent:s1") is None
    told = call_events(effects, desk.counter, _Facts())  # type: ignore[arg-type]
    assert (Participant.agent("s1"), se.CallEnd(consultation_id="c1", reason="transferred")) in told
    to_booth = [e for who, e in told if who == BOOTH]
    assert not any(isinstance(e, se.ParticipantJoined | se.InterpreterCalled) for e in to_booth)
    desk.agent("joint", now=21.0, routes=("disability_welfare",))
    desk.counter.accept("joint", "c1", now=22.0)
    assert [p.participant for p in desk.c("c1").present()] == [BOOTH, "agent:joint"]
    assert refused(desk.counter.others_in_call, participant="agent:s1", consultation_id="c1") == "forbidden"


def test_a_withdrawn_invitation_reaches_the_invitee_and_the_residents_side(desk: Any) -> None:
    invited_call(desk)
    desk.counter.transfer("a1", "c1", route="tax", now=20.0)
    told = call_events(desk.take(), desk.counter, _Facts())  # type: ignore[arg-type]
    withdrawn = se.InterpreterWithdrawn(consultation_id="c1", reason="transfer")
    assert (Participant.agent("s1"), withdrawn) in told
    assert (Participant(BOOTH), withdrawn) in told


def test_an_invitation_from_an_earlier_call_of_the_case_is_refused(desk: Any) -> None:
    """Defence in depth: an invitation names the call it is for (``answered_at``); one left over from an earlier
    call, or stored before invitations named their call, is refused even if nothing cleared it."""
    c = invited_call(desk)
    assert c.interpreter_invites["s1"].call == c.answered_at == 0.0
    c.interpreter_invites = {"s1": InterpreterInvite(expires_at=300.0, by="a1", call=-5.0)}
    assert refused_join(desk, now=11.0) == "not_invited"
    c.interpreter_invites = {"s1": InterpreterInvite(expires_at=300.0, by="a1")}  # stored before `call` existed
    assert refused_join(desk, now=11.0) == "not_invited"
    c.interpreter_invites = {"s1": InterpreterInvite(expires_at=300.0, by="a1", call=c.answered_at)}
    join_as_interpreter(desk, now=11.0)


def test_grants_left_on_a_waiting_case_end_when_a_new_agent_accepts(desk: Any) -> None:
    """A case stored by an older version with grants still on it: the next accept ends them."""
    c = desk.request("c1", now=0.0)
    desk.agent("s1", now=0.0, available=False)
    c.interpreter_invites = {"s1": InterpreterInvite(expires_at=300.0, by="a0", call=-1.0)}
    c.video_invited = True
    desk.agent("a1", now=1.0)
    desk.counter.accept("a1", "c1", now=2.0)
    assert (c.interpreter_invites, c.video_invited) == ({}, False)
    assert InterpreterWithdrawn("c1", "s1", BOOTH, Trigger.ACCEPT, by="a0") in desk.take()


# --- video ---------------------------------------------------------------------------------------------------


def chat_answered_by_a1(desk: Any) -> None:
    desk.agent("a1", now=0.0, routes=("resident_records",))
    desk.request("c1", now=0.0, to_person=False, resident=RESIDENT)
    desk.counter.handoff("c1", resident=RESIDENT, route="resident_records", urgent=False, now=1.0)
    desk.counter.accept("a1", "c1", now=2.0)


def transfer_to_joint(desk: Any) -> None:
    desk.counter.transfer("a1", "c1", route="tax", now=5.0)
    desk.agent("joint", now=6.0, routes=("tax",))
    desk.counter.accept("joint", "c1", now=7.0)
    desk.take()


def test_the_attack_a_video_invitation_does_not_survive_a_transfer(desk: Any) -> None:
    """/tmp/atk/t10.py as a unit: a1 invites to video, transfers; joint answers; the resident's accept is refused
    and joint's console is never told to start a video call."""
    chat_answered_by_a1(desk)
    desk.counter.invite_video("a1", "c1", now=3.0)
    transfer_to_joint(desk)
    assert not desk.c("c1").video_invited
    answer = desk.counter.answer_video
    assert refused(answer, consultation_id="c1", resident=RESIDENT, accepted=True, now=8.0) == "not_invited"
    assert refused(answer, consultation_id="c1", resident=RESIDENT, accepted=False, now=8.0) == "not_invited"
    assert desk.take() == [] and not desk.c("c1").video
    desk.counter.invite_video("joint", "c1", now=9.0)  # the new agent may offer video themselves
    answer("c1", resident=RESIDENT, accepted=True, now=10.0)
    assert CallStarted("c1", RESIDENT, "joint") in desk.take()


def test_a_video_the_resident_accepted_from_one_agent_is_text_again_for_the_next(desk: Any) -> None:
    chat_answered_by_a1(desk)
    desk.counter.invite_video("a1", "c1", now=3.0)
    desk.counter.answer_video("c1", resident=RESIDENT, accepted=True, now=4.0)
    assert desk.c("c1").video
    transfer_to_joint(desk)
    assert not desk.c("c1").video
    assert call_start(desk.counter, desk.c("c1"), Role.AGENT, _Facts()).media is False  # type: ignore[arg-type]


def test_a_booked_video_call_stays_video_whoever_answers_it(desk: Any) -> None:
    desk.agent("a1", now=0.0, routes=("resident_records",))
    desk.counter.open(
        consultation_id="c1",
        municipality_id=desk.TOWN,
        channel=Channel.CHAT,
        resident=RESIDENT,
        route="resident_records",
        video=True,
        now=0.0,
    )
    desk.counter.accept("a1", "c1", now=2.0)
    transfer_to_joint(desk)
    assert desk.c("c1").video
    assert call_start(desk.counter, desk.c("c1"), Role.AGENT, _Facts()).media is True  # type: ignore[arg-type]


class _Turn:
    def ice_servers(self, *_: object, **__: object) -> list[Any]:
        return []


class _Facts:
    booths: dict[str, Any] = {}  # noqa: RUF012
    turn = _Turn()
    now = 4.0
