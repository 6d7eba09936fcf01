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
- :class:`EdgeSocketServer` limits namespace CONNECTs: :data:`CONNECTS_PER_SESSION` per Engine.IO session
  (a page connects once per session) and a rate per client address; past either the session is closed (no
  connect error: the pages would take it for a refused login and stop; a closed session they reconnect).
  Session 11's outside pass sent 500 CONNECT/DISCONNECT pairs for ``/resident`` on one WebSocket in 3 s, each a
  counter operation and a ``resident.state``.
- :class:`EdgeEngineServer` also bounds the Engine.IO sessions that are in no namespace
  (:mod:`madoguchi.signaling.session_door`): a new one past the limits of its client address or of the process
  is refused ``429`` before anything is made for it, and one that joins no namespace in time is closed by a sweep
  every :data:`SWEEP_S`; both are logged once per address per minute.
"""

from __future__ import annotations

import asyncio
import binascii
import json
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
from madoguchi.signaling.ratelimit import MemoryKeyedLimit, Rate
from madoguchi.signaling.session_door import DoorLimits, PerAddressLog, Refusal, SessionDoor

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

SWEEP_S: Final = 1.0
"""How often sessions outside every namespace are checked against their time (at most this late)."""

REFUSED: Final[dict[Refusal, str]] = {
    "address": "too many connections from your network address are still starting; wait a few seconds and try again",
    "total": "the server is handling too many new connections; wait a few seconds and try again",
}
"""The sentence of a ``429`` refusal of a new Engine.IO session, by what refused it."""

RETRY_AFTER_S: Final = 5

CONNECTS_PER_SESSION: Final = Rate(per_minute=6, burst=8)
"""Namespace CONNECTs one Engine.IO session may send: a page joins one or two namespaces once (the JS client
opens a new session to reconnect), so eight at once and one every ten seconds after is far above any real client."""

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
        self.door: SessionDoor | None = None
        """The limits on sessions in no namespace (set by :class:`EdgeSocketServer`; ``None``: no limits)."""
        self.address_of: Callable[[dict[str, Any]], str] = _remote
        """The client address the door counts by, from a request's environ (trusted proxies honoured)."""
        self.in_namespace: Callable[[str], bool] = lambda sid: True
        """Whether an Engine.IO session is in some namespace (set by :class:`EdgeSocketServer`)."""
        self.unjoined_closed = 0
        """Sessions closed because they were in no namespace for too long."""
        self.door_refused = 0
        """New sessions refused because too many were in no namespace."""
        self._addresses: dict[str, str] = {}  # session → client address, for sessions the door knows
        self._door_log = PerAddressLog()
        self._sweeper: asyncio.Task[None] | None = None

    async def close_lanes(self) -> None:
        """Shutting down: refuse new messages, drop the queued ones and end every lane's task (cancelled, then
        awaited), so none is left pending when the loop closes. Run on the web app's shutdown
        (:meth:`EdgeSocketServer.attach`), before the counter and the stores it uses are closed."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.wait([self._sweeper], timeout=LANE_CLOSE_S)
            self._sweeper = None
        lanes = list(self._lanes.values())
        ended = await asyncio.gather(*(lane.close() for lane in lanes))
        stuck = ended.count(False)
        if stuck:
            log.warning("%d connection handler(s) did not end within %g s of being cancelled", stuck, LANE_CLOSE_S)

    async def _handle_connect(self, environ: dict[str, Any], transport: str, jsonp_index: int | None = None) -> Any:
        """A new session takes a place at the door first (module doc); refused, nothing is made for it."""
        door = self.door
        if door is None:
            return await super()._handle_connect(environ, transport, jsonp_index)
        address = self.address_of(environ)
        refused = door.reserve(address)
        if refused is not None:
            self.door_refused += 1
            self._door_line(address, refused)
            return {
                "status": "429 TOO MANY REQUESTS",
                "headers": [("Content-Type", "text/plain; charset=UTF-8"), ("Retry-After", str(RETRY_AFTER_S))],
                "response": json.dumps(REFUSED[refused]).encode(),
            }
        ticket = environ[_TICKET] = _Ticket(address)
        if self._sweeper is None and not self._closing:
            self._sweeper = asyncio.create_task(self._sweep_forever())
        try:
            return await super()._handle_connect(environ, transport, jsonp_index)
        finally:
            if ticket.session is None:
                door.release(address)  # no session was made (or the application refused it)
            elif ticket.session not in self.sockets:
                self._forget(ticket.session)  # refused by the application, or a WebSocket that has ended

    def _door_line(self, address: str, refused: Refusal | None) -> None:
        """One line per address per minute for a refused session (``refused``: why) or one closed for joining
        nothing in time (``None``)."""
        left_out = self._door_log.note(address, time.monotonic())
        door = self.door
        if left_out is None or door is None:
            return
        more = f"; {left_out} more refused or closed since the last line about it" if left_out else ""
        if refused is None:
            message = "closed a connection from %s that joined no namespace within %g s"
            log.warning(message + more, address, door.limits.join_within_s)
            return
        why, limit = {
            "address": ("this address already has %d connections in no namespace", door.limits.per_address),
            "total": ("the process already has %d connections in no namespace", door.limits.total),
        }[refused]
        log.warning("refused a new connection from %s: " + why + more, address, limit)

    def door_line_raw(self, address: str, message: str) -> None:
        """One line per address per minute (shared with the door's), ``message`` naming the address by ``%s``."""
        left_out = self._door_log.note(address, time.monotonic())
        if left_out is not None:
            more = f"; {left_out} more refused or closed since the last line about it" if left_out else ""
            log.warning(message + more, address)

    async def close_session(self, sid: str) -> None:
        """Close a session now, without waiting for a long poll to take its close packet."""
        socket = self.sockets.get(sid)
        self._forget(sid)
        if socket is None:
            return
        await socket.close(wait=False, reason=self.reason.SERVER_DISCONNECT)
        self.sockets.pop(sid, None)
        await socket.queue.put(None)  # ends a WebSocket's writer now (a long poll gets the close packet)

    def _forget(self, sid: str) -> None:
        self._addresses.pop(sid, None)
        if self.door is not None:
            self.door.settle(sid)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_S)
            try:
                await self.sweep()
            except Exception:
                log.exception("the sweep of connections in no namespace failed")

    async def sweep(self, now: float | None = None) -> None:
        """Sessions that left their last namespace take a place again (or are closed when there is none), and those
        outside every namespace past their time are closed."""
        door = self.door
        if door is None:
            return
        now = time.monotonic() if now is None else now
        for sid, socket in list(self.sockets.items()):
            if socket.closing or socket.closed or door.is_pending(sid) or sid not in self._addresses:
                continue
            if not self.in_namespace(sid) and door.pend(sid, self._addresses[sid], now) is not None:
                await self._close_unjoined(sid)
        for sid, address in door.overdue(now):
            self._door_line(address, None)
            await self._close_unjoined(sid)

    async def _close_unjoined(self, sid: str) -> None:
        self.unjoined_closed += 1
        await self.close_session(sid)

    def joined(self, sid: str) -> None:
        """The session is in a namespace now: its place at the door is free."""
        if self.door is not None:
            self.door.settle(sid)

    async def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        """Messages (and a disconnect behind them) go to the connection's lane; everything else as before."""
        if event == "connect" and self.door is not None:
            ticket = args[1].get(_TICKET) if len(args) > 1 and isinstance(args[1], dict) else None
            if isinstance(ticket, _Ticket):
                ticket.session = args[0]
                self._addresses[args[0]] = ticket.address
                self.door.bind(args[0], ticket.address, time.monotonic())
        if event not in ("message", "disconnect") or kwargs.get("run_async"):
            return await super()._trigger_event(event, *args, **kwargs)
        sid = args[0]
        if event == "disconnect":
            self._forget(sid)
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


