"""Two Madoguchi servers sharing Redis and PostgreSQL: a booth on one, an agent on the other.

Each server is a complete application with its own Socket.IO server, Redis connections, database pool and
timers; they share nothing but Redis (live state + the Socket.IO channel) and the PostgreSQL schema, exactly
like two ``madoguchi serve`` processes behind a load balancer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.integration.redis.conftest import REDIS_TEST_URL, redis_settings
from tests.support import LiveServer, Peer, agent_peer, booth_peer, login_cookie, ok, serve

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"


def error_code(ack: Any) -> str:
    assert isinstance(ack, dict) and "error" in ack, ack
    return str(ack["error"]["code"])


@pytest.fixture
async def two_servers(tmp_path: Path, postgres_url: str, redis_prefix: str) -> AsyncIterator[list[LiveServer]]:
    settings = redis_settings(tmp_path, database_url=postgres_url, redis_url=REDIS_TEST_URL, prefix=redis_prefix)
    async with AsyncExitStack() as stack:
        servers = [await stack.enter_async_context(serve(settings)) for _ in range(2)]
        assert servers[0].base_url != servers[1].base_url
        yield servers


async def test_full_flow_with_booth_and_agent_on_different_processes(two_servers: list[LiveServer]) -> None:
    near, far = two_servers
    booth_id, token, _ = await near.add_booth("汐見郵便局ブース")
    await near.add_agent("agent1", PASSWORD)
    booth = await booth_peer(near, token)  # the booth is on one process...
    agent = await agent_peer(far, "agent1", PASSWORD)  # ...the agent on the other
    await booth.wait_for("booth.state")

    request = ok(await booth.call("consultation.request", {"route": "tax"}))
    cid = request["consultation_id"]
    assert request["position"] == 1 and request["wait_estimate_s"] is None
    assert error_code(await booth.call("consultation.request", {"route": "tax"})) == "limit_reached"
    await agent.wait_for("queue.snapshot", lambda d: [i["consultation_id"] for i in d["items"]] == [cid])

    ok(await agent.call("agent.status", {"status": "available"}))
    offer = await agent.wait_for("offer")
    assert offer["consultation_id"] == cid and offer["booth_name"] == "汐見郵便局ブース"
    await booth.wait_for("queue.position", lambda d: d["wait_estimate_s"] == 0)  # published by the far process
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    booth_call = await booth.wait_for("call.start")
    agent_call = await agent.wait_for("call.start")
    assert booth_call["polite"] is True and agent_call["polite"] is False

    # signaling crosses processes in both directions and in order
    ok(await agent.call("signal", {"consultation_id": cid, "description": {"type": "offer", "sdp": "v=0\r\n"}}))
    assert (await booth.wait_for("signal"))["description"]["type"] == "offer"
    ok(await booth.call("signal", {"consultation_id": cid, "description": {"type": "answer", "sdp": "v=0\r\n"}}))
    assert (await agent.wait_for("signal"))["description"]["type"] == "answer"
    candidates = [f"candidate:{i} 1 udp 2122260223 192.0.2.1 {50000 + i} typ host" for i in range(40)]
    for candidate in candidates:  # fire and forget, as a trickling browser does
        await booth.sio.emit(
            "signal",
            {"consultation_id": cid, "candidate": {"candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0}},
            namespace="/booth",
        )
    await agent.wait_for("signal", lambda d: d.get("candidate", {}).get("candidate") == candidates[-1])
    relayed = [d["candidate"]["candidate"] for d in agent.received["signal"] if "candidate" in d]
    assert relayed == candidates

    ok(await booth.call("chat.send", {"consultation_id": cid, "text": "こんにちは", "client_id": "b-1"}))
    line = await agent.wait_for("chat.message", lambda m: m["text"] == "こんにちは")
    assert line["sender"] == "resident" and line["seq"] == 1
    assert (
        ok(await booth.call("chat.send", {"consultation_id": cid, "text": "こんにちは", "client_id": "b-1"}))["seq"]
        == 1
    )
    ok(await agent.call("chat.send", {"consultation_id": cid, "text": "ご用件は？", "client_id": "a-1"}))
    await booth.wait_for("chat.message", lambda m: m["sender"] == "agent" and m["seq"] == 2)

    ok(await agent.call("consultation.end", {"consultation_id": cid}))
    await booth.wait_for("call.end")
    assert (await booth.wait_for("consultation.closed"))["consultation_id"] == cid
    await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": "再発行"}))
    await agent.wait_for("agent.state", lambda s: s["status"] == "available" and s["consultation"] is None)

    for server in (near, far):  # one database: both processes export the same complete record
        [record] = await server.export_records()
        assert record["consultation_id"] == cid and record["booth_id"] == booth_id
        assert record["state"] == "closed" and record["agent_username"] == "agent1"
        for stamp in ("requested_at", "offered_at", "answered_at", "ended_at", "wrapped_up_at"):
            assert record[stamp], stamp
        assert record["disposition"] == "resolved" and record["note"] == "再発行"
        assert [(t["seq"], t["sender"], t["text"]) for t in record["transcript"]] == [
            (1, "resident", "こんにちは"),
            (2, "agent", "ご用件は？"),
        ]
    await booth.close()
    await agent.close()


async def test_queue_order_is_the_same_whichever_process_is_asked(two_servers: list[LiveServer]) -> None:
    near, far = two_servers
    tokens = [(await near.add_booth(f"ブース{i}"))[1] for i in range(4)]
    await near.add_agent("near_agent", PASSWORD)
    await near.add_agent("far_agent", PASSWORD)
    agents = [await agent_peer(near, "near_agent", PASSWORD), await agent_peer(far, "far_agent", PASSWORD)]
    booths = []
    expected = []
    for i, token in enumerate(tokens):  # residents arrive alternately at booths on either process
        booth = await booth_peer(two_servers[i % 2], token)
        booths.append(booth)
        expected.append(ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"])

    def order(snapshot: dict[str, Any]) -> list[str]:
        return [item["consultation_id"] for item in snapshot["items"]]

    for agent in agents:
        await agent.wait_for("queue.snapshot", lambda d: order(d) == expected)
    for i, booth in enumerate(booths):
        await booth.wait_for("queue.position", lambda d, i=i: d["position"] == i + 1)

    # both agents become available at once on different processes: two different residents, first two in line
    for ack in await asyncio.gather(*(a.call("agent.status", {"status": "available"}) for a in agents)):
        ok(ack)
    offers = [await agent.wait_for("offer") for agent in agents]
    assert sorted(o["consultation_id"] for o in offers) == sorted(expected[:2])
    await asyncio.sleep(0.3)
    for agent in agents:
        assert len(agent.received["offer"]) == 1
    for peer in (*booths, *agents):
        await peer.close()


@pytest.mark.timeout(30)
async def test_offer_timeout_fires_once_although_every_process_runs_timers(
    tmp_path: Path, postgres_url: str, redis_prefix: str
) -> None:
    settings = redis_settings(
        tmp_path, database_url=postgres_url, redis_url=REDIS_TEST_URL, prefix=redis_prefix, offer_timeout_s=0.5
    )
    async with serve(settings) as near, serve(settings) as far:
        _, token, _ = await near.add_booth()
        await near.add_agent("slow", PASSWORD)
        agent = await agent_peer(far, "slow", PASSWORD)
        ok(await agent.call("agent.status", {"status": "available"}))
        booth = await booth_peer(near, token)
        cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
        await agent.wait_for("offer")
        withdrawn = await agent.wait_for("offer.withdrawn", within=5.0)
        assert (withdrawn["consultation_id"], withdrawn["reason"], withdrawn["away"]) == (cid, "timeout", True)
        await agent.wait_for("agent.state", lambda s: s["status"] == "away")
        await asyncio.sleep(1.0)  # both processes' timers have run several times since
        assert len(agent.received["offer.withdrawn"]) == 1
        [record] = await near.export_records()
        assert record["state"] == "waiting"
        await booth.close()
        await agent.close()


async def test_a_change_on_one_process_reaches_a_supervisor_on_the_other_within_a_second(
    two_servers: list[LiveServer],
) -> None:
    """The supervisors' feed builds on the process whose sockets watch (far); the change is made on near, and far
    hears of it by the live store's change notice."""
    near, far = two_servers
    _, token, _ = await near.add_booth("汐見郵便局ブース")
    await near.add_agent("boss", PASSWORD, role="supervisor")
    cookie = await login_cookie(far.agent_url, "boss", PASSWORD)
    boss = Peer(far.agent_url, "/supervisor")
    await boss.connect(headers={"Cookie": f"madoguchi_session={cookie}"})
    await boss.wait_for("supervisor.snapshot")
    booth = await booth_peer(near, token)
    await booth.wait_for("booth.state")
    started = time.monotonic()
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    shown = await boss.wait_for(
        "supervisor.snapshot", lambda s: [c["consultation_id"] for c in s["queue"]] == [cid], within=1.0
    )
    assert time.monotonic() - started < 1.0 and shown["today"]["waiting"] == 1
    ok(await booth.call("consultation.cancel", {"consultation_id": cid}))
    await boss.wait_for("supervisor.snapshot", lambda s: s["queue"] == [] and s["today"]["waiting"] == 0, within=1.0)
    await booth.close()
    await boss.close()
