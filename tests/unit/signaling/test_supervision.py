"""The supervisor's pure view and alarms, the supervisor's counter operations (offer to a named agent, move a case
to another route) and per-route overflow. Time is a plain float throughout."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from madoguchi.domain.opening_hours import OFFICE_HOURS, HoursSpec, hours_of
from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import AgentStatus, CaseMoved, CounterError, OfferMade
from madoguchi.signaling.recording import record_update
from madoguchi.signaling.server_events import SupervisorLastCall
from madoguchi.signaling.state import OverflowRule, SelfTestResult
from madoguchi.signaling.supervision import (
    BoothInfo,
    SupervisionRules,
    TodayFigures,
    Watcher,
    alarms,
    booth_page,
    last_call,
    supervisor_view,
)
from madoguchi.storage.updates import Transition

# 2026-12-07 is a Monday; 01:00 UTC is 10:00 JST (open), 12:00 UTC is 21:00 JST (closed)
MONDAY_10_JST = datetime(2026, 12, 7, 1, 0, tzinfo=UTC).timestamp()
MONDAY_21_JST = datetime(2026, 12, 7, 12, 0, tzinfo=UTC).timestamp()
SATURDAY_10_JST = datetime(2026, 12, 5, 1, 0, tzinfo=UTC).timestamp()


def kinds(found: list[Any]) -> list[tuple[str, str]]:
    return [(a.kind, a.key) for a in found]


# --- the view ------------------------------------------------------------------------------------------------


def test_a_supervisor_is_listed_as_watching_for_as_long_as_their_page_is_connected(desk: Any) -> None:
    """fix7b: a supervisor whose console closed was listed 「この画面を 見ています」 for the console's grace period,
    then dropped while still watching; and today's figures add up, call-back requests their own figure."""
    miki = Watcher("miki", "監督 美紀", (desk.TOWN,))
    other = Watcher("nagi", "凪 監督", ("elsewhere",))
    for w in (miki, other):
        desk.counter.connection_opened(f"supervisor:{w.id}", f"p:{w.id}", process_id="p", now=1.0)
    snap = supervisor_view(
        desk.counter,
        desk.TOWN,
        100.0,
        watchers=[miki, other],
        today=TodayFigures(received=9, answered=4, abandoned=1, short_abandoned=1, callbacks=3),
    )
    assert [(a.agent_id, a.activity, a.since) for a in snap.agents] == [("miki", "watching", None)]
    assert (snap.today.callbacks, snap.today.short_abandoned, snap.today.in_hand) == (3, 1, 0)
    desk.counter.connection_closed("supervisor:miki", "p:miki", now=101.0)
    assert supervisor_view(desk.counter, desk.TOWN, 102.0, watchers=[miki]).agents == []


def test_the_towns_staff_not_on_the_counter_are_listed_as_not_connected(desk: Any) -> None:
    """#11 "every agent by name with state … 未接続": the town's staff who never opened the console (or left it past
    the grace period) are listed 未接続 from the roster, without a time in state; one on the counter is listed by
    the counter's state, once; another town's staff never."""
    desk.agent("tanaka", now=0.0, routes=("tax",))
    roster = [
        Watcher("tanaka", "田中", (desk.TOWN,)),
        Watcher("sato", "佐藤", (desk.TOWN,)),
        Watcher("nagi", "凪", ("elsewhere",)),
    ]
    miki = Watcher("miki", "監督 美紀", (desk.TOWN,))
    desk.counter.connection_opened("supervisor:miki", "p:miki", process_id="p", now=1.0)
    snap = supervisor_view(desk.counter, desk.TOWN, 100.0, watchers=[miki], roster=[*roster, miki])
    assert sorted((a.agent_id, a.activity, a.since is None) for a in snap.agents) == [
        ("miki", "watching", True),
        ("sato", "offline", True),
        ("tanaka", "available", False),
    ]


