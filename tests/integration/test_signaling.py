"""The signaling server end to end: a real app on 127.0.0.1, real Socket.IO clients, a real database.

Every test runs twice: on one process ([one]) and on two processes sharing Redis and PostgreSQL ([two]), with
booths on one process and staff on the other.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
import socketio

from tests.support import LiveServer, Peer, agent_peer, booth_peer, login_cookie, ok, on_both_topologies

pytestmark = on_both_topologies

PASSWORD = "correct horse battery"


def error_code(ack: Any) -> str:
    assert isinstance(ack, dict) and "error" in ack, ack
    assert set(ack["error"]) == {"code", "message"} and ack["error"]["message"], ack
    return str(ack["error"]["code"])


async def test_healthz(live_server: LiveServer) -> None:
    assert len(live_server.urls) == {"one": 1, "two": 2}[live_server.topology]
    async with aiohttp.ClientSession() as http:
        for url in live_server.urls:
            async with http.get(f"{url}/healthz") as resp:
                assert resp.status == 200
                assert (await resp.json())["status"] == "ok"


@pytest.mark.parametrize("auth", [None, {}, {"token": ""}, {"token": "not-a-real-token"}, {"token": 42}])
async def test_booth_refused_without_valid_token(live_server: LiveServer, auth: Any) -> None:
    await live_server.add_booth()
    peer = Peer(live_server.booth_url, "/booth")
    refusals: list[Any] = []
    peer.sio.on("connect_error", refusals.append, namespace="/booth")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.connect(auth=auth)
    assert refusals and refusals[-1]["data"]["code"] == "unauthorized"
    assert refusals[-1]["data"]["message"] == refusals[-1]["message"]
    await peer.close()


async def test_revoked_booth_token_refused(live_server: LiveServer) -> None:
    booth_id, token, _ = await live_server.add_booth()
    from madoguchi import keys

    await live_server.app[keys.BOOTHS].revoke(booth_id)
    peer = Peer(live_server.booth_url, "/booth")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.connect(auth={"token": token})
    await peer.close()


@pytest.mark.parametrize("cookie", [None, "madoguchi_session=", "madoguchi_session=forged"])
async def test_agent_refused_without_session(live_server: LiveServer, cookie: str | None) -> None:
    peer = Peer(live_server.agent_url, "/agent")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.connect(headers={"Cookie": cookie} if cookie else None)
    await peer.close()


async def test_wrong_password_gets_401(live_server: LiveServer) -> None:
    await live_server.add_agent("agent1", PASSWORD)
    with pytest.raises(AssertionError, match="401"):
        await login_cookie(live_server.agent_url, "agent1", "wrong password!")


BAD_BOOTH_PAYLOADS: dict[str, list[Any]] = {
    "consultation.request": [
        None,
        "tax",
        [],
        {},
        {"route": "nope"},
        {"route": "tax", "extra": 1},
        {"route": 5},
    ],
    "consultation.cancel": [
        None,
        {},
        {"consultation_id": ""},
        {"consultation_id": "../x"},
        {"consultation_id": 1},
    ],
    "consultation.end": [None, {}, {"consultation_id": "a b"}],
    "chat.send": [
        {},
        {"consultation_id": "c_1", "text": "", "client_id": "x"},
        {"consultation_id": "c_1", "text": "あ" * 1001, "client_id": "x"},
        {"consultation_id": "c_1", "text": "hi"},
        {"consultation_id": "c_1", "text": "hi", "client_id": "x", "html": "<b>"},
    ],
    "signal": [
        {},
        {"consultation_id": "c_1"},
        {"consultation_id": "c_1", "description": {"type": "bogus", "sdp": ""}},
        {
            "consultation_id": "c_1",
            "description": {"type": "offer", "sdp": "v=0"},
            "candidate": {"candidate": "x"},
        },
        {"consultation_id": "c_1", "candidate": {"candidate": "x", "sdpMLineIndex": -1}},
    ],
    "no.such.event": [{}],
}

BAD_AGENT_PAYLOADS: dict[str, list[Any]] = {
    "agent.status": [None, {}, {"status": "sleeping"}, {"status": "available", "x": 1}],
    "offer.accept": [None, {}, {"consultation_id": ""}],
    "offer.decline": [{}, {"consultation_id": 3}],
    "consultation.end": [{}],
    "wrapup.submit": [
        {},
        {"consultation_id": "c_1", "disposition": "great"},
        {"consultation_id": "c_1", "disposition": "resolved", "note": "x" * 2001},
    ],
    "consultation.transfer": [{}, {"consultation_id": "c_1", "route": "nowhere"}],
    "chat.send": BAD_BOOTH_PAYLOADS["chat.send"],
    "signal": BAD_BOOTH_PAYLOADS["signal"],
}


async def test_bad_payloads_get_error_acks_and_change_nothing(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("agent1", PASSWORD)
    booth = await booth_peer(live_server, token)
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    ok(await agent.call("agent.status", {"status": "away"}))
    request = ok(await booth.call("consultation.request", {"route": "tax"}))
    before = await live_server.export_records()

    for event, payloads in BAD_BOOTH_PAYLOADS.items():
        for payload in payloads:
            code = error_code(await booth.call(event, payload))
            assert code in {"invalid_payload", "unknown_event"}, (event, payload, code)
    for event, payloads in BAD_AGENT_PAYLOADS.items():
        for payload in payloads:
            code = error_code(await agent.call(event, payload))
            assert code in {"invalid_payload", "unknown_event"}, (event, payload, code)

    # the connections are still up and nothing changed
    assert booth.sio.connected and agent.sio.connected
    assert await live_server.export_records() == before
    queue = await agent.wait_for("queue.snapshot", lambda d: len(d["items"]) == 1)
    assert queue["items"][0]["consultation_id"] == request["consultation_id"]
    assert queue["items"][0]["state"] == "waiting"
    await booth.close()
    await agent.close()


async def test_signal_and_chat_refused_outside_own_consultation(live_server: LiveServer) -> None:
    _, token_a, _ = await live_server.add_booth("ブースA")
    _, token_b, _ = await live_server.add_booth("ブースB")
    await live_server.add_agent("agent1", PASSWORD)
    await live_server.add_agent("agent2", PASSWORD)
    booth_a = await booth_peer(live_server, token_a)
    booth_b = await booth_peer(live_server, token_b)
    agent1 = await agent_peer(live_server, "agent1", PASSWORD)
    agent2 = await agent_peer(live_server, "agent2", PASSWORD)

    cid = ok(await booth_a.call("consultation.request", {"route": "tax"}))["consultation_id"]
    sdp = {"consultation_id": cid, "description": {"type": "offer", "sdp": "v=0\r\n"}}
    # not yet active: nobody may signal, not even the resident
    assert error_code(await booth_a.call("signal", sdp)) == "forbidden"

    ok(await agent1.call("agent.status", {"status": "available"}))
    offer = await agent1.wait_for("offer")
    assert offer["consultation_id"] == cid
    ok(await agent1.call("offer.accept", {"consultation_id": cid}))
    await booth_a.wait_for("call.start")

    assert error_code(await booth_b.call("signal", sdp)) == "forbidden"
    assert error_code(await agent2.call("signal", sdp)) == "forbidden"
    chat = {"consultation_id": cid, "text": "のぞき見", "client_id": "intruder-1"}
    assert error_code(await booth_b.call("chat.send", chat)) == "forbidden"
    assert error_code(await agent2.call("chat.send", chat)) == "forbidden"
    assert error_code(await agent2.call("consultation.end", {"consultation_id": cid})) == "forbidden"
    assert error_code(await booth_b.call("signal", {**sdp, "consultation_id": "c_doesnotexist"})) == "not_found"

    # the participants themselves can
    ok(await agent1.call("signal", sdp))
    relayed = await booth_a.wait_for("signal")
    assert relayed["description"]["sdp"] == "v=0\r\n"
    await asyncio.sleep(0.2)
    assert not booth_b.received["signal"] and not agent2.received["signal"]
    for peer in (booth_a, booth_b, agent1, agent2):
        await peer.close()


async def test_agent_of_another_municipality_never_sees_the_queue(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth(municipality="shiomi")
    await live_server.add_agent("local", PASSWORD, municipality="shiomi")
    await live_server.add_agent("outsider", PASSWORD, municipality="yamabe")
    outsider = await agent_peer(live_server, "outsider", PASSWORD)
    ok(await outsider.call("agent.status", {"status": "available"}))
    local = await agent_peer(live_server, "local", PASSWORD)
    ok(await local.call("agent.status", {"status": "away"}))
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "resident_records"}))["consultation_id"]

    await local.wait_for("queue.snapshot", lambda d: any(i["consultation_id"] == cid for i in d["items"]))
    await asyncio.sleep(0.3)
    for snapshot in outsider.received["queue.snapshot"]:
        assert snapshot["items"] == []
    assert not outsider.received["offer"]
    # the outsider cannot take it either
    assert error_code(await outsider.call("offer.accept", {"consultation_id": cid})) == "invalid_state"
    for peer in (booth, local, outsider):
        await peer.close()


async def test_full_flow_is_recorded(live_server: LiveServer) -> None:
    booth_id, token, _ = await live_server.add_booth("汐見郵便局ブース")
    await live_server.add_agent("agent1", PASSWORD)
    booth = await booth_peer(live_server, token)
    state = await booth.wait_for("booth.state")
    assert state["booth_id"] == booth_id and state["consultation"] is None
    agent = await agent_peer(live_server, "agent1", PASSWORD)

    request = ok(await booth.call("consultation.request", {"route": "tax"}))
    cid = request["consultation_id"]
    assert request["position"] == 1
    assert request["wait_estimate_s"] is None  # nobody on duty yet: honest "unknown"
    # a booth has one consultation at a time
    assert error_code(await booth.call("consultation.request", {"route": "tax"})) == "limit_reached"

    ok(await agent.call("agent.status", {"status": "available"}))
    offer = await agent.wait_for("offer")
    assert offer["consultation_id"] == cid and offer["route"] == "tax"
    assert offer["booth_name"] == "汐見郵便局ブース"
    await booth.wait_for("queue.position", lambda d: d["wait_estimate_s"] == 0)
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    booth_call = await booth.wait_for("call.start")
    agent_call = await agent.wait_for("call.start")
    assert booth_call["polite"] is True and agent_call["polite"] is False
    assert booth_call["ice_servers"] == []  # no public STUN default

    ok(await booth.call("chat.send", {"consultation_id": cid, "text": "こんにちは", "client_id": "b-1"}))
    line = await agent.wait_for("chat.message", lambda m: m["text"] == "こんにちは")
    assert line["sender"] == "resident" and line["seq"] == 1
    # a retried line (same client_id) is stored once and keeps its number
    retry = ok(await booth.call("chat.send", {"consultation_id": cid, "text": "こんにちは", "client_id": "b-1"}))
    assert retry["seq"] == 1
    ok(await agent.call("chat.send", {"consultation_id": cid, "text": "<b>ご用件</b>は？", "client_id": "a-1"}))
    await booth.wait_for("chat.message", lambda m: m["sender"] == "agent")

    ok(await agent.call("consultation.end", {"consultation_id": cid}))
    await booth.wait_for("call.end")
    closed = await booth.wait_for("consultation.closed")
    assert closed["consultation_id"] == cid
    await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    assert error_code(await agent.call("chat.send", {"consultation_id": cid, "text": "x", "client_id": "a-2"})) == (
        "invalid_state"
    )
    ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": "納付書を再発行"}))
    await agent.wait_for("agent.state", lambda s: s["status"] == "available" and s["consultation"] is None)

    [record] = await live_server.export_records()
    assert record["consultation_id"] == cid
    assert record["booth_id"] == booth_id and record["route"] == "tax" and record["state"] == "closed"
    assert record["agent_username"] == "agent1"
    for stamp in ("requested_at", "offered_at", "answered_at", "ended_at", "wrapped_up_at"):
        assert record[stamp], stamp
    assert record["requested_at"] <= record["offered_at"] <= record["answered_at"] <= record["ended_at"]
    assert record["disposition"] == "resolved" and record["note"] == "納付書を再発行"
    assert [(t["seq"], t["sender"], t["text"]) for t in record["transcript"]] == [
        (1, "resident", "こんにちは"),
        (2, "agent", "<b>ご用件</b>は？"),
    ]
    await booth.close()
    await agent.close()


async def test_cancel_while_waiting_is_abandoned(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    ok(await booth.call("consultation.cancel", {"consultation_id": cid}))
    await booth.wait_for("consultation.closed")
    assert error_code(await booth.call("consultation.cancel", {"consultation_id": cid})) == "not_found"
    [record] = await live_server.export_records()
    assert record["state"] == "abandoned" and record["end_reason"] == "cancelled"
    await booth.close()


async def test_decline_reoffers_to_the_next_agent(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("first", PASSWORD)
    await live_server.add_agent("second", PASSWORD)
    first = await agent_peer(live_server, "first", PASSWORD)
    second = await agent_peer(live_server, "second", PASSWORD)
    ok(await first.call("agent.status", {"status": "available"}))
    await asyncio.sleep(0.05)
    ok(await second.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    offer = await first.wait_for("offer")  # longest idle first
    assert not second.received["offer"]
    ok(await first.call("offer.decline", {"consultation_id": offer["consultation_id"]}))
    await first.wait_for("offer.withdrawn")
    await second.wait_for("offer", lambda o: o["consultation_id"] == cid)
    assert error_code(await first.call("offer.accept", {"consultation_id": cid})) == "invalid_state"
    ok(await second.call("offer.accept", {"consultation_id": cid}))
    for peer in (booth, first, second):
        await peer.close()


async def test_booth_reconnect_within_grace_keeps_place(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    await booth.close()
    # the kiosk comes back through the other process when there are two (as after a load balancer's choice)
    again = Peer(live_server.urls[-1], "/booth")
    await again.connect(auth={"token": token})
    state = await again.wait_for("booth.state")
    assert state["consultation"]["consultation_id"] == cid
    assert state["consultation"]["state"] == "waiting" and state["consultation"]["position"] == 1
    await again.close()


async def test_an_accept_that_carries_the_consoles_offer_delivers_it_right_after_call_start(
    live_server: LiveServer,
) -> None:
    """The console makes its offer while the case rings; the accept carries it, and the booth gets it as a signal
    from the agent just after call.start (one hop sooner than an offer sent after call.start). An accept carrying
    anything but an offer or an answer is refused and changes nothing."""
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    await agent.wait_for("offer", lambda o: o["consultation_id"] == cid)
    wrong = await agent.call("offer.accept", {"consultation_id": cid, "description": {"type": "rollback", "sdp": ""}})
    assert wrong["error"]["code"] == "invalid_payload"
    assert booth.last("call.start") is None, "a refused accept starts nothing"

    offer = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
    ok(await agent.call("offer.accept", {"consultation_id": cid, "description": offer}))
    relayed = await booth.wait_for("signal", lambda s: s["consultation_id"] == cid)
    assert relayed["description"] == offer and relayed["from"].startswith("agent:")
    assert booth.last("call.start") is not None, "call.start came first"
    for peer in (booth, agent):
        await peer.close()


async def test_the_booths_ringing_offer_reaches_the_ringing_console_and_the_answer_comes_back_in_call_start(
    live_server: LiveServer,
) -> None:
    """The booth offers while the console rings (``ringing.offer``): that console alone gets it, nobody else may send
    one for the case, and the console's answer, carried by the accept, is in the booth's call.start (not the
    agent's). Once the case no longer rings, a ringing offer is refused (the booth then offers after call.start)."""
    _, token, _ = await live_server.add_booth()
    _, other_token, _ = await live_server.add_booth("別のブース")
    await live_server.add_agent("aoki", PASSWORD)
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    booth = await booth_peer(live_server, token)
    other = await booth_peer(live_server, other_token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    await booth.wait_for("call.coming", lambda m: m["consultation_id"] == cid and m["ringing"])
    await agent.wait_for("offer", lambda o: o["consultation_id"] == cid)

    offer = {"type": "offer", "sdp": "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\n"}
    assert error_code(await other.call("ringing.offer", {"consultation_id": cid, "description": offer})) == "forbidden"
    bad = await booth.call("ringing.offer", {"consultation_id": cid, "description": {"type": "answer", "sdp": ""}})
    assert error_code(bad) == "invalid_payload"
    ok(await booth.call("ringing.offer", {"consultation_id": cid, "description": offer}))
    ringing = await agent.wait_for("ringing.offer", lambda m: m["consultation_id"] == cid)
    assert ringing["description"] == offer
    assert len(agent.received["ringing.offer"]) == 1, "only the booth's own offer reached the console"

    answer = {"type": "answer", "sdp": "v=0\r\no=- 8 2 IN IP4 127.0.0.1\r\na=setup:passive\r\n"}
    ok(await agent.call("offer.accept", {"consultation_id": cid, "description": answer}))
    start = await booth.wait_for("call.start", lambda m: m["consultation_id"] == cid)
    assert start["answer"] == answer, "the booth sets the answer with call.start"
    assert "answer" not in await agent.wait_for("call.start", lambda m: m["consultation_id"] == cid)
    assert not booth.received["signal"], "the answer is not relayed a second time"
    late = await booth.call("ringing.offer", {"consultation_id": cid, "description": offer})
    assert error_code(late) == "invalid_state", "after the accept the offer goes as a signal"
    for peer in (booth, other, agent):
        await peer.close()
