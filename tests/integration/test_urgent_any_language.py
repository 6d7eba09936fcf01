"""An urgent chat in a language no on-duty agent speaks still reaches a person, on the real server: the offer
names the language the resident writes in (not the page's), and the summary starts with the urgent topic and
says in Japanese what the agent is reading."""

from __future__ import annotations

from tests.support import LiveServer, agent_peer, ok, resident_peer

PASSWORD = "correct horse battery"


async def test_an_urgent_vietnamese_chat_is_offered_to_a_japanese_english_agent(live_server: LiveServer) -> None:
    await live_server.add_agent("agent1", PASSWORD, languages=("ja", "en"))
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    home = await resident_peer(live_server)  # the page is Japanese; the resident writes Vietnamese
    text = "Chồng tôi đánh tôi, tôi rất sợ, xin hãy giúp"
    ack = ok(await home.call("chat.send", {"text": text, "client_id": "v-1"}))
    bot = await home.wait_for("chat.message", lambda m: m["sender"] == "bot")
    assert bot["bot"]["urgent"] is True and "#8008" in {h["number"] for h in bot["bot"]["hotlines"]}
    offer = await agent.wait_for("offer")
    assert offer["consultation_id"] == ack["consultation_id"] and offer["urgent"] is True
    assert offer["language"] == "vi"
    assert offer["summary"]["need"].startswith("【緊急・DV】")
    assert "ベトナム語で 書かれています" in offer["summary"]["need"]
    await home.close()
    await agent.close()