def test_a_booth_card_says_when_it_was_last_seen_and_its_last_calls_link(desk: Any) -> None:
    """#11 "the booths (online/offline, last heartbeat, last call's link quality)": a connected booth is seen now;
    an offline one keeps the moment the edge last saw it; the last call's link passes through as read."""
    call = SupervisorLastCall(at=50.0, rtt_ms=310.0, loss_pct=1.0, freezes=3, worst_step="low-video")
    desk.counter.connection_opened("booth:b1", "p:1", process_id="p", now=30.0)
    booths = [BoothInfo("b1", "北港", None, last_seen=90.0), BoothInfo("b2", "南浜", None, 80.0, call)]
    rows = {b.booth_id: b for b in supervisor_view(desk.counter, desk.TOWN, 100.0, booths=booths).booths}
    assert (rows["b1"].online, rows["b1"].last_seen, rows["b1"].last_call) == (True, 100.0, None)
    assert (rows["b2"].online, rows["b2"].last_seen, rows["b2"].last_call) == (False, 80.0, call)


def test_the_last_calls_link_is_the_booths_side_else_the_agents() -> None:
    at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    booth_side = {"rtt_ms": {"median": 310}, "loss_pct": {"median": 1.5}, "freezes": 2, "worst_step": "audio"}
    agent_side = {"rtt_ms": {"median": 650}, "loss_pct": {"median": None}, "freezes": 0, "worst_step": "video"}
    both = last_call(at, {"agent": agent_side, "resident": booth_side})
    assert (both.at, both.rtt_ms, both.loss_pct, both.freezes, both.worst_step) == (
        at.timestamp(),
        310.0,
        1.5,
        2,
        "audio",
    )
    only_agent = last_call(at, {"agent": agent_side})
    assert (only_agent.rtt_ms, only_agent.loss_pct, only_agent.freezes) == (650.0, None, 0)


def test_view_lists_the_towns_queue_agents_booths_and_figures(desk: Any) -> None:
    desk.agent("tanaka", now=0.0, routes=("tax",))
    desk.agent("sato", now=0.0, routes=("tax",), available=False)
    desk.request("c1", now=10.0, route="tax")  # offered to tanaka
    desk.request("c2", now=20.0, route="tax", urgent=True)
    desk.request("c3", now=30.0, route="transport_ferry")
    desk.counter.connection_opened("booth:b1", "p:1", process_id="p", now=30.0)
    booths = [BoothInfo("b1", "北港", "北港郵便局"), BoothInfo("b2", "南浜", None)]
    snap = supervisor_view(
        desk.counter, desk.TOWN, 100.0, booths=booths, today=TodayFigures(received=7, answered=5, abandoned=1)
    )
    queue = {c.consultation_id: c for c in snap.queue}
    assert list(queue) == ["c2", "c1", "c3"]  # urgent first, then in time order
    assert queue["c1"].state == "offered" and queue["c1"].offered_to == "tanaka"
    assert queue["c2"].urgent and queue["c2"].waited_s == 80.0 and queue["c2"].position == 1
    assert queue["c1"].position == 2 and queue["c3"].position == 1
    assert queue["c3"].stranded and not queue["c2"].stranded
    assert queue["c1"].booth_name is None  # booth ids c1.. are not in the directory given
    agents = {a.agent_id: a for a in snap.agents}
    assert agents["tanaka"].activity == "ringing" and agents["tanaka"].consultation_id == "c1"
    assert agents["tanaka"].consultation_route == "tax" and agents["sato"].consultation_route is None
    assert agents["sato"].activity == "away"
    assert {b.booth_id: b.online for b in snap.booths} == {"b1": True, "b2": False}
    assert snap.today.received == 7 and snap.today.answered == 5 and snap.today.abandoned == 1
    # the tile counts what the list lists, the ringing c1 too (ux7 item 6: the tile said 1 while the list said 2)
    assert snap.today.waiting == len(snap.queue) == 3 and snap.today.longest_wait_s == 90.0


def test_agent_time_in_state_follows_what_they_do(desk: Any) -> None:
    desk.active_call("c1", "tanaka", now=50.0)
    desk.counter.end("c1", participant="booth:c1", now=80.0)
    snap = supervisor_view(desk.counter, desk.TOWN, 100.0)
    assert [(a.activity, a.since) for a in snap.agents] == [("wrap_up", 80.0)]


