"""Session 13's outside attack (F2), on the real server with real sockets: an invitation outlived the call it was
given in. agent1 invited a colleague to interpret, then transferred the case to disability welfare; another agent
answered and the colleague (no disability-welfare route) joined that new call and read its chat. A video invitation
survived the same way: the resident accepted it after the transfer and the new agent's console started a video
call they never offered. Invitations now belong to one call (docs/protocol.md, "Per-call grants")."""

from __future__ import annotations

import asyncio

from tests.support import LiveServer, agent_peer, booth_peer, ok, resident_peer

PASSWORD = "correct horse battery"


def code(ack: object) -> str | None:
    return ack["error"]["code"] if isinstance(ack, dict) and "error" in ack else None


async def test_an_interpreter_invitation_ends_with_a_transfer(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("agent1", PASSWORD, routes=("elderly_care",))
    guest_id = await live_server.add_agent("agent2", PASSWORD, routes=("resident_records", "tax"))
    await live_server.add_agent("joint", PASSWORD)
    booth = await booth_peer(live_server, token)
    agent1 = await agent_peer(live_server, "agent1", PASSWORD)
    agent2, joint = await agent_peer(live_server, "agent2", PASSWORD), await agent_peer(live_server, "joint", PASSWORD)
    for peer in (agent2, joint):
        ok(await peer.call("agent.status", {"status": "away"}))
    ok(await agent1.call("agent.status", {"status": "available"}))
    cid = ok(await booth.call("consultation.request", {"route": "elderly_care", "language": "ja"}))["consultation_id"]
    await agent1.wait_for("offer", lambda o: o["consultation_id"] == cid)
    ok(await agent1.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start")

    ok(await agent1.call("interpreter.invite", {"consultation_id": cid, "staff_id": guest_id}))
    await agent2.wait_for("interpreter.invite", lambda m: m["consultation_id"] == cid)
    await booth.wait_for("interpreter.called")
    transfer = {"consultation_id": cid, "route": "disability_welfare", "note": "障害福祉へ"}
    ok(await agent1.call("consultation.transfer", transfer))
    withdrawn = await agent2.wait_for("interpreter.withdrawn", lambda m: m["consultation_id"] == cid)
    assert withdrawn["reason"] == "transfer"
    assert (await booth.wait_for("interpreter.withdrawn"))["reason"] == "transfer"

    ok(await agent1.call("agent.status", {"status": "away"}))
    ok(await joint.call("agent.status", {"status": "available"}))
    await joint.wait_for("offer", lambda o: o["consultation_id"] == cid)
    ok(await joint.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start", lambda m: len(booth.received["call.start"]) >= 2)
    ok(await booth.call("chat.send", {"consultation_id": cid, "text": "障害者手帳のことで", "client_id": "b-1"}))
    await joint.wait_for("chat.message", lambda m: m["text"] == "障害者手帳のことで")

    refused = await agent2.call("consultation.join", {"consultation_id": cid, "role": "interpreter"})
    assert code(refused) == "not_invited" and refused["error"]["message"]
    assert code(await agent2.call("interpreter.decline", {"consultation_id": cid})) == "not_invited"
    ok(await joint.call("chat.send", {"consultation_id": cid, "text": "承知しました", "client_id": "j-1"}))
    await booth.wait_for("chat.message", lambda m: m["text"] == "承知しました")
    await asyncio.sleep(0.2)  # anything misrouted to agent2 would have arrived with the booth's copy
    assert not agent2.received["chat.message"], "the invitee hears nothing of the new call"
    assert not joint.received["participant.joined"]
    for peer in (booth, agent1, agent2, joint):
        await peer.close()


async def test_a_joined_interpreter_leaves_when_the_call_is_transferred(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("agent1", PASSWORD, routes=("elderly_care",))
    guest_id = await live_server.add_agent("agent2", PASSWORD, routes=("tax",))
    booth = await booth_peer(live_server, token)
    agent1, agent2 = (
        await agent_peer(live_server, "agent1", PASSWORD),
        await agent_peer(live_server, "agent2", PASSWORD),
    )
    ok(await agent2.call("agent.status", {"status": "away"}))
    ok(await agent1.call("agent.status", {"status": "available"}))
    cid = ok(await booth.call("consultation.request", {"route": "elderly_care"}))["consultation_id"]
    await agent1.wait_for("offer", lambda o: o["consultation_id"] == cid)
    ok(await agent1.call("offer.accept", {"consultation_id": cid}))
    ok(await agent1.call("interpreter.invite", {"consultation_id": cid, "staff_id": guest_id}))
    await agent2.wait_for("interpreter.invite")
    ok(await agent2.call("consultation.join", {"consultation_id": cid, "role": "interpreter"}))
    await booth.wait_for("participant.joined")

    ok(await agent1.call("consultation.transfer", {"consultation_id": cid, "route": "disability_welfare"}))
    ended = await agent2.wait_for("call.end", lambda m: m["consultation_id"] == cid)
    assert ended["reason"] == "transferred"
    await booth.wait_for("call.end", lambda m: m["reason"] == "transferred")
    refused = await agent2.call("chat.send", {"consultation_id": cid, "text": "まだいます", "client_id": "i-1"})
    assert code(refused) is not None, "out of the case: no more lines into it"
    for peer in (booth, agent1, agent2):
        await peer.close()


async def test_a_video_invitation_ends_with_a_transfer(live_server: LiveServer) -> None:
    await live_server.add_agent("agent1", PASSWORD)
    await live_server.add_agent("joint", PASSWORD)
    agent1, joint = await agent_peer(live_server, "agent1", PASSWORD), await agent_peer(live_server, "joint", PASSWORD)
    ok(await joint.call("agent.status", {"status": "away"}))
    home = await resident_peer(live_server)
    await home.wait_for("resident.state")
    ack = ok(await home.call("chat.send", {"text": "住民票の写しがほしいです", "client_id": "v-1"}))
    cid = ack["consultation_id"]
    await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
    ok(await home.call("handoff.request", {"consultation_id": cid}))
    ok(await agent1.call("agent.status", {"status": "available"}))
    await agent1.wait_for("offer", lambda o: o["consultation_id"] == cid)
    ok(await agent1.call("offer.accept", {"consultation_id": cid}))
    await home.wait_for("call.start")
    ok(await agent1.call("video.invite", {"consultation_id": cid}))
    await home.wait_for("video.invite")
    ok(await agent1.call("consultation.transfer", {"consultation_id": cid, "route": "tax"}))
    await home.wait_for("call.end", lambda m: m["reason"] == "transferred")

    ok(await agent1.call("agent.status", {"status": "away"}))
    ok(await joint.call("agent.status", {"status": "available"}))
    await joint.wait_for("offer", lambda o: o["consultation_id"] == cid)
    ok(await joint.call("offer.accept", {"consultation_id": cid}))
    start = await home.wait_for("call.start", lambda m: len(home.received["call.start"]) >= 2)
    assert start["media"] is False
    refused = await home.call("video.accept", {"consultation_id": cid})
    assert code(refused) == "not_invited" and refused["error"]["message"]
    await asyncio.sleep(0.2)  # a video.answer or call.start sent to joint would have arrived by now
    assert not joint.received["video.answer"]
    assert [m["media"] for m in joint.received["call.start"]] == [False], "no video call the agent never offered"
    for peer in (home, agent1, joint):
        await peer.close()
