"""Anonymous clients counted by address (red team, issue 9): one address cannot hold open an unbounded number of
/resident sockets (each costs the server memory and live state before any chat is sent), and the addresses of
one IPv6 /64 (what one home or phone is given) count as one for every per-address limit."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from tests.support import Peer, make_settings, serve

PROXY = ["127.0.0.1"]


async def resident(url: str, address: str) -> tuple[Peer, list[Any]]:
    peer = Peer(url, "/resident")
    refusals: list[Any] = []
    peer.sio.on("connect_error", refusals.append, namespace="/resident")
    with contextlib.suppress(socketio.exceptions.ConnectionError):
        await peer.connect(headers={"X-Forwarded-For": address})
    return peer, refusals


async def test_one_address_holds_a_bounded_number_of_resident_sockets(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_proxies=PROXY, resident_connections_per_address=5)
    async with serve(settings) as live:
        held = [await resident(live.base_url, "203.0.113.7") for _ in range(5)]
        assert all(peer.sio.connected and not refused for peer, refused in held)

        extra, refused = await resident(live.base_url, "203.0.113.7")
        assert not extra.sio.connected
        [refusal] = refused
        assert refusal["data"]["code"] == "source_limit" and "address" in refusal["data"]["message"]
        # the same /64 is the same address
        same_home, refused = await resident(live.base_url, "2001:db8:5:6::1")
        await same_home.close()
        v6 = [await resident(live.base_url, f"2001:db8:5:6::{n:x}") for n in range(1, 6)]
        assert all(peer.sio.connected for peer, _ in v6)
        extra_v6, refused_v6 = await resident(live.base_url, "2001:db8:5:6:ffff:1:2:3")
        assert not extra_v6.sio.connected and refused_v6[0]["data"]["code"] == "source_limit"

        # other addresses are not affected, and a closed socket frees its place
        other, refused = await resident(live.base_url, "198.51.100.9")
        assert other.sio.connected and not refused
        await held[0][0].close()
        await asyncio.sleep(0.2)
        again, refused = await resident(live.base_url, "203.0.113.7")
        assert again.sio.connected and not refused
        for peer, _ in [*held[1:], *v6, (other, []), (again, [])]:
            await peer.close()


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        ("2001:db8:1:2::a", "2001:db8:1:2:ffff::b", True),
        ("2001:db8:1:2::a", "2001:db8:1:3::a", False),
        ("::ffff:192.0.2.1", "192.0.2.1", True),
    ],
)
async def test_booking_lookups_count_an_ipv6_64_as_one_address(
    tmp_path: Path, first: str, second: str, shared: bool
) -> None:
    settings = make_settings(tmp_path, trusted_proxies=PROXY, booking_lookups_per_minute=5.0)
    async with serve(settings) as live, aiohttp.ClientSession() as http:

        async def lookup(address: str) -> int:
            url = f"{live.base_url}/api/bookings/12345678"
            async with http.get(url, headers={"X-Forwarded-For": address}) as resp:
                return resp.status

        assert [await lookup(first) for _ in range(5)] == [404] * 5
        assert await lookup(first) == 429
        assert await lookup(second) == (429 if shared else 404)
