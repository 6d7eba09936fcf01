"""The ``/agent`` namespace: a member of staff on duty at the console, authenticated by their session cookie.

Joining a route's rooms on connect is what lets the queue reach them; every time they are shown a resident's
transcript and summary (accept, join, a reload during a call) it is written to the access log in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.settings import Settings
from madoguchi.signaling import events as ev
from madoguchi.signaling import server_events as se
from madoguchi.signaling.consultation import Role
from madoguchi.signaling.counter import Counter, CounterError
from madoguchi.signaling.revocation import ENDS_STAFF_CASES, Credential, Reason
from madoguchi.signaling.rooms import route_room
from madoguchi.signaling.service import Clock, CounterService, StaffIdentity
from madoguchi.signaling.sockets import Ack, Connection, EventObserver, RoleNamespace, done, relay_signals, send_chat
from madoguchi.signaling.staff_sessions import session_credential, staff_identity
from madoguchi.signaling.staffing import StaffMember, interpreter_options, transfer_options
from madoguchi.storage.accounts import Accounts

log = logging.getLogger(__name__)


class AccessLog(Protocol):
    """Where staff access to a resident's record is written (the audit log)."""

    async def write(self, actor: str, action: str, detail: Mapping[str, Any], at: datetime) -> None: ...


class AgentNamespace(RoleNamespace[StaffIdentity]):
    def __init__(
        self,
        *,
        accounts: Accounts,
        service: CounterService,
        settings: Settings,
        clock: Clock,
        observer: EventObserver | None = None,
        access_log: AccessLog | None = None,
        phone_line: Callable[[str], se.PhoneInterpretationLine | None] | None = None,
    ) -> None:
        super().__init__("/agent", service=service, settings=settings, clock=clock, observer=observer)
        self.accounts = accounts
        self.access_log = access_log
        self._phone_line = phone_line  # a town's telephone interpretation service (its municipality file)
        self._audits: set[asyncio.Task[None]] = set()  # record.view writes under way
        s = service
        self.route("agent.status", ev.AgentStatusChange, self._status)
        self.route("offer.accept", ev.OfferAccept, self._accept)
        self.route("offer.decline", ev.ConsultationRef, lambda c, m: done(s.decline(c.identity, m.consultation_id)))
        self.route("video.invite", ev.ConsultationRef, lambda c, m: done(s.invite_video(c.identity, m.consultation_id)))
        self.route(
            "consultation.end",
            ev.ConsultationRef,
            lambda c, m: done(s.end(c.participant, m.consultation_id)),
        )
        self.route("wrapup.submit", ev.WrapUp, self._wrap_up)
        self.route(
            "consultation.transfer",
            ev.Transfer,
            lambda c, m: done(
                s.transfer(c.identity, m.consultation_id, m.route.value, str(m.note), back_to_me=m.back_to_me)
            ),
        )
        self.route("transfer.options", ev.ConsultationRef, self._transfer_options)
        self.route("chat.send", ev.ChatSend, send_chat(s))
        self.route("signal", ev.Signal, relay_signals(s))
        self.route("call.quality", ev.CallQuality, lambda c, m: done(s.links.link_quality(c.participant, m)))
        self.route("consultation.join", ev.JoinCall, self._join)
        self.route("interpreter.invite", ev.InviteInterpreter, self._invite_interpreter)
        self.route("interpreter.options", ev.ConsultationRef, self._interpreter_options)
        self.route("interpreter.decline", ev.DeclineInterpreter, self._decline_interpreter)
        self.route(
            "consultation.leave",
            ev.ConsultationRef,
            lambda c, m: done(s.leave(c.participant, m.consultation_id)),
        )

    async def authenticate(self, environ: Mapping[str, Any], auth: object) -> tuple[str, StaffIdentity]:
        identity = await staff_identity(self.accounts, environ, self.clock())
        return identity.participant, identity

    def credential(self, environ: Mapping[str, Any], auth: object, identity: StaffIdentity) -> Credential | None:
        return session_credential(environ, identity)

    async def access_ended(self, conn: Connection[StaffIdentity], reason: Reason) -> None:
        """They leave every call they joined; a disabled account's own case goes back in line at once."""
        await self.service.staff_access_ended(conn.identity.id, disabled=reason in ENDS_STAFF_CASES)

    async def connected(self, sid: str, conn: Connection[StaffIdentity]) -> None:
        staff = conn.identity
        rooms = [route_room(m, route) for m in staff.municipality_ids for route in staff.routes]
        for room in rooms:
            await self.enter_room(sid, room)
        state, queue = await self.service.agent_connected(staff, self.service.connection_id(sid))
        await self.emit(state.NAME, state.payload(), to=sid)
        if state.consultation is not None:  # a reload or a second tab shows the transcript again
            await self._viewed(conn, state.consultation.consultation_id, "reconnect")
        await self.emit(queue.NAME, queue.payload(), to=sid)

    async def _join(self, conn: Connection[StaffIdentity], m: ev.JoinCall) -> Ack:
        try:
            call = await self.service.join(conn.identity, m.consultation_id, Role(m.role))
        except CounterError as exc:  # a refused join is a try at someone's record: audited too
            why = {"role": m.role, "code": exc.code, "reason": exc.message}
            self._audit_later(conn, "call.join_refused", m.consultation_id, why)
            raise
        await self._viewed(conn, m.consultation_id, "join")  # they see and hear the resident from now on
        return {"call": call.payload()}

    async def _invite_interpreter(self, conn: Connection[StaffIdentity], m: ev.InviteInterpreter) -> Ack:
        expires_at = await self.service.invite_interpreter(conn.identity, m.consultation_id, m.staff_id)
        self._audit_later(conn, "call.interpreter_invite", m.consultation_id, {"staff_id": m.staff_id})
        return {"expires_at": expires_at}

    async def _decline_interpreter(self, conn: Connection[StaffIdentity], m: ev.DeclineInterpreter) -> None:
        await self.service.decline_interpreter(conn.identity, m.consultation_id)

    async def _interpreter_options(self, conn: Connection[StaffIdentity], m: ev.ConsultationRef) -> Ack:
        """Whom the call's agent may invite to interpret (staffing.py): on duty, speaking the resident's language;
        and the case's town's telephone interpretation service, when its file names one (``phone_line``)."""
        me, cid, now = conn.identity.id, m.consultation_id, self.clock()

        def options(counter: Counter) -> tuple[list[se.InterpreterOption], str]:
            rows = interpreter_options(counter, me, cid, now)  # refuses a case that is not theirs
            return rows, counter.state.consultations[cid].municipality_id

        rows, town = await self.service.run(options)
        line = None if self._phone_line is None else self._phone_line(town)
        return {"staff": [row.payload() for row in rows], "phone_line": None if line is None else line.payload()}

    async def _accept(self, conn: Connection[StaffIdentity], m: ev.OfferAccept) -> None:
        await self.service.accept(conn.identity, m.consultation_id, m.description)
        await self._viewed(conn, m.consultation_id, "accept")

    async def _viewed(self, conn: Connection[StaffIdentity], consultation_id: str, how: str) -> None:
        """Audit that a member of staff was shown a case's transcript and summary. In the background: the live
        flow never waits for the database (an outage or a hang must not hold up a call), so a write that fails or
        takes over 5 s is logged instead."""
        self._audit_later(conn, "record.view", consultation_id, {"via": how})

    def _audit_later(
        self, conn: Connection[StaffIdentity], action: str, consultation_id: str, detail: Mapping[str, Any]
    ) -> None:
        """Write one audit entry about a case in the background (see :meth:`_viewed`)."""
        if self.access_log is None:
            return
        full = {"consultation_id": consultation_id, **detail, "username": conn.identity.username}
        at = datetime.fromtimestamp(self.clock(), tz=UTC)
        write = self.access_log.write(f"staff:{conn.identity.id}", action, full, at)
        task = asyncio.create_task(self._audit(write, consultation_id))
        self._audits.add(task)
        task.add_done_callback(self._audits.discard)

    async def _audit(self, write: Awaitable[None], consultation_id: str) -> None:
        try:
            await asyncio.wait_for(write, 5.0)
        except Exception as exc:  # any storage failure: the call goes on
            log.warning("an access to %s not audited (%s)", consultation_id, type(exc).__name__)

    async def _transfer_options(self, conn: Connection[StaffIdentity], m: ev.ConsultationRef) -> Ack:
        """Beside every route of the transfer form: who is on duty there now, and whether anyone else ever could
        take the case (staffing.py). The accounts are read with a short limit: without them, only the first."""
        staff: list[StaffMember] | None
        try:
            async with asyncio.timeout(2.0):
                found = await self.accounts.list()
            staff = [
                StaffMember(r.id, tuple(r.municipality_ids), tuple(r.routes), tuple(r.languages), r.role)
                for r, disabled in found
                if not disabled
            ]
        except Exception as exc:  # the database is away: the form still shows who is on duty
            log.warning("transfer options without the staff list (%s)", type(exc).__name__)
            staff = None
        me, cid = conn.identity.id, m.consultation_id
        rows = await self.service.run(lambda counter: transfer_options(counter, me, cid, ROUTE_IDS, staff))
        return {"routes": [row.payload() for row in rows]}

    async def _wrap_up(self, conn: Connection[StaffIdentity], m: ev.WrapUp) -> Ack:
        await self.service.wrap_up(conn.identity, m.consultation_id, m.disposition, m.note)
        return {"masked": m.masked_count}

    async def _status(self, conn: Connection[StaffIdentity], m: ev.AgentStatusChange) -> Ack:
        await self.service.set_status(conn.identity, m.status)
        return {"status": m.status}
