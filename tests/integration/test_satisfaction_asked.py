"""Whether the resident is asked 「今日の相談は どうでしたか」 is the server's word (``consultation.closed``'s
``ask_satisfaction``), one rule for the kiosk and the home chat: after a person answered, or a chat the bot alone
finished; never after a wait that reached nobody or a call-back request (the chat asked a Nepali resident who gave
up waiting how the consultation went)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.support import (
    LiveServer,
    Peer,
    agent_peer,
    answered_booth_call,
    booth_peer,
    http_get,
    ok,
    resident_peer,
)

PASSWORD = "correct horse battery"


async def closed_of(peer: Peer, cid: str) -> dict[str, object]:
    return await peer.wait_for("consultation.closed", lambda m: m["consultation_id"] == cid)


async def waiting_chat(home: Peer) -> str:
    """A home chat handed over to a person (the bot first: its rules hand over at once on 「職員と話したい」)."""
    said = ok(await home.call("chat.send", {"text": "職員と話したい", "client_id": "c-1", "language": "ne"}))
    cid = str(said["consultation_id"])
    if "position" not in said:
        ok(await home.call("handoff.request", {"consultation_id": cid}))
    await home.wait_for("queue.position", lambda m: m["consultation_id"] == cid)
    return cid


async def test_the_chat_is_not_asked_after_a_wait_nobody_answered(live_server: LiveServer) -> None:
    home = await resident_peer(live_server)
    await home.wait_for("resident.state")
    cid = await waiting_chat(home)
    ok(await home.call("consultation.end", {"consultation_id": cid}))  # 「待つのを やめる」
    closed = await closed_of(home, cid)
    assert closed["reason"] == "cancelled" and closed["ask_satisfaction"] is False, closed
    await home.close()


async def test_the_chat_is_asked_after_the_bot_alone_finished_it(live_server: LiveServer) -> None:
    home = await resident_peer(live_server)
    await home.wait_for("resident.state")
    said = ok(await home.call("chat.send", {"text": "住民票の写しがほしい", "client_id": "c-1", "language": "ja"}))
    cid = str(said["consultation_id"])
    assert "position" not in said, said  # the bot answers: nobody waits
    await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
    ok(await home.call("consultation.end", {"consultation_id": cid}))
    closed = await closed_of(home, cid)
    assert closed["ask_satisfaction"] is True, closed
    await home.close()


async def test_the_chat_is_asked_after_a_person_answered(live_server: LiveServer) -> None:
    await live_server.add_agent("aoki", PASSWORD)
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    home = await resident_peer(live_server)
    await home.wait_for("resident.state")
    cid = await waiting_chat(home)
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer", lambda o: o["consultation_id"] == cid)
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await home.wait_for("call.start")
    ok(await home.call("consultation.end", {"consultation_id": cid}))
    closed = await closed_of(home, cid)
    assert closed["ask_satisfaction"] is True, closed
    for peer in (home, agent):
        await peer.close()


async def test_the_kiosk_follows_the_same_rule_and_hears_the_call_backs_digits(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("aoki", PASSWORD)
    booth = await booth_peer(live_server, token)
    await booth.wait_for("booth.state")
    # a wait that reached nobody: not asked
    cid = str(ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"])
    ok(await booth.call("consultation.cancel", {"consultation_id": cid}))
    assert (await closed_of(booth, cid))["ask_satisfaction"] is False
    # a call-back: not asked; the ack says when it was taken and the number's last four digits (the thanks shows them)
    cid = str(ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"])
    asked = ok(await booth.call("callback.request", {"consultation_id": cid, "phone": "090-1234-5678"}))
    assert asked["callback"]["phone_end"] == "5678" and asked["callback"]["requested_at"] > 0, asked
    assert "id" not in asked["callback"] and "phone" not in asked["callback"], "the kiosk is shared: digits only"
    assert (await closed_of(booth, cid))["ask_satisfaction"] is False
    # a call: asked, whoever ends it
    agent = await agent_peer(live_server, "aoki", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    cid = await answered_booth_call(booth, agent)
    ok(await agent.call("consultation.end", {"consultation_id": cid}))
    assert (await closed_of(booth, cid))["ask_satisfaction"] is True
    for peer in (booth, agent):
        await peer.close()


async def test_the_kiosks_bot_answer_is_counted_when_the_resident_is_done(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    await booth.wait_for("booth.state")
    assert await answered_count(live_server) == 0
    ok(await booth.call("question.answered", {"route": "resident_records"}))
    assert await answered_count(live_server) == 1
    bad = await booth.call("question.answered", {"route": "no_such_route"})
    assert bad["error"]["code"] == "invalid_payload", bad
    await booth.close()


async def answered_count(server: LiveServer) -> float:
    """``question.answered`` events handled, summed over the server's processes (``/metrics``)."""
    total = 0.0
    for url in server.urls:
        status, body = await http_get(f"{url}/metrics")
        assert status == 200
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name == "madoguchi_socket_events_total" and sample.labels.get("event") == "question.answered":
                    total += float(sample.value)
    return total
