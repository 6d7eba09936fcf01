"""A third participant on the real server: a member of staff joins a running call, exchanges a signal with the
resident's booth and with the agent (each addressed by ``to``, each received with ``from``), and leaves; the
two carry on, and the database keeps all three stints."""

from __future__ import annotations

import asyncio

from madoguchi import keys
from tests.support import LiveServer, agent_peer, booth_peer, ok, on_both_topologies

pytestmark = on_both_topologies

PASSWORD = "correct horse battery"


def error_code(ack: object) -> str | None:
    return ack["error"]["code"] if isinstance(ack, dict) and "error" in ack else None


async def test_a_third_participant_joins_signals_both_others_and_leaves(live_server: LiveServer) -> None:
    booth_id, token, _ = await live_server.add_booth("ブースA")
    agent_id = await live_server.add_agent("agent1", PASSWORD)
    interpreter_id = await live_server.add_agent("tsuyaku", PASSWORD, role="supervisor")
    await live_server.add_agent("outsider", PASSWORD, municipality="yamabe")
    booth = await booth_peer(live_server, token)
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    third = await agent_peer(live_server, "tsuyaku", PASSWORD)
    outsider = await agent_peer(live_server, "outsider", PASSWORD)
    ok(await third.call("agent.status", {"status": "away"}))

    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    join = {"consultation_id": cid, "role": "interpreter"}
    assert error_code(await third.call("consultation.join", join)) == "invalid_state", "no call yet"
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer")
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start")

    assert error_code(await outsider.call("consultation.join", join)) == "forbidden", "another municipality"
    assert error_code(await third.call("consultation.join", {**join, "role": "agent"})) == "invalid_payload"
    call = ok(await third.call("consultation.join", join))["call"]
    assert call["consultation_id"] == cid and isinstance(call["ice_servers"], list)
    me, booth_key, agent_key = f"agent:{interpreter_id}", f"booth:{booth_id}", f"agent:{agent_id}"
    for other in (booth, agent):
        joined = await other.wait_for("participant.joined")
        assert joined == {"consultation_id": cid, "participant": me, "role": "interpreter"}
    assert error_code(await third.call("consultation.join", join)) == "invalid_state", "already in"

    offer = {"consultation_id": cid, "description": {"type": "offer", "sdp": "v=0\r\n"}}
    # three take part: a signal must say whom it is for
    assert error_code(await booth.call("signal", offer)) == "invalid_payload"
    assert error_code(await third.call("signal", {**offer, "to": "booth:nobody"})) == "forbidden"
    assert error_code(await outsider.call("signal", {**offer, "to": booth_key})) == "forbidden"

    ok(await third.call("signal", {**offer, "to": booth_key}))
    got = await booth.wait_for("signal", lambda d: d.get("from") == me)
    assert got["description"]["sdp"] == "v=0\r\n"
    answer = {"consultation_id": cid, "description": {"type": "answer", "sdp": "v=0\r\n"}}
    ok(await booth.call("signal", {**answer, "to": me}))
    assert (await third.wait_for("signal", lambda d: d.get("from") == booth_key))["description"]["type"] == "answer"

    ok(await third.call("signal", {**offer, "to": agent_key}))
    assert (await agent.wait_for("signal", lambda d: d.get("from") == me))["description"]["type"] == "offer"
    candidate = {
        "consultation_id": cid,
        "to": me,
        "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"},
    }
    ok(await agent.call("signal", candidate))
    relayed = await third.wait_for("signal", lambda d: d.get("from") == agent_key)
    assert relayed["candidate"]["candidate"].startswith("candidate:1") and "to" not in relayed

    chat = ok(await third.call("chat.send", {"consultation_id": cid, "text": "通訳です", "client_id": "t-1"}))
    for peer in (booth, agent, third):
        line = await peer.wait_for("chat.message", lambda d: d["seq"] == chat["seq"])
        assert line["text"] == "通訳です" and line["sender"] == "agent"

    ok(await third.call("consultation.leave", {"consultation_id": cid}))
    assert (await third.wait_for("call.end"))["reason"] == "left"
    for other in (booth, agent):
        left = await other.wait_for("participant.left")
        assert left == {"consultation_id": cid, "participant": me, "reason": "left"}
    assert error_code(await third.call("signal", {**offer, "to": booth_key})) == "forbidden"
    # back to two: no 'to' needed, and 'from' still names the sender
    ok(await agent.call("signal", answer))
    assert (await booth.wait_for("signal", lambda d: d.get("from") == agent_key))["description"]["type"] == "answer"
    await asyncio.sleep(0.2)
    assert all(s.get("from") != me for s in outsider.received["signal"]) and not outsider.received["signal"]

    ok(await agent.call("consultation.end", {"consultation_id": cid}))
    await booth.wait_for("consultation.closed")

    async def recorded() -> list[tuple[str, str, bool]]:
        rows = await live_server.app[keys.RECORDS].participants(cid)
        return [(r.participant, r.role, r.left_at is not None) for r in rows]

    for _ in range(50):
        if await recorded() == [
            (booth_key, "resident", True),
            (agent_key, "agent", False),
            (me, "interpreter", True),
        ]:
            break
        await asyncio.sleep(0.1)
    assert await recorded() == [(booth_key, "resident", True), (agent_key, "agent", False), (me, "interpreter", True)]
    assert [r.staff_id for r in await live_server.app[keys.RECORDS].participants(cid)] == [
        None,
        agent_id,
        interpreter_id,
    ]
    for peer in (booth, agent, third, outsider):
        await peer.close()
