"""Queue position and the honest wait estimate; deadlines and a tick with nothing to do."""

from __future__ import annotations

from typing import Any

import pytest

from madoguchi.signaling.consultation import Channel
from madoguchi.signaling.counter import AgentStatus, CounterError

HANDLE = 300.0  # the desk's default handling time


def test_position_counts_only_cases_of_the_same_municipality_and_route_ahead(desk: Any) -> None:
    desk.request("tax1", now=0.0, route="tax")
    desk.request("roads1", now=1.0, route="housing_roads")
    desk.request("other_town_tax", now=2.0, route="tax", town=desk.OTHER_TOWN)
    desk.request("tax2", now=3.0, route="tax")
    desk.request("tax_urgent", now=4.0, route="tax", urgent=True)
    positions = {cid: desk.counter.position(cid).position for cid in desk.counter.state.consultations}
    assert positions == {"tax_urgent": 1, "tax1": 2, "tax2": 3, "roads1": 1, "other_town_tax": 1}


def test_estimate_is_unknown_when_no_matching_agent_is_on_duty(desk: Any) -> None:
    desk.agent("away", now=0.0, available=False)
    desk.agent("other_town", now=0.0, towns=(desk.OTHER_TOWN,))
    desk.agent("english_only", now=0.0, languages=("en",))
    desk.request("c1", now=1.0)
    pos = desk.counter.position("c1")
    assert (pos.position, pos.wait_estimate_s, pos.agents_on_duty) == (1, None, 0)


def test_disconnected_agent_is_not_on_duty(desk: Any) -> None:
    desk.active_call("c0", "a1", now=0.0)
    desk.request("c1", now=1.0)
    assert desk.counter.position("c1").agents_on_duty == 1
    desk.counter.link_lost("agent:a1", now=2.0)
    assert desk.counter.position("c1").wait_estimate_s is None


