"""The transition table of consultation.py, entry by entry, and everything the table leaves out.

The allowed and refused cases are derived from ``TRANSITIONS``, ``State`` and ``Trigger``: a new row or a new
trigger is covered without touching this file. The module docstring's table is checked against the code so the
two cannot drift apart.
"""

from __future__ import annotations

import re

import pytest

from madoguchi.signaling import consultation
from madoguchi.signaling.consultation import (
    INITIAL,
    QUEUED_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    Channel,
    Consultation,
    State,
    TransitionError,
    Trigger,
)

ALLOWED = [(state, trigger, target) for state, row in TRANSITIONS.items() for trigger, target in row.items()]
REFUSED = [(state, trigger) for state in State for trigger in Trigger if trigger not in TRANSITIONS[state]]


def case_in(state: State) -> Consultation:
    return Consultation(
        id="c1",
        municipality_id="setouchi",
        channel=Channel.BOOTH,
        resident="booth:b1",
        route="tax",
        state=state,
        created_at=0.0,
        enqueued_at=0.0,
    )


@pytest.mark.parametrize(("state", "trigger", "target"), ALLOWED, ids=lambda v: getattr(v, "value", v))
def test_allowed_trigger_moves_to_the_state_in_the_table(state: State, trigger: Trigger, target: State) -> None:
    c = case_in(state)
    assert c.fire(trigger) == state
    assert c.state == target


@pytest.mark.parametrize(("state", "trigger"), REFUSED, ids=lambda v: getattr(v, "value", v))
def test_trigger_missing_from_the_table_is_refused_and_changes_nothing(state: State, trigger: Trigger) -> None:
    c = case_in(state)
    with pytest.raises(TransitionError) as raised:
        c.fire(trigger)
    assert c.state == state
    assert raised.value.state == state
    assert raised.value.trigger == trigger
    assert raised.value.consultation_id == "c1"
    assert state.value in str(raised.value) and trigger.value in str(raised.value)


def test_the_refused_set_is_not_empty_and_partitions_every_pair() -> None:
    assert len(ALLOWED) + len(REFUSED) == len(State) * len(Trigger)
    assert REFUSED, "a table that allows everything protects nothing"


def test_every_state_has_a_row() -> None:
    assert set(TRANSITIONS) == set(State)


def test_terminal_states_have_no_way_out_and_every_open_state_does() -> None:
    for state in State:
        if state in TERMINAL_STATES:
            assert TRANSITIONS[state] == {}, state
        else:
            assert TRANSITIONS[state], state


def test_only_a_running_call_is_interrupted_by_a_full_restart() -> None:
    interruptible = {state for state in State if Trigger.INTERRUPT in TRANSITIONS[state]}
    assert interruptible == {State.ACTIVE}
    assert TRANSITIONS[State.ACTIVE][Trigger.INTERRUPT] == State.INTERRUPTED


def test_initial_triggers_only_start_a_case_and_never_fire_on_an_existing_one() -> None:
    assert INITIAL == {Trigger.OPEN_CHAT: State.TRIAGE, Trigger.REQUEST: State.WAITING}
    for row in TRANSITIONS.values():
        assert not set(row) & set(INITIAL)


def test_every_state_is_reachable_from_a_start() -> None:
    reached = set(INITIAL.values())
    frontier = list(reached)
    while frontier:
        for target in TRANSITIONS[frontier.pop()].values():
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(State)


def test_queued_states_are_waiting_and_offered() -> None:
    assert frozenset({State.WAITING, State.OFFERED}) == QUEUED_STATES
    assert not QUEUED_STATES & TERMINAL_STATES


def test_is_open_is_false_exactly_for_terminal_states() -> None:
    for state in State:
        assert case_in(state).is_open == (state not in TERMINAL_STATES)


def _documented_table() -> dict[tuple[str | None, str], str]:
    doc = consultation.__doc__ or ""
    rows: dict[tuple[str | None, str], str] = {}
    pattern = re.compile(r"^\s{4}(\(new\)|any open|\w+)\s+--(\w+)-*>\s+(\w+)", re.MULTILINE)
    for source, trigger, target in pattern.findall(doc):
        if source == "(new)":
            rows[(None, trigger)] = target
        elif source == "any open":
            for state in State:
                if state not in TERMINAL_STATES:
                    rows[(state.value, trigger)] = target
        else:
            rows[(source, trigger)] = target
    return rows


def test_module_docstring_table_matches_the_code() -> None:
    in_code: dict[tuple[str | None, str], str] = {(s.value, t.value): n.value for s, t, n in ALLOWED}
    in_code.update({(None, t.value): n.value for t, n in INITIAL.items()})
    assert _documented_table() == in_code


def test_queue_key_puts_urgent_first_then_priority_then_arrival() -> None:
    def key(cid: str, *, urgent: bool = False, priority: int = 0, at: float = 0.0) -> Consultation:
        return case_in(State.WAITING).model_copy(
            update={"id": cid, "urgent": urgent, "priority": priority, "enqueued_at": at}
        )

    cases = [
        key("late_plain", at=5.0),
        key("early_plain", at=1.0),
        key("high", priority=3, at=9.0),
        key("urgent_late", urgent=True, at=8.0),
        key("urgent_low_early", urgent=True, priority=-1, at=0.0),
    ]
    order = [c.id for c in sorted(cases, key=Consultation.queue_key)]
    assert order == ["urgent_late", "urgent_low_early", "high", "early_plain", "late_plain"]
