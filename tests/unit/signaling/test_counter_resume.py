"""Session 16: a booth whose link stayed down past the grace period takes its case up again within
``resume_window_s`` — a cut call at the head of the line whether or not the agent finished the wrap-up, a wait at its
own place (the time it joined the line), or at the head when its turn came meanwhile and the agent took the next
resident. Fake clock, no sleeps."""

from __future__ import annotations

from typing import Any

import pytest

from madoguchi.signaling.consultation import Channel
from madoguchi.signaling.counter import CounterError
from madoguchi.signaling.state import ResumeKind

GRACE = 30.0
WINDOW = 600.0


def _lost_call(desk: Any) -> float:
    """c1's booth loses its link during the call; returns when the server ended it."""
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.link_lost("booth:c1", now=5.0)
    desk.counter.tick(5.0 + GRACE)
    return 5.0 + GRACE


def test_a_cut_call_is_taken_up_at_the_head_after_the_wrap_up_is_finished(desk: Any) -> None:
    gone = _lost_call(desk)
    desk.wrap_up("a1", "c1", now=gone + 10)
    assert "c1" not in desk.counter.state.consultations
    desk.request("walk", now=gone + 20, resident="booth:walk")
    again = _open(desk, "r1", "booth:c1", route="child_family", now=gone + 30, resumes="c1")
    assert again.resumed == ResumeKind.CALL
    assert (again.route, again.priority) == ("tax", 1)
    assert next(c.id for c in desk.counter.queue()) == "r1"


def test_the_window_closes(desk: Any) -> None:
    gone = _lost_call(desk)
    assert desk.counter.lost_by("booth:c1", "c1", now=gone + WINDOW - 0.001) is not None
    assert desk.counter.lost_by("booth:c1", "c1", now=gone + WINDOW) is None
    desk.counter.tick(gone + WINDOW)
    assert desk.counter.state.lost_places == {}


def _open(desk: Any, cid: str, resident: str, *, now: float, route: str = "tax", resumes: str | None = None) -> Any:
    return desk.counter.open(
        consultation_id=cid,
        municipality_id=desk.TOWN,
        channel=Channel.BOOTH,
        resident=resident,
        route=route,
        now=now,
        resumes=resumes,
    )


def _resume(desk: Any, lost: str, new: str, *, now: float) -> Any:
    return _open(desk, new, f"booth:{lost}", now=now, resumes=lost)


def test_a_booth_lost_while_waiting_gets_its_own_place_back(desk: Any) -> None:
    desk.request("c1", now=0.0)
    desk.request("w1", now=10.0)
    desk.counter.link_lost("booth:c1", now=20.0)
    desk.counter.tick(20.0 + GRACE)
    assert "c1" not in desk.counter.state.consultations
    desk.request("w2", now=60.0)
    again = _resume(desk, "c1", "r1", now=100.0)
    assert again.resumed == ResumeKind.PLACE
    assert (again.enqueued_at, again.priority) == (0.0, 0)
    assert [c.id for c in desk.counter.queue()] == ["r1", "w1", "w2"]
    assert desk.counter.position("r1").position == 1


def test_its_own_place_is_not_ahead_of_those_who_were_before_it(desk: Any) -> None:
    desk.request("w0", now=0.0, resident="booth:w0")
    desk.request("c1", now=5.0)
    desk.request("w1", now=10.0)
    desk.counter.link_lost("booth:c1", now=20.0)
    desk.counter.tick(20.0 + GRACE)
    again = _resume(desk, "c1", "r1", now=100.0)
    assert [c.id for c in desk.counter.queue()] == ["w0", "r1", "w1"]
    assert again.resumed == ResumeKind.PLACE


@pytest.mark.parametrize("agent_comes", [25.0, 80.0], ids=["during grace", "after grace"])
def test_a_wait_whose_turn_came_meanwhile_goes_to_the_head(desk: Any, agent_comes: float) -> None:
    desk.request("w0", now=0.0, resident="booth:w0", route="child_family")
    desk.request("c1", now=5.0)
    desk.request("w1", now=10.0)
    desk.counter.link_lost("booth:c1", now=20.0)
    desk.counter.tick(min(agent_comes, 20.0 + GRACE))
    desk.agent("a1", now=agent_comes, routes=("tax",))  # takes w1: c1's turn, given to the next resident
    assert desk.held_by("a1") == "w1"
    desk.counter.tick(20.0 + GRACE)
    again = _resume(desk, "c1", "r1", now=100.0)
    assert again.resumed == ResumeKind.PASSED
    assert again.priority == 1
    assert next(c.id for c in desk.counter.queue()) == "r1"


def test_an_agent_who_could_not_have_taken_it_passes_nobody_over(desk: Any) -> None:
    desk.request("c1", now=5.0)
    desk.request("w1", now=10.0, route="child_family")
    desk.counter.link_lost("booth:c1", now=20.0)
    desk.counter.tick(20.0 + GRACE)
    desk.agent("a1", now=60.0, routes=("child_family",))
    assert desk.held_by("a1") == "w1"
    assert _resume(desk, "c1", "r1", now=100.0).resumed == ResumeKind.PLACE


def test_once_and_only_by_that_booth(desk: Any) -> None:
    gone = _lost_call(desk)
    with pytest.raises(CounterError) as stranger:
        _open(desk, "x1", "booth:other", now=gone + 1, resumes="c1")
    assert stranger.value.code == "not_resumable"
    _open(desk, "r1", "booth:c1", now=gone + 2, resumes="c1")
    desk.counter.cancel("r1", resident="booth:c1", now=gone + 3)
    with pytest.raises(CounterError) as twice:
        _open(desk, "r2", "booth:c1", now=gone + 4, resumes="c1")
    assert twice.value.code == "not_resumable"


def test_a_new_case_of_its_own_uses_the_lost_one_up(desk: Any) -> None:
    gone = _lost_call(desk)
    _open(desk, "n1", "booth:c1", now=gone + 1)
    desk.counter.cancel("n1", resident="booth:c1", now=gone + 2)
    assert desk.counter.lost_by("booth:c1", "c1", now=gone + 3) is None


def test_a_chat_with_the_bot_is_not_kept(desk: Any) -> None:
    desk.request("t1", now=0.0, to_person=False, resident="booth:t1")
    desk.counter.link_lost("booth:t1", now=1.0)
    desk.counter.tick(1.0 + GRACE)
    assert desk.counter.state.lost_places == {}


def test_no_window_keeps_nothing(make_desk: Any) -> None:
    desk = make_desk(resume_window_s=0.0)
    _lost_call(desk)
    assert desk.counter.state.lost_places == {}


def test_back_within_the_grace_period_it_is_not_passed_over_any_more(desk: Any) -> None:
    desk.request("c1", now=5.0)
    desk.request("w1", now=10.0)
    desk.counter.link_lost("booth:c1", now=20.0)
    desk.agent("a1", now=25.0)
    assert desk.held_by("a1") == "w1" and desk.c("c1").passed_over
    desk.counter.link_restored("booth:c1", now=30.0)
    assert not desk.c("c1").passed_over
    desk.counter.link_lost("booth:c1", now=40.0)
    desk.counter.tick(40.0 + GRACE)
    assert _resume(desk, "c1", "r1", now=100.0).resumed == ResumeKind.PLACE
