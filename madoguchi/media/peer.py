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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import socketio

from madoguchi.media.session import Clock, MediaError, MediaSession, ice_servers_from_protocol

logger = logging.getLogger(__name__)

SESSION_COOKIE = "madoguchi_session"
_MEDIA_EVENTS = ("call.start", "signal", "call.end")
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


class PeerError(Exception):
    """Something a person can act on went wrong (unreachable server, refused login, error ack, timeout_s)."""


class ProtocolError(PeerError):
    """The server answered an event with an error acknowledgement."""

    def __init__(self, event: str, code: str, message: str) -> None:
        super().__init__(f"{event} was refused: {code}: {message}")
        self.event = event
        self.code = code


def _refusal_text(refusal: Any) -> str | None:
    """The reason in a ``connect_error`` payload: ``{"code", "message"}`` per the protocol, or Socket.IO's
    ``{"message", "data": {...}}`` wrapping of it, or just a message."""
    if isinstance(refusal, dict):
        inner = refusal.get("data")
        details = inner if isinstance(inner, dict) else refusal
        code = details.get("code")
        message = details.get("message") or refusal.get("message")
        if code:
            return f"{code}: {message or ''}".strip()
        if message:
            return str(message)
    return str(refusal) if refusal else None


async def login_agent(server: str, username: str, password: str, timeout_s: float = 10.0) -> str:
    """Log in through ``POST /api/login`` and return the session cookie's value."""
    url = server.rstrip("/") + "/api/login"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as http,
            http.post(url, json={"username": username, "password": password}) as response,
        ):
            if response.status in (401, 403):
                raise PeerError(f"agent login refused for {username!r}: wrong user name or password")
            if response.status != 200:
                body = (await response.text())[:200]
                raise PeerError(f"agent login failed with HTTP {response.status}: {body}")
            cookie = response.cookies.get(SESSION_COOKIE)
            if cookie is None or not cookie.value:
                raise PeerError(f"agent login answered 200 but set no {SESSION_COOKIE} cookie")
            return cookie.value
    except aiohttp.ClientError as exc:
        raise PeerError(f"cannot reach the server at {server}: {exc}") from exc
    except TimeoutError as exc:
        raise PeerError(f"the server at {server} did not answer the login within {timeout_s:g} s") from exc


def _step_name(event: str, payload: dict[str, Any]) -> str:
    """``call_start``, ``offer``, ``answer``, ``candidate``, ``call_end``: what a media event carries."""
    if event == "signal":
        description = payload.get("description")
        if isinstance(description, dict):
            return str(description.get("type", "description"))
        return "candidate"
    return event.replace(".", "_")


