"""Interpreter overflow: a resident who chose a language no one on duty speaks is not stranded. Agents of the
case's town and route who do not speak it are offered the case at once when no speaker on duty may take it, or
once it has waited ``interpreter_after_s`` for a busy speaker; speakers still go first; the offer says the agent
needs an interpreter; "nobody can answer" is not claimed while the overflow reaches someone. Fake clock: floats."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from madoguchi.domain.participant import Participant
from madoguchi.signaling import server_events as se
from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import CounterConfig
from madoguchi.signaling.dispatch import queue_places, view_events
from madoguchi.signaling.no_answer import next_reason_change, no_answer
from madoguchi.signaling.state import OverflowRule
from madoguchi.signaling.supervision import alarms
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import Facts
from tests.support import make_settings

WAIT = 120.0


def _desk(make_desk: Callable[..., Any], **config: float) -> Any:
    return make_desk(interpreter_after_s=WAIT, **config)


def test_no_speaker_on_duty_the_route_agent_is_offered_at_once_and_told_to_invite_an_interpreter(
    make_desk: Callable[..., Any],
) -> None:
    desk = _desk(make_desk)
    desk.agent("ja_tax", now=0.0, routes=("tax",), languages=("ja",))
    desk.agent("ja_welfare", now=0.0, routes=("welfare",), languages=("ja",))
    desk.request("nepali", now=1.0, route="tax", language="ne")
    assert desk.c("nepali").state == State.OFFERED
    assert desk.c("nepali").agent_id == "ja_tax"  # the route's agent, never another route's
    assert desk.counter.through_interpreter(desk.a("ja_tax"), desk.c("nepali"), 1.0)
    assert no_answer(desk.counter, desk.c("nepali"), 1.0) is None


def test_the_wait_estimate_counts_the_route_agents_while_no_speaker_is_on_duty(make_desk: Callable[..., Any]) -> None:
    desk = _desk(make_desk)
    desk.agent("ja_tax", now=0.0, routes=("tax",), languages=("ja",))
    desk.active_call("c0", "ja_tax", now=0.0)
    desk.request("nepali", now=1.0, language="ne")
    assert desk.c("nepali").state == State.WAITING
    place = desk.counter.position("nepali")
    assert place.agents_on_duty == 1 and place.wait_estimate_s is not None
    assert no_answer(desk.counter, desk.c("nepali"), 2.0) is None  # the booth must not say "no one can answer"
    assert alarms(desk.counter, desk.TOWN, 2.0) == []


def test_a_busy_speaker_gets_the_case_first_until_the_wait_runs_out(make_desk: Callable[..., Any]) -> None:
    desk = _desk(make_desk)
    desk.agent("ne_tax", now=0.0, languages=("ja", "ne"))
    desk.active_call("c0", "ne_tax", now=0.0)
    desk.agent("ja_tax", now=0.0, languages=("ja",))
    desk.request("nepali", now=10.0, language="ne")
    assert desk.c("nepali").state == State.WAITING  # a speaker is on duty: the resident waits for them
    assert not desk.counter.may_take(desk.a("ja_tax"), desk.c("nepali"), 10.0 + WAIT - 0.1)
    assert 10.0 + WAIT in desk.counter.overflow_deadlines(20.0)
    assert desk.counter.next_deadline(20.0) == 10.0 + WAIT
    desk.counter.tick(10.0 + WAIT - 0.1)
    assert desk.c("nepali").state == State.WAITING
    desk.counter.tick(10.0 + WAIT)
    assert desk.c("nepali").state == State.OFFERED and desk.c("nepali").agent_id == "ja_tax"


def test_a_free_speaker_goes_before_a_longer_idle_non_speaker(make_desk: Callable[..., Any]) -> None:
    desk = _desk(make_desk)
    desk.agent("ja_tax", now=0.0, languages=("ja",))
    desk.agent("ne_other_route", now=5.0, routes=("welfare",), languages=("ne",))
    desk.agent("ne_tax", now=6.0, languages=("ne",))
    desk.request("nepali", now=10.0 + WAIT, language="ne")
    assert desk.c("nepali").agent_id == "ne_tax"


def test_a_speaker_of_another_route_whose_overflow_has_come_holds_the_case_from_a_non_speaker(
    make_desk: Callable[..., Any],
) -> None:
    desk = make_desk(interpreter_after_s=WAIT)
    desk.counter.config = desk.config.model_copy(
        update={"overflow": {"*": {"*": OverflowRule(after_s=30.0, any_with_language=True)}}}
    )
    desk.agent("ja_tax", now=0.0, languages=("ja",))
    desk.active_call("c0", "ja_tax", now=0.0)
    desk.agent("ne_welfare", now=0.0, routes=("welfare",), languages=("ja", "ne"))
    desk.active_call("c1", "ne_welfare", now=0.0, route="welfare")
    desk.request("nepali", now=1.0, language="ne")
    assert not desk.counter.speaker_on_duty(desk.c("nepali"), 1.0)  # welfare does not cover tax yet
    assert desk.counter.speaker_on_duty(desk.c("nepali"), 31.0)  # its office overflow has come
    for agent_id, cid in (("ja_tax", "c0"), ("ne_welfare", "c1")):
        desk.counter.end(cid, participant=desk.agent_key(agent_id), now=50.0)
    desk.wrap_up("ja_tax", "c0", now=50.0)
    assert desk.c("nepali").state == State.WAITING  # a speaker is on duty (in wrap-up): not through an interpreter
    desk.wrap_up("ne_welfare", "c1", now=51.0)
    assert desk.c("nepali").agent_id == "ne_welfare"
    assert [desk.counter.offer_rank(desk.a(a), desk.c("nepali")) for a in ("ja_tax", "ne_welfare")] == [2, 1]


def test_an_agent_of_another_route_or_town_is_never_offered_through_an_interpreter(
    make_desk: Callable[..., Any],
) -> None:
    desk = _desk(make_desk)
    desk.agent("ja_welfare", now=0.0, routes=("welfare",), languages=("ja",))
    desk.agent("ja_elsewhere", now=0.0, towns=(desk.OTHER_TOWN,), languages=("ja",))
    desk.request("nepali", now=1.0, language="ne")
    desk.counter.tick(1.0 + 10 * WAIT)
    assert desk.c("nepali").state == State.WAITING
    assert no_answer(desk.counter, desk.c("nepali"), 1.0 + 10 * WAIT) == "nobody"


def test_off_by_default_in_the_core_keeps_language_strict_routing(desk: Any) -> None:
    assert desk.config.interpreter_after_s is None
    desk.agent("ja_tax", now=0.0, languages=("ja",))
    desk.request("nepali", now=1.0, language="ne")
    desk.counter.tick(10_000.0)
    assert desk.c("nepali").state == State.WAITING
    assert not desk.counter.through_interpreter(desk.a("ja_tax"), desk.c("nepali"), 10_000.0)


def test_one_who_transferred_the_case_away_is_not_offered_it_through_an_interpreter(
    make_desk: Callable[..., Any],
) -> None:
    desk = _desk(make_desk)
    desk.agent("ja_tax", now=0.0, languages=("ja",))
    c = desk.request("nepali", now=1.0, language="ne")
    c.not_back_to = ["ja_tax"]
    assert not desk.counter.may_take(desk.a("ja_tax"), c, 1.0 + WAIT)


def test_the_no_answer_refresh_wakes_at_the_interpreter_overflow(make_desk: Callable[..., Any]) -> None:
    desk = make_desk(interpreter_after_s=WAIT, no_answer_wait_s=10_000.0)
    desk.agent("ne_tax", now=0.0, languages=("ne",))
    desk.active_call("c0", "ne_tax", now=0.0)
    desk.request("nepali", now=5.0, language="ne")
    assert next_reason_change(desk.counter, desk.c("nepali"), 6.0, None) == 5.0 + WAIT


def test_an_urgent_case_is_not_delayed_by_the_interpreter_overflow(make_desk: Callable[..., Any]) -> None:
    desk = _desk(make_desk)
    desk.agent("ja_welfare", now=0.0, routes=("welfare",), languages=("ja",))
    desk.request("urgent_ne", now=1.0, language="ne", urgent=True)
    assert desk.c("urgent_ne").agent_id == "ja_welfare"
    assert desk.counter.overflow_moments(desk.c("urgent_ne")) == []


def test_the_config_refuses_a_non_positive_wait() -> None:
    try:
        CounterConfig(interpreter_after_s=0)
    except ValueError as exc:
        assert "interpreter_after_s" in str(exc)
    else:
        raise AssertionError("a zero wait must be refused (None turns the overflow off)")


def test_a_busy_agent_lists_the_case_once_its_interpreter_overflow_comes_and_is_sent_their_list(
    make_desk: Callable[..., Any], tmp_path: Path
) -> None:
    """A case that overflowed to the interpreter path did not appear in the agent's queue list: a busy agent could
    not see the case they would be rung with next. Their list shows it from its overflow time, and the tick that
    reaches that time sends them the list again (no other change had to happen)."""
    desk = _desk(make_desk)
    desk.agent("ne_tax", now=0.0, languages=("ja", "ne"))
    desk.active_call("c0", "ne_tax", now=0.0, language="ne")  # the only speaker, busy
    desk.agent("ja_tax", now=0.0, languages=("ja",))
    desk.active_call("c1", "ja_tax", now=0.0)  # busy too
    desk.agent("ja_welfare", now=0.0, routes=("welfare",), languages=("ja",), available=False)
    desk.request("nepali", now=10.0, language="ne")
    listed = [c.id for c in desk.counter.queue_for_agent("ja_tax", 10.0 + WAIT - 1)]
    assert "nepali" not in listed  # a speaker is on duty and the wait is not over: not theirs yet
    desk.take()
    before = queue_places(desk.counter)
    desk.counter.tick(10.0 + WAIT)
    assert desk.c("nepali").state == State.WAITING and desk.c("nepali").interpreter_due
    out = view_events(
        desk.take(), desk.counter, Facts(now=10.0 + WAIT, turn=TurnIssuer(make_settings(tmp_path))), before=before
    )
    sent = {str(who): event for who, event in out if isinstance(event, se.QueueSnapshot)}
    shown = sent[str(Participant.agent("ja_tax"))]
    assert [i.consultation_id for i in shown.items] == ["nepali"]
    assert str(Participant.agent("ja_welfare")) not in sent  # another route's agent is not concerned
    desk.counter.tick(10.0 + WAIT + 1)
    assert desk.take() == []  # marked once


def test_with_no_speaker_on_duty_the_route_agents_list_shows_the_case_at_once(make_desk: Callable[..., Any]) -> None:
    desk = _desk(make_desk)
    desk.agent("ja_tax", now=0.0, languages=("ja",))
    desk.active_call("c1", "ja_tax", now=0.0)
    desk.request("nepali", now=10.0, language="ne")
    assert [c.id for c in desk.counter.queue_for_agent("ja_tax", 11.0)] == ["nepali"]
    assert desk.counter.queue_for_agent("ja_tax") == []  # without a time: only the cases they serve


def test_cases_coming_due_within_one_overflow_tick_are_taken_in_one(make_desk: Callable[..., Any]) -> None:
    """With thousands waiting, one timer tick per case coming due was a transaction over the whole queue per case:
    the moments are grouped on a grid of OVERFLOW_TICK_S (none is early, none later than that)."""
    from madoguchi.signaling.routing import OVERFLOW_TICK_S

    desk = _desk(make_desk)
    desk.agent("ne_tax", now=0.0, languages=("ja", "ne"))
    desk.active_call("c0", "ne_tax", now=0.0)  # the speaker is busy: the Nepali cases wait for them
    for n, at in enumerate((10.1, 10.6, 11.3, 11.9)):
        desk.request(f"ne{n}", now=at, language="ne")
    desk.request("later", now=12.4, language="ne")
    for n in range(3):
        desk.agent(f"ja{n}", now=0.0, languages=("ja",))
    grid = 12.0 + WAIT - (12.0 + WAIT) % OVERFLOW_TICK_S  # the first multiple of the grid at or after 11.9 + WAIT
    assert grid >= 11.9 + WAIT and grid - OVERFLOW_TICK_S < 10.1 + WAIT
    assert desk.counter.overflow_deadlines(0.0) == [grid, grid + OVERFLOW_TICK_S]
    assert desk.counter.next_deadline(20.0) == grid
    desk.counter.tick(grid)
    assert [desk.c(f"ne{n}").state for n in range(4)] == [State.OFFERED, State.OFFERED, State.OFFERED, State.WAITING]
    assert desk.c("later").state == State.WAITING  # its moment is in the next tick
    assert desk.counter.overflow_deadlines(grid) == [grid + OVERFLOW_TICK_S]
