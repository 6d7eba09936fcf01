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
"""

from __future__ import annotations

import binascii
import logging
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
        if owner is not None and owner.closed:
            return None
        if frame is not None and not engine_packet_ok(frame):
            self.server.refusals.refused(
                "engineio", "closed a WebSocket from %s: a frame was not an Engine.IO packet", _remote(self.environ)
            )
            return None  # python-engineio reads this as "closed by the client"
        return frame


class EdgeEngineServer(engineio.AsyncServer):  # type: ignore[misc]
    """python-engineio's server with :class:`GuardedWebSocket`; ``logger`` must be a :class:`LibraryLogger`."""

    _async: dict[str, Any]  # python-engineio's table of its async driver's parts

    def __init__(self, *args: Any, logger: LibraryLogger, **kwargs: Any) -> None:
        super().__init__(*args, logger=logger, **kwargs)
        self.refusals = logger.short
        self._async = {**self._async, "websocket": GuardedWebSocket}  # this server's own copy


class EdgeSocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server with malformed packets refused at the door (module docstring)."""

    eio: EdgeEngineServer

    def __init__(self, **kwargs: Any) -> None:
        self.refusals = ShortLog(logging.getLogger("madoguchi.sockets"))
        library_log = LibraryLogger(self.refusals)
        super().__init__(serializer=StrictPacket, logger=library_log, engineio_logger=library_log, **kwargs)

    def _engineio_server_class(self) -> type[EdgeEngineServer]:
        return EdgeEngineServer

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
