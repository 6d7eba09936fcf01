"""A rolling upgrade's easy direction: the live state written by a version before bookings (no ``booked_soon``,
consultations without ``video``, ``video_invited``, ``booking``, ``priority``) is read by this version with those
fields at their defaults, and the counter carries on. The other direction (an older process reading this
version's state) is refused by the older models (``extra="forbid"``): docs/operations.md says to upgrade all
processes together."""

from __future__ import annotations

import json
from typing import Any

from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import Counter
from madoguchi.signaling.state import AgentStatus, CounterState

NEW_CONSULTATION_FIELDS = ("video", "video_invited", "booking", "priority")


def test_a_state_written_before_bookings_is_read_with_the_new_fields_at_their_defaults(desk: Any) -> None:
    desk.request("c1", now=0.0)
    desk.request("c2", now=1.0)
    written = json.loads(desk.counter.state.model_dump_json())
    del written["booked_soon"]
    for case in written["consultations"].values():
        for field in NEW_CONSULTATION_FIELDS:
            del case[field]

    counter = Counter(CounterState.model_validate_json(json.dumps(written)), desk.counter.config)

    assert counter.state.booked_soon == {}
    c1 = counter.state.consultations["c1"]
    assert (c1.video, c1.video_invited, c1.booking, c1.priority) == (False, False, None, 0)
    assert counter.position("c2").position == 2
    counter.set_booked_soon("setouchi", {"tax": 1})  # the new version's sweep fills it in
    assert counter.state.booked_soon == {"setouchi:tax": 1}
    counter.agent_online(
        agent_id="a1", display_name="A", municipality_ids=("setouchi",), routes=("*",), languages=("ja",), now=2.0
    )
    counter.set_status("a1", AgentStatus.AVAILABLE, now=2.0)
    assert counter.state.consultations["c1"].state == State.OFFERED