def test_an_agent_whose_record_is_not_sent_is_shown_writing_it_since_the_call_ended(desk: Any) -> None:
    """office8b (outside UX tester): 7 minutes after the call ended, with the record never sent, the view said
    「対応中: 税金」; the agent's row now carries when the call ended (wrap_up_since) while the case is in wrap-up,
    also once the agent's console is gone, and nothing once the record is sent or while the call is on."""
    desk.active_call("c1", "tanaka", now=50.0)
    assert [a.wrap_up_since for a in supervisor_view(desk.counter, desk.TOWN, 60.0).agents] == [None]  # on the call
    desk.counter.end("c1", participant="booth:c1", now=80.0)
    (writing,) = supervisor_view(desk.counter, desk.TOWN, 500.0).agents
    assert (writing.consultation_route, writing.wrap_up_since) == ("tax", 80.0)
    assert writing.payload()["wrap_up_since"] == 80.0
    desk.wrap_up("tanaka", "c1", now=520.0)
    (done,) = supervisor_view(desk.counter, desk.TOWN, 530.0).agents
    assert (done.consultation_route, done.wrap_up_since) == (None, None)


def test_another_towns_cases_and_agents_never_appear(desk: Any) -> None:
    desk.agent("local", now=0.0, available=False)
    desk.agent("outsider", now=0.0, towns=(desk.OTHER_TOWN,), available=False)
    desk.request("here", now=1.0, town=desk.TOWN)
    desk.request("there", now=1.0, town=desk.OTHER_TOWN, urgent=True)
    snap = supervisor_view(desk.counter, desk.TOWN, 500.0)
    assert [c.consultation_id for c in snap.queue] == ["here"]
    assert [a.agent_id for a in snap.agents] == ["local"]
    assert all(a.consultation_id != "there" for a in snap.alerts)
    other = supervisor_view(desk.counter, desk.OTHER_TOWN, 500.0)
    assert [c.consultation_id for c in other.queue] == ["there"]
    assert [a.agent_id for a in other.agents] == ["outsider"]


# --- alarms --------------------------------------------------------------------------------------------------


def test_a_case_no_on_duty_agent_covers_is_stranded(desk: Any) -> None:
    desk.agent("tax_only", now=0.0, routes=("tax",))
    desk.agent("away_ferry", now=0.0, routes=("transport_ferry",), available=False)
    desk.request("ferry", now=1.0, route="transport_ferry")
    found = alarms(desk.counter, desk.TOWN, 2.0)
    assert kinds(found) == [("stranded", "stranded:transport_ferry:ja")]
    assert (found[0].action, found[0].consultation_id, found[0].count) == ("sv.do.stranded", "ferry", 1)
    desk.counter.set_status("away_ferry", AgentStatus.AVAILABLE, now=3.0)  # takes it: offered now
    assert alarms(desk.counter, desk.TOWN, 4.0) == []


def test_urgent_case_alarms_only_after_sixty_seconds(desk: Any) -> None:
    desk.agent("busy", now=0.0)
    desk.active_call("c0", "busy", now=0.0)
    desk.request("dv", now=100.0, urgent=True)
    assert kinds(alarms(desk.counter, desk.TOWN, 160.0)) == []
    assert kinds(alarms(desk.counter, desk.TOWN, 160.5)) == [("urgent_waiting", "urgent_waiting:dv")]


def test_route_over_its_service_level_target(desk: Any) -> None:
    desk.active_call("c0", "busy", now=0.0)
    desk.request("t1", now=0.0, route="tax")
    desk.request("t2", now=50.0, route="tax")
    rules = SupervisionRules(service_level_s={"tax": 120.0})
    assert kinds(alarms(desk.counter, desk.TOWN, 120.0, rules=rules)) == []
    found = alarms(desk.counter, desk.TOWN, 121.0, rules=rules)
    assert kinds(found) == [("over_target", "over_target:tax")]
    assert found[0].waited_s == 121.0 and found[0].target_s == 120.0
    # the default target applies to a route the settings do not name
    assert kinds(alarms(desk.counter, desk.TOWN, 121.0, rules=SupervisionRules(default_service_level_s=600))) == []