def test_estimate_is_zero_when_a_free_agent_exists(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    assert desk.counter.position("c1").wait_estimate_s == 0.0  # ringing
    desk.counter.link_lost("booth:c1", now=2.0)  # offer returned; a1 free again
    pos = desk.counter.position("c1")
    assert (pos.position, pos.wait_estimate_s, pos.agents_on_duty) == (1, 0.0, 1)
    desk.agent("a2", now=3.0, available=False)
    desk.active_call("c2", "a1", now=4.0)
    # a1 is busy now and a2 away: someone has to finish first
    assert desk.counter.position("c1").wait_estimate_s == HANDLE


def test_estimate_grows_with_position_and_shrinks_with_more_agents(desk: Any) -> None:
    desk.active_call("c0", "a1", now=0.0, resident="booth:x")
    for n in range(1, 5):
        desk.request(f"w{n}", now=float(n))
    one_agent = [desk.counter.position(f"w{n}").wait_estimate_s for n in range(1, 5)]
    assert one_agent == [HANDLE, 2 * HANDLE, 3 * HANDLE, 4 * HANDLE]
    desk.agent("a2", now=10.0, available=False)
    desk.request("c9", now=10.0, resident="booth:y", urgent=True)
    desk.counter.set_status("a2", AgentStatus.AVAILABLE, now=10.0)
    desk.counter.accept("a2", "c9", now=11.0)
    two_agents = [desk.counter.position(f"w{n}").wait_estimate_s for n in range(1, 5)]
    assert two_agents == [HANDLE, HANDLE, 2 * HANDLE, 2 * HANDLE]
    assert all(two <= one for one, two in zip(one_agent, two_agents, strict=True))
    assert desk.counter.position("w4").agents_on_duty == 2


def test_agent_of_another_municipality_does_not_shorten_the_estimate(desk: Any) -> None:
    desk.active_call("c0", "a1", now=0.0, resident="booth:x")
    desk.request("w1", now=1.0)
    before = desk.counter.position("w1")
    desk.agent("far", now=2.0, towns=(desk.OTHER_TOWN,))
    desk.active_call("elsewhere", "far", now=2.0, town=desk.OTHER_TOWN, resident="booth:far")
    desk.agent("far_idle", now=3.0, towns=(desk.OTHER_TOWN,))
    assert desk.counter.position("w1") == before


def test_position_of_an_unknown_case_is_not_found(desk: Any) -> None:
    with pytest.raises(CounterError) as raised:
        desk.counter.position("nope")
    assert raised.value.code == "not_found"


# --- deadlines -----------------------------------------------------------------------------------------------


def test_next_deadline_is_none_when_nothing_is_pending(desk: Any) -> None:
    assert desk.counter.next_deadline() is None
    desk.agent("a1", now=0.0, available=False)
    desk.request("c1", now=1.0)
    assert desk.counter.next_deadline() is None


def test_next_deadline_is_the_earliest_pending_one(make_desk: Any) -> None:
    desk = make_desk(offer_timeout_s=20.0, grace_period_s=30.0, decline_cooldown_s=60.0)
    desk.agent("a1", now=0.0)
    desk.request("c1", now=100.0)
    assert desk.counter.next_deadline() == 120.0  # offer timeout
    desk.counter.decline("a1", "c1", now=105.0)
    assert desk.counter.next_deadline() == 165.0  # decline cooldown
    desk.request("c2", now=106.0, resident="booth:c2", town=desk.OTHER_TOWN)
    desk.counter.link_lost("booth:c2", now=110.0)
    assert desk.counter.next_deadline() == 140.0  # resident grace
    desk.agent("idle", now=111.0)
    desk.counter.link_lost("agent:idle", now=107.0)
    assert desk.counter.next_deadline() == 137.0  # agent grace


def test_next_deadline_includes_an_active_call_whose_agent_is_lost(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.link_lost("agent:a1", now=10.0)
    assert desk.counter.next_deadline() == 40.0


def test_tick_at_the_deadline_clears_it(desk: Any) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    deadline = desk.counter.next_deadline()
    desk.counter.tick(deadline)
    # the offer timed out (a1 away) and left a decline cooldown, the only deadline now
    assert desk.counter.next_deadline() == deadline + desk.config.decline_cooldown_s
    desk.counter.tick(desk.counter.next_deadline())
    assert desk.counter.next_deadline() is None


def test_tick_with_nothing_due_changes_nothing(desk: Any) -> None:
    desk.active_call("c0", "a1", now=0.0)
    desk.agent("a2", now=1.0)
    desk.request("c1", now=2.0)
    desk.request("c2", now=3.0)
    desk.counter.link_lost("booth:c2", now=4.0)
    desk.take()
    before = desk.counter.state.model_copy(deep=True)
    deadline = desk.counter.next_deadline()
    desk.counter.tick(deadline - 0.001)
    assert desk.take() == []
    assert desk.counter.state == before


def test_bookings_due_soon_lengthen_a_walk_ins_estimate_not_a_booked_residents(desk: Any) -> None:
    desk.active_call("c0", "a1", now=0.0, resident="booth:x")
    desk.request("walk_in", now=1.0)
    assert desk.counter.position("walk_in").wait_estimate_s == HANDLE
    desk.counter.set_booked_soon("setouchi", {"tax": 2, "housing_roads": 5})
    # two booked residents of the same topic will go first: the one agent finishes three cases before
    pos = desk.counter.position("walk_in")
    assert (pos.position, pos.wait_estimate_s) == (1, 3 * HANDLE)  # the place in line stays what it is
    booked = desk.counter.open(
        consultation_id="booked",
        municipality_id="setouchi",
        channel=Channel.BOOTH,
        resident="booth:b",
        booth_id="b",
        route="tax",
        language="ja",
        priority=1,
        booking="12345674",
        now=2.0,
    )
    assert desk.counter.position(booked.id).wait_estimate_s == HANDLE  # only the call in progress is ahead
    desk.counter.set_booked_soon("setouchi", {})
    assert desk.counter.position("walk_in").wait_estimate_s == 2 * HANDLE  # the checked-in booking is in line


def test_booked_soon_is_per_municipality_and_told_only_when_it_changes(desk: Any) -> None:
    desk.counter.set_booked_soon("setouchi", {"tax": 1})
    desk.counter.set_booked_soon(desk.OTHER_TOWN, {"tax": 2})
    assert desk.counter.state.booked_soon == {"setouchi:tax": 1, f"{desk.OTHER_TOWN}:tax": 2}
    assert [type(e).__name__ for e in desk.counter.effects] == ["BookingsDue", "BookingsDue"]
    desk.counter.effects.clear()
    desk.counter.set_booked_soon("setouchi", {"tax": 1, "roads": 0})
    assert desk.counter.effects == []
    desk.counter.set_booked_soon("setouchi", {})
    assert desk.counter.state.booked_soon == {f"{desk.OTHER_TOWN}:tax": 2}
    assert [e.municipality_id for e in desk.counter.effects] == ["setouchi"]
