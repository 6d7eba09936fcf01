"""Socket.IO edge, the part every role shares: authenticate, validate one event model, call the counter service,
answer with an ack. The namespaces themselves are one module per role (``booth_socket``, ``agent_socket``,
``supervisor_socket``, ``resident_chat/resident_socket``); where server events go is :mod:`~madoguchi.signaling.rooms`.

Handlers stay thin on purpose. Every client → server event is routed through :meth:`RoleNamespace.trigger_event`,
which enforces the per-connection rate limit, parses the payload into the event's frozen model, and turns
refusals into ``{"error": {"code", "message"}}`` acks without touching anything else. Events of one connection are
handled in order (``async_handlers=False``), which keeps SDP and ICE candidates in the order they were sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import socketio
from pydantic import ValidationError

from madoguchi.domain.privacy import PERSONAL_NUMBER_REFUSAL
from madoguchi.settings import Settings
from madoguchi.signaling import events as ev
from madoguchi.signaling.counter import CounterError
from madoguchi.signaling.masking_work import MaskingWork, text_size
from madoguchi.signaling.ratelimit import TokenBucket
from madoguchi.signaling.revocation import ENDS_RESIDENT_CASES, Credential, Reason
from madoguchi.signaling.server_events import AccessRevoked
from madoguchi.signaling.service import Clock, CounterService

log = logging.getLogger(__name__)


Ack = dict[str, Any]
E = TypeVar("E", bound=ev.Event)
I = TypeVar("I")  # noqa: E741 (identity of the connected party)


def error_ack(code: str, message: str, details: dict[str, Any] | None = None) -> Ack:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        if err["type"] == "control_character":  # the message names the field itself (safe_text.unsafe_message)
            parts.append(err["msg"])
            continue
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


@dataclass
class Connection(Generic[I]):
    participant: str
    identity: I
    bucket: TokenBucket
    credential: Credential | None = None
    """What it was let in with, re-checked while it is open (:mod:`madoguchi.signaling.revocation`)."""
    revoked: bool = False
    """Its credential was found taken away: no event of it is served any more, while :meth:`RoleNamespace.revoke`
    ends what it held and closes it."""


@dataclass(frozen=True)
class Route(Generic[I, E]):
    model: type[E]
    handler: Callable[[Connection[I], E], Awaitable[Ack | None]]


class EventObserver(Protocol):
    """Sees every handled event and its ack (metrics); must not raise."""

    def socket_event(self, namespace: str, event: str, ack: object) -> None: ...


class RoleNamespace(socketio.AsyncNamespace, Generic[I]):  # type: ignore[misc]
    """A namespace whose events are declared with :meth:`route`; subclasses add authentication."""

    def __init__(
        self,
        namespace: str,
        *,
        service: CounterService,
        settings: Settings,
        clock: Clock,
        observer: EventObserver | None = None,
        masking: MaskingWork | None = None,
    ) -> None:
        super().__init__(namespace)
        self.service = service
        self.settings = settings
        self.clock = clock
        self.observer = observer
        self.masking = masking
        """Where an event of :attr:`masked_events` with long free text is read (and so masked): off the loop
        (:mod:`.masking_work`)."""
        self.masked_events: frozenset[str] = frozenset()
        """Events read on :attr:`masking` when long (chat lines: not ``signal``, whose long SDP is not masked)."""
        self.connections: dict[str, Connection[I]] = {}
        self.routes: dict[str, Route[I, Any]] = {}

    def route(self, name: str, model: type[E], handler: Callable[[Connection[I], E], Awaitable[Ack | None]]) -> None:
        self.routes[name] = Route(model, handler)

    async def authenticate(self, environ: Mapping[str, Any], auth: object) -> tuple[str, I]:
        raise NotImplementedError

    def credential(self, environ: Mapping[str, Any], auth: object, identity: I) -> Credential | None:
        """Hook: the credential an authenticated connection holds (None: anonymous, nothing to re-check)."""
        return None

    async def revoke(self, sid: str, reason: Reason) -> None:
        """The connection's credential was taken away: say why (``access.revoked``), end what it must, close it."""
        conn = self.connections.get(sid)
        if conn is None or conn.revoked:
            return
        # first: the awaits below (the event, ending its cases, the close) let its next packets in meanwhile, and a
        # revoked booth opened a case or a disabled agent accepted one between being told and being closed
        conn.revoked = True
        event = AccessRevoked(reason=reason.value)
        await self.emit(event.NAME, event.payload(), to=sid)
        try:
            await self.access_ended(conn, reason)
        except CounterError as exc:  # the live store away: the next connect re-checks what they hold
            log.warning("could not end the cases of revoked %s: %s", conn.participant, exc.message)
        await self.disconnect(sid)

    async def access_ended(self, conn: Connection[I], reason: Reason) -> None:
        """Hook: what the connection's participant holds in cases that its lost credential ends (a booth's
        cases when the booth was revoked; staff namespaces: see ``agent_socket``)."""
        if reason in ENDS_RESIDENT_CASES:
            await self.service.revoke_resident(conn.participant)

    def charge(self, sid: str) -> bool:
        """Take one event from ``sid``'s rate limit for a packet that could not be decoded (see
        :mod:`madoguchi.signaling.socket_server`); False when nothing was left or ``sid`` is unknown."""
        conn = self.connections.get(sid)
        return conn is not None and conn.bucket.take(self.clock())

    async def connected(self, sid: str, conn: Connection[I]) -> None:
        """Hook: the connection is registered and in its participant's room."""

    async def admit(self, conn: Connection[I], event: str) -> Ack | None:
        """Hook: a refusal for ``event`` before its payload is read (parsing masks free text, the dearest step of
        an event), or None to go on. A namespace limits its costly events here."""
        return None

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect") and self.server.manager.is_connected(args[0], self.namespace):
            # A connected client sent an EVENT named like a lifecycle event (python-socketio passes it on
            # unchanged). The real connect and disconnect run while the sid is pending, never connected.
            return error_ack("unknown_event", f"{event!r} is not an event clients may send")
        if event == "connect":
            sid, environ, *rest = args
            return await self._connect(sid, environ, rest[0] if rest else None)
        if event == "disconnect":
            return await self._disconnect(args[0])
        sid = args[0]
        payload = args[1] if len(args) > 1 else None
        return await self._event(sid, event, payload)

    async def _connect(self, sid: str, environ: Mapping[str, Any], auth: object) -> bool:
        try:
            participant, identity = await self.authenticate(environ, auth)
            bucket = TokenBucket(
                rate=self.settings.events_per_second, burst=self.settings.event_burst, now=self.clock()
            )
            credential = self.credential(environ, auth, identity)
            conn: Connection[I] = Connection(participant, identity, bucket, credential)
            self.connections[sid] = conn
            await self.enter_room(sid, participant)
            await self.connected(sid, conn)
            if not self._transport_open(sid):
                # python-socketio drops a disconnect that arrives while this handler runs (the sid is still
                # pending), so nobody would ever close what connected() opened: the participant stayed connected
                # in the live state for good (the heartbeat restates held connections), a booth gone mid-connect
                # never lost its link and its call never ended (#13). Close it here instead.
                await self._disconnect(sid)
                return False
        except CounterError as exc:
            # e.g. a bad token, or the live store unreachable while restoring this participant's state.
            self.connections.pop(sid, None)
            # Socket.IO sends this as connect_error {"message": ..., "data": {"code", "message"}}.
            refusal = {"code": exc.code, "message": exc.message}
            raise socketio.exceptions.ConnectionRefusedError(exc.message, refusal) from None
        return True

    def _transport_open(self, sid: str) -> bool:
        """Whether the client's Engine.IO session behind ``sid`` is still there and open."""
        eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
        session = self.server.eio.sockets.get(eio_sid) if eio_sid is not None else None
        return session is not None and not session.closed

    async def _disconnect(self, sid: str) -> None:
        conn = self.connections.pop(sid, None)
        if conn is None:
            return
        try:
            await self.service.disconnected(conn.participant, self.service.connection_id(sid))
        except Exception:
            log.exception("disconnect handling failed for %s", conn.participant)

    async def _event(self, sid: str, event: str, payload: object) -> Ack:
        ack = await self._handle(sid, event, payload)
        if self.observer is not None:
            # only declared names become metric labels: clients cannot grow the label set
            self.observer.socket_event(self.namespace, event if event in self.routes else "unknown", ack)
        return ack

    async def _handle(self, sid: str, event: str, payload: object) -> Ack:
        conn = self.connections.get(sid)
        if conn is None:
            return error_ack("unauthorized", "not connected")
        if conn.revoked:
            return error_ack("unauthorized", "access to this connection was taken away")
        if not conn.bucket.take(self.clock()):
            return error_ack("rate_limited", "too many events; slow down")
        route = self.routes.get(event)
        if route is None:
            return error_ack("unknown_event", f"unknown event {event!r}")
        refusal = await self.admit(conn, event)
        if refusal is not None:
            return refusal
        if not isinstance(payload, dict):
            return error_ack("invalid_payload", "payload must be an object")
        size = text_size(payload)
        if size > self.settings.max_payload_bytes:
            # the transport takes up to TRANSPORT_HEADROOM times this (app.py), so an oversized event is answered
            # here, with the connection kept, instead of the transport dropping the socket without a word
            limit = self.settings.max_payload_bytes
            return error_ack("payload_too_large", f"this event holds {size} characters of text; at most {limit}")
        try:
            if self.masking is None or event not in self.masked_events:
                message = route.model.model_validate(payload)
            else:  # reading the event masks its free text: a long text is masked off the loop, in order
                message = await self.masking.call(route.model.model_validate, payload, text_size(payload))
        except ValidationError as exc:
            if any(err["type"] == ev.PERSONAL_NUMBER for err in exc.errors()):
                return error_ack(ev.PERSONAL_NUMBER, PERSONAL_NUMBER_REFUSAL)  # names no digit (events._phone)
            return error_ack("invalid_payload", _validation_message(exc))
        try:
            result = await route.handler(conn, message)
        except CounterError as exc:
            return error_ack(exc.code, exc.message, exc.details)
        except Exception:
            log.exception("%s %s failed", self.namespace, event)
            return error_ack("internal", "the server could not complete this request")
        return {"ok": True, **(result or {})}


async def done(aw: Awaitable[None]) -> None:
    """Await an operation whose ack carries nothing but ok."""
    await aw


def send_chat(service: CounterService) -> Callable[[Connection[Any], ev.ChatSend], Awaitable[Ack]]:
    """The ``chat.send`` handler the booth and the agent share (the resident at home chats through the bot)."""

    async def handler(conn: Connection[Any], m: ev.ChatSend) -> Ack:
        seq = await service.relay.chat(conn.participant, m.consultation_id, m.text, m.client_id)
        return {"seq": seq, "masked": m.masked_count}

    return handler


def relay_signals(service: CounterService) -> Callable[[Connection[Any], ev.Signal], Awaitable[None]]:
    """The ``signal`` handler every namespace with a call shares (the resident at home once they accept video)."""
    return _signal(service)


def _signal(service: CounterService) -> Callable[[Connection[Any], ev.Signal], Awaitable[None]]:
    async def handler(conn: Connection[Any], m: ev.Signal) -> None:
        await service.relay.relay_signal(
            conn.participant,
            m.consultation_id,
            to=m.to,
            description=m.description,
            candidate=m.candidate,
            mode=m.mode,
            forced=m.forced,
            media_state=m.media_state,
        )

    return handler
