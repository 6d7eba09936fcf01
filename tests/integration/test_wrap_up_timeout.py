"""The wrap-up timeout end to end: an agent who leaves a wrap-up and never comes back does not keep the case open.

Real app, real Socket.IO clients, real database; on one process ([one]) and on two sharing Redis and PostgreSQL
([two]), where the timers of both processes race for the deadline and it must still fire once. Times are short
(grace 1 s, wrap-up timeout 1.5 s) so the whole path runs in a few seconds; the exact moments are pinned down by
the unit tests with a fake clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from madoguchi import keys
from tests.support import TOPOLOGIES, LiveServer, Peer, agent_peer, answered_booth_call, booth_peer, ok, serve_topology

PASSWORD = "correct horse battery"
GRACE = 1.0
WRAP_UP_TIMEOUT = 1.5


@pytest.fixture(params=[pytest.param("one"), pytest.param("two", marks=pytest.mark.postgres)])
async def server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LiveServer]:
    [topology] = [t for t in TOPOLOGIES if t == request.param]
    async with serve_topology(topology, tmp_path, grace_period_s=GRACE, wrap_up_timeout_s=WRAP_UP_TIMEOUT) as live:
        yield live


async def record_of(server: LiveServer, cid: str) -> dict[str, Any]:
    [row] = [r for r in await server.export_records() if r["consultation_id"] == cid]
    return row


async def wait_for_state(server: LiveServer, cid: str, state: str, within: float = 8.0) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        row = await record_of(server, cid)
        if row["state"] == state:
            return row
        if loop.time() > deadline:
            raise AssertionError(f"{cid} is still {row['state']}: {row}")
        await asyncio.sleep(0.1)


async def call_into_wrap_up(server: LiveServer, username: str) -> tuple[Peer, Peer, str]:
    """A booth's call taken by ``username`` and hung up by the agent: the agent is in wrap-up."""
    _, token, _ = await server.add_booth()
    await server.add_agent(username, PASSWORD)
    booth = await booth_peer(server, token)
    agent = await agent_peer(server, username, PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    cid = await answered_booth_call(booth, agent)
    ok(await agent.call("consultation.end", {"consultation_id": cid}))
    await booth.wait_for("consultation.closed")
    await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    return booth, agent, cid


async def test_an_abandoned_wrap_up_is_closed_and_recorded_once(server: LiveServer) -> None:
    booth, agent, cid = await call_into_wrap_up(server, "leaver")
    await agent.close()  # the agent's browser goes away and never comes back within the timeout

    row = await wait_for_state(server, cid, "closed")
    assert row["disposition"] == "other" and row["end_reason"] == "wrap_up_timeout"
    assert row["closed_at"] and row["ended_at"] and row["answered_at"]
    assert row["wrapped_up_at"] is None, "nobody wrapped it up: after-call work time is not made up"
    assert row["agent_username"] == "leaver"
    assert row["handled_s"] is not None and row["handled_s"] >= 0
    assert row["closed_at"] > row["ended_at"]

    events = await server.app[keys.RECORDS].events(cid)
    timed_out = [e for e in events if e.kind == "wrap_up_timeout"]
    assert len(timed_out) == 1, [e.kind for e in events]
    assert timed_out[0].state == "closed"
    assert timed_out[0].detail["call_end_reason"] == "hung_up_by_agent"
    assert cid not in {r.id for r in await server.app[keys.RECORDS].unfinished()}

    # the agent comes back later: no pending wrap-up, and the old case cannot be filed any more
    again = await agent_peer(server, "leaver", PASSWORD)
    state = await again.wait_for("agent.state")
    assert state["consultation"] is None and state["offer"] is None
    assert state["status"] == "away"
    refused = await again.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": ""})
    assert refused["error"]["code"] == "not_found"
    await asyncio.sleep(0.3)
    assert len([e for e in await server.app[keys.RECORDS].events(cid) if e.kind == "wrap_up_timeout"]) == 1
    for peer in (booth, again):
        await peer.close()


async def test_a_connected_agent_is_never_cut_off(server: LiveServer) -> None:
    booth, agent, cid = await call_into_wrap_up(server, "slowtyper")
    await asyncio.sleep(GRACE + WRAP_UP_TIMEOUT + 0.5)
    assert (await record_of(server, cid))["state"] == "wrap_up"
    ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": "ゆっくり"}))
    row = await wait_for_state(server, cid, "closed")
    assert row["disposition"] == "resolved" and row["end_reason"] == "hung_up_by_agent" and row["wrapped_up_at"]
    for peer in (booth, agent):
        await peer.close()
