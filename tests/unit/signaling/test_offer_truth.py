"""What an offer that is not answered tells each side: a timeout is not a decline, and both say so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from madoguchi.settings import Settings
from madoguchi.signaling import server_events as se
from madoguchi.signaling.counter import AgentStatus, CounterConfig, OfferWithdrawn
from madoguchi.signaling.dispatch import dispatch
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import Facts
from tests.support import make_settings


def facts(tmp_path: Path, now: float) -> Facts:
    return Facts(now=now, turn=TurnIssuer(make_settings(tmp_path)))


def test_the_decline_cooldown_is_short_by_default() -> None:
    assert CounterConfig().decline_cooldown_s == 15.0
    assert Settings.model_fields["decline_cooldown_s"].default == 15.0


def test_a_timeout_sets_the_agent_away_and_says_so(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.take()
    desk.counter.tick(1.0 + desk.config.offer_timeout_s)
    effects = desk.take()
    [withdrawn] = desk.of_type(effects, OfferWithdrawn)
    assert (withdrawn.reason, withdrawn.away) == ("timeout", True)
    assert desk.a("a1").status == AgentStatus.AWAY
    out = dispatch(effects, desk.counter, facts(tmp_path, 21.0))
    [told] = [e for a, e in out if isinstance(e, se.OfferWithdrawn) and a == "agent:a1"]
    assert told.payload()["reason"] == "timeout" and told.payload()["away"] is True


def test_a_decline_leaves_the_agent_available_and_names_the_cooldown(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.take()
    desk.counter.decline("a1", "c1", now=3.0)
    effects = desk.take()
    [withdrawn] = desk.of_type(effects, OfferWithdrawn)
    assert (withdrawn.reason, withdrawn.away, withdrawn.cooldown_s) == ("declined", False, 60.0)
    assert desk.a("a1").status == AgentStatus.AVAILABLE
    out = dispatch(effects, desk.counter, facts(tmp_path, 3.0))
    [told] = [e for a, e in out if isinstance(e, se.OfferWithdrawn) and a == "agent:a1"]
    assert told.payload() == {"consultation_id": "c1", "reason": "declined", "cooldown_s": 60.0}


def test_a_zero_cooldown_is_no_cooldown(make_desk: Any) -> None:
    desk = make_desk(decline_cooldown_s=0.0)
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.take()
    desk.counter.decline("a1", "c1", now=3.0)
    [withdrawn] = desk.of_type(desk.take(), OfferWithdrawn)
    assert withdrawn.cooldown_s is None
    assert desk.c("c1").agent_id == "a1", "with no cooldown the case rings the only agent again"


def test_the_resident_hears_the_console_ring_and_stop(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0)
    desk.take()
    desk.request("c1", now=1.0)
    out = dispatch(desk.take(), desk.counter, facts(tmp_path, 1.0))
    coming = [(str(a), e.ringing) for a, e in out if isinstance(e, se.CallComing)]
    assert coming == [("booth:c1", True)]
    [position] = [e for a, e in out if isinstance(e, se.QueuePosition)]
    assert position.ringing is True
    desk.counter.decline("a1", "c1", now=4.0)
    out = dispatch(desk.take(), desk.counter, facts(tmp_path, 4.0))
    coming = [(str(a), e.ringing) for a, e in out if isinstance(e, se.CallComing)]
    assert coming == [("booth:c1", False)]
    [position] = [e for a, e in out if isinstance(e, se.QueuePosition)]
    assert position.ringing is False


def test_a_cancelled_case_tells_the_resident_nothing_more(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.take()
    desk.counter.cancel("c1", resident="booth:c1", now=2.0)
    out = dispatch(desk.take(), desk.counter, facts(tmp_path, 2.0))
    assert not [e for _, e in out if isinstance(e, se.CallComing)]
    [told] = [e for a, e in out if isinstance(e, se.OfferWithdrawn)]
    assert told.reason == "cancelled"


def test_the_position_carries_the_time_waited_from_the_server(desk: Any, tmp_path: Path) -> None:
    desk.request("c1", now=100.0)
    desk.agent("a1", now=130.0, available=False)
    out = dispatch(desk.take(), desk.counter, facts(tmp_path, 186.5))
    [position] = [e for a, e in out if isinstance(e, se.QueuePosition)]
    assert position.requested_at == 100.0 and position.waited_s == 86.5
