"""The supervisor feed's deltas (``supervisor_delta``): what changed between two views of a town, by id, and nothing
when only time moved; a page holding the first view and applying the delta shows the second (``apply_delta``, what
``supervisor.js`` does). Pure: the counter is driven with explicit times."""

from __future__ import annotations

import random
from typing import Any

import pytest

from madoguchi.signaling.counter import AgentStatus
from madoguchi.signaling.server_events import SupervisorSnapshot
from madoguchi.signaling.state import SelfTestResult
from madoguchi.signaling.supervision import BoothInfo, TodayFigures, supervisor_view
from madoguchi.signaling.supervisor_delta import SAME_MOMENT_S, apply_delta, supervisor_delta

BOOTHS = [BoothInfo(f"b{n}", f"ブース{n}", "北港") for n in range(4)]


def view(desk: Any, now: float, version: int, today: TodayFigures | None = None) -> SupervisorSnapshot:
    built = supervisor_view(desk.counter, desk.TOWN, now, booths=BOOTHS, today=today)
    return built.model_copy(update={"version": version})


def shown(snap: SupervisorSnapshot) -> dict[str, Any]:
    """What a page shows of a view: rows in the page's order, waits as the moments they began (:func:`began`)."""
    data = snap.model_dump()
    for row in data["queue"]:
        row.pop("waited_s")  # the page counts from waiting_since
    data["queue"].sort(key=lambda c: (not c["urgent"], c["waiting_since"]))
    for row in data["booths"]:
        if row["online"]:
            row["last_seen"] = None  # now while it is online: the page shows it only for an offline booth
    for alert in data["alerts"]:
        alert.pop("waited_s")
    data["today"].pop("longest_wait_s")
    for key in ("now", "version"):
        data.pop(key)
    return data


def began(snap: SupervisorSnapshot) -> list[float]:
    """When each wait the page shows began (alarms, the longest wait), server time."""
    found = [snap.now - a.waited_s for a in snap.alerts if a.waited_s is not None]
    return found + ([snap.now - snap.today.longest_wait_s] if snap.today.waiting else [])


def same_page(page: SupervisorSnapshot, built: SupervisorSnapshot) -> bool:
    moments = zip(began(page), began(built), strict=True)
    return shown(page) == shown(built) and all(abs(a - b) < SAME_MOMENT_S for a, b in moments)


def test_only_time_passing_makes_no_delta(desk: Any) -> None:
    desk.agent("tanaka", now=0.0, routes=("tax",), available=False)
    desk.request("c1", now=10.0, route="tax", urgent=True)  # urgent, stranded: alarms with waits
    desk.counter.connection_opened("booth:b1", "p:1", process_id="p", now=10.0)
    before = view(desk, 100.0, 1)
    assert before.alerts and before.queue
    assert supervisor_delta(before, view(desk, 107.5, 2), base=1, version=2) is None


def test_a_new_case_is_one_queue_row_and_the_figures(desk: Any) -> None:
    desk.request("c1", now=10.0, route="tax")
    before = view(desk, 100.0, 1)
    desk.request("c2", now=101.0, route="transport_ferry")
    after = view(desk, 102.0, 2)
    delta = supervisor_delta(before, after, base=1, version=2)
    assert delta is not None and (delta.base, delta.version, delta.now) == (1, 2, 102.0)
    assert delta.queue is not None
    assert [c.consultation_id for c in delta.queue.upserts] == ["c2"] and delta.queue.removed == []
    assert delta.queue.total == 2
    assert delta.today is not None and delta.today.waiting == 2
    assert delta.agents is None and delta.booths is None  # nothing else moved: not sent
    assert "agents" not in delta.payload() and "booths" not in delta.payload()
    assert same_page(apply_delta(before, delta), after)


def test_a_case_gone_is_its_id_and_the_rows_behind_it_move_up(desk: Any) -> None:
    for n in range(3):
        desk.request(f"c{n}", now=10.0 + n, route="tax")
    before = view(desk, 100.0, 7)
    desk.counter.cancel("c0", resident=desk.booth("c0"), now=101.0)
    after = view(desk, 101.0, 8)
    delta = supervisor_delta(before, after, base=7, version=8)
    assert delta is not None and delta.queue is not None
    assert delta.queue.removed == ["c0"]
    assert {c.consultation_id: c.position for c in delta.queue.upserts} == {"c1": 1, "c2": 2}
    assert same_page(apply_delta(before, delta), after)


def test_an_agent_and_a_booth_changed_are_their_rows_alone(desk: Any) -> None:
    desk.agent("tanaka", now=0.0)
    desk.agent("sato", now=0.0)
    before = view(desk, 100.0, 1)
    desk.counter.set_status("sato", AgentStatus.AWAY, now=100.0)
    desk.counter.connection_opened("booth:b2", "p:1", process_id="p", now=100.0)
    after = view(desk, 101.0, 2)
    delta = supervisor_delta(before, after, base=1, version=2)
    assert delta is not None and delta.agents is not None and delta.booths is not None
    assert [a.agent_id for a in delta.agents.upserts] == ["sato"] and delta.agents.upserts[0].activity == "away"
    assert [b.booth_id for b in delta.booths.upserts] == ["b2"] and delta.booths.online == 1
    assert delta.booths.order == [b.booth_id for b in after.booths]
    assert same_page(apply_delta(before, delta), after)


