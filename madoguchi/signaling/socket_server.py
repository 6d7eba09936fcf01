"""The Socket.IO server as it faces the network: a packet that cannot be decoded is refused at the door.

python-socketio decodes a packet inside python-engineio's message handler, so a malformed one used to escape as an
exception: a traceback in the log (twice), no answer, and no cost to the sender, before any rate limit applied.
Here:

- :class:`StrictPacket` (python-socketio's ``serializer`` seam) accepts only what Madoguchi's clients send:
  text packets of the types CONNECT, DISCONNECT, EVENT (a list starting with the event name) and ACK. Anything
  else, including binary attachments Madoguchi never uses and JSON nested too deeply, is :class:`MalformedPacket`.
- :class:`EdgeSocketServer` turns a :class:`MalformedPacket` into one short rate-limited log line
  (:mod:`madoguchi.edge_log`) and charges it to the connection's event rate limit, like an event; a connection
  whose budget is spent, or that sent it before joining any namespace, is disconnected.
- :class:`GuardedWebSocket` (python-engineio's per-server WebSocket class) closes a WebSocket whose frame is not
  an Engine.IO packet at all (python-engineio would raise out of the request handler and aiohttp would log a
  traceback), and stops reading from one whose Engine.IO socket is already closed.
- :class:`EdgeEngineServer` handles each connection's messages in order on a lane of their own (:class:`Lane`),
  so the connection's reader keeps reading while a handler runs. Why: python-engineio handles a message inside
  the loop that reads the WebSocket (``async_handlers=False``, which Madoguchi needs for the order of SDP and ICE
  candidates), and it closes a socket as "gone" when it is about to send to it more than ``ping_timeout`` after its
  last ping unless the client's pong has been *read*. So any handler that ran longer than the ping timeout (a
  busy counter: the 2,000-waiting benchmark's requests took 10-30 s) lost its connection at its own ack, although
  the client had answered the ping long before: 122 booth sockets in one run, with nothing in the log. Now pongs
  are read while a handler runs, the order of one connection's events is unchanged, and a socket closed for a
  ping timeout is one clear (rate-limited) line in the log. Every lane's task is ended when the web app shuts
  down (:meth:`EdgeEngineServer.close_lanes`: queued messages dropped, the running handler cancelled and awaited),
  so none is left pending ("Task was destroyed but it is pending").
"""

from __future__ import annotations

import asyncio
import binascii
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol, runtime_checkable

import engineio
import socketio
from engineio.async_drivers.aiohttp import WebSocket
from socketio import packet as sio_packet

from madoguchi.edge_log import LibraryLogger, ShortLog

log = logging.getLogger(__name__)

ENGINE_PACKET_TYPES: Final = frozenset("0123456")
ACCEPTED_TYPES: Final = frozenset({sio_packet.CONNECT, sio_packet.DISCONNECT, sio_packet.EVENT, sio_packet.ACK})


