"""Seven addresses flood a town's web chats on a real server (addresses through X-Forwarded-For from a trusted
proxy, as behind the deployment's reverse proxy); a resident from a fresh address still gets a chat, and the
flooder's chat that made room is told why (session 12: the per-browser and per-address caps multiplied, and
seven addresses filled the town: ``busy`` for everyone after them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support import Peer, make_settings, office_hours_clock, serve

PROXY = ["127.0.0.1"]
LINE = "住民票の 写しが ほしい"


async def chat(url: str, address: str, peers: list[Peer], n: int) -> dict[str, Any]:
    peer = Peer(url, "/resident")
    await peer.connect(headers={"X-Forwarded-For": address})
    peers.append(peer)
    ack: dict[str, Any] = await peer.call("chat.send", {"text": LINE, "client_id": f"c-{n}", "language": "ja"})
    return ack


async def test_a_flood_from_seven_addresses_leaves_a_chat_for_a_resident(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        trusted_proxies=PROXY,
        resident_open_per_municipality=20,  # a town's 200, scaled down
        resident_open_per_address=6,
        resident_open_per_browser=10,  # the flood sends no browser id: each address counts as one browser
        resident_open_per_address_under_pressure=2,
    )
    peers: list[Peer] = []
    office, skew = office_hours_clock(), [0.0]
    try:
        async with serve(settings, clock=lambda: office() + skew[0]) as live:
            opened: dict[str, list[Peer]] = {}
            refused: list[str] = []
            for a in range(7):
                address = f"198.51.100.{a + 1}"
                for n in range(8):
                    ack = await chat(live.base_url, address, peers, 100 * a + n)
                    if "error" in ack:
                        refused.append(ack["error"]["code"])
                        break
                    opened.setdefault(address, []).append(peers[-1])
            # 6 + 4 before the pressure (half of 20), then 2 per address: the town is full, from seven addresses
            assert sum(len(v) for v in opened.values()) == 20
            assert set(refused) <= {"source_limit", "busy"}
            # under pressure (10 of 20 open) the later addresses got 2 each, not 6
            assert [len(opened.get(f"198.51.100.{a + 1}", [])) for a in range(2, 7)] == [2] * 5

            # the flood's chats stay silent past MADOGUCHI_RESIDENT_IDLE_EVICT_S (120 s): only an idle chat makes
            # room, even one of an address over its share (homes behind one carrier-NAT address are not cut off)
            skew[0] += 130.0
            resident = await chat(live.base_url, "203.0.113.77", peers, 999)
            assert "error" not in resident, resident
            assert resident["consultation_id"]

            # the town was full: the first address (6, over its share of 2) gave up its longest idle chat
            closed = await opened["198.51.100.1"][0].wait_for("consultation.closed")
            assert closed["reason"] == "evicted" and closed["ask_satisfaction"] is False
            # the flooder cannot take the place back: its address is over its share
            again = await chat(live.base_url, "198.51.100.1", peers, 1000)
            assert again["error"]["code"] == "source_limit"
    finally:
        for peer in peers:
            await peer.close()


async def test_a_resident_who_keeps_writing_keeps_their_chat_and_the_silent_one_makes_room(tmp_path: Path) -> None:
    """At the ceiling the longest idle bot chat makes room: a resident's line to the bot counts as activity (noted
    in the live state at most every 30 s), so the one who wrote is kept and the one who fell silent is ended."""
    settings = make_settings(tmp_path, trusted_proxies=PROXY, resident_open_per_municipality=2)
    office = office_hours_clock()
    skew = [0.0]
    peers: list[Peer] = []
    try:
        async with serve(settings, clock=lambda: office() + skew[0]) as live:
            writing = await chat(live.base_url, "198.51.100.1", peers, 1)
            silent = await chat(live.base_url, "198.51.100.2", peers, 2)
            assert "error" not in writing and "error" not in silent
            skew[0] += 100.0  # both 100 s old: neither idle for MADOGUCHI_RESIDENT_IDLE_EVICT_S (120) yet
            again = await peers[0].call("chat.send", {"text": "戸籍の 写しは？", "client_id": "c-1b", "language": "ja"})
            assert again["consultation_id"] == writing["consultation_id"]
            skew[0] += 30.0  # the silent chat is 130 s idle, the writing one 30 s
            newcomer = await chat(live.base_url, "203.0.113.8", peers, 3)
            assert "error" not in newcomer, newcomer
            closed = await peers[1].wait_for("consultation.closed")
            assert closed == {
                "consultation_id": silent["consultation_id"],
                "reason": "evicted",
                "ask_satisfaction": False,
            }
            assert "consultation.closed" not in peers[0].received
    finally:
        for peer in peers:
            await peer.close()
