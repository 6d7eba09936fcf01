"""The counter: every open consultation and every agent on duty, and the operations people start on them.

Why one object: routing decisions (who gets the next offer, who is longest idle, where a resident stands in line)
depend on all waiting cases and all agents at once. Keeping them in one :class:`CounterState` lets a live-state
store apply each operation atomically — a lock in one process, a compare-and-set in Redis across several — and
lets this code stay pure: every method takes ``now``, mutates the state and records :data:`Effect` objects that
the edges turn into database writes and socket events. No I/O here, ever.

:class:`Counter` is that object. Its methods live in three modules by concern: the queue, offers, outbox and
queries in :mod:`madoguchi.signaling.routing` (routing rules in its docstring); links, deadlines and the restart
sweep in :mod:`madoguchi.signaling.presence`; and here the operations residents and staff start — including a
member of staff joining a running call as a third (fourth…) participant and leaving it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from madoguchi.domain.languages import served_by
from madoguchi.domain.participant import Participant
from madoguchi.signaling.chat_pool import (
    EVICTED,
    open_in_network,
    open_limit_per_source,
    room_for_one,
    town_chats,
    under_pressure,
)
from madoguchi.signaling.consultation import (
    JOINING_ROLES,
    QUEUED_STATES,
    Channel,
    Consultation,
    Disposition,
    InterpreterInvite,
    Party,
    Role,
    StaffRights,
    State,
    Trigger,
    may_hold,
)
from madoguchi.signaling.effects import (
    AgentChanged,
    BookingsDue,
    CallEnded,
    CallStarted,
    CaseMoved,
    Effect,
    InterpreterDeclined,
    InterpreterDue,
    InterpreterInvited,
    InterpreterWithdrawn,
    NextStepTold,
    OfferMade,
    OfferWithdrawn,
    ParticipantJoined,
    ParticipantLeft,
    PeerLink,
    ResidentReleased,
    Transitioned,
    VideoAnswered,
    VideoInvited,
)
from madoguchi.signaling.presence import Presence
from madoguchi.signaling.routing import agent_participant
from madoguchi.signaling.state import (
    ALL_ROUTES,
    RESUME_PLACES,
    Agent,
    AgentActivity,
    AgentStatus,
    CounterConfig,
    CounterError,
    CounterState,
    PendingRecord,
    QueuePosition,
    SelfTestResult,
    SetAsideRecord,
    record_key,
)

__all__ = [
    "ALL_ROUTES",
    "Agent",
    "AgentActivity",
    "AgentChanged",
    "AgentStatus",
    "BookingsDue",
    "CallEnded",
    "CallStarted",
    "CaseMoved",
    "Counter",
    "CounterConfig",
    "CounterError",
    "CounterState",
    "Effect",
    "InterpreterDeclined",
    "InterpreterDue",
    "InterpreterInvited",
    "InterpreterWithdrawn",
    "NextStepTold",
    "OfferMade",
    "OfferWithdrawn",
    "ParticipantJoined",
    "ParticipantLeft",
    "PeerLink",
    "PendingRecord",
    "QueuePosition",
    "ResidentReleased",
    "SetAsideRecord",
    "Transitioned",
    "VideoAnswered",
    "VideoInvited",
    "agent_participant",
    "record_key",
]


STAFF_PARTS = frozenset({Role.AGENT, *JOINING_ROLES})
BROWSER_KEY = "browser:"
"""What a browser's starts are kept under in ``source_opens`` (beside the addresses' own, which never start so)."""
"""Every part a member of staff can hold in a case."""


TOLD_TO_THE_RESIDENT: frozenset[Disposition] = frozenset(
    {Disposition.FOLLOW_UP, Disposition.BOOKED, Disposition.REFERRED}
)
"""Wrap-up outcomes that are a next step for the resident (the office gets back to them, a booking, another desk);
the others (resolved, dropped, other) leave the thank-you's plain closing line."""