def test_each_booth_shows_its_last_self_test(desk: Any) -> None:
    """The kiosk's report, kept in the live state by the booth's id; a newer one replaces it; a booth that never
    reported shows none."""
    desk.counter.note_self_test("b1", SelfTestResult(at=50.0, state="fail", items=("network",), relay=False))
    desk.counter.note_self_test(
        "b1", SelfTestResult(at=90.0, state="warn", items=("network",), relay=True, rtt_ms=1800, loss_pct=0, audio=True)
    )
    booths = [BoothInfo("b1", "北港", None), BoothInfo("b2", "南浜", None)]
    snap = supervisor_view(desk.counter, desk.TOWN, 100.0, booths=booths)
    tests = {b.booth_id: b.self_test for b in snap.booths}
    assert tests["b2"] is None
    assert tests["b1"] is not None
    assert (tests["b1"].at, tests["b1"].state, tests["b1"].items) == (90.0, "warn", ["network"])
    assert (tests["b1"].relay, tests["b1"].rtt_ms, tests["b1"].audio) == (True, 1800, True)


@pytest.mark.parametrize(
    ("now", "expected"),
    [(MONDAY_10_JST, ["booth_offline:b2"]), (MONDAY_21_JST, []), (SATURDAY_10_JST, [])],
)
def test_booth_offline_alarms_only_during_opening_hours(desk: Any, now: float, expected: list[str]) -> None:
    desk.counter.connection_opened("booth:b1", "p:1", process_id="p", now=now)
    booths = [BoothInfo("b1", "北港", None), BoothInfo("b2", "南浜", None)]
    found = alarms(desk.counter, desk.TOWN, now, booths=booths, rules=SupervisionRules(hours=OFFICE_HOURS))
    assert [a.key for a in found] == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (MONDAY_10_JST, []),  # 2026-12-07 is in the town's closed dates
        (SATURDAY_10_JST, ["booth_offline:b1"]),  # this town opens on Saturday mornings
        (datetime(2026, 12, 29, 1, 0, tzinfo=UTC).timestamp(), []),  # a Tuesday inside 年末年始
        (datetime(2026, 12, 8, 8, 30, tzinfo=UTC).timestamp(), []),  # Tuesday 17:30 JST: closed at 17:00
        (datetime(2026, 12, 8, 7, 59, tzinfo=UTC).timestamp(), ["booth_offline:b1"]),  # Tuesday 16:59 JST
    ],
)
def test_booth_offline_alarm_follows_the_towns_stored_hours(desk: Any, now: float, expected: list[str]) -> None:
    spec = HoursSpec(
        weekly={d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": "09:00-12:00"},
        closed=["2026-12-07"],  # type: ignore[list-item]
        closed_yearly=["12-29..01-03"],
    )
    rules = SupervisionRules(hours=hours_of(spec))
    found = alarms(desk.counter, desk.TOWN, now, booths=[BoothInfo("b1", "北港", None)], rules=rules)
    assert [a.key for a in found] == expected


# --- offering a case to a named agent ------------------------------------------------------------------------


def test_supervisor_offers_a_stranded_case_to_a_named_agent_who_still_accepts(desk: Any) -> None:
    desk.agent("tax_only", now=0.0, routes=("tax",))
    desk.request("ferry", now=1.0, route="transport_ferry")
    desk.take()
    desk.counter.offer_to("tax_only", "ferry", now=5.0)
    assert desk.c("ferry").state == State.OFFERED and desk.c("ferry").agent_id == "tax_only"
    assert desk.of_type(desk.take(), OfferMade) == [OfferMade("tax_only", "ferry", 25.0)]
    desk.counter.accept("tax_only", "ferry", now=6.0)
    assert desk.c("ferry").state == State.ACTIVE


@pytest.mark.parametrize(
    ("setup", "code"),
    [("busy", "agent_busy"), ("away", "agent_busy"), ("other_town", "forbidden"), ("offered", "invalid_state")],
)
def test_offer_to_refuses_when_it_cannot_ring(desk: Any, setup: str, code: str) -> None:
    town = desk.OTHER_TOWN if setup == "other_town" else desk.TOWN
    desk.agent("a", now=0.0, routes=("tax",), towns=(town,), available=setup != "away")
    if setup == "busy":
        desk.active_call("c0", "a", now=0.0, route="tax")
    target = "ferry"
    desk.request("ferry", now=1.0, route="transport_ferry")
    if setup == "offered":
        desk.agent("b", now=2.0, routes=("tax",))
        desk.request("tax1", now=3.0, route="tax")  # rings a (longest idle)
        assert desk.c("tax1").agent_id == "a"
        desk.counter.accept("a", "tax1", now=3.5)
        desk.counter.end("tax1", participant="booth:tax1", now=3.6)
        desk.request("tax2", now=4.0, route="tax")  # rings b
        assert desk.c("tax2").agent_id == "b"
        target = "tax2"  # ringing, not waiting (checked before whether a, in wrap-up, is free)
    before = desk.counter.state.model_dump()
    with pytest.raises(CounterError) as err:
        desk.counter.offer_to("a", target, now=6.0)
    assert err.value.code == code
    assert desk.counter.state.model_dump() == before


def test_move_route_keeps_the_place_in_time_and_routes_anew(desk: Any) -> None:
    desk.agent("tax_only", now=0.0, routes=("tax",))
    desk.active_call("c0", "tax_only", now=0.0, route="tax")
    desk.request("ferry", now=1.0, route="transport_ferry")
    desk.take()
    desk.counter.move_route("ferry", route="tax", now=9.0)
    assert desk.c("ferry").route == "tax" and desk.c("ferry").enqueued_at == 1.0
    assert desk.of_type(desk.take(), CaseMoved) == [CaseMoved("ferry", "transport_ferry", "tax")]
    desk.counter.end("c0", participant="booth:c0", now=9.5)
    desk.wrap_up("tax_only", "c0", now=10.0)
    assert desk.c("ferry").agent_id == "tax_only"  # offered as soon as the agent is free


def test_a_moved_case_is_recorded_under_its_new_route_and_its_screen_says_staff_moved_it(desk: Any) -> None:
    """ux6: the report filed a moved case under its first route (a move wrote no record), and the kiosk showed
    the new route with no word why."""
    desk.request("ferry", now=1.0, route="transport_ferry")
    desk.take()
    desk.counter.staged.clear()
    desk.counter.move_route("ferry", route="tax", now=9.0)
    update = record_update(desk.counter.staged[-1])
    assert isinstance(update, Transition)
    assert (update.kind, update.columns["route"], update.state) == ("move", "tax", "waiting")
    assert update.detail == {"from_route": "transport_ferry", "route": "tax", "by": "supervisor"}
    assert desk.c("ferry").moved_by_staff is True


# --- overflow ------------------------------------------------------------------------------------------------


def test_overflow_to_any_agent_with_the_language_after_its_time(make_desk: Any) -> None:
    desk = make_desk()
    desk.config = desk.counter.config = desk.config.model_copy(
        update={"overflow": {desk.TOWN: {"transport_ferry": OverflowRule(after_s=300, any_with_language=True)}}}
    )
    desk.agent("tax_only", now=0.0, routes=("tax",))
    desk.agent("en_only", now=0.0, routes=("tax",), languages=("en",))
    desk.request("ferry", now=100.0, route="transport_ferry")
    assert desk.counter.next_deadline(now=100.0) == 400.0
    desk.counter.tick(399.0)
    assert desk.c("ferry").state == State.WAITING
    assert alarms(desk.counter, desk.TOWN, 399.0)[0].kind == "stranded"
    desk.counter.tick(400.0)
    assert desk.c("ferry").agent_id == "tax_only"  # the Japanese speaker, not the English-only one
    assert desk.counter.next_deadline(now=400.0) == 420.0  # only the offer's timeout is left


def test_overflow_to_a_fallback_route_only(make_desk: Any) -> None:
    desk = make_desk()
    rule = OverflowRule(after_s=60, to_route="general_inquiry")
    desk.config = desk.counter.config = desk.config.model_copy(update={"overflow": {"*": {"*": rule}}})
    desk.agent("tax_only", now=0.0, routes=("tax",))
    desk.request("ferry", now=0.0, route="transport_ferry")
    desk.counter.tick(100.0)
    assert desk.c("ferry").state == State.WAITING  # tax is not the fallback
    desk.agent("general", now=101.0, routes=("general_inquiry",))
    assert desk.c("ferry").agent_id == "general"
    # without a rule for the town or '*', nothing overflows
    assert desk.config.model_copy(update={"overflow": {}}).overflow_rule(desk.TOWN, "tax") is None


def test_resident_wait_estimate_keeps_its_meaning_under_overflow(make_desk: Any) -> None:
    desk = make_desk()
    rule = OverflowRule(after_s=60, any_with_language=True)
    desk.config = desk.counter.config = desk.config.model_copy(update={"overflow": {"*": {"*": rule}}})
    desk.agent("tax_only", now=0.0, routes=("tax",), available=False)
    desk.request("ferry", now=0.0, route="transport_ferry")
    # no agent serves the route: the wait is unknown, not a made-up number, overflow or not
    assert desk.counter.position("ferry").wait_estimate_s is None


def test_the_grouped_stranded_check_agrees_with_asking_every_agent(desk: Any) -> None:
    """Random agents (routes, languages, busy or not) and cases, with an overflow rule that has passed for some:
    the per-group answer equals the per-case one for every case."""
    import random

    from madoguchi.signaling.supervision import StrandedCheck, stranded

    rng = random.Random(5)
    desk.counter.config = desk.counter.config.model_copy(
        update={"overflow": {desk.TOWN: {"tax": OverflowRule(after_s=100.0, any_with_language=True)}}}
    )
    routes = ["tax", "pension", "welfare"]
    for i in range(12):
        desk.agent(
            f"a{i}",
            now=0.0,
            routes=tuple(rng.sample(routes, rng.randint(1, 2))),
            languages=tuple(rng.sample(["ja", "en", "vi"], rng.randint(1, 2))),
            available=rng.random() < 0.5,
        )
    for n in range(60):
        desk.request(f"c{n}", now=float(n * 5), route=rng.choice(routes), language=rng.choice(["ja", "en", "vi", "zh"]))
    grouped = StrandedCheck(desk.counter, 250.0)
    answers = [(grouped(c), stranded(desk.counter, c, 250.0)) for c in desk.counter.queue()]
    assert len(answers) > 40 and all(a == b for a, b in answers)
    assert {a for a, _ in answers} == {True, False}  # both answers occur


def test_stranded_cases_make_one_alarm_per_route_and_language_naming_the_longest_waiting(desk: Any) -> None:
    desk.agent("tax_only", now=0.0, routes=("tax",))
    for n in range(5):
        desk.request(f"f{n}", now=1.0 + n, route="transport_ferry")
    desk.request("en1", now=2.5, route="transport_ferry", language="en")
    found = alarms(desk.counter, desk.TOWN, 100.0)
    assert [(a.key, a.consultation_id, a.count, a.waited_s) for a in found] == [
        ("stranded:transport_ferry:ja", "f0", 5, 99.0),
        ("stranded:transport_ferry:en", "en1", 1, 97.5),
    ]


def test_a_long_queue_lists_its_head_and_counts_the_rest(desk: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import madoguchi.signaling.supervision as supervision

    monkeypatch.setattr(supervision, "QUEUE_ROWS", 3)
    for n in range(5):
        desk.request(f"c{n}", now=1.0 + n, route="tax", urgent=n == 4)
    snap = supervisor_view(desk.counter, desk.TOWN, 10.0)
    assert [c.consultation_id for c in snap.queue] == ["c4", "c0", "c1"]  # urgent first, then the longest waiting
    assert snap.queue_total == 5 and snap.today.waiting == 5
    assert [c.position for c in snap.queue] == [1, 2, 3]
    assert [a.count for a in snap.alerts if a.kind == "stranded"] == [5]  # none hidden behind the cut


def test_a_big_towns_view_lists_the_booths_needing_attention_first_and_counts_them_all(
    desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#11 perf: 2,201 booths in every view made it 452 KB. The view lists BOOTH_ROWS of them: offline while open
    first (an alarm), then a failing self-test or a poor last call, then the rest by place and name; the counts
    cover every booth, and the others come a page at a time (``booth_page``)."""
    import madoguchi.signaling.supervision as supervision

    monkeypatch.setattr(supervision, "BOOTH_ROWS", 3)
    poor = SupervisorLastCall(at=1.0, rtt_ms=120.0, loss_pct=8.0, freezes=0, worst_step="video")
    fine = SupervisorLastCall(at=1.0, rtt_ms=120.0, loss_pct=0.0, freezes=0, worst_step="video")
    booths = [
        BoothInfo("a-fine", "A", "北港", last_call=fine),
        BoothInfo("b-poor", "B", "北港", last_call=poor),
        BoothInfo("c-test", "C", "北港"),
        BoothInfo("d-off", "D", "北港"),
        BoothInfo("e-fine", "E", "北港"),
    ]
    for b in booths:
        if b.id != "d-off":
            desk.counter.connection_opened(f"booth:{b.id}", f"p:{b.id}", process_id="p", now=MONDAY_10_JST)
    desk.counter.note_self_test("c-test", SelfTestResult(at=1.0, state="fail", items=("camera",)))
    rules = SupervisionRules(hours=OFFICE_HOURS)
    snap = supervisor_view(desk.counter, desk.TOWN, MONDAY_10_JST, booths=booths, rules=rules)
    assert [b.booth_id for b in snap.booths] == ["d-off", "b-poor", "c-test"]
    assert (snap.booths_total, snap.booths_online) == (5, 4)
    assert [a.key for a in snap.alerts] == ["booth_offline:d-off"]  # alarms still cover every booth
    # closed: an offline booth needs no look before the troubled ones
    closed = supervisor_view(desk.counter, desk.TOWN, MONDAY_21_JST, booths=booths, rules=rules)
    assert [b.booth_id for b in closed.booths] == ["b-poor", "c-test", "d-off"]
    total, page = booth_page(desk.counter, booths, MONDAY_10_JST, OFFICE_HOURS, 3, 100)
    assert total == 5 and [b.booth_id for b in page] == ["a-fine", "e-fine"]


def test_the_view_built_with_kept_answers_equals_the_view_built_afresh_over_a_random_walk(desk: Any) -> None:
    """perf11: the stranded answers kept across views (per staffing and rules) and the offline booths taken from the
    booth order never change the view. A seeded walk of changes — cases come, go, are taken and ended, agents come,
    go away and back, booths drop and return, the overflow rules change, time passes — and after each the view is
    built twice: with what earlier views kept, and with nothing kept; each case's stranded flag is also asked of
    every agent (:func:`stranded`) and the booth alarms of :func:`alarms` left to find the offline booths itself."""
    import contextlib
    import random

    from madoguchi.signaling.counter import CounterError
    from madoguchi.signaling.supervision import StrandedCheck, stranded

    rng = random.Random(11)
    routes = ["tax", "pension", "welfare", "transport_ferry"]
    languages = ["ja", "en", "vi"]
    booths = [BoothInfo(f"k{i}", f"ブース{i}", f"郵便局{i % 3}") for i in range(8)]
    rules = SupervisionRules(hours=hours_of(HoursSpec(weekly=dict.fromkeys(("mon", "sat"), "00:00-24:00"))))
    for i in range(4):
        desk.agent(f"a{i}", now=0.0, routes=(routes[i],), languages=("ja",))
    for booth in booths[::2]:
        desk.counter.connection_opened(f"booth:{booth.id}", f"p:{booth.id}", process_id="p", now=0.0)
    now, made, changes = MONDAY_10_JST, 0, {"stranded": 0, "not": 0, "offline": 0}

    def step() -> None:
        nonlocal made
        counter = desk.counter
        waiting = [c for c in counter.queue() if c.state == State.WAITING]
        offered = [c for c in counter.state.consultations.values() if c.state == State.OFFERED]
        active = [c for c in counter.state.consultations.values() if c.state == State.ACTIVE]
        agents = list(counter.state.agents)
        pick = rng.randrange(9)
        if pick <= 2:
            made += 1
            urgent = rng.random() < 0.1
            desk.request(f"c{made}", now=now, route=rng.choice(routes), language=rng.choice(languages), urgent=urgent)
        elif pick == 3 and waiting:
            c = rng.choice(waiting)
            counter.cancel(c.id, resident=str(c.resident), now=now)
        elif pick == 4 and offered:
            c = rng.choice(offered)
            counter.accept(c.offered_to or "", c.id, now=now)
        elif pick == 5 and active:
            c = rng.choice(active)
            if rng.random() < 0.5:
                counter.end(c.id, participant=str(c.resident), now=now)
            else:  # back to the queue on another route, never offered back to this agent (not_back_to)
                counter.transfer(c.agent_id or "", c.id, route=rng.choice(routes), now=now)
        elif pick == 6:
            agent = rng.choice(agents)
            status = rng.choice([AgentStatus.AVAILABLE, AgentStatus.AWAY])
            counter.set_status(agent, status, now=now)
        elif pick == 7:
            agent_id = f"a{len(agents)}"
            desk.agent(
                agent_id,
                now=now,
                routes=tuple(rng.sample(routes, rng.randint(1, 2))),
                languages=tuple(rng.sample(languages, rng.randint(1, 2))),
                available=rng.random() < 0.5,
            )
        else:
            booth = rng.choice(booths)
            key = f"booth:{booth.id}"
            if counter.state.connections.get(key):
                counter.connection_closed(key, f"p:{booth.id}", now=now)
            else:
                counter.connection_opened(key, f"p:{booth.id}", process_id="p", now=now)
        if rng.random() < 0.1:  # the rules change (a new config, as a settings reload makes)
            after = rng.choice([10.0, 40.0])
            rule = OverflowRule(after_s=after, any_with_language=rng.random() < 0.5, to_route=rng.choice(routes))
            update: dict[str, Any] = {"overflow": {desk.TOWN: {rng.choice(routes): rule}}}
            update["interpreter_after_s"] = rng.choice([None, 30.0])
            counter.config = counter.config.model_copy(update=update)

    for _ in range(300):
        now += rng.choice([0.5, 3.0, 20.0])
        with contextlib.suppress(CounterError):  # a change the counter refuses (an agent busy...): the walk goes on
            step()
        desk.counter.effects.clear()
        kept = supervisor_view(desk.counter, desk.TOWN, now, booths=booths, rules=rules)
        StrandedCheck.forget()
        afresh = supervisor_view(desk.counter, desk.TOWN, now, booths=booths, rules=rules)
        assert kept == afresh
        queue = {c.id: c for c in desk.counter.queue()}
        for row in kept.queue:
            assert row.stranded == stranded(desk.counter, queue[row.consultation_id], now)
            changes["stranded" if row.stranded else "not"] += 1
        offline = [a for a in kept.alerts if a.kind == "booth_offline"]
        by_itself = alarms(desk.counter, desk.TOWN, now, booths=booths, rules=rules)
        assert offline == [a for a in by_itself if a.kind == "booth_offline"]
        changes["offline"] += len(offline)
        assert kept.alerts == by_itself
        supervisor_view(desk.counter, desk.TOWN, now, booths=booths, rules=rules)  # keeps answers for the next step
    # both answers were compared many times, and booth alarms too (the town is open all the walk)
    assert changes["stranded"] > 50 and changes["not"] > 50 and changes["offline"] > 50


def test_a_transferred_case_shows_the_residents_waiting_not_the_first_call(desk: Any) -> None:
    """ux16 H3: both consoles showed 「2:35 待ち」 for a case that had talked two of those minutes with the first
    agent; the wait shown (list, tile, alarms) is the resident's waiting only, as the reports count it."""
    desk.active_call("c1", "tanaka", now=0.0)
    desk.counter.transfer("tanaka", "c1", route="elderly_care", now=100.0)
    snap = supervisor_view(desk.counter, desk.TOWN, 120.0)
    [case] = [c for c in snap.queue if c.consultation_id == "c1"]
    assert case.waited_s == 20.0 and case.waiting_since == 100.0  # not 120 s since the request
    assert snap.today.longest_wait_s == 20.0
