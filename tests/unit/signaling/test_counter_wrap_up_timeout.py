"""Wrap-up timeout: a wrap-up whose agent stays offline is closed, on a deadline kept in the state.

The rule under test: an agent who is connected may take as long as they like over a wrap-up. An agent whose link
stays down past the grace period keeps the pending wrap-up for ``wrap_up_timeout_s``, counted from the moment the
link went down; then ``wrap_up_timeout`` closes the case (disposition ``other``, end reason ``wrap_up_timeout``)
and the agent, who was only kept for it, leaves the counter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from madoguchi.settings import Settings
from madoguchi.signaling.consultation import State, Trigger
from madoguchi.signaling.counter import (
    AgentActivity,
    AgentChanged,
    AgentStatus,
    CounterError,
    CounterState,
    Transitioned,
)
from madoguchi.signaling.service import counter_config

GRACE = 30.0
TIMEOUT = 600.0
LOST = 6.0  # the agent's link goes down here in every script below
DEADLINE = LOST + TIMEOUT


@pytest.fixture
def d(make_desk: Callable[..., Any]) -> Any:
    return make_desk(wrap_up_timeout_s=TIMEOUT)


def wrapping_up(d: Any, *, end_by: str = "booth:c1") -> None:
    """c1 taken by a1 at 0, hung up at 5: a1 is in wrap-up."""
    d.active_call("c1", "a1", now=0.0)
    d.counter.end("c1", participant=end_by, now=5.0)
    d.take()


def agent_gone_offline(d: Any) -> None:
    """As :func:`wrapping_up`, then a1's link drops at LOST and the grace period runs out."""
    wrapping_up(d)
    d.counter.link_lost("agent:a1", now=LOST)
    d.counter.tick(LOST + GRACE)
    d.take()


def timeouts(effects: list[Any]) -> list[Transitioned]:
    return [e for e in effects if isinstance(e, Transitioned) and e.trigger == Trigger.WRAP_UP_TIMEOUT]


def test_offline_agents_wrap_up_closes_exactly_at_the_deadline_and_not_before(d: Any) -> None:
    agent_gone_offline(d)
    c = d.c("c1")
    assert c.state == State.WRAP_UP and c.wrap_up_expires_at == DEADLINE
    assert d.counter.next_deadline() == DEADLINE
    d.counter.tick(DEADLINE - 0.001)
    assert d.c("c1").state == State.WRAP_UP and d.take() == []

    handle_before = dict(d.counter.state.handle_time_s)
    d.counter.tick(DEADLINE)
    effects = d.take()
    assert d.transitions(effects) == [("c1", "wrap_up", "wrap_up_timeout", "closed")]
    [closed] = timeouts(effects)
    assert closed.at == DEADLINE
    assert closed.consultation.end_reason == "wrap_up_timeout"
    assert closed.consultation.agent_id == "a1", "the record keeps who handled the call"
    assert closed.detail == {
        "disposition": "other",
        "reason": "wrap_up_timeout",
        "call_end_reason": "hung_up_by_resident",
    }
    # the case left the live state, the agent (kept only for it) left the counter, and nothing is due any more
    assert "c1" not in d.counter.state.consultations
    assert "a1" not in d.counter.state.agents
    assert AgentChanged("a1") in effects
    assert d.counter.next_deadline() is None
    # unattended time is not handling time
    assert d.counter.state.handle_time_s == handle_before


def test_the_timeout_fires_once(d: Any) -> None:
    agent_gone_offline(d)
    d.counter.tick(DEADLINE)
    assert len(timeouts(d.take())) == 1
    d.counter.tick(DEADLINE)
    d.counter.tick(DEADLINE + 1000.0)
    assert d.take() == []


def test_a_connected_agents_wrap_up_never_times_out(d: Any) -> None:
    wrapping_up(d)
    assert d.counter.next_deadline() is None
    d.counter.set_status("a1", AgentStatus.AWAY, now=10.0)  # away but still at the desk, typing
    for later in (DEADLINE, 10 * TIMEOUT, 1_000_000.0):
        d.counter.tick(later)
    assert d.c("c1").state == State.WRAP_UP and d.c("c1").wrap_up_expires_at is None
    assert d.counter.activity("a1") == AgentActivity.WRAP_UP
    assert not timeouts(d.take())


def test_an_agent_back_within_the_grace_period_never_gets_a_deadline(d: Any) -> None:
    wrapping_up(d)
    d.counter.link_lost("agent:a1", now=LOST)
    d.counter.link_restored("agent:a1", now=LOST + GRACE - 1.0)
    d.counter.tick(LOST + GRACE)
    d.counter.tick(DEADLINE + 1.0)
    assert d.c("c1").state == State.WRAP_UP and d.c("c1").wrap_up_expires_at is None


def test_returning_before_the_deadline_keeps_the_wrap_up(d: Any) -> None:
    agent_gone_offline(d)
    d.agent("a1", now=DEADLINE - 1.0, available=False)
    assert d.c("c1").wrap_up_expires_at is None
    assert d.counter.next_deadline() is None
    d.counter.tick(DEADLINE + 1.0)
    assert d.c("c1").state == State.WRAP_UP and d.held_by("a1") == "c1"
    assert d.counter.activity("a1") == AgentActivity.WRAP_UP
    d.wrap_up("a1", "c1", now=DEADLINE + 2.0)
    assert "c1" not in d.counter.state.consultations


