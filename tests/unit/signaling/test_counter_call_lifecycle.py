"""Accept, end and wrap-up: the effects the edges act on, who may do what, and what the counter learns."""

from __future__ import annotations

from typing import Any

import pytest

from madoguchi.signaling.consultation import Disposition, State, Trigger
from madoguchi.signaling.counter import (
    AgentActivity,
    AgentChanged,
    AgentStatus,
    CallEnded,
    CallStarted,
    CounterError,
    NextStepTold,
    OfferMade,
    ResidentReleased,
    Transitioned,
)


def test_accept_starts_the_call_with_its_effects(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.take()
    desk.counter.accept("a1", "c1", now=4.0)
    c = desk.c("c1")
    assert (c.state, c.answered_at, c.offer_expires_at, c.agent_id) == (State.ACTIVE, 4.0, None, "a1")
    effects = desk.take()
    (moved,) = desk.of_type(effects, Transitioned)
    assert (moved.previous, moved.trigger, moved.at, moved.detail) == (
        State.OFFERED,
        Trigger.ACCEPT,
        4.0,
        {"agent_id": "a1"},
    )
    assert moved.consultation.state == State.ACTIVE
    assert CallStarted("c1", "booth:c1", "a1") in effects
    assert AgentChanged("a1") in effects
    assert desk.counter.activity("a1") == AgentActivity.BUSY


def test_transitioned_carries_a_snapshot_not_the_live_object(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    requested, offered = desk.of_type(desk.take(), Transitioned)
    assert requested.consultation.state == State.WAITING and requested.previous is None
    assert offered.consultation.state == State.OFFERED
    assert offered.consultation is not desk.c("c1")
    desk.counter.accept("a1", "c1", now=2.0)
    assert offered.consultation.state == State.OFFERED


def test_accept_of_a_withdrawn_offer_is_invalid_state(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.counter.tick(desk.c("c1").offer_expires_at)
    desk.take()
    with pytest.raises(CounterError) as raised:
        desk.counter.accept("a1", "c1", now=30.0)
    assert raised.value.code == "invalid_state"


def test_accept_of_someone_elses_offer_is_invalid_state(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.agent("a2", now=1.0, available=False)
    desk.request("c1", now=2.0)
    for operation in (desk.counter.accept, desk.counter.decline):
        with pytest.raises(CounterError) as raised:
            operation("a2", "c1", now=3.0)
        assert raised.value.code == "invalid_state"
    assert desk.c("c1").agent_id == "a1"


def test_accept_by_an_agent_not_on_duty_is_refused(desk: Any) -> None:
    desk.request("c1", now=0.0)
    with pytest.raises(CounterError) as raised:
        desk.counter.accept("ghost", "c1", now=1.0)
    assert raised.value.code == "invalid_state"


@pytest.mark.parametrize(("participant", "by"), [("booth:c1", "resident"), ("agent:a1", "agent")])
def test_end_by_either_side_goes_to_wrap_up(desk: Any, participant: str, by: str) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.take()
    desk.counter.end("c1", participant=participant, now=90.0)
    c = desk.c("c1")
    reason = f"hung_up_by_{by}"
    assert (c.state, c.ended_at, c.end_reason) == (State.WRAP_UP, 90.0, reason)
    effects = desk.take()
    assert desk.transitions(effects) == [("c1", "active", "end", "wrap_up")]
    assert CallEnded("c1", "booth:c1", "a1", reason) in effects
    assert ResidentReleased("c1", "booth:c1", reason, rate=True) in effects  # a call took place: asked how it went
    assert AgentChanged("a1") in effects
    assert desk.held_by("a1") == "c1"
    assert desk.counter.activity("a1") == AgentActivity.WRAP_UP


def test_end_by_someone_who_is_not_a_participant_is_forbidden(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("a2", now=1.0)
    for stranger in ("agent:a2", "booth:elsewhere", "agent:", "a1"):
        with pytest.raises(CounterError) as raised:
            desk.counter.end("c1", participant=stranger, now=2.0)
        assert raised.value.code == "forbidden", stranger
    assert desk.c("c1").state == State.ACTIVE


def test_end_before_the_call_started_is_invalid_state(desk: Any) -> None:
    desk.request("c1", now=0.0)
    with pytest.raises(CounterError) as raised:
        desk.counter.end("c1", participant="booth:c1", now=1.0)
    assert raised.value.code == "invalid_state"


def test_wrap_up_closes_the_case_and_frees_the_agent(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.end("c1", participant="agent:a1", now=100.0)
    desk.take()
    desk.counter.wrap_up("a1", "c1", disposition=Disposition.REFERRED, note="福祉課へ", now=130.0)
    assert "c1" not in desk.counter.state.consultations
    assert desk.held_by("a1") is None
    assert desk.a("a1").idle_since == 130.0
    assert desk.a("a1").status == AgentStatus.AVAILABLE
    effects = desk.take()
    (closed,) = desk.of_type(effects, Transitioned)
    assert (closed.previous, closed.trigger, closed.consultation.state, closed.at) == (
        State.WRAP_UP,
        Trigger.WRAP_UP,
        State.CLOSED,
        130.0,
    )
    assert closed.detail == {"disposition": "referred", "note": "福祉課へ"}
    assert AgentChanged("a1") in effects


def test_wrap_up_frees_the_agent_for_the_next_waiting_case(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.request("c2", now=1.0)
    desk.counter.end("c1", participant="agent:a1", now=10.0)
    assert desk.c("c2").state == State.WAITING
    desk.take()
    desk.wrap_up("a1", "c1", now=20.0)
    assert desk.c("c2").agent_id == "a1"
    assert [o.consultation_id for o in desk.of_type(desk.take(), OfferMade)] == ["c2"]


def test_wrap_up_of_someone_elses_case_is_forbidden_and_of_a_live_call_invalid(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("a2", now=1.0)
    with pytest.raises(CounterError) as raised:
        desk.wrap_up("a1", "c1", now=2.0)
    assert raised.value.code == "invalid_state"
    desk.counter.end("c1", participant="agent:a1", now=3.0)
    with pytest.raises(CounterError) as raised:
        desk.wrap_up("a2", "c1", now=4.0)
    assert raised.value.code == "forbidden"
    assert desk.c("c1").state == State.WRAP_UP


def test_handle_time_is_a_moving_average_per_route_used_by_the_estimate(make_desk: Any) -> None:
    desk = make_desk(default_handle_time_s=300.0, handle_time_weight=0.5)
    desk.active_call("c1", "a1", now=0.0, route="tax")
    desk.counter.end("c1", participant="agent:a1", now=80.0)
    desk.wrap_up("a1", "c1", now=100.0)  # 100 s from answer to wrap-up
    assert desk.counter.state.handle_time_s == {"tax": pytest.approx(0.5 * 300 + 0.5 * 100)}
    desk.active_call("c2", "a1", now=200.0, route="tax", resident="booth:b2")
    desk.counter.end("c2", participant="agent:a1", now=250.0)
    desk.wrap_up("a1", "c2", now=300.0)
    assert desk.counter.state.handle_time_s["tax"] == pytest.approx(0.5 * 200 + 0.5 * 100)
    # The estimate uses the learnt time for tax and the default for a route with no history.
    desk.active_call("c3", "a1", now=400.0, route="tax", resident="booth:b3")
    desk.request("tax_wait", now=401.0, route="tax")
    desk.request("roads_wait", now=402.0, route="housing_roads")
    assert desk.counter.position("tax_wait").wait_estimate_s == 150.0
    assert desk.counter.position("roads_wait").wait_estimate_s == 300.0


def test_a_case_that_never_started_teaches_nothing(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.transfer("a1", "c1", route="tax", now=50.0)
    assert desk.counter.state.handle_time_s == {}


# --- the relay's guard ---------------------------------------------------------------------------------------


def test_peer_of_gives_each_participant_the_other(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    assert desk.counter.peer_of("booth:c1", "c1") == "agent:a1"
    assert desk.counter.peer_of("agent:a1", "c1") == "booth:c1"


def test_peer_of_refuses_strangers_non_active_and_unknown_cases(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("a2", now=1.0)
    desk.request("c2", now=2.0)  # offered to a2, not yet active
    for stranger in ("agent:a2", "booth:c2", "booth:other"):
        with pytest.raises(CounterError) as raised:
            desk.counter.peer_of(stranger, "c1")
        assert raised.value.code == "forbidden", stranger
    for participant in ("agent:a2", "booth:c2"):
        with pytest.raises(CounterError) as raised:
            desk.counter.peer_of(participant, "c2")
        assert raised.value.code == "invalid_state", participant
    with pytest.raises(CounterError) as raised:
        desk.counter.peer_of("booth:c1", "missing")
    assert raised.value.code == "not_found"


def test_peer_of_refuses_a_waiting_case_with_no_agent(desk: Any) -> None:
    desk.request("c1", now=0.0)
    with pytest.raises(CounterError) as raised:
        desk.counter.peer_of("booth:c1", "c1")
    assert raised.value.code == "forbidden"


def test_peer_of_refuses_after_the_call_ended(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.end("c1", participant="booth:c1", now=5.0)
    with pytest.raises(CounterError) as raised:
        desk.counter.peer_of("agent:a1", "c1")
    assert raised.value.code == "invalid_state"


def test_activity_follows_the_agents_case(desk: Any) -> None:
    desk.agent("a1", now=0.0, available=False)
    assert desk.counter.activity("a1") == AgentActivity.AWAY
    desk.counter.set_status("a1", AgentStatus.AVAILABLE, now=1.0)
    assert desk.counter.activity("a1") == AgentActivity.AVAILABLE
    desk.request("c1", now=2.0)
    assert desk.counter.activity("a1") == AgentActivity.RINGING
    desk.counter.accept("a1", "c1", now=3.0)
    assert desk.counter.activity("a1") == AgentActivity.BUSY
    assert desk.counter.current_for_agent("a1") is desk.c("c1")
    assert desk.counter.current_for_agent("ghost") is None


def test_transfer_never_rings_the_agent_who_sent_it_away_until_someone_else_took_it(desk: Any) -> None:
    """They sent it away on purpose (the resident was told 「すぐ です」 and rung back to them before): the case
    waits for the new route, or for a supervisor who offers it to them by name."""
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.transfer("a1", "c1", route="tax", now=5.0)
    assert desk.c("c1").state.value == "waiting"
    assert desk.counter.state.agents["a1"].consultation_id is None
    desk.counter.tick(5.0 + desk.counter.config.decline_cooldown_s + 1)
    assert desk.c("c1").state.value == "waiting" and desk.c("c1").not_back_to == ["a1"]
    desk.agent("a2", now=100.0)
    assert desk.c("c1").state.value == "offered" and desk.c("c1").agent_id == "a2"
    desk.counter.accept("a2", "c1", now=101.0)
    assert desk.c("c1").not_back_to == [], "taken by someone else: a1 may answer it again later"


def test_satisfaction_is_asked_after_a_person_or_the_bot_never_after_an_unanswered_wait(desk: Any) -> None:
    """consultation.closed's ask_satisfaction (kiosk9): one rule for the kiosk and the chat, in the pure core."""
    desk.request("c1", now=1.0)  # a booth wait nobody answered
    desk.take()
    desk.counter.cancel("c1", resident="booth:c1", now=5.0)
    assert ResidentReleased("c1", "booth:c1", "cancelled", rate=False) in desk.take()
    desk.request("c2", now=6.0)  # a call-back request
    desk.take()
    desk.counter.cancel("c2", resident="booth:c2", now=7.0, reason="callback")
    assert ResidentReleased("c2", "booth:c2", "callback", rate=False) in desk.take()
    desk.request("c3", now=8.0, resident="resident:r3", to_person=False)  # a chat the bot finished
    desk.take()
    desk.counter.cancel("c3", resident="resident:r3", now=9.0)
    assert ResidentReleased("c3", "resident:r3", "cancelled", rate=True) in desk.take()
    desk.request("c4", now=10.0, resident="resident:r4", to_person=False)  # handed to a person, given up
    desk.counter.handoff("c4", resident="resident:r4", route="tax", urgent=False, now=11.0)
    desk.take()
    desk.counter.cancel("c4", resident="resident:r4", now=12.0)
    assert ResidentReleased("c4", "resident:r4", "cancelled", rate=False) in desk.take()
    desk.active_call("c5", "a1", now=13.0)  # a call, whoever ends it
    desk.take()
    desk.counter.end("c5", participant="booth:c5", now=20.0)
    assert ResidentReleased("c5", "booth:c5", "hung_up_by_resident", rate=True) in desk.take()


@pytest.mark.parametrize(
    ("disposition", "told"),
    [
        (Disposition.FOLLOW_UP, True),
        (Disposition.BOOKED, True),
        (Disposition.REFERRED, True),
        (Disposition.RESOLVED, False),
        (Disposition.DROPPED, False),
        (Disposition.OTHER, False),
    ],
)
def test_a_wrap_up_with_a_next_step_is_told_to_the_resident(desk: Any, disposition: Disposition, told: bool) -> None:
    """UX14 #2: the booth's thank-you says what happens next when the wrap-up says it (never the note)."""
    desk.active_call("c1", "a1", now=0.0)
    resident = desk.c("c1").resident
    desk.counter.end("c1", participant="agent:a1", now=100.0)
    desk.take()
    desk.counter.wrap_up("a1", "c1", disposition=disposition, note="郵送します", now=130.0)
    said = desk.of_type(desk.take(), NextStepTold)
    assert said == ([NextStepTold("c1", resident, disposition.value)] if told else [])
