"""Engine.IO sessions that join no namespace are bounded (session 11): per client address (trusted proxies
honoured), for the whole process, and in time. On the real server, with floods of a few hundred sessions over
long-polling and WebSocket; a booth, a resident and an agent elsewhere connect all along."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from madoguchi.app import SOCKETS
from tests.support import LiveServer, Peer, agent_peer, make_settings, serve

PROXY = ["127.0.0.1"]
FLOODER = "203.0.113.66"
DOOR_LOG = "madoguchi.signaling.socket_server"


async def open_polling(http: aiohttp.ClientSession, url: str, address: str) -> tuple[int, str]:
    """An Engine.IO long-polling handshake from ``address`` (as the proxy says); (status, body)."""
    params = {"EIO": "4", "transport": "polling"}
    async with http.get(f"{url}/socket.io/", params=params, headers={"X-Forwarded-For": address}) as resp:
        return resp.status, await resp.text()


@contextlib.asynccontextmanager
async def websockets(http: aiohttp.ClientSession) -> AsyncIterator[list[aiohttp.ClientWebSocketResponse]]:
    opened: list[aiohttp.ClientWebSocketResponse] = []
    try:
        yield opened
    finally:
        for ws in opened:
            await ws.close()


async def open_websocket(
    http: aiohttp.ClientSession, url: str, address: str, opened: list[aiohttp.ClientWebSocketResponse]
) -> int:
    """An Engine.IO WebSocket session from ``address`` that joins nothing; the HTTP status of the upgrade."""
    try:
        ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket", headers={"X-Forwarded-For": address})
    except aiohttp.WSServerHandshakeError as exc:
        return exc.status
    opened.append(ws)
    await ws.receive(timeout=5)  # the open packet
    return 101


def edge(live: LiveServer) -> Any:
    return live.app[SOCKETS]


def sessions(live: LiveServer) -> int:
    return len(edge(live).eio.sockets)


def door(live: LiveServer) -> Any:
    return edge(live).eio.door


async def legit_peers(live: LiveServer) -> list[Peer]:
    """A booth behind another post office's address, a resident at home and an agent (the proxy's own address)."""
    _booth_id, token, _url = await live.add_booth()
    booth = Peer(live.base_url, "/booth")
    await booth.connect(auth={"token": token}, headers={"X-Forwarded-For": "198.51.100.20"})
    resident = Peer(live.base_url, "/resident")
    await resident.connect(headers={"X-Forwarded-For": "198.51.100.21"})
    agent = await agent_peer(live, "tanaka", "correct horse battery")
    return [booth, resident, agent]


async def until(condition: Any, within: float = 8.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_a_flood_of_sessions_from_one_address_is_capped_and_closed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, trusted_proxies=PROXY, socket_join_timeout_s=1.5)
    caplog.set_level(logging.WARNING, logger=DOOR_LOG)
    async with serve(settings) as live, aiohttp.ClientSession() as http, websockets(http) as opened:
        await live.add_agent("tanaka", "correct horse battery")
        before = sessions(live)
        polled = await asyncio.gather(*(open_polling(http, live.base_url, FLOODER) for _ in range(150)))
        upgraded = [await open_websocket(http, live.base_url, FLOODER, opened) for _ in range(150)]
        limit = settings.socket_unjoined_per_address
        accepted = [body for status, body in polled if status == 200] + [s for s in upgraded if s == 101]
        refused = [body for status, body in polled if status == 429] + [s for s in upgraded if s == 429]
        assert len(accepted) == limit, (len(accepted), polled[:3])
        assert len(refused) == 300 - limit
        assert all("network address" in json.loads(body) for status, body in polled if status == 429)
        assert sessions(live) - before == limit

        # the flood holds its places, yet a booth, a resident and an agent from elsewhere connect
        peers = await legit_peers(live)
        assert all(peer.sio.connected for peer in peers)
        assert door(live).total == limit  # the legitimate ones joined their namespaces: no places held

        # past the join time the flood's sessions are closed; the legitimate ones stay
        await until(lambda: sessions(live) == before + len(peers))
        assert door(live).total == 0 and door(live).held(FLOODER) == 0
        assert all(peer.sio.connected for peer in peers)
        assert len(edge(live).environ) == len(peers)  # nothing kept of the closed sessions
        async with http.get(f"{live.base_url}/metrics") as resp:
            scraped = await resp.text()
        assert 'madoguchi_socket_edge{what="door_refused"} 270.0' in scraped
        assert 'madoguchi_socket_edge{what="unjoined_closed"} 30.0' in scraped
        assert 'madoguchi_socket_edge{what="unjoined"} 0.0' in scraped
        # the flooder may start again (places are free), bounded the same
        assert (await open_polling(http, live.base_url, FLOODER))[0] == 200
        for peer in peers:
            await peer.close()

    lines = [r.getMessage() for r in caplog.records if r.name == DOOR_LOG and FLOODER in r.getMessage()]
    refused_lines = [line for line in lines if "refused a new connection" in line]
    assert len(refused_lines) == 1, lines  # once per address per minute, not per attempt
    assert "no namespace" in refused_lines[0]


async def test_the_default_namespace_is_not_served_so_connecting_to_it_holds_no_session(tmp_path: Path) -> None:
    """Session 12's outside pass: ``AsyncClient().connect(B, namespaces=["/"])`` 150 times from one address left 142
    sessions connected and /metrics said unjoined 0. python-socketio accepted "/" (no handler there) and it counted as
    joined, so neither the per-address cap nor the join time touched them. Now "/" is refused like any namespace the
    app does not serve, and a session that only asked for one is at the door: capped, then closed in time."""
    settings = make_settings(tmp_path, trusted_proxies=PROXY, socket_unjoined_per_address=5, socket_join_timeout_s=1.0)
    async with serve(settings) as live, aiohttp.ClientSession() as http, websockets(http) as opened:
        headers = {"X-Forwarded-For": FLOODER}
        for _ in range(12):  # real python-socketio clients, as the attacker ran them
            client = socketio.AsyncClient(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await client.connect(
                    live.base_url, namespaces=["/"], transports=["websocket"], headers=headers, wait_timeout=5
                )
            assert not client.connected
            await client.disconnect()
        # a raw client that stays after the refusal (the library's client leaves): refused "/" and "/nope", it is
        # unjoined, so the address's cap holds and the join time closes it
        statuses = []
        for namespace in ("", "/nope,", "", "", "", "", ""):
            status = await open_websocket(http, live.base_url, FLOODER, opened)
            statuses.append(status)
            if status != 101:
                continue
            await opened[-1].send_str(f"40{namespace}")
            answer = await opened[-1].receive(timeout=5)
            assert answer.data.startswith("44"), answer.data  # CONNECT_ERROR, not CONNECT
        assert statuses == [101] * 5 + [429] * 2
        assert door(live).held(FLOODER) == 5
        async with http.get(f"{live.base_url}/metrics") as resp:
            assert 'madoguchi_socket_edge{what="unjoined"} 5.0' in await resp.text()
        await until(lambda: sessions(live) == 0)
        assert door(live).total == 0
        # the address still reaches what the app serves
        resident = Peer(live.base_url, "/resident")
        await resident.connect(headers=headers)
        assert resident.sio.connected
        assert door(live).total == 0  # joined a served namespace: no place held
        await resident.close()


async def test_all_addresses_together_are_capped(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_proxies=PROXY, socket_unjoined_per_address=5, socket_unjoined_total=12)
    async with serve(settings) as live, aiohttp.ClientSession() as http:
        answers = [await open_polling(http, live.base_url, f"203.0.113.{n // 5 + 1}") for n in range(25)]
        assert [status for status, _ in answers].count(200) == 12
        refused = [json.loads(body) for status, body in answers if status == 429]
        assert len(refused) == 13 and all("too many new connections" in text for text in refused)
        # the door is full for everyone until places come free (a distributed flood: the trade-off, docs)
        assert (await open_polling(http, live.base_url, "198.51.100.40"))[0] == 429


async def test_a_session_that_leaves_its_last_namespace_must_join_again_in_time(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_proxies=PROXY, socket_join_timeout_s=1.0)
    async with serve(settings) as live, aiohttp.ClientSession() as http:
        status, body = await open_polling(http, live.base_url, FLOODER)
        assert status == 200
        sid = json.loads(body[1:])["sid"]
        url = f"{live.base_url}/socket.io/?EIO=4&transport=polling&sid={sid}"
        headers = {"X-Forwarded-For": FLOODER, "Content-Type": "text/plain"}
        async with http.post(url, data="40/resident,{}", headers=headers) as resp:
            assert resp.status == 200
        async with http.get(url, headers=headers) as resp:
            assert "40/resident" in await resp.text()  # joined
        assert door(live).total == 0
        await asyncio.sleep(1.5)
        assert sid in edge(live).eio.sockets  # in a namespace: no time limit
        async with http.post(url, data="41/resident,", headers=headers) as resp:
            assert resp.status == 200
        await until(lambda: sid not in edge(live).eio.sockets)
        async with http.get(url, headers=headers) as resp:
            assert resp.status == 400  # the session is gone


async def test_a_session_that_churns_namespace_connects_is_closed(tmp_path: Path) -> None:
    """Session 11's outside pass: 500 CONNECT/DISCONNECT pairs for /resident on one WebSocket in 3 s, each a counter
    operation. Now the session is closed at its ninth CONNECT."""
    settings = make_settings(tmp_path, trusted_proxies=PROXY)
    async with serve(settings) as live, aiohttp.ClientSession() as http, websockets(http) as opened:
        assert await open_websocket(http, live.base_url, FLOODER, opened) == 101
        ws = opened[0]
        for _ in range(50):
            await ws.send_str("40/resident,{}")
            await ws.send_str("41/resident,")
        frames: list[str] = []
        while True:
            msg = await ws.receive(timeout=5)
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            frames.append(msg.data)
        joined = [f for f in frames if f.startswith("40/resident")]
        assert len(joined) == 8 and not [f for f in frames if f.startswith("44/")]  # closed, no connect error
        assert edge(live).connects_refused == 1
        # the address may still connect afresh (its own budget is far from spent)
        resident = Peer(live.base_url, "/resident")
        await resident.connect(headers={"X-Forwarded-For": FLOODER})
        assert resident.sio.connected
        await resident.close()


async def test_one_address_opening_session_after_session_is_held_to_its_connect_rate(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_proxies=PROXY, socket_connects_per_address_per_minute=10)
    async with serve(settings) as live, aiohttp.ClientSession() as http, websockets(http) as opened:
        answers = []
        for _ in range(8):
            await open_websocket(http, live.base_url, FLOODER, opened)
            await opened[-1].send_str("40/resident,{}")
            answer = ""
            while not answer.startswith("40/"):
                msg = await opened[-1].receive(timeout=5)
                if msg.type != aiohttp.WSMsgType.TEXT:
                    answer = "closed"
                    break
                answer = msg.data
            answers.append(answer[:12])
        assert answers == ["40/resident,"] * 5 + ["closed"] * 3  # half the minute's budget at once
        other = Peer(live.base_url, "/resident")
        await other.connect(headers={"X-Forwarded-For": "198.51.100.30"})  # another address is not touched
        assert other.sio.connected
        await other.close()
