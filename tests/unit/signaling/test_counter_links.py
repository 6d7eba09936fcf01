"""Grace periods: a dropped link changes nothing at once (except a ringing offer); only the deadline decides."""

from __future__ import annotations

from typing import Any

from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import (
    AgentChanged,
    AgentStatus,
    CallEnded,
    OfferWithdrawn,
    PeerLink,
    ResidentReleased,
)
from madoguchi.signaling.presence import ProcessGone

GRACE = 30.0

# --- resident side -------------------------------------------------------------------------------------------


def test_resident_lost_while_waiting_keeps_the_place_but_is_not_offered(desk: Any) -> None:
    desk.request("c1", now=0.0)
    desk.request("c2", now=1.0)
    desk.counter.link_lost("booth:c1", now=2.0)
    assert desk.c("c1").resident_lost_at == 2.0
    assert [c.id for c in desk.counter.queue()] == ["c1", "c2"]
    assert desk.counter.position("c2").position == 2
    desk.agent("a1", now=3.0)
    assert desk.c("c1").state == State.WAITING
    assert desk.c("c2").agent_id == "a1"


def test_resident_restored_within_grace_is_offered(desk: Any) -> None:
    desk.request("c1", now=0.0)
    desk.counter.link_lost("booth:c1", now=1.0)
    desk.agent("a1", now=2.0)
    assert desk.held_by("a1") is None
    desk.counter.link_restored("booth:c1", now=1.0 + GRACE - 0.001)
    assert desk.c("c1").resident_lost_at is None
    assert desk.c("c1").agent_id == "a1"
    desk.counter.tick(1.0 + GRACE + 1)
    assert desk.c("c1").state == State.OFFERED


def test_resident_lost_past_grace_while_waiting_is_abandoned(desk: Any) -> None:
    desk.request("c1", now=0.0)
    desk.counter.link_lost("booth:c1", now=1.0)
    desk.take()
    desk.counter.tick(1.0 + GRACE - 0.001)
    assert desk.c("c1").state == State.WAITING
    assert desk.take() == []
    desk.counter.tick(1.0 + GRACE)
    assert "c1" not in desk.counter.state.consultations
    effects = desk.take()
    assert desk.transitions(effects) == [("c1", "waiting", "resident_gone", "abandoned")]
    assert ResidentReleased("c1", "booth:c1", "resident_link_lost") in effects