class SignalingPeer:
    """One authenticated Socket.IO connection on a role namespace plus the media of its current call."""

    def __init__(self, server: str, namespace: str, *, clock: Clock = time.perf_counter) -> None:
        self.server = server.rstrip("/")
        self.namespace = namespace
        self.clock = clock
        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
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
        self._register_handlers()

    def _register_handlers(self) -> None:
        for name in _MEDIA_EVENTS:
            self.sio.on(name, self._media_handler(name), namespace=self.namespace)
        for name in _INBOX_EVENTS:
            self.sio.on(name, self._inbox_handler(name), namespace=self.namespace)
        self.sio.on("connect_error", self._on_connect_error, namespace=self.namespace)
        self.sio.on("disconnect", self._on_disconnect, namespace=self.namespace)

    def _media_handler(self, name: str) -> Callable[[Any], None]:
        def handler(data: Any = None) -> None:
            payload = data if isinstance(data, dict) else {}
            self._mark(_step_name(name, payload) + "_received")
            self._media_queue.put_nowait((name, payload))

        return handler

    def _inbox_handler(self, name: str) -> Callable[[Any], None]:
        def handler(data: Any = None) -> None:
            self._inbox.append((name, data if isinstance(data, dict) else {}))
            self._inbox_changed.set()

        return handler

    def _on_connect_error(self, data: Any = None) -> None:
        self._connect_error = data

    def _on_disconnect(self, *_: Any) -> None:
        self._disconnected.set()
        self._inbox_changed.set()

    # -- connection ----------------------------------------------------------------------------------------

    async def _connect(self, *, auth: Any = None, headers: dict[str, str] | None = None, timeout_s: float) -> None:
        try:
            await self.sio.connect(
                self.server,
                namespaces=[self.namespace],
                auth=auth,
                headers=headers or {},
                transports=["websocket"],
                wait_timeout=timeout_s,
            )
        except socketio.exceptions.ConnectionError as exc:
            refusal = _refusal_text(self._connect_error)
            if refusal is not None:
                raise PeerError(f"the server refused the {self.namespace} connection: {refusal}") from exc
            raise PeerError(f"cannot connect to {self.server} ({self.namespace}): {exc}") from exc
        self._media_task = asyncio.ensure_future(self._run_media())

    async def call(self, event: str, payload: dict[str, Any], timeout_s: float = 10.0) -> dict[str, Any]:
        """Emit ``event`` and return its success ack; an error ack raises :class:`ProtocolError`."""
        try:
            ack = await self.sio.call(event, payload, namespace=self.namespace, timeout=timeout_s)
        except socketio.exceptions.TimeoutError as exc:
            raise PeerError(f"{event} got no acknowledgement within {timeout_s:g} s") from exc
        except socketio.exceptions.BadNamespaceError as exc:
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

    # -- media ---------------------------------------------------------------------------------------------

    async def _run_media(self) -> None:
        while True:
            name, data = await self._media_queue.get()
            try:
                await self._handle_media_event(name, data)
            except (MediaError, PeerError, ValueError) as exc:
                logger.warning("%s: %s failed: %s", self.namespace, name, exc)
                self.media_errors.append(f"{name}: {exc}")

    async def _handle_media_event(self, name: str, data: dict[str, Any]) -> None:
        consultation_id = data.get("consultation_id")
        if name == "call.start":
            if self.session is not None:
                await self.session.close()
            self.consultation_id = str(consultation_id)
            self.call_started_at = self.clock()
            polite = bool(data.get("polite", True))
            self.session = MediaSession(
                polite=polite,
                ice_servers=ice_servers_from_protocol(data.get("ice_servers") or []),
                send_signal=self._send_signal,
                clock=self.clock,
            )
            self._session_ready.set()
            if not polite:
                await self.session.negotiate()
        elif name == "signal":
            if self.session is None or consultation_id != self.consultation_id:
                logger.debug("signal for %s without a matching call, ignored", consultation_id)
                return
            await self.session.handle_signal(data)
        elif name == "call.end" and self.session is not None and consultation_id == self.consultation_id:
            await self.session.close()

    def _mark(self, step: str) -> None:
        self.marks.setdefault(step, self.clock())

    async def _send_signal(self, payload: dict[str, Any]) -> None:
        if self.consultation_id is None:
            raise MediaError("no call to signal for")
        self._mark(_step_name("signal", payload) + "_sent")
        await self.call("signal", {"consultation_id": self.consultation_id, **payload})

    async def wait_session(self, timeout_s: float) -> MediaSession:
        """The media session of the call that ``call.start`` began."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._session_ready.wait()
        except TimeoutError:
            raise PeerError(f"no call.start arrived within {timeout_s:g} s") from None
        assert self.session is not None
        return self.session

    async def end_media(self) -> None:
        """Close the current call's media (idempotent) and get ready for the next call."""
        session, self.session = self.session, None
        self._session_ready.clear()
        self.marks = {}
        if session is not None:
            await session.close()

    # -- shutdown ------------------------------------------------------------------------------------------

    async def close(self) -> None:
        """Close media, stop the media task and disconnect."""
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

    def __init__(self, server: str, *, clock: Clock = time.perf_counter) -> None:
        super().__init__(server, "/booth", clock=clock)

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

    def __init__(self, server: str, *, clock: Clock = time.perf_counter) -> None:
        super().__init__(server, "/agent", clock=clock)

    async def connect(self, session_cookie: str, timeout_s: float = 10.0) -> None:
        await self._connect(headers={"Cookie": f"{SESSION_COOKIE}={session_cookie}"}, timeout_s=timeout_s)

    async def set_status(self, status: str) -> None:
        await self.call("agent.status", {"status": status})
