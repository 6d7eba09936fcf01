"""40 anonymous web chats from one address, each typing 「死にたい」, against a real server with real clients: the
booth resident who was waiting first is still offered first, the flood past the limit gets clear refusals, and
only the first urgent case from that address is put ahead."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support import LiveServer, agent_peer, booth_peer, ok, resident_peer, serve_topology

PASSWORD = "correct horse battery"
FLOOD = 40


@pytest.fixture
async def live_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    """One address may send 10 lines at once (session 13); this test is about the chats 40 lines open, not about
    the line rate (test_resident_line_limits.py), so the address may send all 40 at once."""
    async with serve_topology("one", tmp_path, resident_line_burst_per_address=FLOOD) as server:
        yield server


async def test_a_flood_of_urgent_chats_from_one_address_does_not_jump_the_booth(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("agent1", PASSWORD)
    kiosk = await booth_peer(live_server, token)
    await kiosk.wait_for("booth.state")
    booth_case = ok(await kiosk.call("consultation.request", {"route": "tax"}))["consultation_id"]

    # in two waves: more handshakes at once from one address than MADOGUCHI_SOCKET_UNJOINED_PER_ADDRESS are refused
    # before any namespace (test_unjoined_sessions.py); this test is about the chats of sockets that got in
    wave = FLOOD // 2
    residents = [
        *await asyncio.gather(*(resident_peer(live_server) for _ in range(wave))),
        *await asyncio.gather(*(resident_peer(live_server) for _ in range(FLOOD - wave))),
    ]
    acks = []
    for n, resident in enumerate(residents):  # one after another, as fast as the server answers
        acks.append(await resident.call("chat.send", {"text": "死にたい", "client_id": f"f-{n}"}))
    accepted = [ack for ack in acks if "error" not in ack]
    refused = [ack["error"] for ack in acks if "error" in ack]
    limit = live_server.settings.resident_open_per_browser  # no browser id (a script): counted as its address
    assert len(accepted) == limit and len(refused) == FLOOD - limit
    assert {r["code"] for r in refused} == {"source_limit"}
    assert all(r["message"] for r in refused)

    agent = await agent_peer(live_server, "agent1", PASSWORD)
    snapshot = await agent.wait_for("queue.snapshot", lambda d: len(d["items"]) == limit + 1)
    items = snapshot["items"]
    assert items[0]["consultation_id"] == booth_case
    chats = [item for item in items if item["channel"] == "chat"]
    assert all(item["urgent"] for item in chats)
    assert [item["prioritised"] for item in chats] == [True] + [False] * (limit - 1)
    assert sorted(item["source_count"] for item in chats) == list(range(1, limit + 1))

    ok(await agent.call("agent.status", {"status": "available"}))
    offer = await agent.wait_for("offer")
    assert offer["consultation_id"] == booth_case and offer["source_count"] == 1
    for peer in (*residents, kiosk, agent):
        await peer.close()
