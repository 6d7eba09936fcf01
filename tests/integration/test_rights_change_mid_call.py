"""A member of staff whose rights are taken away or narrowed in the middle of a call leaves what those rights no
longer allow (session 21's outside attack: a supervisor observing a call was demoted to agent, got
``access.revoked``, logged in again as an agent and still read the resident's chat, relayed offers to the booth and
was told "already in this consultation"; the booth never heard ``participant.left``).

Two places, one rule (``consultation.may_hold``): when a socket's access is revoked the person leaves every call
they joined (and, if the account is disabled, their own case goes back in line at once), and on every reconnect each
part they still hold is checked against the account as it is now."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from tests.support import (
    LiveServer,
    Peer,
    agent_peer,
    answered_booth_call,
    booth_peer,
    ok,
    serve_topology,
)
from tests.support import on_both_topologies as both

PASSWORD = "correct horse battery"


def code(ack: object) -> str | None:
    return ack["error"]["code"] if isinstance(ack, dict) and "error" in ack else None


@asynccontextmanager
async def admin_http(server: LiveServer) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    """An admin signed in over HTTP, as the admin page is: the session and its CSRF token."""
    await server.add_agent("root", PASSWORD, role="admin")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        login = {"username": "root", "password": PASSWORD}
        async with http.post(f"{server.agent_url}/api/login", json=login) as resp:
            assert resp.status == 200, await resp.text()
            yield http, (await resp.json())["csrf_token"]


async def admin_post(server: LiveServer, path: str, body: dict[str, Any]) -> None:
    async with (
        admin_http(server) as (http, csrf),
        http.post(f"{server.agent_url}{path}", json=body, headers={"X-CSRF-Token": csrf}) as resp,
    ):
        assert resp.status == 200, await resp.text()


async def observed_call(server: LiveServer) -> tuple[Peer, Peer, Peer, str, str]:
    """A booth in a call with agent1, and the supervisor ``chief`` observing it: booth, agent, chief, case id and
    chief's participant id."""
    _, token, _ = await server.add_booth()
    await server.add_agent("agent1", PASSWORD)
    chief_id = await server.add_agent("chief", PASSWORD, role="supervisor")
    booth = await booth_peer(server, token)
    await booth.wait_for("booth.state")
    agent = await agent_peer(server, "agent1", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    chief = await agent_peer(server, "chief", PASSWORD)
    await chief.wait_for("agent.state")
    cid = await answered_booth_call(booth, agent)
    ok(await chief.call("consultation.join", {"consultation_id": cid, "role": "observer"}))
    await booth.wait_for("participant.joined")
    return booth, agent, chief, cid, f"agent:{chief_id}"


async def shut_out(server: LiveServer, booth: Peer, cid: str, who: str) -> None:
    """``who`` (now an agent, logged in again) is no longer in the call: nothing of it reaches them, nothing of
    theirs reaches the booth, and joining again is judged on today's rights (not "already in")."""
    again = await agent_peer(server, "chief", PASSWORD)
    state = await again.wait_for("agent.state")
    assert state["consultation"] is None
    booth_id = booth.last("booth.state")["booth_id"]
    offer = {"consultation_id": cid, "to": f"booth:{booth_id}", "description": {"type": "offer", "sdp": "v=0\r\n"}}
    assert code(await again.call("signal", offer)) == "forbidden"
    refused = await again.call("consultation.join", {"consultation_id": cid, "role": "observer"})
    assert code(refused) == "forbidden" and "supervisor" in refused["error"]["message"]
    ok(await booth.call("chat.send", {"consultation_id": cid, "text": "ひみつの そうだん", "client_id": "b-1"}))
    await booth.wait_for("chat.message", lambda m: m["text"] == "ひみつの そうだん")
    ok(await booth.call("chat.send", {"consultation_id": cid, "text": "もうひとつ", "client_id": "b-2"}))
    await booth.wait_for("chat.message", lambda m: m["text"] == "もうひとつ")
    assert not again.received["chat.message"], "the ex-observer still reads the resident's chat"
    assert not [s for s in booth.received["signal"] if s.get("from") == who]
    await again.close()


@both
async def test_a_demoted_observer_leaves_the_call_at_once(live_server: LiveServer) -> None:
    booth, agent, chief, cid, who = await observed_call(live_server)
    await admin_post(live_server, "/api/admin/staff/chief/update", {"role": "agent", "routes": ["tax"]})
    assert (await chief.wait_for("access.revoked", within=3.0))["reason"] == "session_ended"
    left = await booth.wait_for("participant.left", lambda e: e["participant"] == who, within=3.0)
    assert left["consultation_id"] == cid
    await agent.wait_for("participant.left", lambda e: e["participant"] == who)
    await shut_out(live_server, booth, cid, who)
    ok(await agent.call("chat.send", {"consultation_id": cid, "text": "続けます", "client_id": "a-1"}))
    await booth.wait_for("chat.message", lambda m: m["text"] == "続けます")  # the call itself goes on
    for peer in (booth, agent):
        await peer.close()


async def test_an_observer_demoted_while_away_is_dropped_when_they_come_back(live_server: LiveServer) -> None:
    """Their console was closed when the change came (no socket to revoke): the reconnect checks the part."""
    booth, agent, chief, cid, who = await observed_call(live_server)
    await chief.close()
    await admin_post(live_server, "/api/admin/staff/chief/update", {"role": "agent", "routes": ["tax"]})
    await shut_out(live_server, booth, cid, who)
    await booth.wait_for("participant.left", lambda e: e["participant"] == who)
    for peer in (booth, agent):
        await peer.close()


async def test_a_disabled_agents_case_goes_back_in_line_at_once(tmp_path: Path) -> None:
    """The agent in the call is disabled: they cannot come back, so the case does not wait out a minute's grace
    period; it goes back in line in its place (as when an agent's link stays down) and the next agent gets it."""
    async with serve_topology("one", tmp_path, grace_period_s=60.0) as server:
        _, token, _ = await server.add_booth()
        await server.add_agent("agent1", PASSWORD)
        await server.add_agent("agent2", PASSWORD)
        booth = await booth_peer(server, token)
        agent = await agent_peer(server, "agent1", PASSWORD)
        ok(await agent.call("agent.status", {"status": "available"}))
        cid = await answered_booth_call(booth, agent)
        other = await agent_peer(server, "agent2", PASSWORD)
        ok(await other.call("agent.status", {"status": "available"}))
        await admin_post(server, "/api/admin/staff/agent1/disable", {"disabled": True})
        assert (await agent.wait_for("access.revoked", within=3.0))["reason"] == "account_disabled"
        ended = await booth.wait_for("call.end", within=3.0)
        assert ended["consultation_id"] == cid
        await other.wait_for("offer", lambda o: o["consultation_id"] == cid, within=3.0)
        for peer in (booth, other):
            await peer.close()


async def test_a_language_change_reaches_the_open_console(live_server: LiveServer) -> None:
    """Outside attack (trust14 item 3): agent1, set to Vietnamese only while their console was open, was still
    offered a Japanese case. A language change ends their sessions as a routes change does: the open console is
    told and closed, and after logging in again a Japanese case is not offered to them."""
    await live_server.add_agent("agent1", PASSWORD, languages=("ja",))
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    await agent.wait_for("agent.state")
    ok(await agent.call("agent.status", {"status": "available"}))
    await admin_post(live_server, "/api/admin/staff/agent1/update", {"languages": ["vi"]})
    assert (await agent.wait_for("access.revoked", within=3.0))["reason"] == "session_ended"

    again = await agent_peer(live_server, "agent1", PASSWORD)
    await again.wait_for("agent.state")
    ok(await again.call("agent.status", {"status": "available"}))
    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    try:
        ok(await booth.call("consultation.request", {"route": "tax", "language": "vi"}))
        await again.wait_for("offer")  # a Vietnamese case is theirs
        assert all(o["language"] == "vi" for o in again.received["offer"])
    finally:
        for peer in (booth, again):
            await peer.close()
