"""A handler that runs longer than the ping timeout no longer costs its connection.

python-engineio closes a socket as "gone" when it sends to it more than ``ping_timeout`` after a ping whose pong it
has not *read*; with handlers run inside the reader (``async_handlers=False``) a pong could not be read while a
handler ran, so a slow counter operation closed the booth's socket at its own ack (the 2,000-waiting benchmark
lost 122 booth sockets this way, silently). A bare aiohttp server with Madoguchi's edge server and short pings; the
client is a raw WebSocket that answers every ping at once, as browsers do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from madoguchi.signaling.socket_server import EdgeSocketServer

PING_S = 0.3
SLOW_S = 1.2  # four ping intervals: before the fix the ack itself closed the socket


@asynccontextmanager
async def joined(
    **handlers: Callable[[str, str], Awaitable[Any]],
) -> AsyncIterator[tuple[EdgeSocketServer, aiohttp.ClientWebSocketResponse]]:
    """The edge server with short pings and ``handlers`` (event name: handler) on namespace ``/t`` of a bare
    aiohttp app, and a raw WebSocket client that has joined ``/t``."""
    sio = EdgeSocketServer(async_mode="aiohttp", async_handlers=False, ping_interval=PING_S, ping_timeout=PING_S)
    for event, handler in handlers.items():
        sio.on(event, handler, namespace="/t")
    app = web.Application()
    sio.attach(app)
    async with TestServer(app) as server, aiohttp.ClientSession() as http:
        ws = await http.ws_connect(str(server.make_url("/socket.io/?EIO=4&transport=websocket")))
        assert (await ws.receive(timeout=5)).data.startswith("0{")
        await ws.send_str("40/t,{}")
        yield sio, ws


async def test_a_slow_handler_keeps_its_socket_and_its_events_order() -> None:
    handled: list[str] = []

    async def slow(sid: str, data: str) -> dict[str, bool]:
        await asyncio.sleep(SLOW_S)
        handled.append(data)
        return {"ok": True}

    async def quick(sid: str, data: str) -> dict[str, bool]:
        handled.append(data)
        return {"ok": True}

    async with joined(slow=slow, quick=quick) as (sio, ws):
        acks: list[str] = []
        pings = 0
        await ws.send_str('42/t,1["slow","first"]')
        await ws.send_str('42/t,2["quick","second"]')
        while len(acks) < 2:
            msg = await ws.receive(timeout=5)
            assert msg.type == aiohttp.WSMsgType.TEXT, f"the server closed the socket: {msg.type}"
            if msg.data == "2":
                pings += 1
                await ws.send_str("3")
            elif msg.data.startswith("43/t,"):
                acks.append(msg.data)
        assert pings >= 2, "pings went on while the slow handler ran"
        assert acks == ['43/t,1[{"ok":true}]', '43/t,2[{"ok":true}]']
        assert handled == ["first", "second"], "one connection's events are still handled in order"
        assert sio.eio.ping_timeouts == 0
        await ws.close()


async def test_a_client_that_stops_answering_pings_is_closed_with_a_clear_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def slow(sid: str, data: str) -> None:
        await asyncio.sleep(SLOW_S)  # then its ack is sent to a client that never answered the ping

    caplog.set_level(logging.WARNING, logger="madoguchi.sockets")
    async with joined(slow=slow) as (sio, ws):
        await ws.send_str('42/t,1["slow","x"]')
        while (await ws.receive(timeout=5)).type == aiohttp.WSMsgType.TEXT:
            pass  # pings left unanswered
        for _ in range(300):  # the client may see the close a moment before the server notes why
            if sio.eio.ping_timeouts:
                break
            await asyncio.sleep(0.01)
        assert sio.eio.ping_timeouts == 1
        assert any("closed a socket from" in r.getMessage() for r in caplog.records), caplog.text


async def test_shutting_down_ends_every_lane_task_of_a_handler_that_never_returns() -> None:
    """A connection whose handler hangs, then closes: the web app's shutdown cancels and awaits the lane's task,
    so nothing is left pending ("Task was destroyed but it is pending")."""
    started = asyncio.Event()

    async def hang(sid: str, data: str) -> None:
        started.set()
        await asyncio.Event().wait()

    async with joined(hang=hang) as (sio, ws):
        await ws.send_str('42/t,1["hang","x"]')
        await ws.send_str('42/t,2["hang","queued behind it"]')
        await asyncio.wait_for(started.wait(), 5)
        lanes = [task for task in asyncio.all_tasks() if "Lane._drain" in repr(task.get_coro())]
        assert len(lanes) == 1
        await ws.close()
    assert lanes[0].done(), "the shutdown ended the lane's task"
    assert not [task for task in asyncio.all_tasks() if "Lane._drain" in repr(task.get_coro())]
    assert sio.eio._lanes == {}
