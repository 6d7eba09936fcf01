"""TURN REST API credentials: configured ICE servers plus per-consultation, per-participant, short-lived TURN logins."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from pathlib import Path
from typing import Any

from tests.support import agent_peer, booth_peer, make_settings, serve

SECRET = "shared-with-coturn"
PASSWORD = "correct horse battery"


async def test_each_participant_gets_its_own_short_lived_turn_login(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        ice_servers=[{"urls": ["stun:stun.town.example:3478"]}],
        turn_urls=["turn:turn.town.example:3478?transport=udp", "turns:turn.town.example:5349"],
        turn_secret=SECRET,
        turn_ttl_s=600,
    )
    async with serve(settings) as server:
        _, token, _ = await server.add_booth()
        await server.add_agent("agent1", PASSWORD)
        booth = await booth_peer(server, token)
        agent = await agent_peer(server, "agent1", PASSWORD)
        await agent.call("agent.status", {"status": "available"})
        cid = (await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
        await agent.wait_for("offer")
        await agent.call("offer.accept", {"consultation_id": cid})
        starts: dict[str, Any] = {
            "resident": await booth.wait_for("call.start"),
            "agent": await agent.wait_for("call.start"),
        }
        for role, start in starts.items():
            stun, turn = start["ice_servers"]
            assert stun == {"urls": ["stun:stun.town.example:3478"]}
            assert turn["urls"] == list(settings.turn_urls)
            expiry, user = turn["username"].split(":", 1)
            assert user == f"{cid}.{role}"
            assert time.time() + 590 <= int(expiry) <= time.time() + 610
            digest = hmac.new(SECRET.encode(), turn["username"].encode(), hashlib.sha1).digest()
            assert turn["credential"] == base64.b64encode(digest).decode()
        assert starts["resident"]["ice_servers"][1]["username"] != starts["agent"]["ice_servers"][1]["username"]
        await booth.close()
        await agent.close()
