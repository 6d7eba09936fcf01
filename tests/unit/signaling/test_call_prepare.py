"""A booth call's TURN servers travel with the ringing, so both sides prepare their connection before the accept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from madoguchi.signaling import server_events as se
from madoguchi.signaling.dispatch import dispatch
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import Facts
from tests.support import make_settings


def facts(tmp_path: Path, now: float) -> Facts:
    settings = make_settings(tmp_path, turn_urls=["turn:turn.example:3478"], turn_secret="prepare-secret")
    return Facts(now=now, turn=TurnIssuer(settings))


def _usernames(servers: list[se.IceServerEntry] | None) -> list[str | None]:
    return [server.username for server in servers or []]


def test_the_ringing_carries_each_sides_turn_servers(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0)
    desk.take()
    desk.request("c1", now=1.0)
    out = dispatch(desk.take(), desk.counter, facts(tmp_path, 1.0))
    [coming] = [e for _, e in out if isinstance(e, se.CallComing)]
    [offer] = [e for _, e in out if isinstance(e, se.Offer)]
    ttl = make_settings(tmp_path).turn_ttl_s
    assert _usernames(coming.ice_servers) == [f"{1 + ttl}:c1.resident"]
    assert _usernames(offer.ice_servers) == [f"{1 + ttl}:c1.agent"]
    assert coming.payload()["ice_servers"][0]["urls"] == ["turn:turn.example:3478"]


def test_the_call_start_names_the_same_relay_users(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.take()
    desk.counter.accept("a1", "c1", now=2.0)
    out = dispatch(desk.take(), desk.counter, facts(tmp_path, 2.0))
    starts = {str(a): e for a, e in out if isinstance(e, se.CallStart)}
    assert [s.username.split(":", 1)[1] for s in starts["booth:c1"].ice_servers] == ["c1.resident"]  # type: ignore[union-attr]
    assert [s.username.split(":", 1)[1] for s in starts["agent:a1"].ice_servers] == ["c1.agent"]  # type: ignore[union-attr]


def test_the_stopped_ringing_carries_no_servers(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.take()
    desk.counter.decline("a1", "c1", now=3.0)
    out = dispatch(desk.take(), desk.counter, facts(tmp_path, 3.0))
    [coming] = [e for _, e in out if isinstance(e, se.CallComing)]
    assert coming.ringing is False and "ice_servers" not in coming.payload()
