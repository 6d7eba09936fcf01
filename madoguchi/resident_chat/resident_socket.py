"""The ``/resident`` namespace: a resident at home chats with the bot, then with a person.

Residents are anonymous. A resume token (kept by the page in sessionStorage) names the same resident again after
a reload or a dropped mobile link; the server keeps only its hash as the participant key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from madoguchi import ui
from madoguchi.domain.participant import Participant
from madoguchi.resident_chat.browser_id import BrowserIds
from madoguchi.resident_chat.conversation import ResidentChat
from madoguchi.settings import Settings
from madoguchi.signaling import events as ev
from madoguchi.signaling import server_events as se
from madoguchi.signaling.booth_socket import BookingCheckIn
from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import CounterError
from madoguchi.signaling.masking_work import MaskingWork
from madoguchi.signaling.ratelimit import Rate
from madoguchi.signaling.service import Clock, CounterService
from madoguchi.signaling.shared_limits import Limits
from madoguchi.signaling.sockets import (
    Ack,
    Connection,
    EventObserver,
    RoleNamespace,
    done,
    error_ack,
    relay_signals,
)
from madoguchi.storage.kept_keys import deployment_key

VIDEO_ONLY = frozenset({"video"})
LINE_EVENTS = frozenset({"chat.send"})
"""Events that carry a chat line: each is masked, stored and triaged, so each counts against the line limits."""
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{32,128}$")
_NONCE_CHARS = 43  # token_urlsafe(32)
_RESUME_MAC_CHARS = 32


class ResumeTokens:
    """Resume tokens the server issued, and only those (session 16, F7: a 43-character token the client made up was
    kept as the session key, a session-fixation pattern). A token is a random nonce and an HMAC of it under the
    deployment's ``resident-resume`` key (``storage.kept_keys.deployment_key``: from ``MADOGUCHI_SECRET_KEY``, else
    the key kept in the data folder, so every process of the deployment accepts it), so any other value is replaced
    by a fresh token and names nobody."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, nonce: str) -> str:
        return hmac.new(self._key, nonce.encode(), hashlib.sha256).hexdigest()[:_RESUME_MAC_CHARS]

    def issue(self) -> str:
        nonce = secrets.token_urlsafe(32)
        return nonce + self._mac(nonce)

    def verify(self, value: object) -> str | None:
        """``value`` when it is a token this deployment issued, else None."""
        if not isinstance(value, str) or len(value) != _NONCE_CHARS + _RESUME_MAC_CHARS or not _TOKEN.fullmatch(value):
            return None
        nonce, mac = value[:_NONCE_CHARS], value[_NONCE_CHARS:]
        return value if hmac.compare_digest(mac.encode(), self._mac(nonce).encode()) else None


_MUNICIPALITY = re.compile(r"[a-z0-9_\-]{1,64}")


