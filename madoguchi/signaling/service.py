"""The counter service: the operations people start, each as read → decide in the core → commit → record →
dispatch, and nothing else.

The durability promise, in order: (1) the pure counter decides inside an atomic store transaction, and every
state change it makes is queued as a pending record in the same transaction (the live state's outbox), so a fact
is durable as soon as it commits; (2) the pending records the operation touched are written to the database,
oldest first, and removed from the outbox by key (:mod:`madoguchi.signaling.outbox`); (3) the audiences are
told (:mod:`madoguchi.signaling.dispatch`) and the caller acknowledged ``ok``. When the database cannot take
the write the records stay in the outbox and the operation still tells and acknowledges: the live state is the
truth for the live interaction. A process killed between (1) and (3) loses a notification, never a fact.

Views are built in :mod:`~madoguchi.signaling.views`, records in :mod:`~madoguchi.signaling.recording`; timers,
recovery and TURN credentials have modules of their own, wired in ``madoguchi/app.py``. What changes no case or
belongs to one audience sits beside this module, built from the same parts and handed out with the service:
the per-message relay of signals and chat lines (``service.relay``, :mod:`~madoguchi.signaling.relay`), booth
self-tests and link-quality summaries (``service.links``, :mod:`~madoguchi.signaling.link_reports`) and the
supervisors' steering (``service.steering``, :mod:`~madoguchi.signaling.steering`). This module knows nothing of
Socket.IO: it hands ``(audience, event)`` pairs to a :class:`~madoguchi.signaling.dispatch.Notifier`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Protocol, TypeVar

from pydantic import JsonValue

from madoguchi.domain.opening_hours import hours_of
from madoguchi.domain.participant import Participant
from madoguchi.domain.routes import FALLBACK_ROUTE
from madoguchi.signaling import server_events as se
from madoguchi.signaling import views
from madoguchi.signaling.callback_limits import CallbackLimits
from madoguchi.signaling.chat_pool import CHAT_TOUCH_S, idle_since
from madoguchi.signaling.consultation import (
    QUEUED_STATES,
    Channel,
    Consultation,
    Disposition,
    Role,
    StaffRights,
    State,
)
from madoguchi.signaling.counter import AgentStatus, Counter, CounterError, PendingRecord, SetAsideRecord
from madoguchi.signaling.counter_settings import counter_config as counter_config  # still importable from here
from madoguchi.signaling.dispatch import (
    Delivery,
    Notifier,
    QueuePlaces,
    call_events,
    municipalities_touched,
    needs,
    queue_changed,
    queue_places,
    queue_to_town,
    view_events,
)
from madoguchi.signaling.events import (
    SessionDescription,
)
from madoguchi.signaling.held import HeldConnections
from madoguchi.signaling.link_reports import LinkReports
from madoguchi.signaling.lookups import Lookups
from madoguchi.signaling.no_answer import no_answer
from madoguchi.signaling.outbox import OutboxWriter
from madoguchi.signaling.ports import CallbackBook, ChatLog, QualityLog, Satisfaction
from madoguchi.signaling.relay import Relay, carried
from madoguchi.signaling.steering import Steering
from madoguchi.signaling.store import LiveStore
from madoguchi.storage.booths import BoothRecord
from madoguchi.storage.callbacks import NewCallback
from madoguchi.storage.errors import StorageError

T = TypeVar("T")

log = logging.getLogger(__name__)


class Clock(Protocol):
    def __call__(self) -> float: ...


SUPERVISING_ROLES = frozenset({"supervisor", "admin"})
"""Staff roles that watch over the counter: the supervisor page, observing any call of their towns."""


@dataclass(frozen=True)
class StaffIdentity:
    id: str
    username: str
    display_name: str
    role: str
    municipality_ids: tuple[str, ...]
    routes: tuple[str, ...]
    languages: tuple[str, ...]
    latin_name: str = ""

    @property
    def participant(self) -> Participant:
        return Participant.agent(self.id)

    @property
    def rights(self) -> StaffRights:
        """What the account lets them be in a case (read with the session, so as the account is now)."""
        return StaffRights(frozenset(self.municipality_ids), self.role in SUPERVISING_ROLES)


@dataclass(frozen=True)
class QueuePlace:
    position: int
    wait_estimate_s: float | None


def new_consultation_id() -> str:
    return "c_" + secrets.token_hex(10)


class ChangeListener(Protocol):
    """Hears which municipalities an operation changed (``None``: maybe any); the supervisors' feed."""

    def touch(self, municipality_ids: Iterable[str] | None) -> None: ...


