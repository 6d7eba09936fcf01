"""Routing rules of counter.py: who may see and get a case, who gets it first, and what happens on a refusal."""

from __future__ import annotations

from typing import Any

import pytest

from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import (
    AgentChanged,
    AgentStatus,
    CallEnded,
    CounterError,
    OfferMade,
    OfferWithdrawn,
    ResidentReleased,
)

# --- matching ------------------------------------------------------------------------------------------------


def test_agent_of_another_municipality_never_sees_or_gets_the_case(desk: Any) -> None:
    desk.agent("outsider", now=0.0, towns=(desk.OTHER_TOWN,))
    desk.request("c1", now=1.0, town=desk.TOWN)
    assert desk.c("c1").state == State.WAITING
    assert desk.held_by("outsider") is None
    assert desk.counter.queue_for_agent("outsider") == []
    assert not desk.of_type(desk.take(), OfferMade)
    desk.agent("insider", now=2.0, towns=(desk.TOWN,))
    assert [c.id for c in desk.counter.queue_for_agent("insider")] == ["c1"]
    assert desk.c("c1").agent_id == "insider"


def test_agent_serving_two_municipalities_sees_both_queues(desk: Any) -> None:
    desk.request("here", now=0.0, town=desk.TOWN)
    desk.request("there", now=1.0, town=desk.OTHER_TOWN)
    desk.agent("joint", now=2.0, towns=(desk.TOWN, desk.OTHER_TOWN), available=False)
    desk.agent("local", now=2.0, towns=(desk.TOWN,), available=False)
    assert [c.id for c in desk.counter.queue_for_agent("joint")] == ["here", "there"]
    assert [c.id for c in desk.counter.queue_for_agent("local")] == ["here"]


def test_route_must_match_unless_the_agent_takes_every_route(desk: Any) -> None:
    desk.agent("tax_only", now=0.0, routes=("tax",))
    desk.request("roads", now=1.0, route="housing_roads")
    assert desk.c("roads").state == State.WAITING
    assert desk.counter.queue_for_agent("tax_only") == []
    desk.request("tax", now=2.0, route="tax")
    assert desk.c("tax").agent_id == "tax_only"
    desk.agent("generalist", now=3.0, routes=("*",))
    assert desk.c("roads").agent_id == "generalist"


def test_language_must_match(desk: Any) -> None:
    desk.agent("ja_only", now=0.0, languages=("ja",))
    desk.request("english", now=1.0, language="en")
    assert desk.c("english").state == State.WAITING
    assert desk.counter.queue_for_agent("ja_only") == []
    desk.agent("bilingual", now=2.0, languages=("ja", "en"))
    assert desk.c("english").agent_id == "bilingual"


def test_easy_japanese_goes_to_japanese_speakers_and_other_languages_do_not(desk: Any) -> None:
    desk.agent("english_only", now=0.0, languages=("en",))
    desk.request("easy", now=1.0, language="easy-ja")
    desk.request("nepali", now=2.0, language="ne")
    assert desk.counter.queue_for_agent("english_only") == []
    desk.agent("ja_only", now=3.0, languages=("ja",))
    assert desk.c("easy").agent_id == "ja_only"
    assert "nepali" not in [c.id for c in desk.counter.queue_for_agent("ja_only")]
    assert desk.c("nepali").state == State.WAITING and desk.c("nepali").agent_id is None


def test_away_agent_sees_the_queue_but_gets_no_offer(desk: Any) -> None:
    desk.agent("a1", now=0.0, available=False)
    desk.request("c1", now=1.0)
    assert [c.id for c in desk.counter.queue_for_agent("a1")] == ["c1"]
    assert desk.c("c1").state == State.WAITING
    desk.counter.set_status("a1", AgentStatus.AVAILABLE, now=2.0)
    assert desk.c("c1").agent_id == "a1"


def test_queue_for_an_unknown_agent_is_refused(desk: Any) -> None:
    with pytest.raises(CounterError) as raised:
        desk.counter.queue_for_agent("ghost")
    assert raised.value.code == "invalid_state"


# --- who gets it first ---------------------------------------------------------------------------------------


