"""A lean Socket.IO client for load generation: Engine.IO v4 / Socket.IO v5 over one aiohttp WebSocket.

Why not ``socketio.AsyncClient``: each of those carries an Engine.IO client object, a ping task, a reconnection
task and handler tables; a few thousand of them spread over the two cores of this machine would make the load
generator, not the server, the thing being measured. This client is one WebSocket plus one reader task, speaks
only what the benchmark needs (connect to one namespace with ``auth``, events with acks, answer pings), and
treats everything else as an error. It is test equipment, not a general client.

Wire format reminders (https://socket.io/docs/v4/socket-io-protocol/): the Engine.IO ``open`` packet is
``0{json}``, pings are ``2`` (answered with ``3``), a message is ``4`` + a Socket.IO packet; Socket.IO packets are
``0/ns,{auth}`` (connect), ``2/ns,ID["event",data]`` (event, ``ID`` = ack id), ``3/ns,ID[args]`` (ack),
``4/ns,{error}`` (connect error), ``1/ns,`` (disconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

import aiohttp

SignalHandler = Callable[[dict[str, Any], float], None]


class ProtocolError(Exception):
    pass


class ConnectRefused(Exception):
    def __init__(self, data: Any) -> None:
        super().__init__(f"connect refused: {data}")
        self.data = data


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1).rstrip("/") + "/socket.io/?EIO=4&transport=websocket"


class Connection:
    """One Socket.IO connection to one namespace."""

    KEEP_EVENTS = 16  # per event name, for wait_for; signals never go here

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._prefix = "" if namespace == "/" else namespace + ","
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.sid: str | None = None
        self._next_ack = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._received: defaultdict[str, deque[Any]] = defaultdict(lambda: deque(maxlen=self.KEEP_EVENTS))
        self._waiters: list[tuple[str, Callable[[Any], bool], asyncio.Future[Any]]] = []
        self._reader: asyncio.Task[None] | None = None
        self.on_signal: SignalHandler | None = None
        self.closed = asyncio.Event()

    # --- lifecycle ---------------------------------------------------------------------------------------------

    async def open(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        auth: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        within_s: float = 20.0,
    ) -> None:
        async with asyncio.timeout(within_s):
            self.ws = await session.ws_connect(ws_url(base_url), headers=headers or {}, max_msg_size=0, compress=0)
            first = await self.ws.receive()
            if first.type != aiohttp.WSMsgType.TEXT or not first.data.startswith("0"):
                raise ProtocolError(f"expected the Engine.IO open packet, got {first.type} {first.data!r}")
            body = json.dumps(auth) if auth is not None else ""
            await self.ws.send_str(f"40{self._prefix}{body}")
            while True:
                msg = await self.ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise ProtocolError(f"connection closed during the namespace handshake: {msg.type}")
                text: str = msg.data
                if text == "2":
                    await self.ws.send_str("3")
                    continue
                if text.startswith("40" + self.namespace if self.namespace != "/" else "40"):
                    reply = json.loads(text[2 + len(self._prefix) :] or "{}")
                    self.sid = reply.get("sid")
                    break
                if text.startswith("42"):  # emitted by the server's connect handler, before its connect reply
                    name, data = json.loads(text[2 + len(self._prefix) :])
                    self._event(name, data)
                    continue
                if text.startswith("44"):
                    raise ConnectRefused(json.loads(text[2 + len(self._prefix) :] or "null"))
                raise ProtocolError(f"unexpected packet during the handshake: {text[:120]!r}")
        self._reader = asyncio.create_task(self._read())

    async def close(self, within_s: float = 5.0) -> None:
        ws = self.ws
        if ws is not None and not ws.closed:
            try:
                async with asyncio.timeout(within_s):
                    await ws.close()
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    # --- events ------------------------------------------------------------------------------------------------

    async def emit(self, event: str, data: Any) -> asyncio.Future[Any]:
        """Send an event with an ack id; the returned future resolves to the ack's first argument."""
        assert self.ws is not None
        self._next_ack += 1
        ack_id = self._next_ack
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ack_id] = future
        await self.ws.send_str(f"42{self._prefix}{ack_id}{json.dumps([event, data], separators=(',', ':'))}")
        return future

    async def call(self, event: str, data: Any, within_s: float = 10.0) -> Any:
        future = await self.emit(event, data)
        return await asyncio.wait_for(future, within_s)

    async def wait_for(
        self, event: str, predicate: Callable[[Any], bool] = lambda _: True, within_s: float = 10.0
    ) -> Any:
        for item in self._received[event]:
            if predicate(item):
                return item
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        waiter = (event, predicate, future)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, within_s)
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    # --- reading -----------------------------------------------------------------------------------------------

    async def _read(self) -> None:
        assert self.ws is not None
        ws = self.ws
        skip = 2 + len(self._prefix)
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                text: str = msg.data
                if text == "2":
                    await ws.send_str("3")
                    continue
                kind = text[:2]
                if kind == "42":
                    received_at = time.perf_counter()
                    name, data = json.loads(text[skip:])
                    if name == "signal" and self.on_signal is not None:
                        self.on_signal(data, received_at)
                    else:
                        self._event(name, data)
                elif kind == "43":
                    body = text[skip:]
                    cut = body.index("[")
                    future = self._pending.pop(int(body[:cut]), None)
                    if future is not None and not future.done():
                        args = json.loads(body[cut:])
                        future.set_result(args[0] if args else None)
                elif kind == "41" or text.startswith("1"):
                    break
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))
            self._pending.clear()
            self.closed.set()

    def _event(self, name: str, data: Any) -> None:
        self._received[name].append(data)
        for waiter in list(self._waiters):
            event, predicate, future = waiter
            if event == name and not future.done() and predicate(data):
                future.set_result(data)
