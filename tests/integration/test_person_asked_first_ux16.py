"""UX round 16 (H1): a resident on the phone pressed 「Talk to staff」 before typing anything and was told nobody
could answer, while the only free agent (受付中, empty queue) served other routes and never got an offer: the
request alone routes to 「その他・わからない」, which nobody on duty covered. A resident who asks for a person with
nothing to route by reaches any free agent of the town, and the offer says they have not said what about yet."""

from __future__ import annotations

from tests.support import LiveServer, agent_peer, ok, resident_peer

PASSWORD = "correct horse battery"


async def test_talk_to_staff_first_reaches_a_free_agent_of_another_route(live_server: LiveServer) -> None:
    # the demo's agent2: three routes, Japanese only; the resident's page is English
    await live_server.add_agent(
        "agent2", PASSWORD, routes=("resident_records", "tax", "insurance_pension"), languages=("ja",)
    )
    agent = await agent_peer(live_server, "agent2", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    home = await resident_peer(live_server)
    await home.wait_for("resident.state")
    # what the page sends when the button is pressed with nothing said yet (resident.js askForPerson)
    ack = ok(
        await home.call("chat.send", {"text": "I want to talk to a staff member", "client_id": "r-1", "language": "en"})
    )
    assert ack["no_answer"] is None, ack
    offer = await agent.wait_for("offer")
    assert offer["consultation_id"] == ack["consultation_id"]
    assert offer["route"] == "general_inquiry" and offer["interpreter"] is True
    assert offer["summary"]["flags"][0].startswith("用件は まだ 聞いていません"), offer["summary"]
    await home.close()
    await agent.close()


async def test_a_question_of_another_route_still_waits_for_that_route(live_server: LiveServer) -> None:
    """The rule is for nothing to route by: a question about tax does not go to a pension-only agent."""
    await live_server.add_agent("pension", PASSWORD, routes=("insurance_pension",), languages=("ja",))
    agent = await agent_peer(live_server, "pension", PASSWORD)
    ok(await agent.call("agent.status", {"status": "available"}))
    home = await resident_peer(live_server)
    await home.wait_for("resident.state")
    ok(await home.call("chat.send", {"text": "住民税の 納め方を 知りたい", "client_id": "r-1", "language": "ja"}))
    ack = ok(await home.call("chat.send", {"text": "職員と話したい", "client_id": "r-2", "language": "ja"}))
    assert ack.get("no_answer") in ("nobody", "closed"), ack
    assert not agent.received["offer"]
    await home.close()
    await agent.close()
