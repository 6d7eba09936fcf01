"""A server process is killed (``SIGKILL``) in the middle of a call; the call goes on through the other process.

Booth and agent sit on different processes. The one whose process dies reconnects to the survivor with the same
credentials, inside the grace period. What the server does, and what these tests hold it to:

* The dead process says nothing when it dies. The survivors notice when its heartbeats stop: after
  ``3 × MADOGUCHI_HEARTBEAT_INTERVAL_S`` its connections are reaped, and the other side of the call gets
  ``peer.link {connected: false}``. When the participant comes back, ``peer.link {connected: true}`` follows.
* A participant who comes back *before* the reap never lost their link as far as the counter is concerned (they
  had a connection all along): the other side is told nothing, neither then nor when the reap happens.
* The returning participant's state event (``booth.state`` / ``agent.state``) holds the active consultation,
  its call data and the whole transcript, including lines the other side sent while they were away.
* Chat carries on with the next sequence numbers; the record ends up complete.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from tests.faults.conftest import GRACE_PERIOD_S, PROCESS_TIMEOUT_S, Deployment, ServerProcess, eventually
from tests.support import Peer, ok

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

Side = Literal["booth", "agent"]


@dataclass
class Call:
    cid: str
    booth_id: str
    token: str
    booth: Peer
    agent: Peer


async def start_call(deployment: Deployment, booth_server: ServerProcess, agent_server: ServerProcess) -> Call:
    booth_id, token = await deployment.add_booth("汐見郵便局ブース")
    await deployment.add_agent("agent1")
    booth = await deployment.booth(booth_server, token)
    agent = await deployment.agent(agent_server, "agent1")
    await booth.wait_for("booth.state")
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer", lambda o: o["consultation_id"] == cid)
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start", lambda m: m["consultation_id"] == cid)
    await agent.wait_for("call.start", lambda m: m["consultation_id"] == cid)
    return Call(cid, booth_id, token, booth, agent)


async def say(peer: Peer, cid: str, client_id: str, text: str, expected_seq: int) -> None:
    ack = ok(await peer.call("chat.send", {"consultation_id": cid, "text": text, "client_id": client_id}))
    assert ack["seq"] == expected_seq, ack


def seqs(peer: Peer) -> list[int]:
    return [m["seq"] for m in peer.received["chat.message"]]


def transcript(lines: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(line["seq"], line["sender"], line["text"]) for line in lines]


async def until_disconnected(peer: Peer) -> None:
    async def gone() -> bool | None:
        return True if not peer.sio.connected else None

    await eventually(gone, within=5, what="the client noticed its server died")


@pytest.mark.parametrize("killed", ["booth", "agent"])
async def test_call_recovers_through_the_other_process(deployment: Deployment, killed: Side) -> None:
    first, second = await deployment.start(2)
    call = await start_call(deployment, booth_server=first, agent_server=second)
    cid = call.cid
    await say(call.booth, cid, "b-1", "こんにちは", 1)
    await say(call.agent, cid, "a-1", "ご用件をどうぞ", 2)
    await say(call.booth, cid, "b-2", "住民票の写しがほしいです", 3)
    await call.agent.wait_for("chat.message", lambda m: m["seq"] == 3)
    await call.booth.wait_for("chat.message", lambda m: m["seq"] == 2)

    victim, survivor = (first, second) if killed == "booth" else (second, first)
    lost, stays = (call.booth, call.agent) if killed == "booth" else (call.agent, call.booth)
    loop = asyncio.get_running_loop()
    killed_at = loop.time()
    await victim.kill()
    await until_disconnected(lost)

    # The survivor learns of the loss only when the dead process's heartbeats are overdue.
    assert (await stays.wait_for("peer.link", within=PROCESS_TIMEOUT_S + 3)) == {
        "consultation_id": cid,
        "connected": False,
    }
    noticed_after = loop.time() - killed_at
    assert noticed_after <= PROCESS_TIMEOUT_S + 3, noticed_after

    # The side still connected keeps talking while the other is away: the line must not be lost.
    while_away = ("a-2", "少々お待ちください") if killed == "booth" else ("b-3", "はい、待ちます")
    await say(stays, cid, *while_away, 4)

    # Back through the surviving process, same credentials, inside the grace period.
    if killed == "booth":
        back = await deployment.booth(survivor, call.token)
        state = (await back.wait_for("booth.state"))["consultation"]
    else:
        back = await deployment.agent(survivor, "agent1")
        agent_state = await back.wait_for("agent.state", lambda s: s["consultation"] is not None)
        assert agent_state["status"] == "busy" and agent_state["offer"] is None
        state = agent_state["consultation"]
    assert loop.time() - killed_at < GRACE_PERIOD_S
    assert state["consultation_id"] == cid and state["state"] == "active"
    assert state["call"]["consultation_id"] == cid and state["call"]["polite"] is (killed == "booth")
    expected = [
        (1, "resident", "こんにちは"),
        (2, "agent", "ご用件をどうぞ"),
        (3, "resident", "住民票の写しがほしいです"),
        (4, "agent" if killed == "booth" else "resident", while_away[1]),
    ]
    assert transcript(state["chat"]) == expected

    await stays.wait_for("peer.link", lambda m: m["connected"] is True)
    assert [m["connected"] for m in stays.received["peer.link"]] == [False, True]

    # Media renegotiates over the surviving process: the impolite agent offers on a fresh connection.
    booth_now, agent_now = (back, call.agent) if killed == "booth" else (call.booth, back)
    ok(await agent_now.call("signal", {"consultation_id": cid, "description": {"type": "offer", "sdp": "v=0\r\n"}}))
    assert (await booth_now.wait_for("signal"))["description"]["type"] == "offer"

    await say(booth_now, cid, "b-9", "窓口は何時までですか", 5)
    await say(agent_now, cid, "a-9", "17時までです", 6)
    for peer in (booth_now, agent_now):
        await peer.wait_for("chat.message", lambda m: m["seq"] == 6)
    expected += [(5, "resident", "窓口は何時までですか"), (6, "agent", "17時までです")]
    assert seqs(stays) == [1, 2, 3, 4, 5, 6]  # no gap, no double
    assert seqs(back) == [5, 6]  # the rest came in the state event

    ok(await agent_now.call("consultation.end", {"consultation_id": cid}))
    assert (await booth_now.wait_for("consultation.closed"))["consultation_id"] == cid
    await agent_now.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    ok(await agent_now.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": "交付済み"}))
    await agent_now.wait_for("agent.state", lambda s: s["status"] == "available" and s["consultation"] is None)

    record = (await deployment.export_records())[cid]
    assert record["state"] == "closed" and record["end_reason"] == "hung_up_by_agent"
    assert record["booth_id"] == call.booth_id and record["agent_username"] == "agent1"
    for stamp in ("requested_at", "offered_at", "answered_at", "ended_at", "wrapped_up_at"):
        assert record[stamp], stamp
    assert record["disposition"] == "resolved" and record["note"] == "交付済み"
    assert transcript(record["transcript"]) == expected


@pytest.mark.parametrize("killed", ["booth", "agent"])
async def test_a_participant_back_before_the_reap_was_never_gone(deployment: Deployment, killed: Side) -> None:
    first, second = await deployment.start(2)
    call = await start_call(deployment, booth_server=first, agent_server=second)
    cid = call.cid
    await say(call.booth, cid, "b-1", "こんにちは", 1)

    victim, survivor = (first, second) if killed == "booth" else (second, first)
    lost, stays = (call.booth, call.agent) if killed == "booth" else (call.agent, call.booth)
    loop = asyncio.get_running_loop()
    killed_at = loop.time()
    await victim.kill()
    await until_disconnected(lost)
    if killed == "booth":  # at once, as a kiosk's socket reconnects
        back = await deployment.booth(survivor, call.token)
        state = (await back.wait_for("booth.state"))["consultation"]
    else:
        back = await deployment.agent(survivor, "agent1")
        state = (await back.wait_for("agent.state", lambda s: s["consultation"] is not None))["consultation"]
    assert loop.time() - killed_at < PROCESS_TIMEOUT_S - 1, "too slow to test a return before the reap"
    assert state["state"] == "active" and transcript(state["chat"]) == [(1, "resident", "こんにちは")]

    # Well past the reap of the dead process: its connection is gone, but the participant has another one.
    await asyncio.sleep(PROCESS_TIMEOUT_S + 2 - (loop.time() - killed_at))
    assert stays.received["peer.link"] == []
    booth_now, agent_now = (back, call.agent) if killed == "booth" else (call.booth, back)
    await say(agent_now, cid, "a-1", "ご用件をどうぞ", 2)
    await say(booth_now, cid, "b-2", "転入届です", 3)
    for peer in (booth_now, agent_now):
        await peer.wait_for("chat.message", lambda m: m["seq"] == 3)
    assert seqs(stays) == [1, 2, 3]

    ok(await booth_now.call("consultation.end", {"consultation_id": cid}))
    await agent_now.wait_for("call.end", lambda m: m["consultation_id"] == cid)
    record = (await deployment.export_records())[cid]
    assert record["state"] == "wrap_up" and record["end_reason"] == "hung_up_by_resident"
    assert transcript(record["transcript"]) == [
        (1, "resident", "こんにちは"),
        (2, "agent", "ご用件をどうぞ"),
        (3, "resident", "転入届です"),
    ]
