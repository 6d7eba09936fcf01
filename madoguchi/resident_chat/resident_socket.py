"""The ``/resident`` namespace: a resident at home chats with the bot, then with a person.

Residents are anonymous. A resume token (kept by the page in sessionStorage) names the same resident again after
a reload or a dropped mobile link; the server keeps only its hash as the participant key.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from madoguchi import ui
from madoguchi.domain.participant import Participant
from madoguchi.resident_chat.conversation import ResidentChat
from madoguchi.settings import Settings
from madoguchi.signaling import events as ev
from madoguchi.signaling.booth_socket import BookingCheckIn
from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import CounterError
from madoguchi.signaling.service import Clock, CounterService
from madoguchi.signaling.sockets import (
    Ack,
    Connection,
    EventObserver,
    RoleNamespace,
    done,
    relay_signals,
)

VIDEO_ONLY = frozenset({"video"})
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{32,128}$")


@dataclass(frozen=True)
class Resident:
    municipality_id: str
    resume_token: str
    source: str = "unknown"
    """The client address the anonymous limits count by (``ui.client_address``: trusted proxies honoured)."""


def resident_participant(resume_token: str) -> Participant:
    return Participant.resident(hashlib.sha256(resume_token.encode()).hexdigest()[:32])


class ResidentNamespace(RoleNamespace[Resident]):
    def __init__(
        self,
        *,
        chat: ResidentChat,
        municipalities: tuple[str, ...],
        service: CounterService,
        settings: Settings,
        clock: Clock,
        observer: EventObserver | None = None,
        checkin: BookingCheckIn | None = None,
    ) -> None:
        super().__init__("/resident", service=service, settings=settings, clock=clock, observer=observer)
        self.chat = chat
        self.municipalities = municipalities
        self.checkin = checkin
        s = service
        self.route("chat.send", ev.ResidentSay, self._say)
        self.route("suggestion.choose", ev.SuggestionChoice, self._choose)
        self.route("handoff.request", ev.ConsultationRef, self._handoff)
        self.route(
            "consultation.cancel", ev.ConsultationRef, lambda c, m: done(s.cancel(c.participant, m.consultation_id))
        )
        self.route(
            "csat.submit", ev.Satisfaction, lambda c, m: done(s.csat(c.participant, m.consultation_id, m.answer))
        )
        self.route(
            "callback.request",
            ev.CallbackRequest,
            lambda c, m: done(s.request_callback(c.participant, m.consultation_id, m.phone)),
        )
        self.route("consultation.end", ev.ConsultationRef, self._end)
        self.route(
            "video.accept",
            ev.ConsultationRef,
            lambda c, m: done(s.answer_video(c.participant, m.consultation_id, accepted=True)),
        )
        self.route(
            "video.decline",
            ev.ConsultationRef,
            lambda c, m: done(s.answer_video(c.participant, m.consultation_id, accepted=False)),
        )
        self.route("signal", ev.Signal, relay_signals(s))
        self.route("booking.start", ev.BookedVideo, self._booked_video)

    async def authenticate(self, environ: Mapping[str, Any], auth: object) -> tuple[str, Resident]:
        data = auth if isinstance(auth, dict) else {}
        municipality = data.get("municipality") or self.municipalities[0]
        if municipality not in self.municipalities:
            raise CounterError("not_found", f"unknown municipality {municipality!r}")
        token = data.get("resume")
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            token = secrets.token_urlsafe(32)
        request = environ.get("aiohttp.request")
        source = ui.client_address(request) if isinstance(request, web.Request) else "unknown"
        # counted without an await before the connection is registered, so simultaneous connects cannot overshoot
        held = sum(1 for conn in self.connections.values() if conn.identity.source == source)
        if held >= self.settings.resident_connections_per_address:
            raise CounterError("source_limit", "too many chat windows are open from this address; close one first")
        return resident_participant(token), Resident(municipality, token, source)

    async def connected(self, sid: str, conn: Connection[Resident]) -> None:
        view = await self.service.resident_connected(conn.participant, self.service.connection_id(sid))
        state = {
            "resume_token": conn.identity.resume_token,
            "municipality_id": conn.identity.municipality_id,
            "consultation": view.payload() if view is not None else None,
        }
        await self.emit("resident.state", state, to=sid)

    async def _say(self, conn: Connection[Resident], m: ev.ResidentSay) -> Ack:
        ack = await self.chat.say(
            conn.participant,
            municipality_id=conn.identity.municipality_id,
            text=m.text,
            client_id=m.client_id,
            language=m.language,
            source=conn.identity.source,
        )
        return {**ack, "masked": bool(ack.get("masked")) or m.masked_count > 0}  # the edge masked already

    async def _choose(self, conn: Connection[Resident], m: ev.SuggestionChoice) -> None:
        await self.chat.choose(
            conn.participant,
            municipality_id=conn.identity.municipality_id,
            consultation_id=m.consultation_id,
            entry_id=m.entry_id,
        )

    async def _handoff(self, conn: Connection[Resident], m: ev.ConsultationRef) -> Ack:
        return await self.chat.request_person(
            conn.participant, municipality_id=conn.identity.municipality_id, consultation_id=m.consultation_id
        )

    async def _end(self, conn: Connection[Resident], m: ev.ConsultationRef) -> None:
        current = await self.service.open_consultation(conn.participant)
        if current is not None and current.id == m.consultation_id and current.state != State.ACTIVE:
            await self.service.cancel(conn.participant, m.consultation_id)
        else:
            await self.service.end(conn.participant, m.consultation_id)

    async def _booked_video(self, conn: Connection[Resident], m: ev.BookedVideo) -> Ack:
        """The resident opens their booked video call from home (the booking page's link): check the booking in
        (a video booking of this town, today) and queue them, on video, ahead of walk-ins within the window."""
        if self.checkin is None:
            raise CounterError("unknown_code", "this server takes no bookings")
        who = conn.identity
        checked = await self.checkin.check_in(
            m.booking, municipality_id=who.municipality_id, source=who.source, modes=VIDEO_ONLY
        )
        ack = await self.service.open_booked_video(
            conn.participant,
            municipality_id=who.municipality_id,
            route=checked.route,
            language=m.language,
            priority=1 if checked.priority else 0,
            booking=checked.code,
            source=who.source,
        )
        view = await self.service.resident_view(conn.participant)
        return {
            **ack,
            "booking": {"route": checked.route, "priority": checked.priority, "outcome": checked.outcome},
            "consultation": view.payload() if view is not None else None,
        }