@dataclass(frozen=True)
class Resident:
    municipality_id: str
    resume_token: str
    source: str = "unknown"
    """The client address the anonymous limits count by (``ui.client_address``: trusted proxies honoured)."""
    browser: str | None = None
    """The browser the per-browser limits count by: a keyed hash of the chat page's signed id
    (``BrowserIds.counted_as``), or, without a valid one, ``address:<source>`` (counted like one browser per
    address)."""


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
        limits: Limits | None = None,
        browser_ids: BrowserIds | None = None,
        masking: MaskingWork | None = None,
    ) -> None:
        super().__init__(
            "/resident", service=service, settings=settings, clock=clock, observer=observer, masking=masking
        )
        self.masked_events = LINE_EVENTS  # a long chat line is masked off the loop when ``masking`` is given
        self.chat = chat
        self.municipalities = municipalities
        self.checkin = checkin
        self.browser_ids = browser_ids or BrowserIds(settings.secret_key)
        self.resume_tokens = ResumeTokens(deployment_key(settings.secret_key, settings.data_dir, "resident-resume"))
        per_conn, per_address = settings.resident_lines_per_minute, settings.resident_lines_per_address_per_minute
        # before a line is read: one flooding address must not make the event loop mask its lines for everyone;
        # shared by every process when the deployment has Redis (a balancer must not double a flooder's allowance)
        limits = limits or Limits(None, settings.redis_prefix)
        self.lines = limits.keyed("resident_lines", Rate(per_conn, max(1, per_conn // 2)))
        burst = max(1, min(per_address // 2, settings.resident_line_burst_per_address))
        self.address_lines = limits.keyed("resident_address_lines", Rate(per_address, burst))
        s = service
        self.route("chat.send", ev.ResidentSay, self._say)
        self.route("suggestion.choose", ev.SuggestionChoice, self._choose)
        self.route("handoff.request", ev.PersonRequest, self._handoff)
        self.route(
            "consultation.cancel", ev.ConsultationRef, lambda c, m: done(s.cancel(c.participant, m.consultation_id))
        )
        self.route(
            "csat.submit", ev.Satisfaction, lambda c, m: done(s.csat(c.participant, m.consultation_id, m.answer))
        )
        self.route(
            "callback.request",
            ev.CallbackRequest,
            self._callback,
        )
        self.route(
            "callback.withdraw",
            ev.CallbackRef,
            lambda c, m: done(s.withdraw_callback(c.participant, m.callback_id)),
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
        self.route("hours.get", ev.HoursRequest, self._hours)

    async def authenticate(self, environ: Mapping[str, Any], auth: object) -> tuple[str, Resident]:
        data = auth if isinstance(auth, dict) else {}
        municipality = data.get("municipality") or self.municipalities[0]
        if municipality not in self.municipalities:
            # named back only when it looks like a municipality id: the answer does not echo whatever was sent
            # (session 11: 5,000 characters came back in the connect error)
            named = (
                f" {municipality!r}" if isinstance(municipality, str) and _MUNICIPALITY.fullmatch(municipality) else ""
            )
            raise CounterError("not_found", f"unknown municipality{named}")
        token = self.resume_tokens.verify(data.get("resume")) or self.resume_tokens.issue()
        request = environ.get("aiohttp.request")
        source = ui.client_address(request) if isinstance(request, web.Request) else "unknown"
        browser = self.browser_ids.counted_as(request) if isinstance(request, web.Request) else None
        # counted without an await before the connection is registered, so simultaneous connects cannot overshoot
        held = sum(1 for conn in self.connections.values() if conn.identity.source == source)
        if held >= self.settings.resident_connections_per_address:
            raise CounterError("source_limit", "too many chat windows are open from this address; close one first")
        return resident_participant(token), Resident(municipality, token, source, browser or f"address:{source}")

    async def _hours(self, conn: Connection[Resident], m: ev.HoursRequest) -> Ack:
        """The town's opening hours, as the booth asks them: the chat's start page says "closed now" as the kiosk."""
        hours = await self.service.town_hours(conn.identity.municipality_id)
        return {"hours": None if hours is None else hours.payload()}

    async def connected(self, sid: str, conn: Connection[Resident]) -> None:
        view = await self.service.resident_connected(conn.participant, self.service.connection_id(sid))
        state = se.ResidentState(
            resume_token=conn.identity.resume_token,
            municipality_id=conn.identity.municipality_id,
            consultation=view,
            # nothing open: a call-back they asked for still stands after a reload, and the page says so
            callback=await self.service.pending_callback(conn.participant) if view is None else None,
        )
        await self.emit(se.ResidentState.NAME, state.payload(), to=sid)

    async def admit(self, conn: Connection[Resident], event: str) -> Ack | None:
        """Chat lines over the per-connection or per-address limit are refused before they are read or masked
        (``rate_limited``; the page keeps the line and sends it again, see outbox.js)."""
        if event not in LINE_EVENTS:
            return None
        now = self.clock()
        for buckets, key, whose in (
            (self.lines, conn.participant, "this chat"),
            (self.address_lines, conn.identity.source, "your network address"),
        ):
            waited = await buckets.take(key, now)
            if waited > 0:
                wait = max(1, round(waited))
                return error_ack("rate_limited", f"too many messages from {whose}; wait {wait} s and send again")
        return None

    async def _say(self, conn: Connection[Resident], m: ev.ResidentSay) -> Ack:
        ack = await self.chat.say(
            conn.participant,
            municipality_id=conn.identity.municipality_id,
            text=m.text,
            client_id=m.client_id,
            language=m.language,
            source=conn.identity.source,
            browser=conn.identity.browser,
        )
        # the edge masked already; a 個人番号 among them gets the page's sentence about personal numbers
        return {
            **ack,
            "masked": bool(ack.get("masked")) or m.masked_count > 0,
            "personal_number": "my_number" in m.masked_kinds,
        }

    async def _choose(self, conn: Connection[Resident], m: ev.SuggestionChoice) -> None:
        await self.chat.choose(
            conn.participant,
            municipality_id=conn.identity.municipality_id,
            consultation_id=m.consultation_id,
            entry_id=m.entry_id,
            language=m.language,
        )

    async def _handoff(self, conn: Connection[Resident], m: ev.PersonRequest) -> Ack:
        return await self.chat.request_person(
            conn.participant,
            municipality_id=conn.identity.municipality_id,
            consultation_id=m.consultation_id,
            language=m.language,
        )

    async def _callback(self, conn: Connection[Resident], m: ev.CallbackRequest) -> Ack:
        """The request is kept: the ack names it, so the page can show it (and withdraw it) at once."""
        asked = await self.service.request_callback(
            conn.participant, m.consultation_id, m.phone, source=conn.identity.source
        )
        return {"callback": asked.payload()}

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
        try:
            ack = await self.service.open_booked_video(
                conn.participant,
                municipality_id=who.municipality_id,
                route=checked.route,
                language=m.language,
                priority=1 if checked.priority else 0,
                booking=checked.code,
                source=who.source,
                browser=who.browser,
            )
        except CounterError:
            # refused (source_limit, limit_reached, busy…): no case opened, so the booking stays usable —
            # checked in first (two tabs cannot both open it), undone here
            await self.checkin.undo(checked.code)
            raise
        view = await self.service.resident_view(conn.participant)
        return {
            **ack,
            "booking": {"route": checked.route, "priority": checked.priority, "outcome": checked.outcome},
            "consultation": view.payload() if view is not None else None,
        }