class CounterService:
    def __init__(
        self,
        *,
        store: LiveStore,
        outbox: OutboxWriter,
        lookups: Lookups,
        chat_log: ChatLog,
        notifier: Notifier,
        clock: Clock,
        process_id: str,
        wake: asyncio.Event,
        satisfaction: Satisfaction | None = None,
        callbacks: CallbackBook | None = None,
        quality: QualityLog | None = None,
        callback_limits: CallbackLimits | None = None,
    ) -> None:
        self._satisfaction = satisfaction
        self._callback_limits = callback_limits
        self._callbacks = callbacks
        self._quality = quality
        self._store = store
        self._outbox = outbox
        self._lookups = lookups
        self._chat_log = chat_log
        self._notifier = notifier
        self._clock = clock
        self.process_id = process_id
        self._wake = wake
        self._held = HeldConnections()
        self._places: dict[str, QueuePlaces] = {}
        """The queue's places in the last few states this process wrote or read, by the store's version."""
        self.listeners: list[ChangeListener] = []
        self.relay = Relay(store=store, chat_log=chat_log, notifier=notifier, clock=clock)
        self.steering = Steering(run=self.run, clock=clock)
        self.links = LinkReports(store=store, lookups=lookups, quality=quality, clock=clock, touch=self._touch)

    def _touch(self, municipality_ids: Iterable[str] | None) -> None:
        for listener in self.listeners:
            listener.touch(municipality_ids)

    # --- connections -------------------------------------------------------------------------------------------

    def held(self) -> Mapping[str, Sequence[str]]:
        """The connections this process holds, per participant (the heartbeat states them)."""
        return self._held.snapshot()

    def connection_id(self, sid: str) -> str:
        """A connection's name across processes (Socket.IO sids are only unique within one process)."""
        return f"{self.process_id}:{sid}"

    async def booth_connected(self, booth: BoothRecord, connection_id: str) -> se.BoothState:
        self._lookups.remember_booth(booth)
        self._touch([booth.municipality_id])
        return se.BoothState(
            booth_id=booth.id,
            name=booth.name,
            names=booth.display_names,
            location=booth.location,
            place=booth.place_name,
            place_names=booth.place_names,
            consultation=await self.resident_connected(Participant.booth(booth.id), connection_id),
        )

    async def resident_connected(self, participant: str, connection_id: str) -> se.ResidentConsultation | None:
        """A resident's (booth or home) connection is up: end their grace period, return their open case."""
        now = self._clock()
        op = partial(
            Counter.connection_opened, participant=participant, connection_id=connection_id, process_id=self.process_id
        )
        async with self._held.opening(participant, connection_id):
            await self.run(partial(op, now=now))
        return await self.resident_view(participant)

    async def set_aside_records(self) -> list[SetAsideRecord]:
        """Records the database refused for their values, oldest first (:mod:`madoguchi.signaling.outbox`)."""
        return list((await self._store.read()).state.set_aside)

    async def resident_view(self, participant: str) -> se.ResidentConsultation | None:
        """The resident's open case as their page restores it (``resident.state``'s ``consultation``)."""
        counter = await self._store.read()
        open_cases = counter.open_for_resident(participant)
        if not open_cases:
            return None
        c = open_cases[0]
        facts = await self._lookups.facts(counter, now=self._clock(), chats=(c.id,))
        return views.resident_consultation(counter, c, facts)

    async def town_hours(self, municipality_id: str) -> se.TownHours | None:
        """A town's opening hours now, as a booth shows them before anyone waits (None: none configured), and
        whether an agent of the town is on duty now (staff working late answer: no "staff may not answer")."""
        spec = await self._lookups.hours_spec(municipality_id)
        counter = await self._store.read()
        staffed = any(a.on_duty and municipality_id in a.municipality_ids for a in counter.state.agents.values())
        return views.town_hours(spec, None, self._clock(), staffed=staffed)

    async def agent_connected(self, staff: StaffIdentity, connection_id: str) -> tuple[se.AgentState, se.QueueSnapshot]:
        now = self._clock()

        def op(c: Counter) -> None:
            c.agent_online(
                agent_id=staff.id,
                display_name=staff.display_name,
                municipality_ids=staff.municipality_ids,
                routes=staff.routes,
                languages=staff.languages,
                latin_name=staff.latin_name,
                now=now,
            )
            # every part they still hold is judged by the account as it is now (a role or town taken away while
            # they were offline, or a revocation that could not reach the live state); after agent_online, so that
            # a case they lose is not offered back to them by their old towns
            c.restate_rights(staff.id, staff.rights, now=now)
            c.connection_opened(staff.participant, connection_id, process_id=self.process_id, now=now)

        async with self._held.opening(staff.participant, connection_id):
            await self.run(op)
        counter = await self._store.read()
        current = counter.current_for_agent(staff.id)
        cases = () if current is None else (current.id,)
        facts = await self._lookups.facts(counter, now=self._clock(), summaries=cases, chats=cases)
        return views.agent_state(counter, staff.id, facts), views.queue_snapshot(counter, staff.id, facts)

    async def watcher_connected(self, participant: str, connection_id: str) -> None:
        """A supervisor's page connected: held like any connection (heartbeats, restarts), nothing else."""
        op = partial(
            Counter.connection_opened, participant=participant, connection_id=connection_id, process_id=self.process_id
        )
        async with self._held.opening(participant, connection_id):
            await self.run(partial(op, now=self._clock()))

    async def disconnected(self, participant: str, connection_id: str) -> None:
        """One connection closed; the participant's grace period starts only when it was their last anywhere."""
        self._held.release(participant, connection_id)
        if Participant(participant).kind == "booth":
            self._touch(None)
        now = self._clock()
        await self.run(
            partial(Counter.connection_closed, participant=participant, connection_id=connection_id, now=now)
        )

    # --- residents ---------------------------------------------------------------------------------------------

    async def request_from_booth(
        self,
        booth: BoothRecord,
        *,
        route: str,
        language: str,
        urgent: bool = False,
        triage: dict[str, JsonValue] | None = None,
        summary: dict[str, JsonValue] | None = None,
        priority: int = 0,
        booking: str | None = None,
        resumes: str | None = None,
    ) -> dict[str, JsonValue]:
        """A booth asks for a person; returns the ack's fields (the new case and its place in line). A checked-in
        booking comes with a priority (ahead of walk-ins) and its code; ``resumes`` names the booth's case its lost
        link ended (``Counter.open``: its route, ahead of walk-ins, once)."""
        cid = new_consultation_id()
        now = self._clock()
        op = partial(
            Counter.open,
            consultation_id=cid,
            municipality_id=booth.municipality_id,
            channel=Channel.BOOTH,
            resident=Participant.booth(booth.id),
            booth_id=booth.id,
            route=route,
            language=language,
            urgent=urgent,
            priority=priority,
            booking=booking,
            resumes=resumes,
            now=now,
        )
        opened = await self.run(op, record={"triage": triage, "summary": summary})
        place = await self._place(cid)
        ack: dict[str, JsonValue] = {
            "consultation_id": cid,
            "position": place.position,
            "wait_estimate_s": place.wait_estimate_s,
        }
        if opened.resumed is None:
            return ack
        return {**ack, "resumed": opened.resumed, "waited_s": max(0.0, now - opened.enqueued_at)}

    async def lost_case(self, booth: BoothRecord, consultation_id: str) -> bool:
        """Whether the booth's case ``consultation_id`` ended as its link was lost within the resume window and was
        not taken up yet (``Routing.lost_by``)."""
        lost = (await self._store.read()).lost_by(Participant.booth(booth.id), consultation_id, now=self._clock())
        return lost is not None

    async def open_booked_video(
        self,
        participant: str,
        *,
        municipality_id: str,
        route: str,
        language: str,
        priority: int,
        booking: str,
        source: str | None = None,
        browser: str | None = None,
    ) -> dict[str, JsonValue]:
        """A resident at home starts their booked video call: a case straight in the queue, on video from the
        start (``call.start`` with media when an agent accepts), ahead of walk-ins within the check-in window."""
        cid = new_consultation_id()
        op = partial(
            Counter.open,
            consultation_id=cid,
            municipality_id=municipality_id,
            channel=Channel.CHAT,
            resident=participant,
            route=route,
            language=language,
            priority=priority,
            booking=booking,
            video=True,
            source=source,
            browser=browser,
            now=self._clock(),
        )
        await self.run(op)
        place = await self._place(cid)
        return {"consultation_id": cid, "position": place.position, "wait_estimate_s": place.wait_estimate_s}

    async def open_chat(
        self,
        participant: str,
        *,
        municipality_id: str,
        language: str,
        source: str | None = None,
        browser: str | None = None,
    ) -> str:
        """A resident at home starts talking to the bot: a consultation in triage, not yet queued. ``source`` (the
        client address) and ``browser`` (the browser's id) are what the anonymous limits count by."""
        cid = new_consultation_id()
        op = partial(
            Counter.open,
            consultation_id=cid,
            municipality_id=municipality_id,
            channel=Channel.CHAT,
            resident=participant,
            route=FALLBACK_ROUTE.value,
            language=language,
            now=self._clock(),
            to_person=False,
            source=source,
            browser=browser,
        )
        await self.run(op)
        return cid

    async def handoff(
        self,
        participant: str,
        consultation_id: str,
        *,
        route: str,
        urgent: bool,
        summary: dict[str, JsonValue],
        triage: dict[str, JsonValue],
        language: str | None = None,
        no_topic: bool = False,
    ) -> dict[str, JsonValue]:
        """The bot hands the resident to a person: queue them with the summary staff will read (ack fields);
        ``language``: the one the resident writes in, ``no_topic``: nothing to route by (``Counter.handoff``).
        ``no_answer`` is the waiting panel's reason at this moment, so the bot's line can say the same thing (no
        "connecting you" while nobody can)."""
        now = self._clock()
        op = partial(Counter.handoff, consultation_id=consultation_id, resident=participant, route=route)
        op = partial(op, urgent=urgent, now=now, language=language, no_topic=no_topic)
        await self.run(op, record={"summary": summary, "triage": triage})
        place = await self._place(consultation_id)
        reason = await self._no_answer(consultation_id)
        return {"position": place.position, "wait_estimate_s": place.wait_estimate_s, "no_answer": reason}

    async def bot_answered(self, participant: str, consultation_id: str, route: str) -> None:
        """The bot answered on ``route``: a chat it finishes is filed under that topic (``Counter.bot_answered``)."""
        op = partial(Counter.bot_answered, consultation_id=consultation_id, resident=participant, route=route)
        await self.run(op)

    async def cancel(self, participant: str, consultation_id: str) -> None:
        await self.run(
            partial(Counter.cancel, consultation_id=consultation_id, resident=participant, now=self._clock())
        )

    async def request_callback(
        self, participant: str, consultation_id: str, phone: str, *, source: str | None = None
    ) -> se.PendingCallback:
        """A waiting resident nobody can answer leaves a number: keep the request, then close the case (end reason
        ``callback``). The request is kept first, so a resident who is told "done" is sure to be called. A number
        already waiting in the town is answered as any other (its own request, its own time: nothing tells whoever
        typed it that it was in the list) while staff see it once (``Callbacks.pending``); ``source``: the
        resident's client address, counted (with the booth or the chat session) against the call-back limits."""
        if self._callbacks is None:
            raise CounterError("unavailable", "call-back requests are not kept on this server")
        counter = await self._store.read()
        c = counter.state.consultations.get(consultation_id)
        if c is None or c.resident != participant:
            raise CounterError("not_found", "no waiting consultation of yours")
        if c.state not in QUEUED_STATES:
            raise CounterError("invalid_state", "a call-back can be asked for only while waiting for a person")
        if self._callback_limits is not None:
            sources = [str(participant)] + ([f"address:{source}"] if source else [])
            await self._callback_limits.take(sources, phone, self._clock())
        new = NewCallback(
            consultation_id=c.id,
            municipality_id=c.municipality_id,
            route=c.route,
            language=c.language,
            channel=c.channel.value,
            booth_id=c.booth_id,
            phone=phone,
        )
        try:
            kept = await self._callbacks.add(new, now=datetime.fromtimestamp(self._clock(), tz=UTC))
        except StorageError as exc:
            raise CounterError("unavailable", str(exc)) from None
        try:
            op = partial(Counter.cancel, consultation_id=consultation_id, resident=participant, reason="callback")
            await self.run(partial(op, now=self._clock()))
        except BaseException:
            await self._callbacks.discard(kept.id)
            raise
        digits = "".join(ch for ch in phone if ch.isdigit())
        return se.PendingCallback(id=kept.id, requested_at=kept.requested_at.timestamp(), phone_end=digits[-4:])

    async def pending_callback(self, participant: str) -> se.PendingCallback | None:
        """The call-back the home resident ``participant`` asked for and staff have not made yet, as their page
        shows it after a reload (``resident.state``'s ``callback``): when, and the number's last four digits."""
        if self._callbacks is None:
            return None
        try:
            found = await self._callbacks.pending_of(str(participant))
        except StorageError as exc:  # the page opens anyway; the request stands on the server
            log.warning("could not read the pending call-back of a resident: %s", exc)
            return None
        if found is None:
            return None
        digits = "".join(ch for ch in found.phone or "" if ch.isdigit())
        return se.PendingCallback(id=found.id, requested_at=found.requested_at.timestamp(), phone_end=digits[-4:])

    async def withdraw_callback(self, participant: str, callback_id: str) -> None:
        """The resident no longer wants the call: off the staff's list, the number deleted."""
        if self._callbacks is None:
            raise CounterError("unavailable", "call-back requests are not kept on this server")
        now = datetime.fromtimestamp(self._clock(), tz=UTC)
        try:
            mine = await self._callbacks.pending_of(str(participant))
            withdrawn = await self._callbacks.withdraw(callback_id, resident_ref=str(participant), now=now)
        except StorageError as exc:
            raise CounterError("unavailable", str(exc)) from None
        if not withdrawn:
            raise CounterError("not_found", "no call-back request of yours is waiting (staff may have called already)")
        if mine is not None and mine.id == callback_id:
            # the consoles' call-back lists look again at once, as when a request comes (``queue:changed``)
            counter = await self._store.read()
            facts = await self._lookups.facts(counter, now=self._clock())
            await self._notifier.deliver(queue_to_town(counter, facts, mine.municipality_id))

    async def open_consultation(self, participant: str) -> Consultation | None:
        found = (await self._store.read()).open_for_resident(participant)
        return found[0] if found else None

    async def touch_chat(self, participant: str, chat: Consultation, *, danger: bool = False) -> None:
        """The resident of ``chat`` (as read just now) wrote to the bot: keep it from looking idle when a flood
        fills the town's chats (:mod:`.chat_pool`). Written at most every ``CHAT_TOUCH_S`` per chat, and at once
        when the line touched ``danger`` (the chat is then never ended to make room)."""
        now = self._clock()
        if chat.state != State.TRIAGE:
            return
        if now - idle_since(chat) < CHAT_TOUCH_S and (chat.danger or not danger):
            return
        op = partial(Counter.touch_chat, consultation_id=chat.id, resident=participant, now=now, danger=danger)
        await self.run(op)

    # --- staff -------------------------------------------------------------------------------------------------

    async def set_status(self, staff: StaffIdentity, status: str) -> None:
        await self.run(partial(Counter.set_status, agent_id=staff.id, status=AgentStatus(status), now=self._clock()))

    async def accept(
        self, staff: StaffIdentity, consultation_id: str, description: SessionDescription | None = None
    ) -> None:
        """The agent answers the offer. ``description``: what the console made while it rang, sent with
        ``call.start`` in the same delivery (:func:`~madoguchi.signaling.relay.carried`)."""
        carry = None if description is None else partial(carried, staff.participant, consultation_id, description)
        op = partial(Counter.accept, agent_id=staff.id, consultation_id=consultation_id, now=self._clock())
        await self.run(op, with_call_start=carry)

    async def invite_video(self, staff: StaffIdentity, consultation_id: str) -> None:
        op = partial(Counter.invite_video, agent_id=staff.id, consultation_id=consultation_id)
        await self.run(partial(op, now=self._clock()))

    async def answer_video(self, participant: str, consultation_id: str, *, accepted: bool) -> None:
        op = partial(Counter.answer_video, consultation_id=consultation_id, resident=participant, accepted=accepted)
        await self.run(partial(op, now=self._clock()))

    async def decline(self, staff: StaffIdentity, consultation_id: str) -> None:
        await self.run(partial(Counter.decline, agent_id=staff.id, consultation_id=consultation_id, now=self._clock()))

    async def wrap_up(self, staff: StaffIdentity, consultation_id: str, disposition: Disposition, note: str) -> None:
        op = partial(Counter.wrap_up, agent_id=staff.id, consultation_id=consultation_id, disposition=disposition)
        await self.run(partial(op, note=note, now=self._clock()))

    async def transfer(
        self, staff: StaffIdentity, consultation_id: str, route: str, note: str = "", *, back_to_me: bool = False
    ) -> None:
        op = partial(Counter.transfer, agent_id=staff.id, consultation_id=consultation_id, route=route, note=note)
        await self.run(partial(op, back_to_me=back_to_me, now=self._clock()))

    async def join(self, staff: StaffIdentity, consultation_id: str, role: Role) -> se.CallStart:
        """A member of staff joins a running call; returns the call as they see it (their ICE servers)."""
        now = self._clock()
        op = partial(Counter.join, consultation_id=consultation_id, participant=staff.participant, role=role)
        await self.run(partial(op, now=now, supervises=staff.role in SUPERVISING_ROLES))
        counter = await self._store.read()
        c = counter.state.consultations[consultation_id]
        facts = await self._lookups.facts(counter, now=self._clock())
        return views.call_start(counter, c, role, facts)

    async def invite_interpreter(self, staff: StaffIdentity, consultation_id: str, staff_id: str) -> float:
        """The call's agent or a supervisor invites a member of staff to interpret one call; returns its expiry."""
        op = partial(
            Counter.invite_interpreter,
            consultation_id=consultation_id,
            inviter=staff.id,
            inviter_municipalities=tuple(staff.municipality_ids),
            staff_id=staff_id,
        )
        expires_at: float = await self.run(partial(op, now=self._clock(), supervises=staff.role in SUPERVISING_ROLES))
        return expires_at

    async def decline_interpreter(self, staff: StaffIdentity, consultation_id: str) -> None:
        """The invitee declines an invitation to interpret a call (ことわる); only their own invitation."""
        op = partial(Counter.decline_interpreter, consultation_id=consultation_id, staff_id=staff.id)
        await self.run(partial(op, now=self._clock()))

    async def leave(self, participant: str, consultation_id: str) -> None:
        await self.run(
            partial(Counter.leave, consultation_id=consultation_id, participant=participant, now=self._clock())
        )

    async def staff_access_ended(self, staff_id: str, *, disabled: bool) -> None:
        """A console socket's credential was taken away (``Counter.access_ended``)."""
        await self.run(partial(Counter.access_ended, staff_id=staff_id, disabled=disabled, now=self._clock()))

    # --- both sides --------------------------------------------------------------------------------------------

    async def revoke_resident(self, participant: str) -> None:
        """A booth's access was taken away: end its call and withdraw its waiting case (``end_reason`` revoked)."""
        await self.run(partial(Counter.revoke_resident, resident=participant, now=self._clock()))

    async def end(self, participant: str, consultation_id: str) -> None:
        await self.run(
            partial(Counter.end, consultation_id=consultation_id, participant=participant, now=self._clock())
        )

    async def csat(self, participant: str, consultation_id: str, answer: str) -> None:
        """The resident's one-tap answer, kept with the case's record; once, only from its resident, and only once
        the resident's part is over (an answer sent while it still waits or runs would stand for the finished case
        and block the real one)."""
        live = (await self._store.read()).state.consultations.get(consultation_id)
        if live is not None and live.state in _NOT_YET_RATEABLE:
            raise CounterError("not_found", "no finished consultation of yours to answer for, or already answered")
        if self._satisfaction is None or not await self._satisfaction.set_csat(consultation_id, participant, answer):
            raise CounterError("not_found", "no finished consultation of yours to answer for, or already answered")

    # --- the pipeline ------------------------------------------------------------------------------------------

    async def run(
        self,
        operation: Callable[[Counter], T],
        *,
        record: Mapping[str, JsonValue] | None = None,
        with_call_start: Callable[[Counter, list[Delivery]], list[Delivery]] | None = None,
    ) -> T:
        """Apply (queueing the records), write the records, dispatch. ``record`` adds columns to the first state
        change's durable record; ``with_call_start`` amends the call events (sent first), e.g. adds to them."""
        extra = dict(record or {})

        def apply(counter: Counter) -> tuple[T, list[PendingRecord], QueuePlaces]:
            # what the queue showed: only what the operation changes is sent. Worked out by the operation that
            # wrote this state (below), so O(queue) of work once per operation, not twice, even while operations
            # interleave (a dispatch still awaiting while the next operation runs)
            before = self._places.get(self._store.version) or queue_places(counter)
            result = operation(counter)
            self._keep_places(self._store.next_version, queue_places(counter))
            counter.annotate_first_record(extra)
            touched = {e.consultation_id for e in counter.staged}
            # this operation's records, after any of the same cases still pending from earlier (order matters)
            return result, counter.pending_records(touched) if touched else [], before

        (result, to_write, before), effects = await self._store.transact(apply)
        if not effects:
            return result
        self._wake.set()
        counter = await self._store.read()
        version = self._store.version  # of ``counter``: nothing awaited since the read
        after = self._places.get(version)
        if after is None and queue_changed(effects):
            after = queue_places(counter)
            self._keep_places(version, after)
        # The people in a call first, even before the records go to the database: their events need no database
        # read, and the facts are durable already (the records are in the committed live state, the outbox). On
        # an island link every wait between the agent's accept and call.start is part of the call's setup time.
        first = call_events(effects, counter, await self._lookups.facts(counter, now=self._clock()))
        await self._notifier.deliver(first if with_call_start is None else with_call_start(counter, first))
        await self._outbox.write_now(to_write)
        wanted = needs(effects, counter)
        facts = await self._lookups.facts(counter, now=self._clock(), summaries=wanted.summaries, chats=wanted.chats)
        await self._notifier.deliver(view_events(effects, counter, facts, before=before, after=after))
        self._touch(municipalities_touched(effects, counter))
        return result

    def _keep_places(self, version: str, places: QueuePlaces) -> None:
        self._places[version] = places
        while len(self._places) > PLACES_KEPT:
            del self._places[next(iter(self._places))]

    async def set_booked_soon(self, municipality_id: str, counts: Mapping[str, int]) -> None:
        """The booking sweep's count of bookings due soon per route (walk-ins' estimates count them)."""
        await self.run(partial(Counter.set_booked_soon, municipality_id=municipality_id, counts=dict(counts)))

    async def _no_answer(self, consultation_id: str) -> str | None:
        """The rule the waiting panel shows (:func:`~madoguchi.signaling.no_answer.no_answer`), with the town's
        hours in force, for one case now."""
        counter = await self._store.read()
        c = counter.state.consultations.get(consultation_id)
        if c is None:
            return None
        spec = await self._lookups.hours_spec(c.municipality_id)
        return no_answer(counter, c, self._clock(), None if spec is None else hours_of(spec))

    async def _place(self, consultation_id: str) -> QueuePlace:
        counter = await self._store.read()
        if consultation_id not in counter.state.consultations:
            raise CounterError("internal", "consultation vanished")
        pos = counter.position(consultation_id)
        return QueuePlace(pos.position, pos.wait_estimate_s)


PLACES_KEPT = 4
"""States whose queue places a process keeps (by version) for the operation that runs on one of them next."""

_NOT_YET_RATEABLE = frozenset({State.TRIAGE, State.WAITING, State.OFFERED, State.ACTIVE})
