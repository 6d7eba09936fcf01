"""A headless WebRTC peer that speaks Madoguchi's Socket.IO protocol as a booth or as an agent.

It is what a kiosk or a console does, minus the screen: connect and authenticate (booth device token, or the
agent's session cookie from ``POST /api/login``), send events with acknowledgements, and when ``call.start``
arrives build a :class:`~madoguchi.media.session.MediaSession` with the ICE servers the server handed out.
Which side offers follows ``call.start``'s ``polite`` flag, as the protocol says: the impolite side (the
agent) offers at once, the polite side (the booth) answers.

Incoming events are split in two: media events (``call.start``, ``signal``, ``call.end``) go through one task
in arrival order, so negotiation steps never overlap; everything else lands in an inbox that the caller reads
with :meth:`SignalingPeer.wait_event`.  Socket.IO handlers only enqueue, so the connection's reader is never
blocked.

The probe uses websocket transport only (no long-polling upgrade dance), which keeps each relay hop to a
single frame on an open connection.

Resuming after a dropped link (Wi-Fi blip, the server process killed): a connection that was up and drops
without :meth:`SignalingPeer.close` is reopened by itself, with bounded exponential backoff, going round the
list of server URLs it was given (any process of the deployment will do), with the same credentials. The
state event the server sends on every connect (``booth.state`` / ``agent.state``) then puts the peer back
where it was: an active call gets a fresh RTCPeerConnection (aiortc has no ICE restart), the impolite side
(agent) offers on it, and does the same when ``peer.link {connected: true}`` says the other side came back; the
polite side (booth) answers. Chat lines sent with :meth:`SignalingPeer.send_chat` keep their ``client_id``
until acknowledged and are sent again after a reconnect, so the server stores each exactly once; lines
received (echoes and the transcript replayed in the state event) are kept by seq, once, in
:attr:`SignalingPeer.chat`.

The media half (call start, signals, resume) is :mod:`madoguchi.media.call`; the errors, the reconnect
policy and the agent's login are :mod:`madoguchi.media.connection`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import socketio

from madoguchi.domain.sessions import SESSION_COOKIE
from madoguchi.media.call import CallMedia, step_name
from madoguchi.media.connection import (
    PeerError,
    PeerRefused,
    ProtocolError,
    ReconnectPolicy,
    refusal_code,
    refusal_text,
)
from madoguchi.media.session import Clock, MediaSession

logger = logging.getLogger(__name__)

_MEDIA_EVENTS = ("call.start", "signal", "call.end")
_STATE_EVENTS = ("booth.state", "agent.state")
_INBOX_EVENTS = (
    "booth.state",
    "queue.position",
    "chat.message",
    "peer.link",
    "consultation.closed",
    "agent.state",
    "queue.snapshot",
    "offer",
    "offer.withdrawn",
)


class SignalingPeer(CallMedia):
    """One authenticated Socket.IO connection on a role namespace plus the media of its current call."""

    NAMESPACE: ClassVar[str]
    """The role's namespace; each subclass names its own."""

    def __init__(
        self,
        server: str | Sequence[str],
        *,
        clock: Clock = time.perf_counter,
        reconnect: ReconnectPolicy | None = None,
        relay_only: bool = False,
    ) -> None:
        servers = [server] if isinstance(server, str) else list(server)
        self.relay_only = relay_only
        """Gather TURN candidates only (``iceTransportPolicy: "relay"``), as ``madoguchi probe --relay-only``."""
        if not servers:
            raise ValueError("at least one server URL is needed")
        self.servers = [url.rstrip("/") for url in servers]
        self.server = self.servers[0]
        self.namespace = self.NAMESPACE
        self.clock = clock
        self.reconnect_policy = reconnect or ReconnectPolicy()
        self.sio = self._new_client()
        self.session: MediaSession | None = None
        self.consultation_id: str | None = None
        self.call_started_at: float | None = None
        self.media_errors: list[str] = []
        self.marks: dict[str, float] = {}
        """First moments of this call's signaling steps on :attr:`clock` (``call_start_received``,
        ``offer_sent``, ``answer_received``, ...), to see where call setup time goes."""
        self._inbox: list[tuple[str, dict[str, Any]]] = []
        self._inbox_changed = asyncio.Event()
        self._media_queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._media_task: asyncio.Task[None] | None = None
        self._session_ready = asyncio.Event()
        self._connect_error: Any = None
        self._disconnected = asyncio.Event()
        """Set when the connection is gone for good (closed, or reconnecting gave up)."""
        self._connected = asyncio.Event()
        self._closing = False
        self._auth: Any = None
        self._headers: dict[str, str] = {}
        self._reconnect_task: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._resume_pending = False
        self.reconnects = 0
        """How many times a dropped connection was reopened."""
        self.resumes = 0
        """How many times the call's media was rebuilt after a link came back."""
        self.link_errors: list[str] = []
        self.chat: dict[str, dict[int, dict[str, Any]]] = {}
        """Chat lines by consultation and seq (echoes, relayed lines and state replays, each seq once)."""
        self._chat_changed = asyncio.Event()

    def _new_client(self) -> socketio.AsyncClient:
        """A fresh Socket.IO client with our handlers (one per connection: nothing stale carries over)."""
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        for name in _MEDIA_EVENTS:
            sio.on(name, self._media_handler(name), namespace=self.namespace)
        for name in _INBOX_EVENTS:
            sio.on(name, self._inbox_handler(name), namespace=self.namespace)
        sio.on("connect_error", self._on_connect_error, namespace=self.namespace)
        sio.on("disconnect", self._disconnect_handler(sio), namespace=self.namespace)
        return sio

    def _media_handler(self, name: str) -> Callable[[Any], None]:
        def handler(data: Any = None) -> None:
            payload = data if isinstance(data, dict) else {}
            self._mark(step_name(name, payload) + "_received")
            self._media_queue.put_nowait((name, payload))

        return handler

    def _inbox_handler(self, name: str) -> Callable[[Any], None]:
        def handler(data: Any = None) -> None:
            payload = data if isinstance(data, dict) else {}
            self._inbox.append((name, payload))
            self._inbox_changed.set()
            if name == "chat.message":
                self._keep_chat_line(payload)
            elif name in _STATE_EVENTS:
                view = payload.get("consultation")
                if isinstance(view, dict):
                    for line in view.get("chat") or []:
                        if isinstance(line, dict):
                            self._keep_chat_line(line)
                if self._resume_pending:
                    # The first state after a reconnect: put the call back, in order with the signals.
                    self._resume_pending = False
                    self._media_queue.put_nowait(("resume", payload))
            elif name == "peer.link":
                self._media_queue.put_nowait(("peer.link", payload))

        return handler

    def _keep_chat_line(self, line: dict[str, Any]) -> None:
        consultation_id, seq = line.get("consultation_id"), line.get("seq")
        if not isinstance(consultation_id, str) or not isinstance(seq, int):
            return
        lines = self.chat.setdefault(consultation_id, {})
        if seq not in lines:  # a seq already kept is a repeat (echo and replay overlap after a reconnect)
            lines[seq] = {k: line.get(k) for k in ("consultation_id", "seq", "sender", "text", "at")}
            self._chat_changed.set()

    def chat_lines(self, consultation_id: str) -> list[dict[str, Any]]:
        """The chat of one consultation as kept so far, in seq order."""
        lines = self.chat.get(consultation_id, {})
        return [lines[seq] for seq in sorted(lines)]

    def last_seq(self, consultation_id: str) -> int:
        """The highest seq kept for a consultation (0 when none)."""
        return max(self.chat.get(consultation_id, {}), default=0)

    def _on_connect_error(self, data: Any = None) -> None:
        self._connect_error = data

    def _disconnect_handler(self, sio: socketio.AsyncClient) -> Callable[..., None]:
        def handler(*_: Any) -> None:
            if sio is not self.sio:
                return  # an old client's late goodbye
            self._connected.clear()
            if self._closing or self.reconnect_policy.give_up_after_s <= 0:
                self._disconnected.set()
                self._inbox_changed.set()
                return
            if self._reconnect_task is None or self._reconnect_task.done():
                self._reconnect_task = asyncio.ensure_future(self._reconnect())

        return handler

    # -- connection ----------------------------------------------------------------------------------------

    async def _connect(self, *, auth: Any = None, headers: dict[str, str] | None = None, timeout_s: float) -> None:
        self._auth, self._headers = auth, dict(headers or {})
        await self._open(self.sio, self.server, timeout_s=timeout_s)
        self._media_task = asyncio.ensure_future(self._run_media())

    async def _open(self, sio: socketio.AsyncClient, server: str, *, timeout_s: float) -> None:
        self._connect_error = None
        try:
            await sio.connect(
                server,
                namespaces=[self.namespace],
                auth=self._auth,
                headers=self._headers,
                transports=["websocket"],
                wait_timeout=timeout_s,
            )
        except socketio.exceptions.ConnectionError as exc:
            refusal = refusal_text(self._connect_error)
            if refusal is not None and refusal_code(self._connect_error) is not None:
                raise PeerRefused(f"the server refused the {self.namespace} connection: {refusal}") from exc
            if refusal is not None:
                raise PeerError(f"the server refused the {self.namespace} connection: {refusal}") from exc
            raise PeerError(f"cannot connect to {server} ({self.namespace}): {exc}") from exc
        self._connected.set()

    async def _reconnect(self) -> None:
        """Reopen a dropped connection: backoff, round the server list, same credentials; bounded in time."""
        policy = self.reconnect_policy
        loop = asyncio.get_running_loop()
        deadline = loop.time() + policy.give_up_after_s
        start_index = self.servers.index(self.server) if self.server in self.servers else 0
        dropped = self.sio
        attempt = 0
        while not self._closing:
            await asyncio.sleep(policy.delay(attempt))
            if self._closing:
                return
            server = self.servers[(start_index + attempt) % len(self.servers)]
            attempt += 1
            # The new client is the current one from the start: the state event and the first signals arrive
            # while connect() is still returning, and whatever they make us send must go out on it.
            sio = self._new_client()
            self.sio, self.server = sio, server
            self._resume_pending = True
            try:
                async with asyncio.timeout(policy.connect_timeout_s + 1.0):
                    await self._open(sio, server, timeout_s=policy.connect_timeout_s)
            except PeerRefused as exc:
                # Credentials no longer accepted (revoked token, expired session): retrying will not help.
                self.link_errors.append(str(exc))
                break
            except (PeerError, TimeoutError, OSError, ValueError) as exc:
                self.link_errors.append(f"reconnect attempt {attempt} to {server}: {exc}")
                with contextlib.suppress(Exception):
                    await sio.disconnect()
                if loop.time() >= deadline:
                    break
                continue
            self.reconnects += 1
            logger.info("%s: reconnected to %s (attempt %d)", self.namespace, server, attempt)
            with contextlib.suppress(Exception):
                await dropped.disconnect()
            return
        self._resume_pending = False
        self._disconnected.set()
        self._inbox_changed.set()

    async def wait_connected(self, timeout_s: float) -> None:
        """Wait until the connection is up (again)."""
        try:
            async with asyncio.timeout(timeout_s):
                while not self._connected.is_set():
                    if self._disconnected.is_set():
                        last = self.link_errors[-1] if self.link_errors else "closed"
                        raise PeerError(f"the {self.namespace} connection is gone and reconnecting gave up: {last}")
                    waiter = asyncio.ensure_future(self._connected.wait())
                    gone = asyncio.ensure_future(self._disconnected.wait())
                    try:
                        await asyncio.wait({waiter, gone}, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        waiter.cancel()
                        gone.cancel()
        except TimeoutError:
            raise PeerError(f"not connected to {self.namespace} within {timeout_s:g} s") from None

    async def send_chat(self, consultation_id: str, text: str, *, timeout_s: float = 30.0) -> int:
        """Send a chat line and return its seq, exactly once whatever the link does.

        The ``client_id`` is made once; a lost ack (timeout, or the link dropped) means: wait for the
        connection, send the same line with the same ``client_id`` again. The server stores a ``client_id``
        once and answers a repeat with the original seq. A refusal (error ack) raises :class:`ProtocolError`.
        """
        client_id = secrets.token_hex(12)
        payload = {"consultation_id": consultation_id, "text": text, "client_id": client_id}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise PeerError(f"chat line not acknowledged within {timeout_s:g} s")
            try:
                await self.wait_connected(left)
                ack = await self.call("chat.send", payload, timeout_s=min(5.0, max(0.1, deadline - loop.time())))
            except ProtocolError:
                raise
            except PeerError:
                await asyncio.sleep(0.05)  # the link is down or the ack was lost: same line, same client_id
                continue
            seq = ack.get("seq")
            if not isinstance(seq, int):
                raise PeerError(f"chat.send ack has no seq: {ack!r}")
            return seq

    async def call(self, event: str, payload: dict[str, Any], timeout_s: float = 10.0) -> dict[str, Any]:
        """Emit ``event`` and return its success ack; an error ack raises :class:`ProtocolError`."""
        try:
            ack = await self.sio.call(event, payload, namespace=self.namespace, timeout=timeout_s)
        except socketio.exceptions.TimeoutError as exc:
            raise PeerError(f"{event} got no acknowledgement within {timeout_s:g} s") from exc
        except (socketio.exceptions.BadNamespaceError, socketio.exceptions.DisconnectedError) as exc:
            raise PeerError(f"{event} could not be sent: not connected to {self.namespace}") from exc
        if not isinstance(ack, dict):
            raise PeerError(f"{event} was acknowledged with {ack!r}, not an object")
        error = ack.get("error")
        if error is not None:
            code = error.get("code", "unknown") if isinstance(error, dict) else "unknown"
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            raise ProtocolError(event, str(code), str(message))
        return ack

    async def wait_event(
        self,
        name: str,
        timeout_s: float,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Take the oldest unread ``name`` event matching ``predicate``, waiting up to ``timeout_s``."""
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    for index, (event, data) in enumerate(self._inbox):
                        if event == name and (predicate is None or predicate(data)):
                            del self._inbox[index]
                            return data
                    if self._disconnected.is_set():
                        raise PeerError(f"the server closed the {self.namespace} connection")
                    self._inbox_changed.clear()
                    await self._inbox_changed.wait()
        except TimeoutError:
            raise PeerError(f"no {name} event arrived within {timeout_s:g} s") from None

    def drop_events(self, name: str) -> None:
        self._inbox = [(event, data) for event, data in self._inbox if event != name]

    # -- shutdown ------------------------------------------------------------------------------------------

    async def close(self) -> None:
        """Close media, stop the media task and disconnect (and never reconnect)."""
        self._closing = True
        for task in (self._reconnect_task, self._watchdog):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.end_media()
        if self._media_task is not None:
            self._media_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._media_task
            self._media_task = None
        if self.sio.connected:
            await self.sio.disconnect()
        # A late event may have started a session after end_media; never leave one open.
        await self.end_media()


class BoothPeer(SignalingPeer):
    """A headless booth kiosk on ``/booth``."""

    NAMESPACE = "/booth"

    async def connect(self, token: str, timeout_s: float = 10.0) -> None:
        await self._connect(auth={"token": token}, timeout_s=timeout_s)

    async def request_consultation(self, route: str, language: str = "ja") -> str:
        ack = await self.call("consultation.request", {"route": route, "language": language})
        consultation_id = ack.get("consultation_id")
        if not isinstance(consultation_id, str):
            raise PeerError(f"consultation.request ack has no consultation_id: {ack!r}")
        return consultation_id


class AgentPeer(SignalingPeer):
    """A headless agent console on ``/agent``."""

    NAMESPACE = "/agent"

    async def connect(self, session_cookie: str, timeout_s: float = 10.0) -> None:
        await self._connect(headers={"Cookie": f"{SESSION_COOKIE}={session_cookie}"}, timeout_s=timeout_s)

    async def set_status(self, status: str) -> None:
        await self.call("agent.status", {"status": status})
