"""A transfer carries a note to the next agent, who reads it with the transcript in the offer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from madoguchi.signaling import server_events as se
from madoguchi.signaling.counter import AgentStatus
from madoguchi.signaling.dispatch import dispatch, needs
from madoguchi.signaling.events import Transfer
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import Facts
from tests.support import make_settings


def test_the_note_is_masked_and_bounded() -> None:
    m = Transfer.model_validate(
        {"consultation_id": "c1", "route": "elderly_care", "note": "マイナンバーは 1234 5678 9018 の方"}
    )
    assert "9018" not in m.note and m.masked_count == 1
    with pytest.raises(ValidationError):
        Transfer.model_validate({"consultation_id": "c1", "route": "elderly_care", "note": "x" * 2001})


def test_the_next_agent_gets_the_note_and_the_transcript(desk: Any, tmp_path: Path) -> None:
    desk.active_call("c1", "a1", now=0.0)
    desk.agent("a2", now=1.0, available=False)
    desk.counter.transfer("a1", "c1", route="elderly_care", note="介護の 申請の 件", now=60.0)
    desk.take()
    desk.counter.set_status("a2", AgentStatus.AVAILABLE, now=61.0)
    effects = desk.take()
    assert "c1" in needs(effects, desk.counter).chats, "the offer of a transferred case reads its transcript"
    line = se.ChatLine(consultation_id="c1", seq=1, sender="resident", text="こんにちは", at=10.0)
    facts = Facts(now=61.0, turn=TurnIssuer(make_settings(tmp_path)), chats={"c1": [line]})
    [offer] = [e for a, e in dispatch(effects, desk.counter, facts) if isinstance(e, se.Offer)]
    assert offer.payload()["transfer"] == {"note": "介護の 申請の 件", "by": "Agent a1"}
    assert offer.chat == [line]


def test_an_offer_of_a_case_never_transferred_has_no_note(desk: Any, tmp_path: Path) -> None:
    desk.agent("a1", now=0.0)
    desk.take()
    desk.request("c1", now=1.0)
    facts = Facts(now=1.0, turn=TurnIssuer(make_settings(tmp_path)))
    [offer] = [e for a, e in dispatch(desk.take(), desk.counter, facts) if isinstance(e, se.Offer)]
    assert "transfer" not in offer.payload() and "chat" not in offer.payload()


def test_the_waiting_booth_hears_the_new_route_and_why_it_waits_again(desk: Any, tmp_path: Path) -> None:
    """The kiosk went back to "ご用件：ごみ・環境" after a transfer to water: its queue view must name the new route
    and say it was transferred, and an agent of the new route must be rung in the same operation."""
    desk.active_call("c1", "a1", now=0.0, route="waste_environment")
    desk.agent("water", now=1.0, routes=("water_sewer",))
    desk.take()
    desk.counter.transfer("a1", "c1", route="water_sewer", now=60.0)
    effects = desk.take()
    facts = Facts(now=60.0, turn=TurnIssuer(make_settings(tmp_path)))
    sent = dispatch(effects, desk.counter, facts)
    [view] = [e for a, e in sent if a == "booth:c1" and isinstance(e, se.QueuePosition)]
    assert view.route == "water_sewer" and view.transferred is True
    assert [a for a, e in sent if isinstance(e, se.Offer)] == ["agent:water"]
    assert any(isinstance(e, se.CallEnd) and e.reason == "transferred" for a, e in sent if a == "booth:c1")


def test_a_case_never_transferred_says_so_to_the_booth(desk: Any, tmp_path: Path) -> None:
    desk.request("c1", now=0.0, route="tax")
    facts = Facts(now=1.0, turn=TurnIssuer(make_settings(tmp_path)))
    [view] = [e for a, e in dispatch(desk.take(), desk.counter, facts) if isinstance(e, se.QueuePosition)]
    assert view.route == "tax" and view.transferred is False


def test_the_agent_who_sent_the_case_away_does_not_make_the_wait_look_short(desk: Any) -> None:
    """After a transfer nobody of the new route is free, only the sender (in cooldown): the estimate is not 0; and
    one who sent it away for good is not counted at all (test_transfer_back.py: he is never offered it back)."""
    desk.active_call("c1", "a1", now=0.0, route="waste_environment")
    desk.counter.transfer("a1", "c1", route="water_sewer", now=60.0, back_to_me=True)
    pos = desk.counter.position("c1")
    assert pos.agents_on_duty == 1 and pos.wait_estimate_s is not None and pos.wait_estimate_s > 0