def test_offer_goes_to_the_longest_idle_matching_agent(desk: Any) -> None:
    desk.agent("recent", now=10.0)
    desk.agent("long_idle", now=3.0)
    desk.agent("other_town_longest", now=0.0, towns=(desk.OTHER_TOWN,))
    desk.request("c1", now=11.0)
    assert desk.c("c1").agent_id == "long_idle"
    desk.request("c2", now=12.0)
    assert desk.c("c2").agent_id == "recent"


def test_agent_who_just_wrapped_up_goes_to_the_back_of_the_idle_line(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("a2", now=5.0)
    desk.counter.end("c1", participant="agent:a1", now=50.0)
    desk.wrap_up("a1", "c1", now=60.0)
    assert desk.a("a1").idle_since == 60.0
    desk.request("c2", now=61.0)
    assert desk.c("c2").agent_id == "a2"


def test_queue_order_is_urgent_then_priority_then_arrival(desk: Any) -> None:
    desk.request("plain_early", now=1.0)
    desk.request("plain_late", now=2.0)
    desk.request("urgent", now=3.0, urgent=True)
    desk.request("priority", now=4.0)
    desk.c("priority").priority = 5
    assert [c.id for c in desk.counter.queue()] == ["urgent", "priority", "plain_early", "plain_late"]
    offered = []
    for n in range(4):
        desk.agent(f"a{n}", now=10.0 + n)
        offered.append(desk.held_by(f"a{n}"))
    assert offered == ["urgent", "priority", "plain_early", "plain_late"]


def test_no_agent_gets_two_offers_and_no_case_goes_to_two_agents(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.request("c2", now=2.0)
    offers = desk.of_type(desk.take(), OfferMade)
    assert [(o.agent_id, o.consultation_id) for o in offers] == [("a1", "c1")]
    assert desk.c("c2").state == State.WAITING
    desk.agent("a2", now=3.0)
    desk.agent("a3", now=4.0)
    offers = desk.of_type(desk.take(), OfferMade)
    assert [(o.agent_id, o.consultation_id) for o in offers] == [("a2", "c2")]
    assert desk.held_by("a3") is None


def test_offer_carries_its_expiry(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=7.0)
    (offer,) = desk.of_type(desk.take(), OfferMade)
    assert offer.expires_at == 7.0 + desk.config.offer_timeout_s == desk.c("c1").offer_expires_at


# --- decline and timeout -------------------------------------------------------------------------------------


def test_decline_keeps_the_place_cools_the_agent_down_and_offers_the_next_agent(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.request("c2", now=2.0)
    desk.agent("a2", now=3.0, available=False)
    desk.take()
    desk.counter.set_status("a2", AgentStatus.AVAILABLE, now=4.0)
    assert desk.c("c2").agent_id == "a2"
    desk.counter.decline("a1", "c1", now=5.0)
    c1 = desk.c("c1")
    assert c1.state == State.WAITING
    assert c1.enqueued_at == 1.0
    assert c1.declined_until == {"a1": 5.0 + desk.config.decline_cooldown_s}
    assert [c.id for c in desk.counter.queue()] == ["c1", "c2"]
    withdrawn = desk.of_type(desk.take(), OfferWithdrawn)
    assert [(w.agent_id, w.consultation_id, w.reason) for w in withdrawn] == [("a1", "c1", "declined")]
    # a1 is free but cooling down for c1; a2 is busy with c2's offer.
    assert desk.held_by("a1") is None
    desk.counter.decline("a2", "c2", now=6.0)
    # Now each is offered the case the other declined.
    assert desk.c("c1").agent_id == "a2"
    assert desk.c("c2").agent_id == "a1"


def test_declined_case_comes_back_to_the_same_agent_only_after_the_cooldown(desk: Any) -> None:
    cooldown = desk.config.decline_cooldown_s
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.counter.decline("a1", "c1", now=5.0)
    desk.take()
    desk.counter.tick(5.0 + cooldown - 0.001)
    assert desk.c("c1").state == State.WAITING
    assert desk.take() == []
    desk.counter.tick(5.0 + cooldown)
    assert desk.c("c1").agent_id == "a1"
    assert desk.c("c1").declined_until == {}
    assert [o.consultation_id for o in desk.of_type(desk.take(), OfferMade)] == ["c1"]


def test_agent_who_declined_gets_the_next_case_in_line_meanwhile(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.request("c2", now=2.0)
    desk.counter.decline("a1", "c1", now=3.0)
    assert desk.c("c2").agent_id == "a1"
    assert desk.c("c1").state == State.WAITING


def test_offer_timeout_returns_the_case_and_sets_the_agent_away(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    expires = desk.c("c1").offer_expires_at
    desk.take()
    desk.counter.tick(expires - 0.001)
    assert desk.c("c1").state == State.OFFERED
    assert desk.take() == []
    desk.counter.tick(expires)
    assert desk.c("c1").state == State.WAITING
    assert desk.c("c1").agent_id is None and desk.c("c1").offer_expires_at is None
    assert desk.c("c1").enqueued_at == 1.0
    assert desk.a("a1").status == AgentStatus.AWAY
    assert desk.held_by("a1") is None
    effects = desk.take()
    assert desk.transitions(effects) == [("c1", "offered", "offer_timeout", "waiting")]
    assert [(w.agent_id, w.reason) for w in desk.of_type(effects, OfferWithdrawn)] == [("a1", "timeout")]
    assert AgentChanged("a1") in effects


def test_offer_timeout_passes_the_case_to_another_free_agent(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.agent("a2", now=2.0)
    desk.counter.tick(desk.c("c1").offer_expires_at)
    assert desk.c("c1").agent_id == "a2"


def test_going_away_while_ringing_returns_the_offer(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.take()
    desk.counter.set_status("a1", AgentStatus.AWAY, now=2.0)
    assert desk.c("c1").state == State.WAITING
    assert desk.held_by("a1") is None
    assert [w.reason for w in desk.of_type(desk.take(), OfferWithdrawn)] == ["agent_away"]


def test_setting_the_same_status_again_changes_nothing(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.take()
    desk.counter.set_status("a1", AgentStatus.AVAILABLE, now=9.0)
    assert desk.a("a1").idle_since == 0.0
    assert desk.take() == []


# --- resident cancels ----------------------------------------------------------------------------------------


def test_cancel_while_waiting_abandons_and_forgets_the_case(desk: Any) -> None:
    desk.request("c1", now=0.0)
    desk.take()
    desk.counter.cancel("c1", resident="booth:c1", now=4.0)
    assert "c1" not in desk.counter.state.consultations
    effects = desk.take()
    assert desk.transitions(effects) == [("c1", "waiting", "cancel", "abandoned")]
    assert ResidentReleased("c1", "booth:c1", "cancelled") in effects


def test_cancel_while_offered_withdraws_the_offer_and_frees_the_agent(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.request("c2", now=2.0, town=desk.OTHER_TOWN)
    desk.take()
    desk.counter.cancel("c1", resident="booth:c1", now=3.0)
    assert "c1" not in desk.counter.state.consultations
    assert desk.held_by("a1") is None
    assert desk.a("a1").status == AgentStatus.AVAILABLE
    effects = desk.take()
    assert OfferWithdrawn("a1", "c1", "cancelled") in effects
    assert desk.transitions(effects) == [("c1", "offered", "cancel", "abandoned")]
    # The freed agent takes the next case they serve, without a decline cooldown.
    desk.request("c3", now=4.0)
    assert desk.c("c3").agent_id == "a1"


def test_only_the_owner_can_cancel(desk: Any) -> None:
    desk.request("c1", now=0.0)
    with pytest.raises(CounterError) as raised:
        desk.counter.cancel("c1", resident="booth:someone_else", now=1.0)
    assert raised.value.code == "forbidden"
    assert desk.c("c1").state == State.WAITING


def test_cancel_of_an_unknown_case_is_not_found(desk: Any) -> None:
    with pytest.raises(CounterError) as raised:
        desk.counter.cancel("nope", resident="booth:c1", now=1.0)
    assert raised.value.code == "not_found"


# --- opening, handoff, limits --------------------------------------------------------------------------------


def test_one_open_case_per_resident_by_default(desk: Any) -> None:
    desk.request("c1", now=0.0, resident="booth:b1")
    with pytest.raises(CounterError) as raised:
        desk.request("c2", now=1.0, resident="booth:b1")
    assert raised.value.code == "limit_reached"
    assert "c2" not in desk.counter.state.consultations
    desk.request("c3", now=1.0, resident="booth:b2")
    desk.counter.cancel("c1", resident="booth:b1", now=2.0)
    desk.request("c2", now=3.0, resident="booth:b1")
    assert desk.c("c2").state == State.WAITING


def test_limit_follows_max_open_per_resident(make_desk: Any) -> None:
    desk = make_desk(max_open_per_resident=2)
    desk.request("c1", now=0.0, resident="chat:r1")
    desk.request("c2", now=1.0, resident="chat:r1")
    with pytest.raises(CounterError) as raised:
        desk.request("c3", now=2.0, resident="chat:r1")
    assert raised.value.code == "limit_reached"


def test_opening_an_existing_id_is_refused(desk: Any) -> None:
    desk.request("c1", now=0.0, resident="booth:b1")
    with pytest.raises(CounterError) as raised:
        desk.request("c1", now=1.0, resident="booth:b2")
    assert raised.value.code == "invalid_state"


def test_chat_starts_in_triage_and_is_not_offered_until_handoff(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("chat1", now=1.0, to_person=False, resident="chat:r1", route="general_inquiry")
    assert desk.c("chat1").state == State.TRIAGE
    assert desk.counter.queue() == []
    assert desk.held_by("a1") is None
    desk.counter.handoff("chat1", resident="chat:r1", route="tax", urgent=True, now=9.0)
    c = desk.c("chat1")
    assert (c.route, c.urgent, c.enqueued_at, c.state, c.agent_id) == ("tax", True, 9.0, State.OFFERED, "a1")


def test_handoff_by_someone_else_is_forbidden(desk: Any) -> None:
    desk.request("chat1", now=1.0, to_person=False, resident="chat:r1")
    with pytest.raises(CounterError) as raised:
        desk.counter.handoff("chat1", resident="chat:r2", route="tax", urgent=False, now=2.0)
    assert raised.value.code == "forbidden"


# --- transfer and interruption -------------------------------------------------------------------------------


def test_transfer_puts_the_case_back_in_line_on_the_new_route(desk: Any) -> None:
    desk.active_call("c1", "tax_agent", now=0.0, route="tax")
    desk.agent("roads_agent", now=1.0, routes=("housing_roads",))
    desk.take()
    desk.counter.transfer("tax_agent", "c1", route="housing_roads", now=10.0)
    c = desk.c("c1")
    assert c.route == "housing_roads"
    assert c.state == State.OFFERED and c.agent_id == "roads_agent"
    assert c.answered_at is None and c.enqueued_at == 0.0
    assert desk.held_by("tax_agent") is None
    assert desk.a("tax_agent").idle_since == 10.0
    effects = desk.take()
    assert CallEnded("c1", "booth:c1", "tax_agent", "transferred") in effects
    assert desk.transitions(effects)[:2] == [
        ("c1", "active", "transfer", "waiting"),
        ("c1", "waiting", "offer", "offered"),
    ]


def test_only_the_agent_of_an_active_case_can_transfer_it(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("a2", now=1.0)
    with pytest.raises(CounterError) as raised:
        desk.counter.transfer("a2", "c1", route="tax", now=2.0)
    assert raised.value.code == "invalid_state"
    assert desk.c("c1").state == State.ACTIVE


def test_full_restart_interrupts_calls_and_keeps_the_queue(desk: Any) -> None:
    desk.active_call("wrapping", "a3", now=0.0)
    desk.counter.end("wrapping", participant="agent:a3", now=1.0)
    desk.active_call("active", "a1", now=2.0)
    desk.agent("a2", now=3.0)
    desk.request("offered", now=4.0)
    desk.request("waiting", now=5.0)
    desk.request("triage", now=6.0, to_person=False, resident="chat:r1")
    desk.counter.heartbeat("p-old", now=6.0)
    desk.take()
    assert desk.counter.recover_after_restart("p-new", now=100.0) is True
    effects = desk.take()
    assert sorted((cid, prev, new) for cid, prev, trig, new in desk.transitions(effects)) == [
        ("active", "active", "interrupted"),
        ("offered", "offered", "waiting"),
    ]
    assert set(desk.counter.state.consultations) == {"wrapping", "offered", "waiting", "triage"}
    assert [c.id for c in desk.counter.queue()] == ["offered", "waiting"]  # same order as before
    assert desk.counter.state.processes == {"p-new": 100.0}
    assert all(not a.connected for a in desk.counter.state.agents.values())
    assert desk.counter.state.agents["a1"].consultation_id is None
    assert desk.counter.state.agents["a3"].consultation_id == "wrapping"  # wrap-up stays theirs
    # waiting residents get the grace period to reconnect, then are abandoned
    assert desk.c("waiting").resident_lost_at == 100.0
    desk.counter.link_restored(desk.c("waiting").resident, now=101.0)
    desk.counter.tick(100.0 + desk.counter.config.grace_period_s)
    assert "waiting" in desk.counter.state.consultations
    assert "offered" not in desk.counter.state.consultations


def test_restart_while_another_process_lives_changes_nothing(desk: Any) -> None:
    desk.active_call("active", "a1", now=0.0)
    desk.counter.heartbeat("p-other", now=95.0)
    desk.take()
    assert desk.counter.recover_after_restart("p-new", now=100.0) is False
    assert desk.take() == []
    assert desk.c("active").state == State.ACTIVE


def test_connections_across_processes_and_dead_process_reaping(desk: Any) -> None:
    desk.request("c1", now=0.0)
    resident = desk.c("c1").resident
    desk.counter.connection_opened(resident, "p1:s1", process_id="p1", now=1.0)
    desk.counter.connection_opened(resident, "p2:s9", process_id="p2", now=1.0)
    desk.counter.connection_closed(resident, "p1:s1", now=2.0)
    assert desk.c("c1").resident_lost_at is None  # still connected through p2
    desk.counter.heartbeat("p1", now=10.0)
    timeout = desk.counter.config.process_timeout_s
    desk.counter.tick(1.0 + timeout)  # p2 went silent: killed
    assert "p2" not in desk.counter.state.processes and "p1" in desk.counter.state.processes
    assert desk.c("c1").resident_lost_at == 1.0 + timeout
    desk.counter.connection_opened(resident, "p1:s2", process_id="p1", now=20.0)
    assert desk.c("c1").resident_lost_at is None
    assert desk.counter.state.connections == {resident: ("p1:s2",)}


def test_a_dead_process_takes_all_its_booths_links_at_once_and_only_theirs(desk: Any) -> None:
    """The cases of every resident the dead process held are found in one pass (a scan of every case per resident
    took seconds with 2,000 waiting): each of its residents' open cases starts its grace period, a ringing one goes
    back to the queue, the others' cases are untouched."""
    desk.agent("a1", now=0.0)
    for n in range(6):
        desk.request(f"c{n}", now=float(n))
    rung = desk.c("c0")
    assert rung.state == State.OFFERED and rung.agent_id == "a1"
    for n in range(6):
        process = "p1" if n % 2 == 0 else "p2"
        desk.counter.connection_opened(desk.c(f"c{n}").resident, f"{process}:s{n}", process_id=process, now=10.0)
    desk.counter.heartbeat("p2", now=20.0)
    timeout = desk.counter.config.process_timeout_s
    desk.counter.tick(10.0 + timeout)  # p1 went silent
    lost = {f"c{n}": desk.c(f"c{n}").resident_lost_at for n in range(6)}
    assert lost == {f"c{n}": (10.0 + timeout if n % 2 == 0 else None) for n in range(6)}
    assert desk.c("c0").state == State.WAITING  # its resident is gone for now: not ringing the agent any more
    assert desk.c("c1").state == State.OFFERED and desk.c("c1").agent_id == "a1"  # the next one still there is
