"""The counter as residents and staff live it, on the real server: the booth hears the console ring, the wait
figures come from the server across a reconnect, and an offer's end is told as what it was."""

from __future__ import annotations

import asyncio

from madoguchi import keys
from tests.support import LiveServer, agent_peer, answered_booth_call, booth_peer, ok, on_both_topologies

pytestmark = on_both_topologies

PASSWORD = "correct horse battery"


async def test_the_booth_hears_the_console_ring_and_stop(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    await agent.wait_for("offer", lambda o: o["consultation_id"] == cid)
    coming = await booth.wait_for("call.coming", lambda m: m["ringing"] is True)
    assert (coming["consultation_id"], coming["ringing"]) == (cid, True)  # and the ICE servers to prepare with
    assert coming["ice_servers"] == []
    ok(await agent.call("offer.decline", {"consultation_id": cid}))
    await booth.wait_for("call.coming", lambda m: m["ringing"] is False)
    withdrawn = await agent.wait_for("offer.withdrawn")
    assert withdrawn == {"consultation_id": cid, "reason": "declined", "cooldown_s": 30.0}
    position = await booth.wait_for("queue.position", lambda m: m["ringing"] is False)
    assert position["consultation_id"] == cid
    for peer in (booth, agent):
        await peer.close()


async def test_the_time_waited_survives_a_reconnect(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    ack = ok(await booth.call("consultation.request", {"route": "tax"}))
    first = await booth.wait_for("queue.position")
    requested_at = first["requested_at"]
    assert first["waited_s"] >= 0
    await booth.close()
    await asyncio.sleep(1.2)
    again = await booth_peer(live_server, token)
    state = await again.wait_for("booth.state")
    view = state["consultation"]
    assert view["consultation_id"] == ack["consultation_id"]
    assert view["requested_at"] == requested_at, "the request time is the server's, kept across the reconnect"
    assert view["waited_s"] >= 1.0
    await again.close()


async def test_the_mute_state_reaches_the_other_side_only(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    cid = await answered_booth_call(booth, agent)
    await booth.call("signal", {"consultation_id": cid, "media_state": {"muted": True}})
    relayed = await agent.wait_for("signal", lambda m: "media_state" in m)
    assert relayed["media_state"] == {"muted": True} and relayed["from"].startswith("booth:")
    assert set(relayed) == {"consultation_id", "from", "media_state"}
    assert not [m for m in booth.received["signal"] if "media_state" in m], "not echoed to the sender"
    for peer in (booth, agent):
        await peer.close()


async def test_a_transfer_note_reaches_the_next_agent_masked(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    await live_server.add_agent("baba", PASSWORD)
    first = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await first.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    cid = await answered_booth_call(booth, first)
    ok(await booth.call("chat.send", {"consultation_id": cid, "text": "介護の ことです", "client_id": "x1"}))
    await first.wait_for("chat.message")
    note = "介護保険の 申請。マイナンバーは 1234 5678 9018"
    refused = await first.call("consultation.transfer", {"consultation_id": cid, "route": "tax", "note": 5})
    assert refused["error"]["code"] == "invalid_payload"
    ok(await first.call("consultation.transfer", {"consultation_id": cid, "route": "elderly_care", "note": note}))
    await first.wait_for("call.end", lambda m: m["reason"] == "transferred")
    second = await agent_peer(live_server, "baba", PASSWORD)
    ok(await second.call("agent.status", {"status": "available"}))
    offer = await second.wait_for("offer", lambda o: o["consultation_id"] == cid)
    assert offer["route"] == "elderly_care"
    assert offer["transfer"]["by"] and offer["transfer"]["note"].startswith("介護保険の 申請。")
    assert "9018" not in offer["transfer"]["note"], "the note is masked like every free text"
    assert [line["text"] for line in offer["chat"]] == ["介護の ことです"]
    for peer in (booth, first, second):
        await peer.close()


async def test_the_residents_answer_is_stored_once_with_the_record(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    _, other_token, _ = await live_server.add_booth("ほかのブース")
    await live_server.add_agent("aoki", PASSWORD)
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    other = await booth_peer(live_server, other_token)
    cid = await answered_booth_call(booth, agent)
    ok(await booth.call("consultation.end", {"consultation_id": cid}))
    await booth.wait_for("consultation.closed")
    bad = await booth.call("csat.submit", {"consultation_id": cid, "answer": "great"})
    assert bad["error"]["code"] == "invalid_payload"
    stranger = await other.call("csat.submit", {"consultation_id": cid, "answer": "bad"})
    assert stranger["error"]["code"] == "not_found", "only the case's own resident answers"
    ok(await booth.call("csat.submit", {"consultation_id": cid, "answer": "good"}))
    again = await booth.call("csat.submit", {"consultation_id": cid, "answer": "bad"})
    assert again["error"]["code"] == "not_found", "answered once"
    [record] = [r for r in await live_server.export_records() if r["consultation_id"] == cid]
    assert record["csat"] == "good"
    for peer in (booth, other, agent):
        await peer.close()


async def test_a_case_cannot_be_rated_before_it_ends(live_server: LiveServer) -> None:
    """A satisfaction answer sent while the case still waits or runs would count as the finished case's answer
    and then block the real one (red team, issue 9)."""
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    await asyncio.sleep(0.3)  # the record of the waiting case is written
    early = await booth.call("csat.submit", {"consultation_id": cid, "answer": "bad"})
    assert early["error"]["code"] == "not_found"
    ok(await booth.call("consultation.cancel", {"consultation_id": cid}))
    await booth.wait_for("consultation.closed")
    await asyncio.sleep(0.3)
    ok(await booth.call("csat.submit", {"consultation_id": cid, "answer": "good"}))
    [record] = [r for r in await live_server.export_records() if r["consultation_id"] == cid]
    assert record["csat"] == "good"
    await booth.close()


async def test_the_transfer_form_hears_who_could_take_the_case_on_each_route(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    await live_server.add_agent("baba", PASSWORD, routes=("elderly_care",))
    await live_server.add_agent("chiba", PASSWORD, routes=("water_sewer",))  # never signs in
    first = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await first.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    cid = await answered_booth_call(booth, first)
    second = await agent_peer(live_server, "baba", PASSWORD)
    ok(await second.call("agent.status", {"status": "available"}))
    routes = {r["route"]: r for r in ok(await first.call("transfer.options", {"consultation_id": cid}))["routes"]}
    assert routes["elderly_care"] == {"route": "elderly_care", "on_duty": 1, "staff": 1}
    assert routes["water_sewer"] == {"route": "water_sewer", "on_duty": 0, "staff": 1}
    assert routes["tax"] == {"route": "tax", "on_duty": 0, "staff": 0}, "only aoki covers tax: nobody else ever"
    refused = await second.call("transfer.options", {"consultation_id": cid})
    assert refused["error"]["code"] == "invalid_state", "only the agent in the call asks"
    for peer in (booth, first, second):
        await peer.close()


async def test_a_transfer_note_belongs_to_the_one_hand_over(live_server: LiveServer) -> None:
    """The note of a transfer is for the agent who takes the case next: their offer and their call show it. Once
    that call is over it is not the case's any more: the wrap-up does not show it, and a third agent who gets the
    case after the second one's link stayed down is not told 「aoki さんから: ...」 of a hand-over long done. The
    record keeps it (the transfer event's detail)."""
    _, token, _ = await live_server.add_booth()
    for name in ("aoki", "baba", "chiba"):
        await live_server.add_agent(name, PASSWORD)
    first = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await first.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    cid = await answered_booth_call(booth, first)
    note = "介護保険の 申請の 件"
    ok(await first.call("consultation.transfer", {"consultation_id": cid, "route": "elderly_care", "note": note}))
    await first.wait_for("call.end", lambda m: m["reason"] == "transferred")
    ok(await first.call("agent.status", {"status": "away"}))  # the case is not offered back to its sender
    second = await agent_peer(live_server, "baba", PASSWORD)
    ok(await second.call("agent.status", {"status": "available"}))
    offer = await second.wait_for("offer", lambda o: o["consultation_id"] == cid)
    assert offer["transfer"]["note"] == note
    ok(await second.call("offer.accept", {"consultation_id": cid}))
    in_call = await second.wait_for("agent.state", lambda s: (s.get("consultation") or {}).get("state") == "active")
    assert in_call["consultation"]["transfer"]["note"] == note, "the call keeps the note (call-transfer-note)"
    await second.close()  # the second agent's link stays down past the grace period: back in line
    await booth.wait_for("call.end", lambda m: m["reason"] == "agent_link_lost")
    third = await agent_peer(live_server, "chiba", PASSWORD)
    ok(await third.call("agent.status", {"status": "available"}))
    again = await third.wait_for("offer", lambda o: o["consultation_id"] == cid)
    assert again.get("transfer") is None, "a third agent is not handed the first one's note"
    ok(await third.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start", lambda m: m["consultation_id"] == cid)
    ok(await third.call("consultation.end", {"consultation_id": cid}))
    wrap = await third.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    assert wrap["consultation"].get("transfer") is None
    events = await live_server.app[keys.RECORDS].events(cid)
    assert [e.detail.get("note") for e in events if e.kind == "transfer"] == [note], "the record keeps the note"
    for peer in (booth, first, third):
        await peer.close()


async def test_the_note_is_not_shown_in_the_wrap_up_of_the_agent_who_answered(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    await live_server.add_agent("baba", PASSWORD)
    first = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await first.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    cid = await answered_booth_call(booth, first)
    ok(await first.call("consultation.transfer", {"consultation_id": cid, "route": "elderly_care", "note": "申請"}))
    second = await agent_peer(live_server, "baba", PASSWORD)
    ok(await second.call("agent.status", {"status": "available"}))
    await second.wait_for("offer", lambda o: o["consultation_id"] == cid)
    ok(await second.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start", lambda m: m["consultation_id"] == cid)
    ok(await second.call("consultation.end", {"consultation_id": cid}))
    wrap = await second.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    assert wrap["consultation"]["state"] == "wrap_up" and wrap["consultation"].get("transfer") is None
    for peer in (booth, first, second):
        await peer.close()
