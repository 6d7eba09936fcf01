"""A transferred case is not offered back to the agent who sent it away (the tester's case rang back to its sender
labelled "handed over from" himself), unless they sent it knowing nobody else can take it; the transfer form's
figures per route (staffing.py) count the others on duty now and the staff who could ever take it."""

from __future__ import annotations

from typing import Any

import pytest

from madoguchi.signaling.counter import AgentStatus, OfferMade
from madoguchi.signaling.staffing import StaffMember, transfer_options
from madoguchi.signaling.state import CounterError
from madoguchi.signaling.views import transfer_fields


def offers(desk: Any) -> list[tuple[str, str]]:
    return [(e.agent_id, e.consultation_id) for e in desk.of_type(desk.take(), OfferMade)]


def test_the_sender_is_not_rung_with_the_case_again_but_another_agent_is(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0, route="tax")
    desk.counter.transfer("a1", "c1", route="water_sewer", now=60.0)
    desk.take()
    desk.counter.tick(now=60.0 + desk.config.decline_cooldown_s + 1)  # the cooldown is long over
    desk.counter.set_status("a1", AgentStatus.AVAILABLE, now=200.0)
    assert offers(desk) == [], "not back to the one who sent it away"
    assert desk.counter.state.consultations["c1"].state.value == "waiting"
    desk.agent("a2", now=201.0, routes=("water_sewer",))
    assert offers(desk) == [("a2", "c1")]


def test_the_resident_is_not_told_the_sender_is_on_duty_for_them(desk: Any) -> None:
    """Only the sender covers the new route: the wait is unknown and nobody is on duty for it (the booth shows its
    "no one can answer" panel), not an estimate counting the one who will never be rung."""
    desk.active_call("c1", "a1", now=0.0, route="tax")
    desk.counter.transfer("a1", "c1", route="water_sewer", now=60.0)
    pos = desk.counter.position("c1")
    assert pos.agents_on_duty == 0 and pos.wait_estimate_s is None


def test_a_sender_told_nobody_else_can_take_it_gets_it_back_marked_as_theirs(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0, route="tax")
    desk.counter.transfer("a1", "c1", route="water_sewer", now=60.0, back_to_me=True)
    desk.take()
    desk.counter.tick(now=60.0 + desk.config.decline_cooldown_s + 1)
    desk.counter.set_status("a1", AgentStatus.AVAILABLE, now=200.0)
    assert offers(desk) == [("a1", "c1")]
    note = transfer_fields(desk.counter.state.consultations["c1"])["transfer"]
    assert note == {"note": "", "by": "Agent a1", "by_you": True}


def test_the_form_counts_the_others_on_duty_and_the_staff_who_ever_could(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0, route="tax")
    desk.agent("a2", now=1.0, routes=("water_sewer",))
    desk.agent("a3", now=1.0, routes=("water_sewer", "tax"), available=False)  # away: not on duty
    staff = [
        StaffMember("a1", (desk.TOWN,), ("*",), ("ja",)),
        StaffMember("a2", (desk.TOWN,), ("water_sewer",), ("ja",)),
        StaffMember("a3", (desk.TOWN,), ("water_sewer", "tax"), ("ja",)),
        StaffMember("b1", (desk.OTHER_TOWN,), ("*",), ("ja",)),  # another town's
        StaffMember("e1", (desk.TOWN,), ("elderly_care",), ("en",)),  # not the resident's language
        StaffMember("s1", (desk.TOWN,), ("*",), ("ja",), "supervisor"),  # takes cases only when on duty
        StaffMember("d1", (desk.TOWN,), ("*",), ("ja",), "admin"),
    ]
    rows = transfer_options(desk.counter, "a1", "c1", ["water_sewer", "tax", "elderly_care"], staff)
    assert [(r.route, r.on_duty, r.staff) for r in rows] == [
        ("water_sewer", 1, 2),
        ("tax", 0, 1),
        ("elderly_care", 0, 0),
    ]
    unknown = transfer_options(desk.counter, "a1", "c1", ["tax"], None)
    assert unknown[0].staff is None
    with pytest.raises(CounterError):
        transfer_options(desk.counter, "a2", "c1", ["tax"], staff)  # not their case