class Counter(Presence):
    """Operations on a :class:`CounterState`. Each records effects in :attr:`effects`."""

    # --- residents -------------------------------------------------------------------------------------------

    def open(
        self,
        *,
        consultation_id: str,
        municipality_id: str,
        channel: Channel,
        resident: str,
        route: str,
        now: float,
        booth_id: str | None = None,
        language: str = "ja",
        urgent: bool = False,
        to_person: bool = True,
        priority: int = 0,
        booking: str | None = None,
        source: str | None = None,
        video: bool = False,
        browser: str | None = None,
        resumes: str | None = None,
    ) -> Consultation:
        """Start a case: straight to the queue (``to_person``) or to the bot first (chat triage). ``source`` is an
        anonymous resident's client address and ``browser`` their browser's id: their limits are checked
        (:meth:`_admit_source`). ``resumes``: the resident's case their lost link ended (:meth:`lost_by`), taken up
        again here — on its route, ahead of walk-ins, and used up in this same operation (session 15: a booth
        could resume one lost case on any topic, again and again, each time ahead of walk-ins)."""
        if consultation_id in self.state.consultations:
            raise CounterError("invalid_state", "consultation already exists")
        lost = None if resumes is None else self.lost_by(resident, resumes, now=now)
        if resumes is not None and lost is None:
            raise CounterError("not_resumable", "that consultation ended; start a new one")
        enqueued_at = now
        if lost is not None:
            place = RESUME_PLACES[lost.kind]
            route, urgent = lost.case.route, urgent or lost.case.urgent
            priority = max(priority, lost.case.priority, 1 if place.head else 0)
            enqueued_at = lost.case.enqueued_at if place.own_time else now
        if len(self.open_for_resident(resident)) >= self.config.max_open_per_resident:
            raise CounterError("limit_reached", "this resident already has an open consultation")
        source_count = 1
        if source is not None:
            source_count = self._admit_source(source, browser, municipality_id, now)
        trigger = Trigger.REQUEST if to_person else Trigger.OPEN_CHAT
        c = Consultation(
            id=consultation_id,
            municipality_id=municipality_id,
            channel=channel,
            participants=[Party(participant=Participant(resident), role=Role.RESIDENT, joined_at=now)],
            booth_id=booth_id,
            route=route,
            language=language,
            urgent=urgent,
            priority=priority,
            booking=booking,
            video=video,
            source=source,
            browser=browser,
            source_count=source_count,
            state=State.WAITING if to_person else State.TRIAGE,
            created_at=now,
            enqueued_at=enqueued_at,
            resumed=None if lost is None else lost.kind.value,
        )
        c.urgent_demoted = self._urgent_taken(c)
        # taken up, or left for a new case: either way the lost case is used up (once per lost case)
        self.state.lost_places = {k: v for k, v in self.state.lost_places.items() if v.resident != resident}
        held = None if resumes is None else self.state.consultations.get(resumes)
        if held is not None:  # the call's wrap-up is still open: it names the case that took it up
            held.resumed_by = c.id
        self.state.consultations[c.id] = c
        self._transitioned(Transitioned(c.model_copy(deep=True), None, trigger, now))
        self._dispatch(now)
        return c

    def handoff(
        self,
        consultation_id: str,
        *,
        resident: str,
        route: str,
        urgent: bool,
        now: float,
        language: str | None = None,
        no_topic: bool = False,
    ) -> None:
        """The bot hands a chat to a person: the case joins the queue now. ``language``: the one the resident
        writes in (detected); it replaces the page's language when a speaker of that one would not serve it
        (an English chat on the Japanese page is an English case; easy Japanese on the Japanese page stays).
        ``no_topic``: they asked for a person with nothing to route by (:attr:`Consultation.no_topic`)."""
        c = self._owned_by_resident(consultation_id, resident)
        if language is not None and not served_by(language, (c.language,)):
            c.language = language
        c.route = route
        c.no_topic = no_topic
        c.urgent = c.urgent or urgent
        c.urgent_demoted = self._urgent_taken(c)
        c.enqueued_at = now
        self._fire(c, Trigger.HANDOFF, now, route=route, urgent=c.urgent)
        self._dispatch(now)

    def bot_answered(self, consultation_id: str, *, resident: str, route: str) -> None:
        """The bot answered the resident on ``route`` (a chat still with the bot): the case is filed under that
        topic, so a chat the bot finished is counted under what it answered, not under 「その他・わからない」
        (the route a chat opens on). Written to the record when the chat closes (``recording._closed``); a
        handoff later sets the route again. Nothing else changes: no event, no effect."""
        c = self._owned_by_resident(consultation_id, resident)
        if c.state == State.TRIAGE:
            c.route = route

    def cancel(self, consultation_id: str, *, resident: str, now: float, reason: str = "cancelled") -> None:
        """The resident stops waiting: ``cancelled``, or ``callback`` (they left a number for the office to call
        back, only while waiting for a person)."""
        c = self._owned_by_resident(consultation_id, resident)
        if reason == "callback" and c.state not in QUEUED_STATES:
            raise CounterError("invalid_state", "a call-back can be asked for only while waiting for a person")
        # asked how it went: a chat the bot finished (never waited for a person), or a case a person once answered
        # (a call cut, back in line, then given up); never a call-back or a wait that reached nobody
        talked = any(p.role == Role.AGENT for p in c.participants)
        rate = reason != "callback" and (c.state == State.TRIAGE or talked)
        self._withdraw_offer(c, "cancelled")
        c.end_reason = reason
        self._fire(c, Trigger.CANCEL, now, reason=reason)
        self.effects.append(ResidentReleased(c.id, c.resident, reason, rate=rate))
        self._dispatch(now)

    def _admit_source(self, source: str, browser: str | None, municipality_id: str, now: float) -> int:
        """Refuse a web chat past the anonymous limits (per browser and, much higher, per address: open now and
        started in the window, lower while the town's chats are under pressure; per town: open now, where a
        bot-only chat may make room, :mod:`.chat_pool`); else count it. Returns how many cases from ``source``
        are open with this one."""
        cfg = self.config
        since = now - cfg.source_window_s
        town = town_chats(self.state.consultations.values(), municipality_id)
        open_from = [c for c in self.state.consultations.values() if c.is_open and c.source == source]
        per_source = open_limit_per_source(len(town), cfg)
        limits = [(source, open_from, per_source, cfg.max_opens_per_source, "from this connection")]
        if browser is not None:
            in_browser = [c for c in self.state.consultations.values() if c.is_open and c.browser == browser]
            key = BROWSER_KEY + browser
            limits.insert(0, (key, in_browser, cfg.max_open_per_browser, cfg.max_opens_per_browser, "in this browser"))
        for key, open_now, max_open, max_starts, where in limits:
            if len(open_now) >= max_open:
                raise CounterError("source_limit", f"too many conversations are open {where}; please wait")
            if len([t for t in self.state.source_opens.get(key, []) if t > since]) >= max_starts:
                raise CounterError("source_limit", f"too many conversations were started {where}; try later")
        network = open_in_network(town, source) if under_pressure(len(town), cfg) else None
        if network is not None and network[1] >= cfg.max_open_per_network_under_pressure:
            raise CounterError("source_limit", "too many conversations are open from this network; please wait")
        if len(town) >= cfg.max_open_chats_per_municipality:
            room = room_for_one(town, cfg, now)
            if room is None:
                raise CounterError("busy", "the counter is very busy; please try again a little later")
            self._evict(room, now)
        self.state.source_opens = {
            s: [t for t in times if t > since]
            for s, times in self.state.source_opens.items()
            if any(t > since for t in times)
        }
        for key, *_rest in limits:
            self.state.source_opens[key] = [*self.state.source_opens.get(key, []), now]
        return len(open_from) + 1

    def _evict(self, c: Consultation, now: float) -> None:
        """End a bot-only web chat to make room at the town's ceiling (:func:`.chat_pool.room_for_one`); its
        resident is told (``evicted``) and not asked how it went."""
        c.end_reason = EVICTED
        self._fire(c, Trigger.CANCEL, now, reason=EVICTED)
        self.effects.append(ResidentReleased(c.id, c.resident, EVICTED, rate=False))

    def touch_chat(self, consultation_id: str, *, resident: str, now: float, danger: bool = False) -> None:
        """The resident wrote to the bot: their chat is not idle (:attr:`Consultation.resident_active_at`); with
        ``danger``, their line touched danger and the chat is never ended to make room (:attr:`Consultation.danger`)."""
        c = self._owned_by_resident(consultation_id, resident)
        if c.state == State.TRIAGE:
            c.resident_active_at = now
            c.danger = c.danger or danger

    def _urgent_taken(self, c: Consultation) -> bool:
        """Whether ``c`` is an urgent web chat that may not be put ahead: an earlier urgent chat from its source is
        already, or :attr:`CounterConfig.max_prioritised_chats_per_municipality` of its town's are (from as many
        addresses: one home's IPv6 /56 is 256 of them). It stays urgent for the agents, in the web chats' band."""
        if not c.urgent or c.source is None:
            return False
        ahead = [
            o
            for o in self.state.consultations.values()
            if o.id != c.id
            and o.is_open
            and o.source is not None
            and o.prioritised
            and o.municipality_id == c.municipality_id
        ]
        return (
            any(o.source == c.source for o in ahead) or len(ahead) >= self.config.max_prioritised_chats_per_municipality
        )

    def revoke_resident(self, resident: str, *, now: float) -> None:
        """The resident's device lost its access (a booth revoked or given a new token): its call ends at once and
        a waiting case is withdrawn, both with ``end_reason`` ``revoked`` (no grace period: it cannot come back), and a
        case its lost link ended can no longer be taken up again."""
        self.state.lost_places = {k: v for k, v in self.state.lost_places.items() if v.resident != resident}
        for c in self.open_for_resident(resident):
            if c.state == State.ACTIVE:
                self._end_call(c, Trigger.END, now, reason="revoked")
                continue
            self._withdraw_offer(c, "revoked")
            c.end_reason = "revoked"
            self._fire(c, Trigger.CANCEL, now, reason="revoked")
            self.effects.append(ResidentReleased(c.id, c.resident, "revoked"))
        self._dispatch(now)

    # --- agents ----------------------------------------------------------------------------------------------

    def agent_online(
        self,
        *,
        agent_id: str,
        display_name: str,
        municipality_ids: tuple[str, ...],
        routes: tuple[str, ...],
        languages: tuple[str, ...],
        now: float,
        latin_name: str = "",
    ) -> Agent:
        """An agent's console connected: register them, or restore them if they were in their grace period."""
        agent = self.state.agents.get(agent_id)
        if agent is None:
            agent = Agent(
                id=agent_id,
                display_name=display_name,
                municipality_ids=municipality_ids,
                routes=routes,
                languages=languages,
                latin_name=latin_name,
                idle_since=now,
            )
            self.state.agents[agent_id] = agent
        else:
            agent.display_name = display_name
            agent.municipality_ids = municipality_ids
            agent.routes = routes
            agent.languages = languages
            agent.latin_name = latin_name
            self._agent_link_restored(agent, now)
        self.effects.append(AgentChanged(agent_id))
        self._dispatch(now)
        return agent

    def set_status(self, agent_id: str, status: AgentStatus, *, now: float) -> None:
        agent = self._agent(agent_id)
        if agent.status == status:
            return
        if status == AgentStatus.AVAILABLE and agent.consultation_id is None:
            agent.idle_since = now
        agent.status = status
        if status == AgentStatus.AWAY and agent.consultation_id is not None:
            c = self.state.consultations[agent.consultation_id]
            if c.state == State.OFFERED:
                self._return_offer(c, agent, Trigger.DECLINE, now, reason="agent_away")
        self.effects.append(AgentChanged(agent_id))
        self._dispatch(now)

    def accept(self, agent_id: str, consultation_id: str, *, now: float) -> None:
        agent = self._agent(agent_id)
        c = self._consultation(consultation_id)
        if c.state != State.OFFERED or c.agent_id != agent_id:
            raise CounterError("invalid_state", "this offer is no longer open")
        c.offer_expires_at = None
        c.offered_to = None
        c.answered_at = now
        c.not_back_to.clear()  # someone else took it: whoever sent it away may answer it again later
        c.call_lost = False
        c.moved_by_staff = False
        c.join(agent_participant(agent_id), Role.AGENT, now)
        self._fire(c, Trigger.ACCEPT, now, agent_id=agent_id)
        agent.consultation_id = c.id
        self.effects.append(CallStarted(c.id, c.resident, agent_id))
        self.effects.append(AgentChanged(agent_id))
        self._dispatch(now)

    def decline(self, agent_id: str, consultation_id: str, *, now: float) -> None:
        agent = self._agent(agent_id)
        c = self._consultation(consultation_id)
        if c.state != State.OFFERED or c.agent_id != agent_id:
            raise CounterError("invalid_state", "this offer is no longer open")
        self._return_offer(c, agent, Trigger.DECLINE, now, reason="declined")
        self._dispatch(now)

    def end(self, consultation_id: str, *, participant: str, now: float, reason: str = "hung_up") -> None:
        """Either side hangs up: the resident is released, the agent goes to wrap-up."""
        c = self._consultation(consultation_id)
        agent = agent_participant(c.agent_id) if c.agent_id else None
        if participant != c.resident and participant != agent:
            raise CounterError("forbidden", "not a participant of this consultation")
        if c.state != State.ACTIVE:
            raise CounterError("invalid_state", f"consultation is {c.state.value}")
        by = "resident" if participant == c.resident else "agent"
        self._end_call(c, Trigger.END, now, reason=f"{reason}_by_{by}")

    def wrap_up(self, agent_id: str, consultation_id: str, *, disposition: Disposition, note: str, now: float) -> None:
        agent = self._agent(agent_id)
        c = self._consultation(consultation_id)
        if c.agent_id != agent_id:
            raise CounterError("forbidden", "this consultation is not yours")
        if c.state != State.WRAP_UP:
            raise CounterError("invalid_state", f"consultation is {c.state.value}")
        self._fire(c, Trigger.WRAP_UP, now, disposition=disposition.value, note=note)
        if disposition in TOLD_TO_THE_RESIDENT:
            self.effects.append(NextStepTold(c.id, c.resident, disposition.value))
        if c.answered_at is not None:
            self._learn_handle_time(c.route, now - c.answered_at)
        agent.consultation_id = None
        agent.idle_since = now
        self.effects.append(AgentChanged(agent_id))
        self._dispatch(now)

    def transfer(
        self, agent_id: str, consultation_id: str, *, route: str, now: float, note: str = "", back_to_me: bool = False
    ) -> None:
        """Send an active case back to the queue on ``route``; ``note`` (masked) is shown to the next agent. It is
        not offered back to this agent unless ``back_to_me`` (the console told them nobody else can take it)."""
        agent = self._agent(agent_id)
        c = self._consultation(consultation_id)
        if c.agent_id != agent_id or c.state != State.ACTIVE:
            raise CounterError("invalid_state", "only your active consultation can be transferred")
        self.effects.append(CallEnded(c.id, c.resident, agent_id, "transferred"))
        previous_route = c.route
        c.route = route
        c.no_topic = False  # a person chose where it goes now
        c.leave(agent_participant(agent_id), now)
        self._extras_leave(c, now, "transferred")
        c.agent_lost_at = None  # that agent's link is no longer this case's concern
        if c.answered_at is not None:
            c.talked_before_s += max(0.0, now - c.answered_at)
        c.answered_at = None
        # The agent sent it away on purpose: it is not theirs to answer (nor to count as someone who can) until
        # someone else has taken it, unless they were told nobody else can and sent it anyway (back_to_me); a
        # supervisor may still offer it to them.
        c.call_lost = False
        if not back_to_me and agent_id not in c.not_back_to:
            c.not_back_to.append(agent_id)
        self._fire(c, Trigger.TRANSFER, now, from_route=previous_route, route=route, note=note)
        # the call's end closed the hand-over this call answered (if any); this one starts now
        c.transfer_note = note
        c.transferred_by = agent.display_name
        c.transferred_by_id = agent_id
        agent.consultation_id = None
        agent.idle_since = now
        self.effects.append(AgentChanged(agent_id))
        self._dispatch(now)

    # --- supervisors -----------------------------------------------------------------------------------------

    def offer_to(self, agent_id: str, consultation_id: str, *, now: float) -> None:
        """A supervisor offers a waiting case to a named agent, who still accepts or declines. The agent must be
        connected, free and on duty for the case's municipality; route and language are the supervisor's call
        (that is the point: a case nobody's routes cover). Only an available agent: one set away is not rung."""
        agent = self._agent(agent_id)
        c = self._consultation(consultation_id)
        if c.state != State.WAITING:
            raise CounterError("invalid_state", "this case is not waiting any more")
        if c.resident_lost_at is not None:
            raise CounterError("invalid_state", "the resident's connection is down; wait until they are back")
        if c.municipality_id not in agent.municipality_ids:
            raise CounterError("forbidden", "this agent does not serve the case's municipality")
        if not agent.connected or agent.consultation_id is not None or agent.status != AgentStatus.AVAILABLE:
            raise CounterError("agent_busy", "this agent is not free now")
        c.declined_until.pop(agent.id, None)
        c.offered_to = agent.id
        c.offer_expires_at = now + self.config.offer_timeout_s
        self._fire(c, Trigger.OFFER, now, agent_id=agent.id, by="supervisor")
        agent.consultation_id = c.id
        self.effects.append(OfferMade(agent.id, c.id, c.offer_expires_at))
        self.effects.append(AgentChanged(agent.id))

    def move_route(self, consultation_id: str, *, route: str, now: float) -> None:
        """A supervisor moves a waiting case to another route; it keeps its place in time (``enqueued_at``)."""
        c = self._consultation(consultation_id)
        if c.state != State.WAITING:
            raise CounterError("invalid_state", "only a waiting case can be moved")
        if c.route == route:
            return
        previous = c.route
        c.route = route
        c.no_topic = False  # a person chose where it goes now
        c.not_back_to.clear()  # the supervisor's choice: anyone of the route may take it again
        c.moved_by_staff = True
        # recorded like a transfer (an event with both routes, the route column updated), without a new state
        self._fire(c, Trigger.MOVE, now, from_route=previous, route=route, by="supervisor")
        self.effects.append(CaseMoved(c.id, previous, route))
        self._dispatch(now)

    def invite_video(self, agent_id: str, consultation_id: str, *, now: float) -> None:
        """The agent in a web chat invites the resident to switch to video (asked again, they are asked again)."""
        c = self._consultation(consultation_id)
        if c.agent_id != agent_id:
            raise CounterError("forbidden", "this consultation is not yours")
        if c.state != State.ACTIVE:
            raise CounterError("invalid_state", f"consultation is {c.state.value}")
        if c.channel != Channel.CHAT or c.video:
            raise CounterError("invalid_state", "only a text chat can switch to video")
        c.video_invited = True
        self.effects.append(VideoInvited(c.id, c.resident))

    def answer_video(self, consultation_id: str, *, resident: str, accepted: bool, now: float) -> None:
        """The resident accepts (the call starts again, with media, on both sides) or declines the invitation."""
        c = self._consultation(consultation_id)
        if c.resident != resident:
            raise CounterError("forbidden", "not your consultation")
        if c.state != State.ACTIVE or not c.video_invited or c.agent_id is None:
            raise CounterError(
                "not_invited",
                "there is no invitation to video to answer: it ends with the call it was for (a transfer, back in "
                "line, the end)",
            )
        c.video_invited = False
        c.video = accepted
        c.video_by_invite = accepted
        self.effects.append(VideoAnswered(c.id, c.agent_id, accepted))
        if accepted:
            self.effects.append(CallStarted(c.id, c.resident, c.agent_id))

    def set_booked_soon(self, municipality_id: str, counts: Mapping[str, int]) -> None:
        """The municipality's bookings due soon per route (the booking sweep's count), replacing the last count;
        waiting walk-ins are told their estimate again when it changed."""
        prefix = f"{municipality_id}:"
        before = {k: v for k, v in self.state.booked_soon.items() if k.startswith(prefix)}
        after = {f"{prefix}{route}": n for route, n in counts.items() if n > 0}
        if before == after:
            return
        kept = {k: v for k, v in self.state.booked_soon.items() if not k.startswith(prefix)}
        self.state.booked_soon = {**kept, **after}
        self.effects.append(BookingsDue(municipality_id))

    def note_self_test(self, booth_id: str, result: SelfTestResult) -> None:
        """A booth's self-test result, replacing its last one (shown in the supervisors' booth list)."""
        self.state.self_tests = {**self.state.self_tests, booth_id: result}

    # --- more participants ---------------------------------------------------------------------------------------

    def invite_interpreter(
        self,
        consultation_id: str,
        *,
        inviter: str,
        inviter_municipalities: Sequence[str],
        staff_id: str,
        now: float,
        supervises: bool = False,
    ) -> float:
        """The call's agent, or a supervisor or an admin of its municipality (``supervises``), invites a member of
        staff on duty there to interpret this one call; returns when the invitation expires. A new invitation to
        the same person replaces theirs; expired ones are dropped."""
        c = self._consultation(consultation_id)
        if c.municipality_id not in inviter_municipalities:
            raise CounterError("forbidden", "not a consultation of your municipality")
        if c.state != State.ACTIVE:
            raise CounterError("invalid_state", f"consultation is {c.state.value}")
        if not supervises and (c.agent_id != inviter or c.party_of(Participant.agent(inviter)) is None):
            raise CounterError("forbidden", "only the call's agent or a supervisor may invite an interpreter")
        guest = self.state.agents.get(staff_id)
        if guest is None or c.municipality_id not in guest.municipality_ids:
            raise CounterError("not_found", "that member of staff is not on duty for this municipality")
        if c.party_of(Participant.agent(staff_id)) is not None:
            raise CounterError("invalid_state", "already in this consultation")
        expires_at = now + self.config.interpreter_invite_s
        kept = {k: v for k, v in c.interpreter_invites.items() if v.expires_at > now and k != staff_id}
        invite = InterpreterInvite(expires_at=expires_at, by=inviter, call=c.answered_at)
        c.interpreter_invites = {**kept, staff_id: invite}
        self.effects.append(InterpreterInvited(c.id, staff_id, inviter, expires_at))
        return expires_at

    def decline_interpreter(self, consultation_id: str, *, staff_id: str, now: float) -> None:
        """The member of staff invited to interpret this call declines (ことわる): their invitation ends (only
        theirs: another one still open stays), and the call's others and the one who invited them are told
        (``InterpreterDeclined``). Only the invitee may, while the invitation runs."""
        c = self._consultation(consultation_id)
        invite = c.interpreter_invites.get(staff_id)
        if invite is None or invite.expires_at <= now:
            raise CounterError("not_invited", "no invitation of yours to interpret this call is open")
        c.interpreter_invites = {k: v for k, v in c.interpreter_invites.items() if k != staff_id and v.expires_at > now}
        still_until = max((v.expires_at for v in c.interpreter_invites.values()), default=None)
        self.effects.append(InterpreterDeclined(c.id, staff_id, by=invite.by, still_until=still_until))

    def join(self, consultation_id: str, *, participant: str, role: Role, now: float, supervises: bool = False) -> None:
        """A member of staff on duty for the case's municipality joins its running call: as an observer only a
        supervisor or an admin (``supervises``); as an interpreter they too, or anyone of the town whom the call's
        agent or a supervisor invited to this call (:meth:`invite_interpreter`; the join uses the invitation up).
        Anyone else could otherwise listen in on any call of their town (sessions 8 and 9's outside attacks)."""
        who = Participant(participant)
        c = self._consultation(consultation_id)
        if role not in JOINING_ROLES:
            raise CounterError("forbidden", f"nobody joins a call as {role.value}")
        staff_id = who.agent_id()
        if staff_id is None:
            raise CounterError("forbidden", "only staff can join a call")
        agent = self._agent(staff_id)
        if c.municipality_id not in agent.municipality_ids:
            raise CounterError("forbidden", "not a consultation of your municipality")
        if c.party_of(who) is not None:
            raise CounterError("invalid_state", "already in this consultation")
        if c.state != State.ACTIVE:
            raise CounterError("invalid_state", f"consultation is {c.state.value}")
        if not may_hold(StaffRights(frozenset(agent.municipality_ids), supervises), c.municipality_id, role):
            raise CounterError("forbidden", f"only a supervisor or an admin may join a call as {role.value}")
        if role == Role.INTERPRETER and not supervises:
            invite = c.interpreter_invites.get(staff_id)
            if invite is None:
                raise CounterError(
                    "not_invited",
                    "an interpreter joins a call only when its agent or a supervisor invites them to it; an "
                    "invitation ends with its call (a transfer, back in line, the end)",
                )
            if invite.call is None or invite.call != c.answered_at:
                raise CounterError("not_invited", "that invitation was for an earlier call of this case")
            if invite.expires_at <= now:
                raise CounterError("invitation_expired", "the invitation to this call has expired; ask for a new one")
            c.interpreter_invites = {k: v for k, v in c.interpreter_invites.items() if k != staff_id}
        c.join(who, role, now)
        self._fire(c, Trigger.JOIN, now, participant=str(who), role=role.value)
        self.effects.append(ParticipantJoined(c.id, who, role))

    def leave(self, consultation_id: str, *, participant: str, now: float) -> None:
        """A participant who joined leaves; the resident and the agent end the call instead."""
        c = self._consultation(consultation_id)
        party = c.party_of(participant)
        if party is None:
            raise CounterError("forbidden", "not a participant of this consultation")
        if party.role not in JOINING_ROLES:
            raise CounterError("invalid_state", "the resident and the agent end the call instead of leaving it")
        if c.state != State.ACTIVE:
            raise CounterError("invalid_state", f"consultation is {c.state.value}")
        party.left_at = now
        self._fire(c, Trigger.LEAVE, now, participant=str(party.participant), role=party.role.value)
        self.effects.append(ParticipantLeft(c.id, party.participant, "left"))

    # --- rights that changed ------------------------------------------------------------------------------------

    def restate_rights(
        self,
        staff_id: str,
        rights: StaffRights | None,
        *,
        now: float,
        parts: frozenset[Role] = STAFF_PARTS,
        reason: str = "access_changed",
    ) -> None:
        """Hold the member of staff to ``rights`` (None: none at all): each part among ``parts`` they hold in a case
        that :func:`~madoguchi.signaling.consultation.may_hold` no longer allows ends, the others in the call hear
        ``participant.left`` (``reason``). A call they joined (observer, interpreter) goes on without them; the
        agent's own call goes back in line in its place and a ringing offer goes to the next agent, as when the
        agent's link stays down past the grace period (:meth:`_agent_gone_from_call`); a wrap-up stays theirs
        and closes by itself once their link has been down for ``wrap_up_timeout_s``.

        Called on every staff connect with the account's rights of now, and when a socket's access is revoked
        (``access_ended``)."""
        who = agent_participant(staff_id)
        for c in list(self.state.consultations.values()):
            if c.state == State.OFFERED and c.offered_to == staff_id:
                agent = self.state.agents.get(staff_id)
                if agent is not None and Role.AGENT in parts and not may_hold(rights, c.municipality_id, Role.AGENT):
                    self._return_offer(c, agent, Trigger.AGENT_GONE, now, reason="agent_link_lost", cooldown=False)
                continue
            party = c.party_of(who)
            if party is None or party.role not in parts or may_hold(rights, c.municipality_id, party.role):
                continue
            if party.role == Role.AGENT:
                if c.state == State.ACTIVE:
                    self._agent_gone_from_call(c, now)
                continue
            if c.state == State.ACTIVE:  # joined parts are held only in a running call
                party.left_at = now
                self._fire(c, Trigger.LEAVE, now, participant=str(who), role=party.role.value, reason=reason)
                self.effects.append(ParticipantLeft(c.id, who, reason))
        agent = self.state.agents.get(staff_id)
        if rights is None and Role.AGENT in parts and agent is not None and agent.status != AgentStatus.AWAY:
            agent.status = AgentStatus.AWAY  # no rights at all: nothing rings them while their socket closes
            self.effects.append(AgentChanged(staff_id))
        self._dispatch(now)

    def access_ended(self, staff_id: str, *, disabled: bool, now: float) -> None:
        """A console socket of this member of staff lost its credential (``access.revoked``: logout, a password
        reset, a change of role or routes, the account disabled). They leave every call they joined: the socket that
        followed it is closed, and whether they may join again is for their new rights to say. Their own case
        waits out the link's grace period like any dropped console (they may log in again and carry on, and their
        reconnect is judged by :meth:`restate_rights`) — unless the account is disabled or gone: then nobody can
        come back, and the case goes back in line at once."""
        parts = STAFF_PARTS if disabled else JOINING_ROLES
        self.restate_rights(staff_id, None, now=now, parts=parts, reason="access_revoked")
