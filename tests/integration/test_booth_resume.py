"""A booth whose link stayed down past the grace period takes its case up again (ux15 item 1): the server ended the
call (the agent writes the wrap-up) and the booth back on line asks again with ``resume``; the new case goes ahead
of a walk-in who came meanwhile. Only that booth, and only a case its lost link ended, may do so: anything else is
refused ``not_resumable`` (the kiosk then thanks the resident as before). The grace period is 1 s here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from madoguchi import keys
from tests.support import LiveServer, Peer, agent_peer, answered_booth_call, booth_peer, make_settings, ok, serve

PASSWORD = "correct horse battery"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(make_settings(tmp_path, grace_period_s=1.0)) as live:
        yield live


@dataclass(frozen=True)
class LostCall:
    """A booth's answered call on ``tax`` that its lost link ended; the agent (in wrap-up) and another booth."""

    server: LiveServer
    cid: str
    token: str
    other_token: str
    agent: Peer
    ended: dict[str, Any]


@pytest.fixture
async def lost(server: LiveServer) -> AsyncIterator[LostCall]:
    _, token, _ = await server.add_booth()
    _, other_token, _ = await server.add_booth("ほかのブース")
    await server.add_agent("aoki", PASSWORD)
    agent = await agent_peer(server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    booth = await booth_peer(server, token)
    cid = await answered_booth_call(booth, agent)
    await booth.close()
    ended = await agent.wait_for("call.end", lambda m: m["consultation_id"] == cid, within=10.0)
    yield LostCall(server, cid, token, other_token, agent, ended)
    await agent.close()


async def test_a_call_lost_past_the_grace_period_is_taken_up_again_ahead_of_walk_ins(lost: LostCall) -> None:
    server, cid, token = lost.server, lost.cid, lost.token
    assert lost.ended["reason"] == "resident_link_lost"

    other = await booth_peer(server, lost.other_token)
    walk_in = ok(await other.call("consultation.request", {"route": "tax"}))
    assert walk_in["position"] == 1
    stranger = await other.call("consultation.request", {"route": "tax", "resume": cid})
    assert stranger["error"]["code"] == "not_resumable", "another booth cannot take the case up"

    back = await booth_peer(server, token)
    await back.wait_for("booth.state")
    again = ok(await back.call("consultation.request", {"route": "tax", "resume": cid, "question": "もしもし"}))
    assert again["position"] == 1, "ahead of the walk-in who came meanwhile"
    await other.wait_for("queue.position", lambda m: m["position"] == 2)
    ok(await back.call("consultation.cancel", {"consultation_id": again["consultation_id"]}))

    hung_up = await back.call("consultation.request", {"route": "tax", "resume": again["consultation_id"]})
    assert hung_up["error"]["code"] == "not_resumable", "a case that ended otherwise is over"
    for peer in (back, other):
        await peer.close()


async def test_a_lost_case_is_taken_up_once_and_on_its_own_route(lost: LostCall) -> None:
    """Session 15 review: the lost case was never used up and the new case's route was the booth's to choose, so
    the same booth could ask ``{route: "child_family", resume: cid}`` and cancel, again and again, each time at
    position 1 ahead of walk-ins, while the agent's wrap-up stayed open. Now the first resume uses the lost case
    up in the same store operation, and the new case takes the lost case's route."""
    server, cid, token = lost.server, lost.cid, lost.token
    other = await booth_peer(server, lost.other_token)
    ok(await other.call("consultation.request", {"route": "child_family"}))
    back = await booth_peer(server, token)
    await back.wait_for("booth.state")
    again = ok(await back.call("consultation.request", {"route": "child_family", "resume": cid}))
    assert again["position"] == 1
    live = (await server.app[keys.COUNTER]._store.read()).state.consultations[again["consultation_id"]]
    assert live.route == "tax", "the lost case's route, not the one the booth named"
    ok(await back.call("consultation.cancel", {"consultation_id": again["consultation_id"]}))
    twice = await back.call("consultation.request", {"route": "child_family", "resume": cid})
    assert twice["error"]["code"] == "not_resumable", "one resume per lost case"
    for peer in (back, other):
        await peer.close()
