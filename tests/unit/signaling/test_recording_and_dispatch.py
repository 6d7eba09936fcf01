"""The records table and the dispatch, both pure: driven by a real counter on the test desk."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from madoguchi.domain.participant import Participant
from madoguchi.signaling import server_events as se
from madoguchi.signaling.consultation import INITIAL, Role, Trigger
from madoguchi.signaling.dispatch import RouteAgents, Supervisors, dispatch
from madoguchi.signaling.recording import COLUMNS, record_update
from madoguchi.signaling.rooms import rooms_of
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import BoothName, Facts
from madoguchi.storage.updates import Creation, Transition
from tests.support import make_settings


def facts(tmp_path: Path, now: float) -> Facts:
    return Facts(now=now, turn=TurnIssuer(make_settings(tmp_path)), booths={"c1": BoothName("汐見ブース", "郵便局")})


def test_every_trigger_that_does_not_create_a_case_has_a_row() -> None:
    assert set(COLUMNS) == set(Trigger) - set(INITIAL)


def test_a_call_is_recorded_from_creation_to_wrap_up(desk: Any) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.counter.end("c1", participant="booth:c1", now=60.0)
    desk.wrap_up("a1", "c1", now=90.0)
    updates = [record_update(e) for e in desk.counter.pending_records()]
    created, offered, accepted, ended, wrapped = updates
    assert isinstance(created, Creation) and created.record.booth_id == "c1" and created.key == "c1:0"
    assert [p.participant for p in created.participants] == ["booth:c1"]
    assert isinstance(accepted, Transition) and accepted.columns["agent_id"] == "a1"
    assert [(p.participant, p.role) for p in accepted.participants] == [("booth:c1", "resident"), ("agent:a1", "agent")]
    assert isinstance(ended, Transition) and ended.columns["end_reason"] == "hung_up_by_resident"
    assert ended.participants[0].left_at == datetime.fromtimestamp(60.0, tz=UTC)
    assert isinstance(wrapped, Transition) and wrapped.state == "closed"
    assert wrapped.columns["disposition"] == "resolved" and "wrapped_up_at" in wrapped.columns
    assert all(p.left_at is not None for p in wrapped.participants), "closing the case ends every stint"
    assert isinstance(offered, Transition) and set(offered.columns) == {"offered_at"}


def test_an_accept_tells_both_sides_and_the_queue(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0)
    desk.request("c1", now=1.0)
    desk.take()
    desk.counter.accept("a1", "c1", now=2.0)
    out = dispatch(desk.take(), desk.counter, facts(tmp_path, 2.0))
    starts = {str(a): e for a, e in out if isinstance(e, se.CallStart)}
    assert set(starts) == {"booth:c1", "agent:a1"}
    assert starts["booth:c1"].polite and not starts["agent:a1"].polite
    assert starts["agent:a1"].peer.display_name == "汐見ブース"
    assert starts["booth:c1"].peer.display_name == "Agent a1"
    states = [e for a, e in out if isinstance(e, se.AgentState)]
    assert len(states) == 1 and states[0].status == "busy" and states[0].consultation is not None
    assert any(isinstance(e, se.QueueSnapshot) and a == "agent:a1" for a, e in out)


def test_a_third_participant_hears_of_links_and_others_hear_of_them(desk: Any, tmp_path: Path) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("s1", now=1.0, available=False)
    desk.take()
    desk.counter.join("c1", participant="agent:s1", role=Role.OBSERVER, now=2.0, supervises=True)
    out = dispatch(desk.take(), desk.counter, facts(tmp_path, 2.0))
    joined = [(str(a), e.participant) for a, e in out if isinstance(e, se.ParticipantJoined)]
    assert joined == [("booth:c1", "agent:s1"), ("agent:a1", "agent:s1")]
    desk.counter.end("c1", participant="booth:c1", now=3.0)
    out = dispatch(desk.take(), desk.counter, facts(tmp_path, 3.0))
    ends = sorted(str(a) for a, e in out if isinstance(e, se.CallEnd))
    assert ends == ["agent:a1", "agent:s1", "booth:c1"]
    assert not [e for _, e in out if isinstance(e, se.ParticipantLeft)], "the call is over: nobody is told twice"


def test_every_audience_names_its_rooms() -> None:
    assert rooms_of(Participant("booth:b1")) == ("/booth", ["booth:b1"])
    assert rooms_of(Participant("resident:r")) == ("/resident", ["resident:r"])
    assert rooms_of(Participant("agent:u1")) == ("/agent", ["agent:u1"])
    assert rooms_of(RouteAgents("shiomi", "tax")) == ("/agent", ["agents:shiomi:tax", "agents:shiomi:*"])
    assert rooms_of(Supervisors("shiomi")) == ("/supervisor", ["supervisors:shiomi"])


def test_a_relayed_signal_names_its_sender_in_from() -> None:
    relay = se.SignalRelay.model_validate(
        {"consultation_id": "c1", "from": "agent:a1", "description": {"type": "offer", "sdp": "v=0"}}
    )
    assert relay.payload() == {
        "consultation_id": "c1",
        "from": "agent:a1",
        "description": {"type": "offer", "sdp": "v=0"},
    }
