"""``agent.state``'s ``chosen``: what the agent will be once their call or wrap-up is over (UX13 finding 3).

An agent whose link stayed down past the grace period during a wrap-up is set away; when they come back the console
must not show 受付する as on while they are only finishing the record, because after saving it they are 離席中."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from madoguchi.signaling.counter import AgentStatus
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import Facts, agent_state
from tests.support import make_settings

GRACE = 30.0


def state(desk: Any, tmp_path: Path, now: float) -> Any:
    return agent_state(desk.counter, "a1", Facts(now=now, turn=TurnIssuer(make_settings(tmp_path))))


def test_a_wrap_up_kept_past_the_grace_period_says_the_agent_will_be_away(desk: Any, tmp_path: Path) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.end("c1", participant="booth:c1", now=5.0)
    before = state(desk, tmp_path, 5.0)
    assert (before.status, before.chosen) == ("wrap_up", "available"), "a wrap-up in one sitting: still receiving"

    desk.counter.link_lost("agent:a1", now=6.0)
    desk.counter.tick(6.0 + GRACE)
    desk.agent("a1", now=100.0, available=False)  # logs in again: the wrap-up is still theirs
    back = state(desk, tmp_path, 100.0)
    assert back.consultation is not None and back.consultation.state == "wrap_up"
    assert (back.status, back.chosen) == ("wrap_up", "away")

    # 記録して 受付を 続ける: they choose to receive again, then save
    desk.counter.set_status("a1", AgentStatus.AVAILABLE, now=101.0)
    assert state(desk, tmp_path, 101.0).chosen == "available"
    desk.wrap_up("a1", "c1", now=102.0)
    after = state(desk, tmp_path, 102.0)
    assert (after.status, after.chosen, after.consultation) == ("available", "available", None)


def test_an_agent_who_saves_without_choosing_again_ends_up_away(desk: Any, tmp_path: Path) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.end("c1", participant="booth:c1", now=5.0)
    desk.counter.link_lost("agent:a1", now=6.0)
    desk.counter.tick(6.0 + GRACE)
    desk.agent("a1", now=100.0, available=False)
    desk.wrap_up("a1", "c1", now=101.0)
    after = state(desk, tmp_path, 101.0)
    assert (after.status, after.chosen) == ("away", "away"), "what the wrap-up screen said they would be"


def test_offline_agents_have_no_choice(desk: Any, tmp_path: Path) -> None:
    assert (state(desk, tmp_path, 0.0).status, state(desk, tmp_path, 0.0).chosen) == ("offline", None)
