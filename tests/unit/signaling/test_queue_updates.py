"""Queue updates go only to those whose view a change moved: positions computed in one pass agree with one at a
time, a case appended at the end tells nobody ahead of it, a case leaving the head tells those behind it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from madoguchi.domain.participant import Participant
from madoguchi.signaling import server_events as se
from madoguchi.signaling import views
from madoguchi.signaling.dispatch import AgentsSeeing, queue_places, view_events
from madoguchi.signaling.rooms import rooms_of
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import Facts
from tests.support import make_settings


def told(desk: Any, tmp_path: Path, before: Any, now: float) -> tuple[set[str], set[str]]:
    """(residents told their place, agents sent the queue) by the effects since ``before`` was taken."""
    out = view_events(
        desk.take(), desk.counter, Facts(now=now, turn=TurnIssuer(make_settings(tmp_path))), before=before
    )
    residents = {str(who) for who, event in out if isinstance(event, se.QueuePosition)}
    agents = {str(who) for who, event in out if isinstance(event, se.QueueSnapshot)}
    return residents, agents


def test_positions_in_one_pass_agree_with_one_at_a_time(desk: Any) -> None:
    desk.active_call("c0", "a1", now=0.0, resident="booth:x")
    for n, (route, urgent) in enumerate([("tax", False), ("housing_roads", False), ("tax", True), ("tax", False)]):
        desk.request(f"w{n}", now=float(n + 1), route=route, urgent=urgent)
    desk.request("far", now=9.0, route="tax", town=desk.OTHER_TOWN)
    every = desk.counter.positions()
    assert set(every) == {c.id for c in desk.counter.queue()}
    assert every == {cid: desk.counter.position(cid) for cid in every}


def test_a_new_case_at_the_end_tells_only_its_resident_and_the_agents_who_may_take_it(
    desk: Any, tmp_path: Path
) -> None:
    desk.active_call("c0", "a1", now=0.0, resident="booth:x", route="tax")
    desk.agent("roads", now=0.0, routes=("housing_roads",), available=False)
    for n in range(3):
        desk.request(f"w{n}", now=float(n + 1), route="tax")
    desk.take()
    before = queue_places(desk.counter)
    desk.request("new", now=10.0, route="tax")
    residents, agents = told(desk, tmp_path, before, now=10.0)
    assert residents == {"booth:new"}
    assert agents == {str(Participant.agent("a1"))}  # "roads" may not take a tax case


def test_the_head_leaving_tells_everyone_behind_it_in_its_line(desk: Any, tmp_path: Path) -> None:
    desk.active_call("c0", "a1", now=0.0, resident="booth:x", route="tax")
    for n in range(3):
        desk.request(f"w{n}", now=float(n + 1), route="tax")
    desk.request("roads", now=5.0, route="housing_roads")
    desk.take()
    before = queue_places(desk.counter)
    desk.counter.cancel("w0", resident="booth:w0", now=10.0)
    residents, _agents = told(desk, tmp_path, before, now=10.0)
    assert residents == {"booth:w1", "booth:w2"}


def test_agents_who_see_the_same_queue_get_one_event_for_all(desk: Any, tmp_path: Path) -> None:
    desk.active_call("c0", "a1", now=0.0, resident="booth:x", route="tax")
    desk.agent("a2", now=0.0, available=False)
    desk.agent("a3", now=0.0, available=False)
    desk.agent("roads", now=0.0, routes=("housing_roads",), available=False)
    desk.take()
    before = queue_places(desk.counter)
    desk.request("new", now=10.0, route="tax")
    facts = Facts(now=10.0, turn=TurnIssuer(make_settings(tmp_path)))
    out = view_events(desk.take(), desk.counter, facts, before=before)
    snapshots = [(who, event) for who, event in out if isinstance(event, se.QueueSnapshot)]
    assert [who for who, _ in snapshots] == [AgentsSeeing(("a1", "a2", "a3"))]
    assert [item.consultation_id for item in snapshots[0][1].items] == ["new"]
    assert rooms_of(AgentsSeeing(("a1", "a2"))) == ("/agent", ["agent:a1", "agent:a2"])


def test_an_urgent_case_tells_every_agent_of_its_town_whose_queue_shows_it(desk: Any, tmp_path: Path) -> None:
    """An urgent case is in the queue of any agent of its town (Agent.takes_urgent), whatever the route and
    language: the agents who see it are sent the queue, not only those who serve its route and language."""
    desk.active_call("c0", "a1", now=0.0, resident="booth:x", route="tax")
    desk.agent("roads", now=0.0, routes=("housing_roads",), available=False)
    desk.agent("far", now=0.0, towns=(desk.OTHER_TOWN,), available=False)
    desk.take()
    before = queue_places(desk.counter)
    desk.request("sos", now=10.0, route="tax", language="vi", urgent=True)
    _, agents = told(desk, tmp_path, before, now=10.0)
    assert agents == {str(Participant.agent("a1")), str(Participant.agent("roads"))}
    assert [c.id for c in desk.counter.queue_for_agent("roads")] == ["sos"]


def test_an_agents_snapshot_lists_the_head_of_their_queue_and_counts_the_rest(desk: Any, tmp_path: Path) -> None:
    """A change sends the snapshot to every agent who may take the case: with the whole queue in it, O(queue ×
    agents) bytes per change. It lists the head (the order cases are served: urgent first) and counts them all."""
    desk.active_call("c0", "a1", now=0.0, resident="booth:x", route="tax")
    waiting = views.AGENT_QUEUE_ITEMS + 7
    for n in range(waiting):
        desk.request(f"w{n:03d}", now=float(n + 1), route="tax")
    desk.request("sos", now=500.0, route="tax", urgent=True)
    desk.request("roads", now=501.0, route="housing_roads", language="vi")  # not in a1's queue (ja, every route)
    facts = Facts(now=600.0, turn=TurnIssuer(make_settings(tmp_path)))
    snapshot = views.queue_snapshot(desk.counter, "a1", facts)
    expected = [c.id for c in desk.counter.queue_for_agent("a1")]
    assert snapshot.total == waiting + 1 == len(expected)
    assert [i.consultation_id for i in snapshot.items] == expected[: views.AGENT_QUEUE_ITEMS]
    assert snapshot.items[0].consultation_id == "sos" and snapshot.items[-1].consultation_id == "w028"
    desk.take()
    before = queue_places(desk.counter)
    desk.request("late", now=700.0, route="tax")  # at the end, past the head: the count changes
    out = view_events(desk.take(), desk.counter, Facts(now=700.0, turn=facts.turn), before=before)
    [sent] = [event for _who, event in out if isinstance(event, se.QueueSnapshot)]
    assert sent.total == waiting + 2 and len(sent.items) == views.AGENT_QUEUE_ITEMS
    assert "late" not in {i.consultation_id for i in sent.items}


def test_a_short_queue_is_listed_whole(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0, available=False)
    for n in range(3):
        desk.request(f"w{n}", now=float(n + 1), route="tax")
    facts = Facts(now=10.0, turn=TurnIssuer(make_settings(tmp_path)))
    snapshot = views.queue_snapshot(desk.counter, "a1", facts)
    assert [i.consultation_id for i in snapshot.items] == ["w0", "w1", "w2"] and snapshot.total == 3
    assert views.queue_snapshot(desk.counter, "nobody", facts).total == 0


def test_an_agent_who_declined_a_case_is_not_counted_free_for_it_in_the_estimate(desk: Any) -> None:
    """positions() counts the free agents once per group; a case one of them declined (its cooldown runs) counts
    them without that agent, the others keep the group's count."""
    desk.agent("a1", now=0.0)
    desk.agent("a2", now=0.0)
    desk.request("w0", now=1.0, route="tax")
    desk.request("w1", now=2.0, route="tax")
    desk.counter.decline(desk.c("w0").agent_id, "w0", now=3.0)  # back in line, not rung on that agent again
    decliner = next(a for a in ("a1", "a2") if a in desk.c("w0").declined_until)
    holder = desk.c("w1").agent_id
    assert holder is not None and holder != decliner and desk.c("w0").state.value == "waiting"
    handle = desk.config.default_handle_time_s
    place = desk.counter.positions()["w0"]
    assert (place.position, place.wait_estimate_s) == (1, handle)  # the one free agent declined it: a round
    desk.counter.tick(3.0 + desk.config.decline_cooldown_s)  # the cooldown ends: offered to them at once
    assert desk.c("w0").state.value == "offered"