def test_losing_the_link_again_counts_from_the_new_loss(d: Any) -> None:
    agent_gone_offline(d)
    d.counter.link_restored("agent:a1", now=100.0)
    d.counter.link_lost("agent:a1", now=200.0)
    d.counter.tick(200.0 + GRACE)
    assert d.c("c1").wrap_up_expires_at == 200.0 + TIMEOUT
    d.counter.tick(DEADLINE)
    assert d.c("c1").state == State.WRAP_UP
    d.counter.tick(200.0 + TIMEOUT)
    assert "c1" not in d.counter.state.consultations


def test_an_agent_returning_after_the_timeout_finds_no_pending_wrap_up(d: Any) -> None:
    agent_gone_offline(d)
    d.counter.tick(DEADLINE)
    d.take()
    agent = d.agent("a1", now=DEADLINE + 60.0, available=False)
    assert agent.consultation_id is None
    assert d.counter.current_for_agent("a1") is None
    assert d.counter.activity("a1") == AgentActivity.AWAY
    with pytest.raises(CounterError) as refused:
        d.wrap_up("a1", "c1", now=DEADLINE + 61.0)
    assert refused.value.code == "not_found"


def test_a_timeout_shorter_than_the_grace_period_closes_when_the_grace_runs_out(
    make_desk: Callable[..., Any],
) -> None:
    d = make_desk(wrap_up_timeout_s=5.0)
    wrapping_up(d)
    d.counter.link_lost("agent:a1", now=LOST)
    d.counter.tick(LOST + 5.0)  # timeout passed, but the grace has not: still theirs
    assert d.c("c1").state == State.WRAP_UP
    d.counter.tick(LOST + GRACE)
    assert d.transitions(d.take())[-1] == ("c1", "wrap_up", "wrap_up_timeout", "closed")
    assert "a1" not in d.counter.state.agents
    assert d.counter.next_deadline() is None


def test_the_deadline_survives_a_round_trip_through_the_store(d: Any) -> None:
    agent_gone_offline(d)
    stored = CounterState.model_validate_json(d.counter.state.model_dump_json())
    assert stored.consultations["c1"].wrap_up_expires_at == DEADLINE


def test_after_a_full_restart_the_deadline_still_holds(d: Any) -> None:
    agent_gone_offline(d)
    d.counter.state = CounterState.model_validate_json(d.counter.state.model_dump_json())
    restart = 100.0
    assert d.counter.recover_after_restart("p-new", now=restart) is True
    # the restart marks every agent lost again; their grace running out must not push the deadline back
    d.counter.tick(restart + GRACE)
    assert d.c("c1").wrap_up_expires_at == DEADLINE
    assert d.counter.next_deadline() == DEADLINE
    d.counter.tick(DEADLINE - 0.001)
    assert d.c("c1").state == State.WRAP_UP
    d.take()
    d.counter.tick(DEADLINE)
    assert d.transitions(d.take()) == [("c1", "wrap_up", "wrap_up_timeout", "closed")]
    assert "a1" not in d.counter.state.agents


def test_a_deadline_that_passed_while_the_server_was_down_fires_on_the_first_tick(d: Any) -> None:
    agent_gone_offline(d)
    restart = DEADLINE + 50.0
    d.counter.recover_after_restart("p-new", now=restart)
    assert d.counter.next_deadline() == DEADLINE
    d.take()
    d.counter.tick(restart)
    assert d.transitions(d.take()) == [("c1", "wrap_up", "wrap_up_timeout", "closed")]
    # a1 is in the grace period the restart gave every agent: they stay until it runs out, holding nothing
    assert d.held_by("a1") is None
    d.counter.tick(restart + GRACE)
    assert "a1" not in d.counter.state.agents


def test_a_connected_agent_at_a_restart_gets_the_timeout_counted_from_the_restart(d: Any) -> None:
    wrapping_up(d)
    restart = 100.0
    d.counter.recover_after_restart("p-new", now=restart)
    d.counter.tick(restart + GRACE)
    assert d.c("c1").wrap_up_expires_at == restart + TIMEOUT
    assert d.counter.next_deadline() == restart + TIMEOUT


def test_other_agents_keep_working_while_a_wrap_up_times_out(d: Any) -> None:
    agent_gone_offline(d)
    d.agent("a2", now=50.0)
    d.request("c2", now=DEADLINE - 10.0)
    assert d.c("c2").agent_id == "a2"
    d.counter.tick(DEADLINE)
    assert d.c("c2").state == State.OFFERED and d.held_by("a2") == "c2"


def test_the_setting_reaches_the_counter_and_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MADOGUCHI_WRAP_UP_TIMEOUT_S", raising=False)
    assert Settings().wrap_up_timeout_s == 1800.0
    assert counter_config(Settings(wrap_up_timeout_s=90.0)).wrap_up_timeout_s == 90.0
    for bad in (0.0, -1.0):
        with pytest.raises(ValidationError):
            Settings(wrap_up_timeout_s=bad)