def test_a_delta_applies_only_on_its_base(desk: Any) -> None:
    before = view(desk, 100.0, 3)
    desk.request("c1", now=100.0)
    delta = supervisor_delta(before, view(desk, 101.0, 4), base=3, version=4)
    assert delta is not None
    with pytest.raises(ValueError, match="version 3"):
        apply_delta(before.model_copy(update={"version": 2}), delta)


def test_two_towns_views_make_no_delta(desk: Any) -> None:
    mine = view(desk, 100.0, 1)
    other = supervisor_view(desk.counter, desk.OTHER_TOWN, 100.0)
    with pytest.raises(ValueError, match="one town"):
        supervisor_delta(mine, other, base=1, version=2)


OPERATIONS = ("request", "cancel", "status", "booth_on", "booth_off", "self_test", "today", "wait")


def test_a_page_following_deltas_shows_what_a_whole_view_shows(desk: Any) -> None:
    """200 random steps (seeded): the page's view after each delta equals the view built at that moment."""
    rng = random.Random(11)
    desk.agent("tanaka", now=0.0, routes=("tax",))
    desk.agent("sato", now=0.0, routes=("transport_ferry",), languages=("ja", "en"))
    now, n, received = 100.0, 0, 0
    page = view(desk, now, 1)
    sent = page
    for _ in range(200):
        now += rng.choice((0.1, 0.5, 2.0, 30.0))
        op = rng.choice(OPERATIONS)
        waiting = [c.id for c in desk.counter.queue()]
        if op == "request":
            n += 1
            route = rng.choice(("tax", "transport_ferry", "child_family"))
            desk.request(f"c{n}", now=now, route=route, urgent=rng.random() < 0.2, language=rng.choice(("ja", "en")))
        elif op == "cancel" and waiting:
            cid = rng.choice(waiting)
            desk.counter.cancel(cid, resident=desk.booth(cid), now=now)
        elif op == "status":
            agent = rng.choice(("tanaka", "sato"))
            if desk.a(agent).consultation_id is None:
                status = rng.choice((AgentStatus.AVAILABLE, AgentStatus.AWAY))
                desk.counter.set_status(agent, status, now=now)
        elif op == "booth_on":
            desk.counter.connection_opened(f"booth:b{rng.randrange(4)}", f"p:{n}", process_id="p", now=now)
        elif op == "booth_off":
            booth = f"booth:b{rng.randrange(4)}"
            for conn in list(desk.counter.state.connections.get(booth, ())):
                desk.counter.connection_closed(booth, conn, now=now)
        elif op == "self_test":
            state = rng.choice(("ok", "warn", "fail"))
            desk.counter.note_self_test(f"b{rng.randrange(4)}", SelfTestResult(at=now, state=state))
        elif op == "today":
            received += 1
        after = view(desk, now, sent.version + 1, TodayFigures(received=received))
        delta = supervisor_delta(sent, after, base=sent.version, version=sent.version + 1)
        if delta is None:
            assert shown(page) == shown(after)  # the same but for the clock
            continue
        page = apply_delta(page, delta)
        sent = after
        assert same_page(page, after)


def test_a_change_beyond_the_listed_booths_alone_is_a_booths_part(desk: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """tidy14: a page holding the booths beyond the listed ones (``supervisor.booths``) was never told they changed
    (no delta at all when only they did); the view's fingerprint of them (``booths_rest``) changes, and the delta
    carries it, with no row."""
    import madoguchi.signaling.supervision as supervision

    monkeypatch.setattr(supervision, "BOOTH_ROWS", 2)
    for n in range(4):
        desk.counter.connection_opened(f"booth:b{n}", f"p:{n}", process_id="p", now=10.0)
    before = view(desk, 100.0, 1)
    assert [b.booth_id for b in before.booths] == ["b0", "b1"] and before.booths_rest is not None
    assert supervisor_delta(before, view(desk, 105.0, 2), base=1, version=2) is None  # time alone: still nothing

    desk.counter.note_self_test("b3", SelfTestResult(at=101.0, state="ok"))  # b3 is beyond the listed two
    after = view(desk, 102.0, 2)
    assert [b.booth_id for b in after.booths] == ["b0", "b1"] and after.booths_rest != before.booths_rest
    delta = supervisor_delta(before, after, base=1, version=2)
    assert delta is not None and delta.booths is not None
    assert delta.booths.upserts == [] and delta.booths.removed == [] and delta.booths.rest == after.booths_rest
    assert apply_delta(before, delta).booths_rest == after.booths_rest
    assert same_page(apply_delta(before, delta), after)

    desk.counter.connection_closed("booth:b2", "p:2", now=103.0)  # offline: it moves into the listed ones
    moved = view(desk, 104.0, 3)
    assert moved.booths[0].booth_id == "b2" and moved.booths_rest != after.booths_rest
    again = supervisor_delta(after, moved, base=2, version=3)
    assert again is not None and again.booths is not None and again.booths.rest == moved.booths_rest
    assert same_page(apply_delta(after, again), moved)