_TICKET: Final = "madoguchi.door"
"""Where a new session's request environ carries its :class:`_Ticket` from the door to the connect event."""


class _Ticket:
    """A place taken at the door for a session python-engineio is making."""

    __slots__ = ("address", "session")

    def __init__(self, address: str) -> None:
        self.address = address
        self.session: str | None = None


class EdgeSocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server with malformed packets refused at the door (module docstring)."""

    eio: EdgeEngineServer

    def __init__(
        self,
        *,
        door: DoorLimits | None = None,
        address_of: Callable[[dict[str, Any]], str] | None = None,
        connects_per_address: Rate | None = None,
        **kwargs: Any,
    ) -> None:
        """``door``: the limits on sessions in no namespace (none when ``None``); ``address_of``: the client address
        of a request's environ they count by (default the TCP peer); ``connects_per_address``: namespace CONNECTs
        one client address may send (none when ``None``; each session has :data:`CONNECTS_PER_SESSION` anyway)."""
        self.refusals = ShortLog(logging.getLogger("madoguchi.sockets"))
        library_log = LibraryLogger(self.refusals)
        super().__init__(serializer=StrictPacket, logger=library_log, engineio_logger=library_log, **kwargs)
        # python-socketio accepts a CONNECT to the namespaces in ``namespaces`` besides those with handlers, and
        # ``namespaces=None`` or ``[]`` both mean ``['/']``: the default namespace, which the app does not serve,
        # took every CONNECT and counted as joined, so one address held unlimited idle sessions past the door
        # (session 12). No list: only a namespace with a handler (``register_namespace``) accepts a CONNECT; any
        # other gets a CONNECT_ERROR and its session stays at the door.
        self.namespaces: list[str] = []
        self.eio.remote_of = lambda eio_sid: _remote(self.environ.get(eio_sid, {}))
        self.eio.door = None if door is None else SessionDoor(door)
        self.eio.address_of = address_of or _remote
        self.eio.in_namespace = self.in_namespace
        self._session_connects = MemoryKeyedLimit(CONNECTS_PER_SESSION)
        self._address_connects = None if connects_per_address is None else MemoryKeyedLimit(connects_per_address)
        self.connects_refused = 0

    def serves(self, namespace: str) -> bool:
        """Whether the app serves ``namespace`` (a handler is registered for it)."""
        return namespace in self.namespace_handlers or namespace in self.handlers

    def in_namespace(self, eio_sid: str) -> bool:
        """Whether the Engine.IO session is in some namespace the app serves (connected, or connecting: its CONNECT
        is being authenticated). Only a served namespace frees the session's place at the door."""
        return any(
            self.manager.sid_from_eio_sid(eio_sid, namespace)
            for namespace in self.manager.get_namespaces()
            if self.serves(namespace)
        )

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: object) -> None:
        if not self._connect_allowed(eio_sid):
            await self._refuse_connect(eio_sid, namespace or "/")
            return
        await super()._handle_connect(eio_sid, namespace, data)
        if self.in_namespace(eio_sid):
            self.eio.joined(eio_sid)

    def _engineio_server_class(self) -> type[EdgeEngineServer]:
        return EdgeEngineServer

    def attach(self, app: Any, socketio_path: str = "socket.io") -> None:
        """Attach to the aiohttp app, and end every connection's lane when it shuts down (no task left pending)."""
        super().attach(app, socketio_path)

        async def close_lanes(_app: Any) -> None:
            await self.eio.close_lanes()

        app.on_shutdown.append(close_lanes)

    def _connect_allowed(self, eio_sid: str) -> bool:
        now = time.monotonic()
        if self._session_connects.take_now(eio_sid, now) > 0:
            return False
        if self._address_connects is None:
            return True
        return self._address_connects.take_now(self.eio.address_of(self.environ.get(eio_sid, {})), now) <= 0

    async def _refuse_connect(self, eio_sid: str, namespace: str) -> None:
        """Close the session of a CONNECT past its limits (its client churns or floods). No connect error is sent:
        the pages take one as "this device or login is refused" and stop (booth.js shows its fatal screen), while a
        closed session is a dropped link, which they reconnect after a pause, in a new session."""
        self.connects_refused += 1
        address = self.eio.address_of(self.environ.get(eio_sid, {}))
        self.eio.door_line_raw(address, f"closed a connection from %s: too many namespace connects ({namespace})")
        await self.eio.close_session(eio_sid)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: object) -> None:
        await super()._handle_eio_disconnect(eio_sid, reason)
        self._session_connects.forget(eio_sid)

    async def _handle_eio_message(self, eio_sid: str, data: object) -> None:
        if eio_sid not in self.eio.sockets:
            return  # closed by this server (a refused connect) with messages still queued behind: none is handled
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
