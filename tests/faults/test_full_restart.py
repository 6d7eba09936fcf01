"""Every server process is killed (``kill -9``) while residents wait and one call runs; fresh processes start on
the same Redis and PostgreSQL.

What must hold: the waiting residents are still waiting, in the same order, when their booths reconnect (in any
order), and an agent is offered them in that order; every acknowledged record is intact; the call that was
running is marked ``interrupted`` by the recovery sweep (nobody can rejoin it: its media and both sockets died
with the processes) and neither its booth nor its agent is shown a call that no longer exists.

The new processes start once the old ones' heartbeats are overdue (``3 × heartbeat``), which is how the first of
them knows that nobody else is alive: a full restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.faults.conftest import PROCESS_TIMEOUT_S, Deployment, ServerProcess
from tests.support import Peer, ok

pytestmark = [pytest.mark.faults, pytest.mark.postgres]


def order(snapshot: dict[str, Any]) -> list[str]:
    return [item["consultation_id"] for item in snapshot["items"]]


@dataclass
class BeforeTheKill:
    servers: list[ServerProcess]
    active: str
    in_call_token: str
    waiting_tokens: list[str]
    expected: list[str]


async def one_call_and_three_waiting(deployment: Deployment) -> BeforeTheKill:
    servers = await deployment.start(2)
    _, in_call_token = await deployment.add_booth("通話中のブース")
    waiting_tokens = [(await deployment.add_booth(f"待合ブース{i}"))[1] for i in range(1, 4)]
    await deployment.add_agent("agent1")

    # One call running: booth on the first process, agent on the second, two acknowledged chat lines.
    in_call_booth = await deployment.booth(servers[0], in_call_token)
    agent = await deployment.agent(servers[1], "agent1")
    active = ok(await in_call_booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer", lambda o: o["consultation_id"] == active)
    ok(await agent.call("offer.accept", {"consultation_id": active}))
    await in_call_booth.wait_for("call.start")
    ok(await in_call_booth.call("chat.send", chat(active, "もしもし", "b-1")))
    ok(await agent.call("chat.send", chat(active, "はい、どうぞ", "a-1")))

    # Three residents wait, none urgent, arriving at booths on alternate processes.
    expected: list[str] = []
    for i, token in enumerate(waiting_tokens):
        booth = await deployment.booth(servers[i % 2], token)
        ack = ok(await booth.call("consultation.request", {"route": "tax"}))
        assert ack["position"] == i + 1, ack
        expected.append(ack["consultation_id"])
    await agent.wait_for("queue.snapshot", lambda d: order(d) == expected)
    return BeforeTheKill(servers, active, in_call_token, waiting_tokens, expected)


async def reconnect_waiting_booths(
    deployment: Deployment, servers: list[ServerProcess], before: BeforeTheKill
) -> dict[str, Peer]:
    """In the reverse of their order in line, to either process: their places must not depend on it."""
    booths: dict[str, Peer] = {}
    for i in reversed(range(3)):
        booth = await deployment.booth(servers[i % 2], before.waiting_tokens[i])
        state = (await booth.wait_for("booth.state"))["consultation"]
        assert state is not None and state["consultation_id"] == before.expected[i], state
        assert state["state"] == "waiting" and state["position"] == i + 1, state
        booths[before.expected[i]] = booth
    return booths


async def serve_in_order(agent: Peer, booths: dict[str, Peer], expected: list[str]) -> None:
    """The agent is offered the waiting residents one after the other, in their order, and serves each."""
    await agent.wait_for("queue.snapshot", lambda d: order(d) == expected, within=10)
    ok(await agent.call("agent.status", {"status": "available"}))
    for n, cid in enumerate(expected):
        await agent.wait_for("offer", for_case(cid))
        assert [o["consultation_id"] for o in agent.received["offer"]] == expected[: n + 1]
        ok(await agent.call("offer.accept", {"consultation_id": cid}))
        await booths[cid].wait_for("call.start")
        ok(await agent.call("consultation.end", {"consultation_id": cid}))
        await booths[cid].wait_for("consultation.closed")
        ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": ""}))


async def test_queue_survives_killing_every_process_and_the_running_call_is_interrupted(
    deployment: Deployment,
) -> None:
    before = await one_call_and_three_waiting(deployment)
    servers, active, expected = before.servers, before.active, before.expected

    loop = asyncio.get_running_loop()
    for server in servers:
        await server.kill()
    killed_at = loop.time()
    await asyncio.sleep(PROCESS_TIMEOUT_S + 0.5)  # the dead processes' last heartbeats are now overdue

    restarted = await deployment.start(2)
    print(f"restart: fresh processes up {loop.time() - killed_at:.1f} s after the kill")
    # Recovery ran at start: the call that was running is closed as interrupted, in the durable record.
    records = await deployment.export_records_cli()
    assert records[active]["state"] == "interrupted" and records[active]["end_reason"] == "interrupted"
    assert records[active]["closed_at"] and records[active]["answered_at"]
    assert [(t["seq"], t["sender"], t["text"]) for t in records[active]["transcript"]] == [
        (1, "resident", "もしもし"),
        (2, "agent", "はい、どうぞ"),
    ]
    assert [records[cid]["state"] for cid in expected] == ["waiting"] * 3

    booths = await reconnect_waiting_booths(deployment, restarted, before)

    # The interrupted call's booth and agent come back to nothing stale.
    in_call_again = await deployment.booth(restarted[0], before.in_call_token)
    assert (await in_call_again.wait_for("booth.state"))["consultation"] is None
    agent_again = await deployment.agent(restarted[1], "agent1")
    agent_state = await agent_again.wait_for("agent.state")
    assert agent_state["consultation"] is None, agent_state
    assert error_code(await agent_again.call("chat.send", chat(active, "まだいますか", "a-2"))) == "not_found"
    assert error_code(await in_call_again.call("consultation.end", {"consultation_id": active})) == "not_found"

    # The agent is then offered the waiting residents in their order.
    await serve_in_order(agent_again, booths, expected)
    assert in_call_again.received["call.start"] == []

    records = await deployment.export_records()
    assert [records[cid]["state"] for cid in expected] == ["closed"] * 3
    assert records[active]["state"] == "interrupted"


async def test_a_restart_quicker_than_the_process_timeout_keeps_queue_and_call(deployment: Deployment) -> None:
    """Killed and started again before the old processes' heartbeats are overdue: the new processes cannot tell
    the old ones are dead, so this is no full restart. The old connections are reaped later; everyone who came
    back by then keeps their place, and the running call goes on once both of its sides are back."""
    # old processes look alive for 24 s after their last beat: room for two processes to start (each loads the
    # triage model; ~12 s on a busy 2-core machine) before the old ones could be declared dead
    deployment.heartbeat_interval_s = 8.0
    timeout = 3 * deployment.heartbeat_interval_s
    before = await one_call_and_three_waiting(deployment)
    loop = asyncio.get_running_loop()
    for server in before.servers:
        await server.kill()
    killed_at = loop.time()
    restarted = await deployment.start(2)
    print(f"quick restart: fresh processes up {loop.time() - killed_at:.1f} s after the kill")
    assert loop.time() - killed_at < timeout - 4, "restart too slow for this test"

    booths = await reconnect_waiting_booths(deployment, restarted, before)
    in_call_again = await deployment.booth(restarted[0], before.in_call_token)
    view = (await in_call_again.wait_for("booth.state"))["consultation"]
    assert view is not None and view["consultation_id"] == before.active and view["state"] == "active"
    agent_again = await deployment.agent(restarted[1], "agent1")
    agent_view = (await agent_again.wait_for("agent.state"))["consultation"]
    assert agent_view is not None and agent_view["consultation_id"] == before.active
    assert [(t["seq"], t["text"]) for t in agent_view["chat"]] == [(1, "もしもし"), (2, "はい、どうぞ")]

    # Past the reap of the dead processes' connections: nobody who came back is treated as gone.
    await asyncio.sleep(max(0.0, timeout + 2 - (loop.time() - killed_at)))
    for peer in (*booths.values(), in_call_again):
        assert peer.received["consultation.closed"] == [] and peer.received["peer.link"] == []
    assert agent_again.received["peer.link"] == []

    ok(await in_call_again.call("chat.send", chat(before.active, "聞こえますか", "b-2")))
    await agent_again.wait_for("chat.message", lambda m: m["seq"] == 3 and m["text"] == "聞こえますか")
    ok(await agent_again.call("consultation.end", {"consultation_id": before.active}))
    await in_call_again.wait_for("consultation.closed")
    ok(
        await agent_again.call(
            "wrapup.submit", {"consultation_id": before.active, "disposition": "resolved", "note": ""}
        )
    )
    await serve_in_order(agent_again, booths, before.expected)
    records = await deployment.export_records()
    assert [records[cid]["state"] for cid in (before.active, *before.expected)] == ["closed"] * 4
    assert [t["seq"] for t in records[before.active]["transcript"]] == [1, 2, 3]


def for_case(cid: str) -> Callable[[dict[str, Any]], bool]:
    return lambda message: bool(message["consultation_id"] == cid)


def chat(cid: str, text: str, client_id: str) -> dict[str, str]:
    return {"consultation_id": cid, "text": text, "client_id": client_id}


def error_code(ack: Any) -> str:
    assert isinstance(ack, dict) and "error" in ack, ack
    return str(ack["error"]["code"])
