"""The ``/supervisor`` namespace: a supervisor's or admin's live view of their municipalities, and their steering.

Why a namespace of its own rather than more events on ``/agent``: watching is not being on duty. A supervisor's
page connecting or closing must never put them on the counter or take them off it: its connection is held in the
live state only as a ``supervisor:`` participant (so the staff list can say who is watching rather than 未接続),
never as an agent; it authenticates with the same session cookie as ``/agent``, refuses agents, joins one room per
municipality the person belongs to (see :func:`~madoguchi.signaling.rooms.supervisors_room`) and sends each
municipality's snapshot at once. Every steering action is written to the audit log after it succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from madoguchi.domain.participant import Participant
from madoguchi.settings import Settings
from madoguchi.signaling import events as ev
from madoguchi.signaling.counter import AgentStatus, CounterError
from madoguchi.signaling.recording import utc
from madoguchi.signaling.revocation import Credential
from madoguchi.signaling.rooms import supervisors_room
from madoguchi.signaling.service import Clock, CounterService, StaffIdentity
from madoguchi.signaling.sockets import (
    Ack,
    Connection,
    EventObserver,
    RoleNamespace,
)
from madoguchi.signaling.staff_sessions import SUPERVISING_ROLES, session_credential, staff_identity
from madoguchi.signaling.supervisor_feed import SupervisorFeed
from madoguchi.storage.accounts import Accounts
from madoguchi.storage.audit import AuditLog

log = logging.getLogger(__name__)


class SupervisorNamespace(RoleNamespace[StaffIdentity]):
    def __init__(
        self,
        *,
        accounts: Accounts,
        audit: AuditLog,
        feed: SupervisorFeed,
        service: CounterService,
        settings: Settings,
        clock: Clock,
        observer: EventObserver | None = None,
    ) -> None:
        super().__init__("/supervisor", service=service, settings=settings, clock=clock, observer=observer)
        self.accounts = accounts
        self.audit = audit
        self.feed = feed
        self.route("supervisor.assign", ev.SupervisorAssign, self._assign)
        self.route("supervisor.move_route", ev.SupervisorMoveRoute, self._move_route)
        self.route("supervisor.set_away", ev.SupervisorSetAway, self._set_away)
        self.route("supervisor.resync", ev.SupervisorResync, self._resync)
        self.route("supervisor.booths", ev.SupervisorBooths, self._booths)

    async def authenticate(self, environ: Mapping[str, Any], auth: object) -> tuple[str, StaffIdentity]:
        identity = await staff_identity(self.accounts, environ, self.clock())
        if identity.role not in SUPERVISING_ROLES:
            raise CounterError("forbidden", "only supervisors and admins can watch the counter")
        return Participant.supervisor(identity.id), identity

    def credential(self, environ: Mapping[str, Any], auth: object, identity: StaffIdentity) -> Credential | None:
        return session_credential(environ, identity)

    async def connected(self, sid: str, conn: Connection[StaffIdentity]) -> None:
        for m in conn.identity.municipality_ids:
            await self.enter_room(sid, supervisors_room(m))
        # held in the live state like any connection: the staff list shows this person as watching, not 未接続
        await self.service.watcher_connected(conn.participant, self.service.connection_id(sid))
        self.feed.watch(conn.identity.municipality_ids)
        for m in conn.identity.municipality_ids:
            await self._send_whole(sid, m)

    async def _send_whole(self, sid: str, municipality_id: str) -> None:
        """The town's whole view as the feed last sent it (its version: the next delta applies on top of it)."""
        snap = await self.feed.current(municipality_id)
        await self.emit(snap.NAME, snap.payload(), to=sid)

    @staticmethod
    def _own_town(conn: Connection[StaffIdentity], municipality_id: str) -> str:
        if municipality_id not in conn.identity.municipality_ids:
            raise CounterError("not_found", "no such municipality among yours")
        return municipality_id

    async def _disconnect(self, sid: str) -> None:
        conn = self.connections.pop(sid, None)
        if conn is not None:
            self.feed.unwatch(conn.identity.municipality_ids)
            try:
                await self.service.disconnected(conn.participant, self.service.connection_id(sid))
            except Exception:  # the live store is away: the heartbeat states the connections held later
                log.warning("supervisor %s disconnect not recorded", conn.identity.id, exc_info=True)
            self.feed.touch(conn.identity.municipality_ids)

    async def _audit(self, conn: Connection[StaffIdentity], action: str, detail: dict[str, Any]) -> None:
        await self.audit.write(f"staff:{conn.identity.id}", action, detail, utc(self.clock()))

    async def _assign(self, conn: Connection[StaffIdentity], m: ev.SupervisorAssign) -> Ack:
        await self.service.steering.offer_to(conn.identity.municipality_ids, m.agent_id, m.consultation_id)
        await self._audit(conn, "supervisor.assign", {"consultation_id": m.consultation_id, "agent_id": m.agent_id})
        return {}

    async def _move_route(self, conn: Connection[StaffIdentity], m: ev.SupervisorMoveRoute) -> Ack:
        await self.service.steering.move_route(conn.identity.municipality_ids, m.consultation_id, m.route.value)
        await self._audit(conn, "supervisor.move_route", {"consultation_id": m.consultation_id, "route": m.route.value})
        return {}

    async def _resync(self, conn: Connection[StaffIdentity], m: ev.SupervisorResync) -> Ack:
        snap = await self.feed.current(self._own_town(conn, m.municipality_id))
        return {"snapshot": snap.payload()}

    async def _booths(self, conn: Connection[StaffIdentity], m: ev.SupervisorBooths) -> Ack:
        page = await self.feed.booth_page(self._own_town(conn, m.municipality_id), m.offset, m.limit)
        return page.payload()

    async def _set_away(self, conn: Connection[StaffIdentity], m: ev.SupervisorSetAway) -> Ack:
        await self.service.steering.set_agent_status(conn.identity.municipality_ids, m.agent_id, AgentStatus.AWAY)
        await self._audit(conn, "supervisor.set_away", {"agent_id": m.agent_id})
        return {}
