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
    try:
        async with serve(settings, clock=office_hours_clock()) as live:
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