class MalformedPacket(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StrictPacket(sio_packet.Packet):  # type: ignore[misc]
    def decode(self, encoded_packet: object) -> int:
        if not isinstance(encoded_packet, str):
            raise MalformedPacket("binary packet")
        try:
            attachments: int = super().decode(encoded_packet)
        except Exception as exc:  # RecursionError included: Exception, not BaseException
            raise MalformedPacket(type(exc).__name__) from None
        if self.packet_type not in ACCEPTED_TYPES or attachments:
            raise MalformedPacket("packet type")
        if self.packet_type == sio_packet.EVENT and not (
            isinstance(self.data, list) and self.data and isinstance(self.data[0], str)
        ):
            raise MalformedPacket("event without a name")
        if self.packet_type == sio_packet.ACK and not isinstance(self.data, list):
            raise MalformedPacket("ack without arguments")
        return attachments


@runtime_checkable
class Metered(Protocol):
    """A namespace with a per-connection rate limit that malformed packets are charged to."""

    def charge(self, sid: str) -> bool:
        """Take one event from ``sid``'s budget; False when none was left (or ``sid`` is unknown)."""
        ...


def engine_packet_ok(frame: str | bytes) -> bool:
    """Whether python-engineio can decode this WebSocket frame (binary frames are MESSAGE packets)."""
    if isinstance(frame, bytes):
        return True
    if not frame:
        return False
    if frame[0] == "b":
        try:
            binascii.a2b_base64(frame[1:])
        except (binascii.Error, ValueError):
            return False
        return True
    return frame[0] in ENGINE_PACKET_TYPES


class GuardedWebSocket(WebSocket):  # type: ignore[misc]
    handler: Any
    server: Any
    environ: dict[str, Any]

    async def wait(self) -> str | bytes | None:
        frame: str | bytes | None = await super().wait()
        owner = getattr(self.handler, "__self__", None)  # the engine.io socket this WebSocket carries
        if owner is not None:
            owner.last_frame_at = time.monotonic()  # tells a silent client from one that closed (EdgeEngineServer)
        if owner is not None and owner.closed:
            return None
        if frame is not None and not engine_packet_ok(frame):
            self.server.refusals.refused(
                "engineio", "closed a WebSocket from %s: a frame was not an Engine.IO packet", _remote(self.environ)
            )
            return None  # python-engineio reads this as "closed by the client"
        return frame


LANE_DEPTH: Final = 32
"""Messages of one connection waiting behind its running handler before its reader stops reading (back-pressure
on a client that sends faster than it is served; its rate limit refuses such floods long before)."""

LANE_CLOSE_S: Final = 5.0
"""How long shutting down waits for one lane's handler to end after cancelling it."""


class Lane:
    """One connection's messages and its disconnect, handled one after the other by one task that lives while there
    is something to do (so an idle connection costs no task)."""

    def __init__(self, run: Callable[[str, tuple[Any, ...]], Awaitable[object]], on_idle: Callable[[], None]) -> None:
        self._run = run
        self._on_idle = on_idle
        self._items: deque[tuple[str, tuple[Any, ...]]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._room = asyncio.Event()
        self._room.set()
        self._waiting = 0
        self._closed = False

    @property
    def busy(self) -> bool:
        return self._task is not None

    @property
    def idle(self) -> bool:
        """Nothing running, queued or waiting for room: the lane may be dropped (a reader waiting for room will
        still add to it, so it must stay the connection's one lane)."""
        return self._task is None and not self._items and not self._waiting

    async def add(self, event: str, args: tuple[Any, ...], *, wait_for_room: bool) -> None:
        """Queue one event; a message waits while the lane is full, a disconnect never does (it may be queued by a
        handler of this very lane, which would then wait for itself)."""
        while wait_for_room and len(self._items) >= LANE_DEPTH and not self._closed:
            self._room.clear()
            self._waiting += 1
            try:
                await self._room.wait()
            finally:
                self._waiting -= 1
        if self._closed:  # the server is shutting down: nothing more runs (and no task is started)
            return
        self._items.append((event, args))
        if self._task is None:
            self._task = asyncio.create_task(self._drain())

    async def close(self, *, within: float = LANE_CLOSE_S) -> bool:
        """Drop what is queued, cancel the running handler and wait for the lane's task to end (server shutting
        down), so no task is left pending. python-engineio swallows a handler's cancellation (its wrapper catches
        ``CancelledError``), so the loop itself stops on ``_closed``; a handler that ignores the cancellation is
        cancelled again until ``within`` seconds have passed. Returns whether the task ended."""
        self._closed = True
        self._items.clear()
        self._room.set()
        task = self._task
        if task is None:
            return True
        deadline = asyncio.get_running_loop().time() + within
        while not task.done():
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return False
            task.cancel()
            await asyncio.wait([task], timeout=min(left, 0.1))
        return True

    async def _drain(self) -> None:
        try:
            while self._items and not self._closed:
                event, args = self._items.popleft()
                if len(self._items) < LANE_DEPTH:
                    self._room.set()
                await self._run(event, args)
        finally:
            self._task = None
            self._room.set()
            if self._items:  # cancelled with work left (server shutting down): nothing more to do for it
                self._items.clear()
            self._on_idle()


class EdgeEngineServer(engineio.AsyncServer):  # type: ignore[misc]
    """python-engineio's server with :class:`GuardedWebSocket` and one :class:`Lane` per busy connection;
    ``logger`` must be a :class:`LibraryLogger`."""

    _async: dict[str, Any]  # python-engineio's table of its async driver's parts

    def __init__(self, *args: Any, logger: LibraryLogger, **kwargs: Any) -> None:
        super().__init__(*args, logger=logger, **kwargs)
        self.refusals = logger.short
        self._async = {**self._async, "websocket": GuardedWebSocket}  # this server's own copy
        self._lanes: dict[str, Lane] = {}
        self.remote_of: Callable[[str], str] = lambda sid: "unknown"
        """The client address of an Engine.IO session (set by :class:`EdgeSocketServer`, which keeps the environs)."""
        self.ping_timeouts = 0
        """Sockets this server closed because a ping's answer had not been read in time (see the module doc)."""
        self._closing = False

    async def close_lanes(self) -> None:
        """Shutting down: refuse new messages, drop the queued ones and end every lane's task (cancelled, then
        awaited), so none is left pending when the loop closes. Run on the web app's shutdown
        (:meth:`EdgeSocketServer.attach`), before the counter and the stores it uses are closed."""
        self._closing = True
        lanes = list(self._lanes.values())
        ended = await asyncio.gather(*(lane.close() for lane in lanes))
        stuck = ended.count(False)
        if stuck:
            log.warning("%d connection handler(s) did not end within %g s of being cancelled", stuck, LANE_CLOSE_S)

    async def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        """Messages (and a disconnect behind them) go to the connection's lane; everything else as before."""
        if event not in ("message", "disconnect") or kwargs.get("run_async"):
            return await super()._trigger_event(event, *args, **kwargs)
        sid = args[0]
        if event == "disconnect":
            self._note_disconnect(sid, args[1] if len(args) > 1 else None)
            lane = self._lanes.get(sid)
            if lane is None or not lane.busy:
                return await super()._trigger_event(event, *args)
            await lane.add(event, args, wait_for_room=False)
            return None
        if self._closing:  # shutting down: a message that comes now is not handled (its connection is closing)
            return None
        lane = self._lanes.get(sid)
        if lane is None:
            lane = self._lanes[sid] = Lane(self._handle, lambda: self._idle(sid))
        await lane.add(event, args, wait_for_room=True)
        return None

    async def _handle(self, event: str, args: tuple[Any, ...]) -> None:
        await super()._trigger_event(event, *args)

    def _idle(self, sid: str) -> None:
        lane = self._lanes.get(sid)
        if lane is not None and lane.idle:
            del self._lanes[sid]

    def _note_disconnect(self, sid: str, reason: object) -> None:
        """One line for a socket this server closed because the client seemed gone (module doc): either the pong
        was not read in time, or nothing at all came for ``ping_interval + ping_timeout`` (python-engineio calls
        that a transport close, like a client's own close; the time of the last frame tells them apart)."""
        if reason == self.reason.PING_TIMEOUT:
            why = f"its answer to the ping was not read within {self.ping_timeout:g} s"
        elif reason == self.reason.TRANSPORT_CLOSE:
            last = getattr(self.sockets.get(sid), "last_frame_at", None)
            silent_s = self.ping_interval + self.ping_timeout
            if last is None or time.monotonic() - last < silent_s * 0.95:
                return
            why = f"nothing came from it for {silent_s:g} s, not even an answer to the ping"
        else:
            return
        self.ping_timeouts += 1
        self.refusals.line(
            logging.WARNING,
            "ping-timeout",
            "closed a socket from %s: %s (link down, or this process too busy to read it); %d such closes so far",
            self.remote_of(sid),
            why,
            self.ping_timeouts,
        )


class EdgeSocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server with malformed packets refused at the door (module docstring)."""

    eio: EdgeEngineServer

    def __init__(self, **kwargs: Any) -> None:
        self.refusals = ShortLog(logging.getLogger("madoguchi.sockets"))
        library_log = LibraryLogger(self.refusals)
        super().__init__(serializer=StrictPacket, logger=library_log, engineio_logger=library_log, **kwargs)
        self.eio.remote_of = lambda eio_sid: _remote(self.environ.get(eio_sid, {}))

    def _engineio_server_class(self) -> type[EdgeEngineServer]:
        return EdgeEngineServer

    def attach(self, app: Any, socketio_path: str = "socket.io") -> None:
        """Attach to the aiohttp app, and end every connection's lane when it shuts down (no task left pending)."""
        super().attach(app, socketio_path)

        async def close_lanes(_app: Any) -> None:
            await self.eio.close_lanes()

        app.on_shutdown.append(close_lanes)

    async def _handle_eio_message(self, eio_sid: str, data: object) -> None:
        try:
            await super()._handle_eio_message(eio_sid, data)
        except MalformedPacket as exc:
            await self._refuse(eio_sid, exc.reason)

    async def _refuse(self, eio_sid: str, reason: str) -> None:
        environ = self.environ.get(eio_sid, {})
        self.refusals.refused(
            "socketio", "refused a Socket.IO packet from %s that could not be decoded (%s)", _remote(environ), reason
        )
        charged = [
            handler.charge(sid)
            for namespace, handler in self.namespace_handlers.items()
            if isinstance(handler, Metered)
            and (sid := self.manager.sid_from_eio_sid(eio_sid, namespace)) is not None
            and self.manager.is_connected(sid, namespace)
        ]
        if not charged or not all(charged):
            self.refusals.refused(
                "socketio-abuse",
                "disconnected %s: its rate limit is spent on packets that could not be decoded",
                _remote(environ),
            )
            socket = self.eio.sockets.get(eio_sid)
            await self.eio.disconnect(eio_sid)
            if socket is not None:  # end its writer now, which closes the WebSocket (else only after 15 s idle)
                await socket.queue.put(None)


def _remote(environ: dict[str, Any]) -> str:
    request = environ.get("aiohttp.request")
    remote = getattr(request, "remote", None)
    return str(remote) if remote else "unknown"
