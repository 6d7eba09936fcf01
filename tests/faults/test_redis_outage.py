"""Redis goes away for 15 s under two running processes, then comes back at the same address.

The processes reach Redis through a TCP proxy that resets every connection and refuses new ones for the outage,
as a stopped Redis would. What must hold:

* liveness (``/healthz``) stays 200 on every process; readiness (``/readyz``) turns 503 and comes back to 200
  by itself once Redis answers again;
* socket events that need the live state are answered during the outage with the error ack ``internal``,
  promptly (no hang, no crash), and change nothing;
* residents who were waiting are still waiting afterwards, in the same order, still counted as connected (so an
  agent is offered them, first in line first), and a complete call works across the two processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import socketio

from tests.faults.conftest import (
    GRACE_PERIOD_S,
    PROCESS_TIMEOUT_S,
    Deployment,
    ServerProcess,
    TcpProxy,
    eventually,
    http_status,
)
from tests.support import REDIS_TEST_URL, Peer, ok

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

OUTAGE_S = 15.0
ERROR_ACK_WITHIN_S = 4.0


def order(snapshot: dict[str, Any]) -> list[str]:
    return [item["consultation_id"] for item in snapshot["items"]]


async def readiness(servers: list[ServerProcess], expected: int, *, within: float) -> None:
    async def all_as_expected() -> bool | None:
        statuses = [await http_status(f"{s.url}/readyz") for s in servers]
        return True if all(status == expected for status in statuses) else None

    await eventually(all_as_expected, within=within, what=f"/readyz answers {expected} on every process")


async def timed_error(call: Awaitable[Any]) -> tuple[str, float]:
    """The error code of an ack and how long it took to come."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    ack = await asyncio.wait_for(call, ERROR_ACK_WITHIN_S + 1)
    took = loop.time() - started
    assert isinstance(ack, dict) and "error" in ack, ack
    return str(ack["error"]["code"]), took


async def test_redis_outage_readiness_fails_and_recovers_and_nothing_is_lost(
    deployment: Deployment, proxy_factory: Callable[[str, int], Awaitable[TcpProxy]]
) -> None:
    redis = urlsplit(REDIS_TEST_URL)
    proxy = await proxy_factory(redis.hostname or "127.0.0.1", redis.port or 6379)
    servers = await deployment.start(2, redis_url=f"redis://127.0.0.1:{proxy.port}{redis.path or '/0'}")
    near, far = servers
    tokens = [(await deployment.add_booth(f"ブース{i}"))[1] for i in range(1, 4)]
    await deployment.add_agent("agent1")
    await readiness(servers, 200, within=5)

    # Two residents wait, one on each process; the agent is on duty but away.
    first = await deployment.booth(near, tokens[0])
    second = await deployment.booth(far, tokens[1])
    waiting = [
        ok(await first.call("consultation.request", {"route": "tax"}))["consultation_id"],
        ok(await second.call("consultation.request", {"route": "tax"}))["consultation_id"],
    ]
    agent = await deployment.agent(far, "agent1")
    await agent.wait_for("queue.snapshot", lambda d: order(d) == waiting)

    loop = asyncio.get_running_loop()
    await proxy.cut()
    cut_at = loop.time()
    await readiness(servers, 503, within=5)
    assert [await http_status(f"{s.url}/healthz") for s in servers] == [200, 200]

    # Events during the outage: a prompt error ack, and nothing changes.
    attempts: list[tuple[str, Awaitable[Any]]] = [
        ("cancel", first.call("consultation.cancel", {"consultation_id": waiting[0]})),
        ("available", agent.call("agent.status", {"status": "available"})),
        ("request", second.call("consultation.request", {"route": "tax"})),
    ]
    for what, call in attempts:
        code, took = await timed_error(call)
        print(f"outage: {what} answered {code!r} in {took:.2f} s")
        assert code == "internal" and took <= ERROR_ACK_WITHIN_S, (what, code, took)
    latecomer = Peer(near.url, "/booth")
    with pytest.raises(socketio.exceptions.ConnectionError):  # refused with a reason, not left hanging
        await latecomer.connect(auth={"token": tokens[2]})
    for s in servers:
        assert await http_status(f"{s.url}/healthz") == 200
    assert first.sio.connected and second.sio.connected and agent.sio.connected

    await asyncio.sleep(max(0.0, OUTAGE_S - (loop.time() - cut_at)))
    await proxy.restore()
    restored_at = loop.time()
    await readiness(servers, 200, within=10)
    print(f"ready again {loop.time() - restored_at:.2f} s after Redis came back")

    # Past every process's next heartbeat and the whole grace period: the residents, connected all along, are
    # still waiting. (Nobody may be taken for gone because nobody could write a heartbeat during the outage.)
    await asyncio.sleep(PROCESS_TIMEOUT_S + GRACE_PERIOD_S + 1)
    live = await deployment.live_state()
    seen = f"live connections after the outage: {live.get('connections')}"
    for booth in (first, second):
        assert booth.sio.connected
        assert booth.received["consultation.closed"] == [], (booth.received["consultation.closed"], seen)

    # The agent is offered the residents in their order, across processes, and a whole call works.
    ok(await agent.call("agent.status", {"status": "available"}))
    offer = await agent.wait_for("offer", within=5)
    assert offer["consultation_id"] == waiting[0], (offer["consultation_id"], waiting, seen)
    await second.wait_for("queue.position", lambda d: d["position"] == 2)
    ok(await agent.call("offer.accept", {"consultation_id": waiting[0]}))
    await first.wait_for("call.start", lambda m: m["consultation_id"] == waiting[0])
    cid = waiting[0]
    assert ok(await first.call("chat.send", chat(cid, "聞こえますか", "b-1")))["seq"] == 1
    assert ok(await agent.call("chat.send", chat(cid, "はい、聞こえます", "a-1")))["seq"] == 2
    await first.wait_for("chat.message", lambda m: m["seq"] == 2)
    await agent.wait_for("chat.message", lambda m: m["seq"] == 1)
    ok(await agent.call("signal", {"consultation_id": cid, "description": {"type": "offer", "sdp": "v=0\r\n"}}))
    await first.wait_for("signal")
    ok(await first.call("consultation.end", {"consultation_id": cid}))
    await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": ""}))
    offer = await agent.wait_for("offer", lambda o: o["consultation_id"] == waiting[1])

    records = await deployment.export_records()
    assert len(records) == 2  # the request refused during the outage left no record
    assert records[cid]["state"] == "closed" and records[cid]["end_reason"] == "hung_up_by_resident"
    assert [(t["seq"], t["text"]) for t in records[cid]["transcript"]] == [(1, "聞こえますか"), (2, "はい、聞こえます")]
    assert records[waiting[1]]["state"] == "offered"


def chat(cid: str, text: str, client_id: str) -> dict[str, str]:
    return {"consultation_id": cid, "text": text, "client_id": client_id}
