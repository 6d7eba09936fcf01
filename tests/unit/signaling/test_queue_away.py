"""The agents' queue is honest about residents whose page is gone: marked during the grace period, gone after."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from madoguchi.signaling import views
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import Facts
from tests.support import make_settings


def test_a_chat_whose_page_closed_is_marked_in_the_queue_and_leaves_after_grace(desk: Any, tmp_path: Path) -> None:
    """#13: a web chat whose phone page had closed was still listed as 「0:52 待ち」: during the grace period it is
    marked (resident_away), after it the case is gone from every agent's queue."""
    desk.agent("a1", now=0.0, available=False)
    desk.request("c1", now=0.0, resident="chat:r1", to_person=False)
    desk.counter.handoff("c1", resident="chat:r1", route="tax", urgent=False, now=1.0)
    desk.counter.link_lost("chat:r1", now=5.0)
    facts = Facts(now=6.0, turn=TurnIssuer(make_settings(tmp_path)))
    [item] = views.queue_snapshot(desk.counter, "a1", facts).items
    assert item.consultation_id == "c1" and item.resident_away is True
    desk.counter.tick(5.0 + desk.config.grace_period_s)
    assert views.queue_snapshot(desk.counter, "a1", facts).items == []
