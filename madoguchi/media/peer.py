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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp
import socketio

from madoguchi.media.session import Clock, MediaError, MediaSession, ice_servers_from_protocol

logger = logging.getLogger(__name__)

SESSION_COOKIE = "madoguchi_session"
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


@dataclass(frozen=True)
class ReconnectPolicy:
    """How a dropped connection is reopened: exponential backoff with jitter, bounded in delay and in time."""

    first_delay_s: float = 0.2
    max_delay_s: float = 5.0
    give_up_after_s: float = 60.0
    connect_timeout_s: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds before attempt ``attempt`` (0-based): 0, then doubling from ``first_delay_s``, jittered."""
        if attempt == 0:
            return 0.0
        base = min(self.max_delay_s, self.first_delay_s * 2.0 ** (attempt - 1))
        return base * random.uniform(0.75, 1.0)  # spreading retries, not cryptography


NO_RECONNECT = ReconnectPolicy(give_up_after_s=0.0)
# After a resume the media must connect within this long, or the connection is rebuilt again (bounded).
RESUME_CONNECT_TIMEOUT_S = 8.0
MAX_RESUME_RETRIES = 3
# The polite side waits this long for the impolite side's fresh offer after its own reconnect, then offers.
POLITE_RESUME_OFFER_WAIT_S = 3.0


class PeerError(Exception):
    """Something a person can act on went wrong (unreachable server, refused login, error ack, timeout_s)."""


class PeerRefused(PeerError):
    """The server refused the connection (bad or revoked credentials); retrying will not help."""


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


def _refusal_code(refusal: Any) -> str | None:
    """The protocol's error code in a ``connect_error`` payload; None for a transport failure."""
    if not isinstance(refusal, dict):
        return None
    inner = refusal.get("data")
    details = inner if isinstance(inner, dict) else refusal
    code = details.get("code")
    return str(code) if code else None


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
            self._mark(_step_name(name, payload) + "_received")
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
            refusal = _refusal_text(self._connect_error)
            if refusal is not None and _refusal_code(self._connect_error) is not None:
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
        if name == "resume":
            await self._resume_from_state(data)
        elif name == "peer.link":
            session = self.session
            if (
                data.get("connected") is True
                and session is not None
                and not session.polite
                and consultation_id == self.consultation_id
            ):
                # The other side's link is back and it rebuilt its connection: offer on a fresh one.
                await self._rebuild_media(session)
        elif name == "call.start":
            await self._start_call(data)
        elif name == "signal":
            if self.session is None or consultation_id != self.consultation_id:
                logger.debug("signal for %s without a matching call, ignored", consultation_id)
                return
            await self.session.handle_signal(data)
        elif name == "call.end" and self.session is not None and consultation_id == self.consultation_id:
            await self.session.close()

    async def _start_call(self, data: dict[str, Any]) -> None:
        if self.session is not None:
            await self.session.close()
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.consultation_id = str(data.get("consultation_id"))
        self.call_started_at = self.clock()
        polite = bool(data.get("polite", True))
        self.session = MediaSession(
            polite=polite,
            ice_servers=ice_servers_from_protocol(data.get("ice_servers") or []),
            send_signal=self._send_signal,
            clock=self.clock,
            relay_only=self.relay_only,
        )
        self._session_ready.set()
        if not polite:
            await self.session.negotiate()

    async def _resume_from_state(self, state: dict[str, Any]) -> None:
        """The first state event after a reconnect: carry on with the call it names, or drop a finished one."""
        view = state.get("consultation")
        call = view.get("call") if isinstance(view, dict) else None
        active = isinstance(view, dict) and view.get("state") == "active" and isinstance(call, dict)
        if not active or not isinstance(call, dict) or call.get("media") is False:
            if self.session is not None and not active:
                logger.info("%s: the call ended while the link was down", self.namespace)
                await self.end_media()
            return
        if self.session is None or call.get("consultation_id") != self.consultation_id:
            await self._start_call(call)  # e.g. a new peer object, or the call began while we were away
            return
        await self._rebuild_media(self.session)

    async def _rebuild_media(self, session: MediaSession) -> None:
        """A fresh RTCPeerConnection for the same call (aiortc has no ICE restart); the impolite side offers.

        A watchdog rebuilds again (a bounded number of times) if the media does not connect: an offer sent while
        the other side's link was still down reached nobody.
        """
        self.resumes += 1
        await session.restart()
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watchdog = asyncio.ensure_future(self._watch_resumed(session))

    async def _watch_resumed(self, session: MediaSession) -> None:
        for retry in range(MAX_RESUME_RETRIES + 1):
            try:
                if session.polite:
                    # Give the impolite side's fresh offer time to come; if none did, offer ourselves.
                    with contextlib.suppress(MediaError):
                        await session.wait_remote_description(POLITE_RESUME_OFFER_WAIT_S)
                    if not session.has_remote_description():
                        await session.negotiate()
                await session.wait_connected(RESUME_CONNECT_TIMEOUT_S)
                return
            except (MediaError, PeerError) as exc:
                if session is not self.session or retry == MAX_RESUME_RETRIES:
                    self.media_errors.append(f"resume: {exc}")
                    return
                logger.warning("%s: media did not come back (%s); rebuilding again", self.namespace, exc)
                self.resumes += 1
                await session.restart()

    def _mark(self, step: str) -> None:
        self.marks.setdefault(step, self.clock())

    async def _send_signal(self, payload: dict[str, Any]) -> None:
        if self.consultation_id is None:
            raise MediaError("no call to signal for")
        if not self._connected.is_set() and not self._disconnected.is_set():
            # The link is down and coming back: the resume after it negotiates afresh, so this one can go.
            logger.info("%s: link down, %s not sent", self.namespace, _step_name("signal", payload))
            return
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
