"""Whether anyone can answer a waiting resident, and why not: the rule the kiosk's and chat page's "no one can
answer" panel shows (madoguchi/signaling/no_answer.py), with the town's opening hours passed in (the one set an
admin edits). Fake clock: plain floats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from madoguchi.domain.opening_hours import HoursSpec, hours_of
from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import AgentStatus, CounterError
from madoguchi.signaling.no_answer import no_answer
from madoguchi.signaling.state import CounterConfig, OverflowRule
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import Facts, queue_position, town_hours
from tests.support import make_settings
from tests.unit.signaling.conftest import Desk

# 2026-12-07 is a Monday: 01:00 UTC is 10:00 JST (open), 12:00 UTC is 21:00 JST (closed)
MONDAY_10_JST = datetime(2026, 12, 7, 1, 0, tzinfo=UTC).timestamp()
MONDAY_21_JST = datetime(2026, 12, 7, 12, 0, tzinfo=UTC).timestamp()
WEEKDAYS = {day: "08:30-17:15" for day in ("mon", "tue", "wed", "thu", "fri")}
SPEC = HoursSpec(weekly=WEEKDAYS, routes={"water_sewer": {"mon": "13:00-15:00"}}, closed=[date(2026, 12, 8)])
HOURS = hours_of(SPEC)


def desk(**config: object) -> Desk:
    base = {"offer_timeout_s": 20.0, "no_answer_wait_s": 600.0}
    return Desk(CounterConfig.model_validate({**base, **config}))


def facts(tmp_path: Path, now: float, *, spec: HoursSpec | None = SPEC) -> Facts:
    return Facts(now=now, turn=TurnIssuer(make_settings(tmp_path)), hours={} if spec is None else {Desk.TOWN: spec})


@pytest.mark.parametrize(("now", "reason"), [(MONDAY_10_JST, "nobody"), (MONDAY_21_JST, "closed")])
def test_nobody_on_duty_is_nobody_in_hours_and_closed_outside(tmp_path: Path, now: float, reason: str) -> None:
    d = desk()
    c = d.request("c1", now=now)
    assert no_answer(d.counter, c, now, HOURS) == reason
    shown = queue_position(d.counter, c, facts(tmp_path, now))
    assert shown.no_answer == reason
    assert shown.hours is not None and shown.hours.open_now is (reason == "nobody")
    assert shown.hours.weekly["mon"] == "08:30-17:15" and shown.hours.weekly["sat"] == "closed"


def test_a_town_without_hours_is_never_closed(tmp_path: Path) -> None:
    d = desk()
    c = d.request("c1", now=MONDAY_21_JST)
    assert no_answer(d.counter, c, MONDAY_21_JST) == "nobody"
    shown = queue_position(d.counter, c, facts(tmp_path, MONDAY_21_JST, spec=None))
    assert shown.no_answer == "nobody" and "hours" not in shown.payload()


def test_a_route_with_its_own_week_and_a_closed_day_show_as_such() -> None:
    tax = town_hours(SPEC, "water_sewer", MONDAY_10_JST)
    assert tax is not None and tax.weekly["mon"] == "13:00-15:00" and tax.open_now is False
    assert tax.weekly["tue"] == "closed"  # a route's own week: the days it names, no others
    tuesday = MONDAY_10_JST + 86400  # 2026-12-08, a closed date
    town = town_hours(SPEC, None, tuesday)
    assert town is not None and town.closed_today is True and town.open_now is False
    assert town_hours(None, None, tuesday) is None


def test_an_agent_who_does_not_cover_the_topic_or_language_is_nobody() -> None:
    d = desk()
    d.agent("tanaka", now=MONDAY_10_JST, routes=("tax",), languages=("ja",))
    wrong_topic = d.request("c1", now=MONDAY_10_JST, route="water_sewer")
    wrong_language = d.request("c2", now=MONDAY_10_JST, route="tax", language="pt", resident="booth:c2")
    assert wrong_language.state == State.WAITING
    assert no_answer(d.counter, wrong_topic, MONDAY_10_JST) == "nobody"
    assert no_answer(d.counter, wrong_language, MONDAY_10_JST) == "nobody"


def test_the_offices_overflow_rule_counts_once_its_time_has_come() -> None:
    rule = OverflowRule(after_s=300.0, to_route="general_inquiry")
    d = desk(overflow={Desk.TOWN: {"water_sewer": rule}})
    d.agent("tanaka", now=MONDAY_10_JST, routes=("general_inquiry",), available=False)
    c = d.request("c1", now=MONDAY_10_JST, route="water_sewer")
    d.counter.set_status("tanaka", AgentStatus.AVAILABLE, now=MONDAY_10_JST)
    assert no_answer(d.counter, c, MONDAY_10_JST + 10) == "nobody"
    assert no_answer(d.counter, c, MONDAY_10_JST + 301) is None, "after 5 min general_inquiry may take it"


def test_a_transfer_to_a_topic_nobody_on_duty_covers_is_nobody_at_once(tmp_path: Path) -> None:
    """The sender covers every topic but sent the case away: nobody can answer it, said at once, not
    「次が あなたの番です」 and 「すぐ です」 until the sender is rung with it again."""
    d = desk()
    d.active_call("c1", "tanaka", now=MONDAY_10_JST, route="tax")
    d.agent("suzuki", now=MONDAY_10_JST, routes=("tax",))  # on duty, but not for elderly care
    d.counter.transfer("tanaka", "c1", route="elderly_care", now=MONDAY_10_JST + 60)
    c = d.counter.state.consultations["c1"]
    assert c.state == State.WAITING
    shown = queue_position(d.counter, c, facts(tmp_path, MONDAY_10_JST + 61))
    assert shown.no_answer == "nobody" and shown.wait_estimate_s is None and shown.transferred is True
    d.counter.tick(MONDAY_10_JST + 3600)
    assert c.state == State.WAITING, "the sender is not rung with it again"


@pytest.mark.parametrize(("after_s", "taken"), [(120.0, True), (3600.0, False)])
def test_after_a_transfer_the_overflow_rule_counts_as_at_first_queueing(after_s: float, taken: bool) -> None:
    """The office's overflow (elderly care to general inquiry after ``after_s`` of waiting, counted from when the
    resident first queued): past it, a general-inquiry agent takes the transferred case; before it, nobody."""
    rule = OverflowRule(after_s=after_s, to_route="general_inquiry")
    d = desk(overflow={Desk.TOWN: {"elderly_care": rule}})
    d.agent("tanaka", now=MONDAY_10_JST, routes=("tax",), available=False)
    c = d.request("c1", now=MONDAY_10_JST, route="tax")
    d.counter.set_status("tanaka", AgentStatus.AVAILABLE, now=MONDAY_10_JST + 100)
    d.counter.accept("tanaka", "c1", now=MONDAY_10_JST + 101)
    d.agent("yamada", now=MONDAY_10_JST + 110, routes=("general_inquiry",))
    d.counter.transfer("tanaka", "c1", route="elderly_care", now=MONDAY_10_JST + 200)
    if taken:
        assert c.state == State.OFFERED and c.agent_id == "yamada"
        assert no_answer(d.counter, c, MONDAY_10_JST + 201) is None
    else:
        assert c.state == State.WAITING
        assert no_answer(d.counter, c, MONDAY_10_JST + 201) == "nobody"
        d.counter.tick(MONDAY_10_JST + after_s)
        assert c.state == State.OFFERED and c.agent_id == "yamada", "the same rule, at the same time, as before"


def test_someone_busy_on_duty_can_answer_until_the_wait_is_long(tmp_path: Path) -> None:
    d = desk()
    d.active_call("c0", "tanaka", now=MONDAY_10_JST)
    c = d.request("c1", now=MONDAY_10_JST, resident="booth:c1")
    assert c.state == State.WAITING
    assert no_answer(d.counter, c, MONDAY_10_JST + 599, HOURS) is None
    assert no_answer(d.counter, c, MONDAY_10_JST + 600, HOURS) == "long_wait"
    assert queue_position(d.counter, c, facts(tmp_path, MONDAY_10_JST)).no_answer_after_s == 600.0


def test_a_ringing_console_is_someone_answering() -> None:
    d = desk()
    d.agent("tanaka", now=MONDAY_21_JST)
    c = d.request("c1", now=MONDAY_21_JST)
    assert c.state == State.OFFERED
    assert no_answer(d.counter, c, MONDAY_21_JST + 900, HOURS) is None, "staff working late answer: never 'closed'"


def test_a_callback_closes_the_case_with_its_own_reason_only_while_waiting() -> None:
    d = desk()
    c = d.request("c1", now=MONDAY_10_JST)
    d.counter.cancel("c1", resident="booth:c1", now=MONDAY_10_JST + 5, reason="callback")
    assert c.state == State.ABANDONED and c.end_reason == "callback"
    d.active_call("c2", "tanaka", now=MONDAY_10_JST, resident="booth:c2")
    with pytest.raises(CounterError) as refused:
        d.counter.cancel("c2", resident="booth:c2", now=MONDAY_10_JST + 5, reason="callback")
    assert refused.value.code == "invalid_state"
