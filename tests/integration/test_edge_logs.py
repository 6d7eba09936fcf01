"""Malformed input cannot flood the log or leak into it, and costs its sender like an event does.

The log tests run a real ``madoguchi serve`` process (its logging set up as in production) and read what it
writes; the clients are raw WebSockets and HTTP requests, because no real client library sends such packets.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.support import Peer, ServeProcess, make_settings, ok, serve, serve_process

BODY = "PRIVATE-BODY-7f3a"
TOKEN = "SeSsIoNtOkEn-93c1d0"
MALFORMED: tuple[str | bytes, ...] = (
    f'42/resident,["chat.send",{{"text":"{BODY}"}}',  # JSON cut short
    f'42/resident,{{"text":"{BODY}"}}',  # an event without a name
    "42/resident," + "[" * 3000 + f'"{BODY}"' + "]" * 3000,  # nested past Python's recursion limit
    f"49{BODY}",  # no such packet type
    f'451-["chat.send",{{"_placeholder":true,"num":0}},"{BODY}"]',  # binary attachments (never used)
    BODY.encode(),  # a binary frame
    f'43/resident,"{BODY}"',  # an ack that is not a list
)


@pytest.fixture
async def process(tmp_path: Path) -> AsyncIterator[ServeProcess]:
    async with serve_process(tmp_path / "data") as served:
        yield served


def socket_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"


async def resident_socket(http: aiohttp.ClientSession, base_url: str) -> aiohttp.ClientWebSocketResponse:
    """A raw WebSocket that has opened Engine.IO and joined ``/resident``."""
    ws = await http.ws_connect(socket_url(base_url))
    opened = await ws.receive(timeout=5)
    assert opened.type == aiohttp.WSMsgType.TEXT and opened.data.startswith("0{"), opened
    await ws.send_str("40/resident,{}")
    while True:
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        if msg.data.startswith("40/resident,"):
            return ws


async def send(ws: aiohttp.ClientWebSocketResponse, packet: str | bytes) -> bool:
    """False when the server has closed the connection (noticed by reading what it sent meanwhile)."""
    try:
        while not ws.closed:
            msg = await ws.receive(timeout=0.001)
            if msg.type != aiohttp.WSMsgType.TEXT:
                return False
    except TimeoutError:
        pass
    if ws.closed:
        return False
    try:
        if isinstance(packet, bytes):
            await ws.send_bytes(packet)
        else:
            await ws.send_str(packet)
    except (ConnectionError, aiohttp.ClientError):
        return False
    return True


async def test_300_malformed_packets_add_a_few_short_lines_to_the_log(process: ServeProcess) -> None:
    await asyncio.sleep(0.5)  # start-up lines are written
    before = process.log_size()
    sent = connections = 0
    async with aiohttp.ClientSession() as http:
        ws = await resident_socket(http, process.url)
        connections = 1
        while sent < 300:
            packet = f"x{BODY}" if sent % 100 == 99 else MALFORMED[sent % len(MALFORMED)]  # not even Engine.IO
            if not await send(ws, packet):
                ws = await resident_socket(http, process.url)
                connections += 1
                continue
            sent += 1
            await asyncio.sleep(0.005)
        await ws.close()
        # still serving everyone else
        async with http.get(f"{process.url}/healthz") as resp:
            assert resp.status == 200
    resident = Peer(process.url, "/resident")
    await resident.connect(auth={})
    try:
        ok(await resident.call("chat.send", {"text": "住民票の写しがほしい", "client_id": "c1"}))
    finally:
        await resident.close()
    await asyncio.sleep(0.5)
    grown = process.log()[before:]
    assert connections > 1, "the flood should have cost its sender the connection"  # (61 packets each)
    assert process.log_size() - before < 4096, grown
    assert BODY not in grown and "Traceback" not in grown, grown
    assert "could not be decoded" in grown, grown


async def test_malformed_long_polling_payloads_are_logged_short(process: ServeProcess) -> None:
    before = process.log_size()
    async with aiohttp.ClientSession() as http:
        base = f"{process.url}/socket.io/?EIO=4&transport=polling"
        async with http.get(base) as resp:
            handshake = await resp.text()
        sid = handshake.split('"sid":"', 1)[1].split('"', 1)[0]
        for _ in range(50):
            async with http.post(f"{base}&sid={sid}", data=f"x{BODY}") as resp:
                await resp.read()
    await asyncio.sleep(0.5)
    grown = process.log()[before:]
    assert process.log_size() - before < 2048, grown
    assert BODY not in grown and "Traceback" not in grown, grown


async def test_an_oversized_cookie_or_url_never_reaches_the_log(process: ServeProcess) -> None:
    before = process.log_size()
    async with aiohttp.ClientSession() as http:
        for _ in range(30):
            cookie = f"madoguchi_session={TOKEN}; padding={'A' * 9000}"
            async with http.get(f"{process.url}/healthz", headers={"Cookie": cookie}) as resp:
                assert resp.status == 400
            async with http.get(f"{process.url}/login?token={TOKEN}{'a' * 9000}") as resp:
                assert resp.status in (400, 414)
    await asyncio.sleep(0.5)
    grown = process.log()[before:]
    assert TOKEN not in grown and "Traceback" not in grown, grown
    assert "refused a malformed HTTP request" in grown, grown
    assert process.log_size() - before < 2048, grown


# --- the rate limit counts what cannot be decoded ----------------------------------------------------------------


async def chat(ws: aiohttp.ClientWebSocketResponse, ack_id: int) -> str:
    """Send a well-formed resident chat line and return its ack packet."""
    await ws.send_str(f'42/resident,{ack_id}["chat.send",{{"text":"住民票","client_id":"c{ack_id}"}}]')
    while True:
        msg = await ws.receive(timeout=5)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        if msg.data.startswith(f"43/resident,{ack_id}"):
            return str(msg.data)


async def closed_by_server(ws: aiohttp.ClientWebSocketResponse) -> bool:
    try:
        while True:
            msg = await ws.receive(timeout=5)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return True
    except TimeoutError:
        return False


async def test_malformed_packets_spend_the_connection_budget_and_then_end_it(tmp_path: Path) -> None:
    burst = 10
    settings = make_settings(tmp_path, events_per_second=0.001, event_burst=burst)
    async with serve(settings) as server, aiohttp.ClientSession() as http:
        ws = await resident_socket(http, server.base_url)
        # a few mistakes cost a few events each, not the connection: the budget's last event is still answered
        for n in range(burst - 1):
            assert await send(ws, MALFORMED[n % len(MALFORMED)])
        assert '"ok":true' in await chat(ws, 1)
        # the budget is spent: the next packet that cannot be decoded ends the connection
        assert await send(ws, MALFORMED[0])
        assert await closed_by_server(ws)
        # a client that never joined a namespace has no budget to spend
        raw = await http.ws_connect(socket_url(server.base_url))
        await raw.receive(timeout=5)
        await raw.send_str(MALFORMED[0])
        assert await closed_by_server(raw)


async def test_a_frame_that_is_not_engine_io_closes_the_websocket(tmp_path: Path) -> None:
    async with serve(make_settings(tmp_path)) as server, aiohttp.ClientSession() as http:
        ws = await resident_socket(http, server.base_url)
        await ws.send_str(f"x{BODY}")
        assert await closed_by_server(ws)
