"""On the real server, a waiting booth hears that its wait became long with nothing else happening: the only
agent on duty is busy in another call, and after ``no_answer_wait_s`` (1 s here) the reason turns from none to
``long_wait`` by the clock alone. Before, nothing re-sent the booth its place, so its panel waited for the next
queue change (madoguchi/signaling/no_answer_refresh.py)."""

from __future__ import annotations

from pathlib import Path

from tests.support import agent_peer, answered_booth_call, booth_peer, make_settings, ok, serve

PASSWORD = "correct horse battery"


async def test_a_long_wait_is_sent_when_the_clock_alone_makes_it(tmp_path: Path) -> None:
    async with serve(make_settings(tmp_path, no_answer_wait_s=1.0)) as live:
        _, busy_token, _ = await live.add_booth()
        _, token, _ = await live.add_booth()
        await live.add_agent("aoki", PASSWORD)
        agent = await agent_peer(live, "aoki", PASSWORD)
        ok(await agent.call("agent.status", {"status": "available"}))
        busy = await booth_peer(live, busy_token)
        await answered_booth_call(busy, agent)  # the one agent on duty is now in a call
        booth = await booth_peer(live, token)
        cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
        first = await booth.wait_for("queue.position", lambda p: p["consultation_id"] == cid)
        assert first["no_answer"] is None, first  # someone on duty could take it
        later = await booth.wait_for(
            "queue.position", lambda p: p["consultation_id"] == cid and p["no_answer"] == "long_wait", within=6.0
        )
        assert later["waited_s"] >= 1.0
        for peer in (booth, busy, agent):
            await peer.close()
