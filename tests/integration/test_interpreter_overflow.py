"""Interpreter overflow on the real server with real clients: a booth resident who chose Nepali, with nobody on
duty who speaks it, is offered at once to the route's Japanese-speaking agent, whose offer says an interpreter is
needed (``interpreter``), and the booth is not told "no one can answer"; with a Nepali speaker on duty but busy,
the case waits for them until ``MADOGUCHI_INTERPRETER_AFTER_S`` and then goes to the other agent; with the
setting at 0 routing is language-strict and the booth hears "nobody"."""

from __future__ import annotations

import time
from pathlib import Path

from madoguchi.resident_chat.conversation import PHRASES
from tests.support import agent_peer, answered_booth_call, booth_peer, ok, resident_peer, serve_topology

PASSWORD = "correct horse battery"


async def test_with_no_nepali_speaker_on_duty_the_route_agent_is_offered_at_once(tmp_path: Path) -> None:
    async with serve_topology("one", tmp_path, interpreter_after_s=300.0) as server:
        await server.add_agent("sato", PASSWORD, routes=("tax",), languages=("ja",))
        await server.add_agent("welfare_ne", PASSWORD, routes=("welfare",), languages=("ja", "ne"))
        _, token, _ = await server.add_booth()
        agent = await agent_peer(server, "sato", PASSWORD)
        other = await agent_peer(server, "welfare_ne", PASSWORD)
        ok(await agent.call("agent.status", {"status": "available"}))
        ok(await other.call("agent.status", {"status": "available"}))
        booth = await booth_peer(server, token)
        ack = ok(await booth.call("consultation.request", {"route": "tax", "language": "ne", "language_chosen": True}))
        offer = await agent.wait_for("offer", lambda o: o["consultation_id"] == ack["consultation_id"])
        assert offer["language"] == "ne" and offer["interpreter"] is True
        assert "offer" not in other.received  # another route's speaker does not cover tax before the overflow
        positions = booth.received.get("queue.position", [])
        assert all(p.get("no_answer") is None for p in positions)
        ok(await agent.call("offer.accept", {"consultation_id": ack["consultation_id"]}))
        state = await agent.wait_for("agent.state", lambda s: s.get("consultation") is not None)
        assert state["consultation"]["interpreter"] is True
        # the panel's list comes with the town's telephone interpretation service (the sample file's example)
        options = ok(await agent.call("interpreter.options", {"consultation_id": ack["consultation_id"]}))
        line = options["phone_line"]
        assert line["number"] == "0997-00-5678" and line["tel"] == "0997005678"
        assert "架空" in line["name"]["ja"] and set(line["hours"]) >= {"ja", "ne"} and "ne" in line["languages"]
        for peer in (booth, agent, other):
            await peer.close()


async def test_a_busy_speaker_is_waited_for_until_the_interpreter_overflow(tmp_path: Path) -> None:
    async with serve_topology("one", tmp_path, interpreter_after_s=2.0) as server:
        await server.add_agent("speaker", PASSWORD, routes=("tax",), languages=("ja", "ne"))
        await server.add_agent("sato", PASSWORD, routes=("tax",), languages=("ja",))
        _, busy_token, _ = await server.add_booth()
        _, token, _ = await server.add_booth()
        speaker = await agent_peer(server, "speaker", PASSWORD)
        ok(await speaker.call("agent.status", {"status": "available"}))
        first = await booth_peer(server, busy_token)
        await answered_booth_call(first, speaker)  # the Nepali speaker is busy with a call
        agent = await agent_peer(server, "sato", PASSWORD)
        ok(await agent.call("agent.status", {"status": "available"}))
        booth = await booth_peer(server, token)
        asked = time.monotonic()
        ack = ok(await booth.call("consultation.request", {"route": "tax", "language": "ne", "language_chosen": True}))
        position = await booth.wait_for("queue.position")
        assert position["no_answer"] is None  # a speaker is on duty: the booth waits for them, no "nobody"
        offer = await agent.wait_for("offer", lambda o: o["consultation_id"] == ack["consultation_id"], within=10.0)
        waited = time.monotonic() - asked
        assert offer["interpreter"] is True
        assert 1.5 <= waited < 6.0, f"offered after {waited:.1f} s, the overflow is at 2 s"
        for peer in (first, booth, speaker, agent):
            await peer.close()


