"""The ``/booth`` namespace: a kiosk in a post office or community centre, authenticated by its device token.

Besides its consultations a booth asks for a triage preview, checks in a booking, shows its town's opening hours
and runs its self-test (TURN servers, an echo call, the result kept for the supervisors). What it needs from the
chatbot and the bookings is declared here as Protocols (:class:`BoothTriage`, :class:`BookingCheckIn`), plugged in
by the composition root.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import JsonValue

from madoguchi.domain.participant import Participant
from madoguchi.settings import Settings
from madoguchi.signaling import events as ev
from madoguchi.signaling import server_events as se
from madoguchi.signaling.counter import CounterError
from madoguchi.signaling.ports import EchoPeer
from madoguchi.signaling.revocation import Credential, CredentialKind
from madoguchi.signaling.service import Clock, CounterService
from madoguchi.signaling.sockets import Ack, Connection, EventObserver, RoleNamespace, done, relay_signals, send_chat
from madoguchi.storage.accounts import hash_token
from madoguchi.storage.booths import BoothRecord, Booths


@dataclass(frozen=True, slots=True)
class BoothQuestion:
    """What travels with a booth request typed as free text: urgency, the triage record, the handoff summary and
    the language the case reaches staff in (the page's, unless the words are clearly in another)."""

    urgent: bool
    triage: dict[str, Any]
    summary: dict[str, Any]
    language: str


class BoothTriage(Protocol):
    """What the booth needs from the chatbot: a preview for free text, and triage attached to a request
    (``language``: the kiosk page's)."""

    async def preview(
        self, municipality_id: str, text: str, language: str | None = None, safety_answer: str | None = None
    ) -> dict[str, Any]: ...

    async def booth_question(
        self,
        municipality_id: str,
        question: str,
        language: str,
        safety_answer: str | None = None,
        route: str | None = None,
    ) -> BoothQuestion: ...


@dataclass(frozen=True, slots=True)
class CheckedIn:
    """A booking checked in at a booth: its topic, whether it goes ahead of walk-ins, and why not if not."""

    code: str
    route: str
    priority: bool
    outcome: str
    """``priority``, or ``early`` / ``late`` (then the resident joins as a walk-in)."""
    mode: str = "booth"
    """How the booking meets: ``booth``, ``counter`` or ``video`` (from home)."""
    language: str = "ja"
    """The language the resident booked in: the consultation's, unless they chose another on the kiosk."""
    start: str = ""
    """When the booking starts (ISO 8601), and from when a check-in goes ahead of walk-ins (``priority_from``):
    an early resident is told their time and that the booking is kept (ux16)."""
    priority_from: str = ""


class BookingCheckIn(Protocol):
    """What the booth (and the resident at home, for a video booking) needs from the bookings: check a code in
    (raises :class:`CounterError` with a code); ``source``: who typed it (a booth, a resident's address), whose
    wrong codes count against them; ``modes``: only bookings of these ways of meeting."""

    async def check_in(
        self, code: str, *, municipality_id: str, source: str, modes: frozenset[str] | None = None
    ) -> CheckedIn: ...

    async def undo(self, code: str) -> None:
        """The checked-in booking ``code`` opened no consultation (the counter refused it): back to booked."""


class BoothNamespace(RoleNamespace[BoothRecord]):
    def __init__(
        self,
        *,
        booths: Booths,
        triage: BoothTriage,
        service: CounterService,
        settings: Settings,
        clock: Clock,
        observer: EventObserver | None = None,
        checkin: BookingCheckIn | None = None,
        echo: EchoPeer | None = None,
    ) -> None:
        super().__init__("/booth", service=service, settings=settings, clock=clock, observer=observer)
        self.booths = booths
        self.triage = triage
        self.checkin = checkin
        self.echo = echo
        s = service
        self.route("consultation.request", ev.ConsultationRequest, self._request)
        self.route("triage.preview", ev.TriagePreview, self._preview)
        self.route("question.answered", ev.QuestionAnswered, self._answered)
        self.route("selftest.servers", ev.SelfTestRequest, self._self_test)
        self.route("selftest.echo", ev.SelfTestEcho, self._echo)
        self.route("selftest.report", ev.SelfTestReport, lambda c, m: done(s.links.note_self_test(c.identity, m)))
        self.route("hours.get", ev.HoursRequest, self._hours)
        self.route(
            "csat.submit", ev.Satisfaction, lambda c, m: done(s.csat(c.participant, m.consultation_id, m.answer))
        )
        self.route(
            "consultation.cancel",
            ev.ConsultationRef,
            lambda c, m: done(s.cancel(c.participant, m.consultation_id)),
        )
        self.route(
            "consultation.end",
            ev.ConsultationRef,
            lambda c, m: done(s.end(c.participant, m.consultation_id)),
        )
        self.route(
            "callback.request",
            ev.CallbackRequest,
            lambda c, m: _asked(s.request_callback(c.participant, m.consultation_id, m.phone)),
        )
        self.route("chat.send", ev.ChatSend, send_chat(s))
        self.route("signal", ev.Signal, relay_signals(s))
        self.route(
            "ringing.offer",
            ev.RingingOffer,
            lambda c, m: done(s.relay.ringing_offer(c.participant, m.consultation_id, m.description)),
        )
        self.route("call.quality", ev.CallQuality, lambda c, m: done(s.links.link_quality(c.participant, m)))

    async def authenticate(self, environ: Mapping[str, Any], auth: object) -> tuple[str, BoothRecord]:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token or len(token) > 200:
            raise CounterError("unauthorized", "a booth token is required")
        booth = await self.booths.by_token(token)
        if booth is None:
            raise CounterError("unauthorized", "unknown or revoked booth token")
        return Participant.booth(booth.id), booth

    def credential(self, environ: Mapping[str, Any], auth: object, identity: BoothRecord) -> Credential | None:
        token = auth.get("token") if isinstance(auth, dict) else None
        return Credential(CredentialKind.BOOTH, identity.id, hash_token(str(token)))

    async def connected(self, sid: str, conn: Connection[BoothRecord]) -> None:
        state = await self.service.booth_connected(conn.identity, self.service.connection_id(sid))
        await self.emit(state.NAME, state.payload(), to=sid)

    async def _request(self, conn: Connection[BoothRecord], m: ev.ConsultationRequest) -> Ack:
        urgent, triage, summary = False, None, None
        checked: CheckedIn | None = None
        # the booth's link dropped past the grace period and the server ended its call: back at the head of the
        # line on that case's route, not thanked (ux15 item 1), once (the store uses the lost case up as it opens
        # the new one); a case that ended otherwise is over, and the kiosk says thank you. Refused before a
        # booking is checked in, so a refusal leaves no booking checked in without a case
        if m.resume is not None and not await self.service.lost_case(conn.identity, m.resume):
            raise CounterError("not_resumable", "that consultation ended; start a new one")
        if m.booking is not None:
            if self.checkin is None:
                raise CounterError("unknown_code", "this server takes no bookings")
            checked = await self.checkin.check_in(
                m.booking, municipality_id=conn.identity.municipality_id, source=str(conn.participant)
            )
        try:
            route = checked.route if checked is not None else m.route.value if m.route is not None else ""
            # a booking made in Vietnamese reached the agent as 日本語 (the kiosk's default): the booking's language
            # wins unless the resident picked a language on the kiosk itself (Japanese included)
            language = checked.language if checked is not None and not m.language_chosen else m.language
            if m.question:  # typed words clearly in another language win; else the language above stands
                asked = await self.triage.booth_question(
                    conn.identity.municipality_id, m.question, language, m.safety_answer, route=route
                )
                urgent, triage, summary, language = asked.urgent, asked.triage, asked.summary, asked.language
            ack = await self.service.request_from_booth(
                conn.identity,
                route=route,
                language=language,
                urgent=urgent,
                triage=triage,
                summary=summary,
                priority=1 if checked is not None and checked.priority else 0,
                booking=checked.code if checked is not None else None,
                resumes=m.resume,
            )
        except CounterError:
            # refused (the booth's case already open, the limit…): the booking is not used up by a case that
            # never opened — checked in first, so two booths cannot both open it, and undone here
            if checked is not None and self.checkin is not None:
                await self.checkin.undo(checked.code)
            raise
        if checked is not None:
            said: dict[str, JsonValue] = {"route": checked.route, "priority": checked.priority}
            if checked.start:
                said.update(start=checked.start, priority_from=checked.priority_from)
            ack = {**ack, "booking": {**said, "outcome": checked.outcome, "language": language}}
        if urgent and triage is not None:  # 110/119 and the hotlines stay on the kiosk while the resident waits
            ack = {**ack, "urgent": True, "hotlines": triage.get("hotlines", [])}
        return {**ack, "masked": m.masked_count}

    async def _preview(self, conn: Connection[BoothRecord], m: ev.TriagePreview) -> Ack:
        municipality_id = conn.identity.municipality_id
        return {"triage": await self.triage.preview(municipality_id, m.text, m.language, m.safety_answer)}

    async def _answered(self, conn: Connection[BoothRecord], m: ev.QuestionAnswered) -> None:
        """The kiosk's bot answer was enough (「わかりました（おわる）」): nothing to store, the ack counts it."""

    async def _hours(self, conn: Connection[BoothRecord], m: ev.HoursRequest) -> Ack:
        hours = await self.service.town_hours(conn.identity.municipality_id)
        return {"hours": None if hours is None else hours.payload()}

    async def _self_test(self, conn: Connection[BoothRecord], m: ev.SelfTestRequest) -> Ack:
        servers = self.service.links.self_test_servers(conn.identity.id)
        return {"ice_servers": [server.model_dump(exclude_none=True) for server in servers]}

    async def _echo(self, conn: Connection[BoothRecord], m: ev.SelfTestEcho) -> Ack:
        if self.echo is None:
            raise CounterError("unavailable", "this server runs no echo peer for self-tests")
        return {"sdp": await self.echo.answer(conn.identity.id, m.sdp)}


async def _asked(aw: Awaitable[se.PendingCallback]) -> Ack:
    """A call-back asked for at the booth: the kiosk's thank-you says when it was taken and the number's last four
    digits, as the chat does (the id stays on the server: a kiosk is shared, nobody withdraws it there)."""
    asked = await aw
    said: dict[str, JsonValue] = {"requested_at": asked.requested_at, "phone_end": asked.phone_end}
    return {"callback": said}
