"""A waiting resident's no-answer reason that only the clock changes is sent again (madoguchi/signaling/
no_answer.py: next_reason_change, changed_by_time; the edge loop madoguchi/signaling/no_answer_refresh.py).
Fake clock: plain floats; the edge runs on the in-memory store with a recording notifier."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from madoguchi.domain.opening_hours import HoursSpec, OpeningHours, hours_of, next_boundary
from madoguchi.signaling.counter import Counter
from madoguchi.signaling.dispatch import Delivery
from madoguchi.signaling.no_answer import changed_by_time, next_reason_change, next_refresh
from madoguchi.signaling.no_answer_refresh import NoAnswerRefresh
from madoguchi.signaling.server_events import QueuePosition
from madoguchi.signaling.state import CounterConfig, OverflowRule
from madoguchi.signaling.store import MemoryStore
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import Facts
from tests.support import make_settings
from tests.unit.signaling.conftest import Desk

MONDAY_17_JST = datetime(2026, 12, 7, 8, 0, tzinfo=UTC).timestamp()  # 17:00 JST, closing at 17:15
CLOSING = datetime(2026, 12, 7, 8, 15, tzinfo=UTC).timestamp()
SPEC = HoursSpec(weekly={day: "08:30-17:15" for day in ("mon", "tue", "wed", "thu", "fri")})
HOURS = hours_of(SPEC)


def desk(**config: object) -> Desk:
    return Desk(CounterConfig.model_validate({"no_answer_wait_s": 3600.0, **config}))


def test_the_next_turn_of_the_hours_is_a_window_edge_or_midnight() -> None:
    at = datetime.fromtimestamp(MONDAY_17_JST, tz=UTC)
    assert next_boundary(HOURS, "tax", at) == datetime.fromtimestamp(CLOSING, tz=UTC)
    after = next_boundary(HOURS, "tax", datetime.fromtimestamp(CLOSING, tz=UTC))
    assert after is not None and after.isoformat() == "2026-12-08T00:00:00+09:00"  # midnight, then Tuesday 08:30
    assert next_boundary(OpeningHours(), "tax", at) is None  # no schedule: always open


def test_closing_time_turns_nobody_into_closed_and_is_the_moment_to_look_again() -> None:
    d = desk()
    c = d.request("c1", now=MONDAY_17_JST)
    hours = {Desk.TOWN: HOURS}
    assert next_reason_change(d.counter, c, MONDAY_17_JST, HOURS) == CLOSING
    assert next_refresh(d.counter, [c], MONDAY_17_JST, hours) == CLOSING
    assert changed_by_time(d.counter, [c], MONDAY_17_JST, CLOSING - 1, hours) == []
    assert changed_by_time(d.counter, [c], CLOSING - 1, CLOSING, hours) == [c]


def test_an_overflow_time_passing_makes_a_fallback_agent_count() -> None:
    rule = OverflowRule(after_s=300.0, to_route="general_inquiry")
    d = desk(overflow={Desk.TOWN: {"water_sewer": rule}})
    d.agent("tanaka", now=MONDAY_17_JST - 60, routes=("general_inquiry",))
    d.active_call("c0", "tanaka", now=MONDAY_17_JST - 60, route="general_inquiry")  # on duty, busy: no offer
    c = d.request("c1", now=MONDAY_17_JST, route="water_sewer", resident="booth:c1")
    assert next_reason_change(d.counter, c, MONDAY_17_JST, None) == MONDAY_17_JST + 300
    assert changed_by_time(d.counter, [c], MONDAY_17_JST + 299, MONDAY_17_JST + 300, {}) == [c]  # nobody -> none
    assert next_reason_change(d.counter, c, MONDAY_17_JST + 300, None) == MONDAY_17_JST + 3600  # then a long wait


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Delivery] = []

    async def deliver(self, deliveries: Sequence[Delivery]) -> None:
        self.sent.extend(deliveries)


class TownFacts:
    def __init__(self, tmp_path: Path) -> None:
        self.turn = TurnIssuer(make_settings(tmp_path))

    async def facts(self, counter: Counter, *, now: float) -> Facts:
        return Facts(now=now, turn=self.turn, hours={Desk.TOWN: SPEC})


async def test_the_edge_sends_the_new_reason_at_closing_time_to_its_own_residents_only(tmp_path: Path) -> None:
    d = desk()
    mine = d.request("c1", now=MONDAY_17_JST, resident="booth:c1")
    d.request("c2", now=MONDAY_17_JST, resident="booth:c2")  # connected to another process
    store = MemoryStore(d.counter.config, d.counter.state)
    clock = [MONDAY_17_JST]
    notifier = Recorder()
    refresh = NoAnswerRefresh(
        store=store,
        lookups=TownFacts(tmp_path),
        notifier=notifier,
        held=lambda: {mine.resident: ["p1:sid"]},
        clock=lambda: clock[0],
    )
    since, due = await refresh.look(MONDAY_17_JST - 1)
    assert (since, due, notifier.sent) == (MONDAY_17_JST, CLOSING, [])
    clock[0] = CLOSING
    since, due = await refresh.look(since)
    assert [(who, type(event)) for who, event in notifier.sent] == [(mine.resident, QueuePosition)]
    event = notifier.sent[0][1]
    assert isinstance(event, QueuePosition) and event.no_answer == "closed"
    assert due is not None and due > CLOSING
