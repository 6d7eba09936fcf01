"""Staff access to a resident's record is in the audit log: who was shown which case, and how."""

from __future__ import annotations

import asyncio

from madoguchi import keys
from madoguchi.storage.audit import AuditLog
from tests.support import LiveServer, agent_peer, booth_peer, ok, resident_peer

PASSWORD = "correct horse battery"


async def views(server: LiveServer, count: int = 0, within: float = 5.0) -> list[tuple[str, str, str]]:
    """The record.view entries, oldest first, once there are ``count`` (they are written in the background)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        entries = await AuditLog(server.app[keys.DATABASE]).recent()
        found = [
            (e.actor, e.detail["consultation_id"], e.detail["via"])
            for e in reversed(entries)
            if e.action == "record.view"
        ]
        if len(found) >= count or loop.time() > deadline:
            return found
        await asyncio.sleep(0.05)


async def test_accepting_and_reopening_a_case_are_audited(live_server: LiveServer) -> None:
    agent_id = await live_server.add_agent("agent1", PASSWORD)
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    home = await resident_peer(live_server)
    case = ok(await home.call("chat.send", {"text": "職員と話したい", "client_id": "r-1"}))["consultation_id"]
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer")
    assert await views(live_server) == []  # an offer shows the summary only once accepted

    ok(await agent.call("offer.accept", {"consultation_id": case}))
    assert await views(live_server, 1) == [(f"staff:{agent_id}", case, "accept")]

    second_tab = await agent_peer(live_server, "agent1", PASSWORD)
    state = await second_tab.wait_for("agent.state")
    assert state["consultation"]["consultation_id"] == case and state["consultation"]["chat"]
    assert await views(live_server, 2) == [
        (f"staff:{agent_id}", case, "accept"),
        (f"staff:{agent_id}", case, "reconnect"),
    ]

    await second_tab.close()
    ok(await home.call("consultation.end", {"consultation_id": case}))
    ok(await agent.call("wrapup.submit", {"consultation_id": case, "disposition": "resolved", "note": ""}))
    idle = await agent_peer(live_server, "agent1", PASSWORD)  # nothing open after the wrap-up: nothing shown
    assert (await idle.wait_for("agent.state"))["consultation"] is None
    ok(await idle.call("agent.status", {"status": "away"}))  # any write queued before it is done by now
    assert [via for *_, via in await views(live_server, 3, within=0.5)] == ["accept", "reconnect"]
    for peer in (idle, agent, home):
        await peer.close()


async def test_joining_a_running_call_is_audited_as_a_view(live_server: LiveServer) -> None:
    """An observer or interpreter sees and hears the resident from then on: access to the case like accepting it,
    so it is in the audit log too (red team, issue 9)."""
    _, token, _ = await live_server.add_booth("ブースA")
    agent_id = await live_server.add_agent("agent1", PASSWORD)
    observer_id = await live_server.add_agent("observer", PASSWORD, role="supervisor")  # only they observe
    booth = await booth_peer(live_server, token)
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    observer = await agent_peer(live_server, "observer", PASSWORD)
    ok(await observer.call("agent.status", {"status": "away"}))
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer")
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start")
    call = ok(await observer.call("consultation.join", {"consultation_id": cid, "role": "observer"}))["call"]
    assert call["consultation_id"] == cid
    assert await views(live_server, 2) == [
        (f"staff:{agent_id}", cid, "accept"),
        (f"staff:{observer_id}", cid, "join"),
    ]
    for peer in (booth, agent, observer):
        await peer.close()