def test_resident_lost_while_offered_returns_the_offer_at_once_without_cooldown(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.take()
    desk.counter.link_lost("booth:c1", now=2.0)
    c = desk.c("c1")
    assert c.state == State.WAITING and c.agent_id is None
    assert c.declined_until == {}
    assert desk.held_by("a1") is None
    assert [w.reason for w in desk.of_type(desk.take(), OfferWithdrawn)] == ["resident_link_lost"]
    desk.counter.link_restored("booth:c1", now=3.0)
    assert desk.c("c1").agent_id == "a1"


def test_resident_lost_while_active_tells_the_agent_and_restore_tells_again(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.take()
    desk.counter.link_lost("booth:c1", now=5.0)
    assert desk.take() == [PeerLink("c1", "agent:a1", connected=False)]
    assert desk.c("c1").state == State.ACTIVE
    desk.counter.link_restored("booth:c1", now=6.0)
    assert desk.take() == [PeerLink("c1", "agent:a1", connected=True)]
    desk.counter.tick(5.0 + GRACE)
    assert desk.c("c1").state == State.ACTIVE


def test_resident_lost_past_grace_while_active_ends_the_call_into_wrap_up(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.link_lost("booth:c1", now=5.0)
    desk.take()
    desk.counter.tick(5.0 + GRACE)
    c = desk.c("c1")
    assert c.state == State.WRAP_UP
    assert c.ended_at == 5.0 + GRACE and c.end_reason == "resident_link_lost"
    assert c.resident_lost_at is None
    assert desk.held_by("a1") == "c1"
    effects = desk.take()
    assert desk.transitions(effects) == [("c1", "active", "resident_gone", "wrap_up")]
    assert CallEnded("c1", "booth:c1", "a1", "resident_link_lost") in effects
    assert ResidentReleased("c1", "booth:c1", "resident_link_lost") in effects


def test_a_call_its_booth_lost_past_grace_can_be_taken_up_by_that_booth_alone(desk: Any) -> None:
    """ux15 item 1: the booth back on line after the server ended its call was thanked and sent home; the case its
    lost link ended is known as such (the booth re-queues ahead of walk-ins), one ended otherwise is not."""
    desk.active_call("c1", "a1", now=0.0)
    assert not desk.counter.lost_by("booth:c1", "c1", now=100.0)
    desk.counter.link_lost("booth:c1", now=5.0)
    desk.counter.tick(5.0 + GRACE)
    assert desk.counter.lost_by("booth:c1", "c1", now=100.0)
    assert not desk.counter.lost_by("booth:other", "c1", now=100.0)
    assert not desk.counter.lost_by("booth:c1", "nothing", now=100.0)
    desk.active_call("c2", "a2", now=10.0)
    desk.counter.end("c2", participant="agent:a2", now=11.0)
    assert not desk.counter.lost_by("booth:c2", "c2", now=100.0)


def test_resident_lost_during_triage_past_grace_is_abandoned(desk: Any) -> None:
    desk.request("chat1", now=0.0, to_person=False, resident="chat:r1")
    desk.counter.link_lost("chat:r1", now=1.0)
    desk.counter.tick(1.0 + GRACE)
    assert desk.counter.state.consultations == {}


def test_booth_leaving_after_the_call_does_not_break_the_agents_wrap_up(desk: Any) -> None:
    """The resident was released at the end of the call; their link going down later is no event for the case."""
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.end("c1", participant="agent:a1", now=5.0)
    desk.take()
    desk.counter.link_lost("booth:c1", now=6.0)
    desk.counter.tick(6.0 + GRACE)
    assert desk.c("c1").state == State.WRAP_UP
    desk.wrap_up("a1", "c1", now=7.0 + GRACE)
    assert "c1" not in desk.counter.state.consultations


def test_next_resident_at_the_booth_can_start_while_the_agent_writes_the_wrap_up(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0, resident="booth:post_office")
    desk.counter.end("c1", participant="agent:a1", now=5.0)
    desk.request("c2", now=6.0, resident="booth:post_office")
    assert desk.c("c2").state == State.WAITING
    assert [c.id for c in desk.counter.open_for_resident("booth:post_office")] == ["c2"]


# --- agent side ----------------------------------------------------------------------------------------------


def test_agent_lost_while_offered_returns_the_offer_immediately(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.agent("a2", now=1.0)
    desk.request("c1", now=2.0)
    desk.take()
    desk.counter.link_lost("agent:a1", now=3.0)
    assert desk.c("c1").agent_id == "a2"
    assert desk.c("c1").declined_until == {}
    effects = desk.take()
    assert desk.transitions(effects) == [
        ("c1", "offered", "agent_gone", "waiting"),
        ("c1", "waiting", "offer", "offered"),
    ]
    assert OfferWithdrawn("a1", "c1", "agent_link_lost") in effects


def test_disconnected_agent_gets_no_offer_until_back(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.counter.link_lost("agent:a1", now=1.0)
    desk.request("c1", now=2.0)
    assert desk.c("c1").state == State.WAITING
    assert desk.counter.activity("a1") == "offline"
    desk.counter.link_restored("agent:a1", now=3.0)
    assert desk.c("c1").agent_id == "a1"


def test_agent_lost_while_active_tells_the_resident_and_restore_within_grace_resumes(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.take()
    desk.counter.link_lost("agent:a1", now=5.0)
    effects = desk.take()
    assert PeerLink("c1", "booth:c1", connected=False) in effects
    assert desk.c("c1").agent_lost_at == 5.0
    desk.counter.link_restored("agent:a1", now=5.0 + GRACE - 0.001)
    effects = desk.take()
    assert PeerLink("c1", "booth:c1", connected=True) in effects
    desk.counter.tick(5.0 + GRACE + 1)
    assert desk.c("c1").state == State.ACTIVE and desk.c("c1").agent_id == "a1"
    assert "a1" in desk.counter.state.agents


def test_agent_reconnecting_through_agent_online_resumes_the_call(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.link_lost("agent:a1", now=5.0)
    desk.take()
    desk.agent("a1", now=6.0, available=False)
    assert PeerLink("c1", "booth:c1", connected=True) in desk.take()
    desk.counter.tick(5.0 + GRACE)
    assert desk.c("c1").state == State.ACTIVE


def test_agent_lost_past_grace_while_active_sends_the_case_to_the_front_of_the_queue(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.request("c2", now=1.0)
    desk.counter.link_lost("agent:a1", now=5.0)
    desk.take()
    desk.counter.tick(5.0 + GRACE)
    c = desk.c("c1")
    assert c.state == State.WAITING
    assert c.enqueued_at == 0.0 and c.agent_id is None and c.answered_at is None
    assert [q.id for q in desk.counter.queue()] == ["c1", "c2"]
    assert "a1" not in desk.counter.state.agents
    effects = desk.take()
    assert desk.transitions(effects) == [("c1", "active", "agent_gone", "waiting")]
    assert CallEnded("c1", "booth:c1", "a1", "agent_link_lost") in effects
    assert c.call_lost is True, "the resident's screen says the call was cut, after a reload too"
    desk.agent("a2", now=40.0)
    assert desk.c("c1").agent_id == "a2"
    assert c.call_lost is True, "still only ringing"
    desk.counter.accept("a2", "c1", now=41.0)
    assert c.call_lost is False


def test_idle_agent_lost_past_grace_is_removed(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.counter.link_lost("agent:a1", now=1.0)
    desk.counter.tick(1.0 + GRACE - 0.001)
    assert "a1" in desk.counter.state.agents
    desk.take()
    desk.counter.tick(1.0 + GRACE)
    assert "a1" not in desk.counter.state.agents
    assert desk.take() == [AgentChanged("a1")]


def test_agent_lost_in_wrap_up_past_grace_keeps_the_wrap_up_and_can_finish_it_later(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.end("c1", participant="booth:c1", now=5.0)
    desk.counter.link_lost("agent:a1", now=6.0)
    desk.counter.tick(6.0 + GRACE)
    agent = desk.a("a1")
    assert agent.consultation_id == "c1" and agent.status == AgentStatus.AWAY
    assert desk.c("c1").state == State.WRAP_UP
    # the only deadline left is the wrap-up timeout, counted from the link going down
    assert desk.counter.next_deadline() == 6.0 + desk.config.wrap_up_timeout_s
    desk.agent("a1", now=100.0, available=False)
    assert desk.counter.next_deadline() is None
    desk.wrap_up("a1", "c1", now=101.0)
    assert "c1" not in desk.counter.state.consultations
    assert desk.held_by("a1") is None


def test_losing_a_link_twice_keeps_the_first_moment(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=0.0, town=desk.OTHER_TOWN)
    desk.counter.link_lost("agent:a1", now=1.0)
    desk.counter.link_lost("agent:a1", now=20.0)
    desk.counter.link_lost("booth:c1", now=2.0)
    desk.counter.link_lost("booth:c1", now=25.0)
    assert desk.a("a1").lost_at == 1.0
    assert desk.c("c1").resident_lost_at == 2.0


def test_link_events_for_unknown_participants_change_nothing(desk: Any) -> None:
    desk.counter.link_lost("agent:ghost", now=1.0)
    desk.counter.link_restored("agent:ghost", now=2.0)
    desk.counter.link_lost("booth:nobody", now=1.0)
    desk.counter.link_restored("booth:nobody", now=2.0)
    assert desk.take() == []
    assert desk.counter.state.agents == {} and desk.counter.state.consultations == {}


def test_agent_freed_by_a_resident_losing_their_link_gets_the_next_case_at_once(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.request("c2", now=2.0)
    desk.counter.link_lost("booth:c1", now=3.0)
    assert desk.c("c1").state == State.WAITING
    assert desk.c("c2").agent_id == "a1"


def test_transfer_while_the_agents_link_is_down_leaves_no_stale_grace_period(desk: Any) -> None:
    """A transfer that reaches the counter after the agent's disconnect (a late event from another process)."""
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.link_lost("agent:a1", now=1.0)
    desk.counter.transfer("a1", "c1", route="housing_roads", now=2.0)
    assert desk.c("c1").state == State.WAITING
    assert desk.c("c1").agent_lost_at is None
    desk.counter.tick(1.0 + GRACE)
    assert "a1" not in desk.counter.state.agents
    # nothing is left to fire: no stale deadline (the sender is kept from the case by not_back_to, no timer)
    assert desk.counter.next_deadline() is None
    assert desk.c("c1").not_back_to == ["a1"]


def test_a_reaped_process_restores_the_connections_it_still_holds(desk: Any) -> None:
    """A live-store outage outlasts the process timeout: the others reap this process although its sockets are
    up. Its next heartbeat states what it holds, and those links come back; what it no longer holds goes."""
    desk.request("c1", now=0.0)
    resident = desk.c("c1").resident
    desk.counter.connection_opened(resident, "p1:s1", process_id="p1", now=0.0)
    desk.counter.connection_opened("booth:gone", "p1:s2", process_id="p1", now=0.0)
    desk.counter.heartbeat("p2", now=20.0)
    gone = desk.counter.tick(20.0)  # p1 silent for 20 s: reaped
    # what the timers log: which process, how long silent, what it held (the booth with a case in the queue)
    assert gone == {"p1": ProcessGone(silent_s=20.0, connections=2, residents_waiting=1)}
    assert desk.c("c1").resident_lost_at == 20.0
    assert desk.counter.heartbeat("p1", now=21.0, held={resident: ["p1:s1"]}) == 1, "one connection restated"
    assert desk.c("c1").resident_lost_at is None
    assert desk.counter.heartbeat("p1", now=21.5, held={resident: ["p1:s1"]}) == 0, "nothing missing now"
    assert desk.counter.state.connections == {resident: ("p1:s1",)}
    desk.counter.heartbeat("p1", now=22.0, held={})
    assert desk.counter.state.connections == {}
    assert desk.c("c1").resident_lost_at == 22.0