async def test_with_the_overflow_off_routing_stays_language_strict(tmp_path: Path) -> None:
    async with serve_topology("one", tmp_path, interpreter_after_s=0.0) as server:
        await server.add_agent("sato", PASSWORD, routes=("tax",), languages=("ja",))
        _, token, _ = await server.add_booth()
        agent = await agent_peer(server, "sato", PASSWORD)
        ok(await agent.call("agent.status", {"status": "available"}))
        booth = await booth_peer(server, token)
        ok(await booth.call("consultation.request", {"route": "tax", "language": "ne", "language_chosen": True}))
        position = await booth.wait_for("queue.position", lambda p: p.get("no_answer") is not None)
        assert position["no_answer"] in ("nobody", "closed")
        assert "offer" not in agent.received
        for peer in (booth, agent):
            await peer.close()


async def test_a_nepali_chat_handed_to_staff_is_not_told_nobody_can_answer(tmp_path: Path) -> None:
    """The chat's bot says who answers from the same rule: a Japanese-speaking agent of the route is on duty."""
    async with serve_topology("one", tmp_path, interpreter_after_s=300.0) as server:
        await server.add_agent("sato", PASSWORD, languages=("ja",))
        agent = await agent_peer(server, "sato", PASSWORD)
        ok(await agent.call("agent.status", {"status": "available"}))
        home = await resident_peer(server)
        said = {"text": "मलाई निवास प्रमाणपत्र चाहिन्छ", "client_id": "n-1", "language": "ne"}
        ack = ok(await home.call("chat.send", said))
        ok(await home.call("handoff.request", {"consultation_id": ack["consultation_id"]}))
        bot = await home.wait_for("chat.message", lambda m: m["sender"] == "bot" and m["bot"]["action"] == "handoff")
        assert bot["text"] != PHRASES["ne"]["handoff_nobody"]
        offer = await agent.wait_for("offer", lambda o: o["consultation_id"] == ack["consultation_id"])
        assert offer["language"] == "ne" and offer["interpreter"] is True
        for peer in (home, agent):
            await peer.close()


async def test_a_busy_agent_sees_the_case_in_their_queue_once_it_overflowed_to_them(tmp_path: Path) -> None:
    """The case an agent would take through an interpreter was missing from their queue list: busy in a call, they
    could not see the Nepali resident waiting for them next. It is listed from its overflow time on (pushed then)."""
    async with serve_topology("one", tmp_path, interpreter_after_s=2.0) as server:
        await server.add_agent("speaker", PASSWORD, routes=("tax",), languages=("ja", "ne"))
        await server.add_agent("sato", PASSWORD, routes=("tax",), languages=("ja",))
        tokens = [(await server.add_booth())[1] for _ in range(3)]
        speaker = await agent_peer(server, "speaker", PASSWORD)
        ok(await speaker.call("agent.status", {"status": "available"}))
        first = await booth_peer(server, tokens[0])
        await answered_booth_call(first, speaker)  # the Nepali speaker is busy
        agent = await agent_peer(server, "sato", PASSWORD)
        ok(await agent.call("agent.status", {"status": "available"}))
        second = await booth_peer(server, tokens[1])
        await answered_booth_call(second, agent)  # and so is sato
        booth = await booth_peer(server, tokens[2])
        ack = ok(await booth.call("consultation.request", {"route": "tax", "language": "ne", "language_chosen": True}))
        cid = ack["consultation_id"]

        def listed(snapshot: dict[str, object]) -> bool:
            return any(i["consultation_id"] == cid for i in snapshot["items"])  # type: ignore[attr-defined]

        shown = await agent.wait_for("queue.snapshot", listed, within=8.0)
        (item,) = [i for i in shown["items"] if i["consultation_id"] == cid]
        assert item["language"] == "ne"
        assert any(listed(s) for s in speaker.received["queue.snapshot"])  # the speaker saw it from the start
        for peer in (first, second, booth, speaker, agent):
            await peer.close()
