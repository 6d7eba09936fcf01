"""The counter's base: the queue, the offer rules, the outbox and the queries every operation shares.

Routing rules:

* A consultation can go to an agent who is ``available``, connected, not already ringing or busy, serves the
  consultation's municipality, route (or ``*``) and language (easy Japanese: any Japanese speaker;
  ``madoguchi.domain.languages.served_by``), and did not decline it within the cooldown. The agent who
  transferred a case away (``not_back_to``) is not offered it, and does not count as someone who can answer it
  (the resident's wait estimate, "no one can answer"), until someone else has taken it, unless they sent it
  knowing nobody else can take it (``back_to_me``: it comes back after the cooldown, the offer says so); a
  supervisor may still offer it to them.
* A case with nothing to route by (:attr:`Consultation.no_topic`: the resident asked for a person before saying
  what about) may go to any agent of its town who speaks its language (or through an interpreter), those who serve
  its route rung first: a free agent greets them and transfers if need be.
* Queue order: urgent first, then priority, then time of entering the queue (kept when a case comes back).
* Among matching agents the longest idle gets the offer; an offer that runs out sets that agent ``away`` (and
  the withdrawal says so: ``away``), a declined one keeps the case from them for ``decline_cooldown_s`` (the
  withdrawal carries ``cooldown_s``).
* A resident whose link is down keeps their place but is not offered until they are back.
* Overflow (:class:`~madoguchi.signaling.state.OverflowRule`, per municipality and route): once a case has waited
  ``after_s``, agents of a fallback route, or any agent of the municipality with the case's language, may take it
  too (:meth:`Routing.may_take`). The resident's wait estimate still counts only the agents who serve the route.
* Interpreter overflow (:attr:`CounterConfig.interpreter_after_s`, :meth:`Routing.through_interpreter`): a
  resident who chose a language nobody on duty for the case speaks would wait for ever, so agents of the case's
  town and route who do not speak it may take it too: once it has waited ``interpreter_after_s`` for a speaker, or
  at once when no speaker on duty may take it (:meth:`Routing.speaker_on_duty`). Speakers still get the offer
  first (:meth:`Routing.offer_rank`); the offer says the agent does not speak the language (``interpreter``) and
  the console offers to invite an interpreter. The wait estimate counts those agents while no speaker is on duty.
* Urgent cases (:meth:`~madoguchi.signaling.state.Agent.takes_urgent`): an urgent case must reach a person, so
  any agent of its municipality may take it at once, whatever its route and language; an agent who serves it
  (route and language) still gets the offer first when one is free. The offer carries the case's language, and
  the agent can use 110/119, an interpreter line or easy Japanese. Non-urgent cases keep the language rule (and
  the overflow rules above).

Records to write (the transactional outbox): every state change a consultation goes through must reach the
database, but the database can be down for a while (a PostgreSQL failover takes 10-60 s) when the live state has
already moved. So each :class:`Transitioned` effect is also appended to :attr:`CounterState.outbox` as a
:class:`PendingRecord`, in the same atomic transaction as the change itself: the fact is durable (in Redis, with
the rest of the state) the moment the operation commits. The edges write pending records to the database in
order and then remove them by key (:meth:`Routing.discard_records`); a record's key
(``<consultation id>:<n>``, ``n`` the consultation's count of state changes) is unique and deterministic, so the
database can refuse a second copy and any process may write any pending record without doubling it.

The counter is one object over one state (:class:`~madoguchi.signaling.counter.Counter`); its methods are split
by concern: this module, links and time (:mod:`madoguchi.signaling.presence`), and the operations people start
(:mod:`madoguchi.signaling.counter`). Pure: no I/O, time is passed in.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from madoguchi.domain.languages import served_by
from madoguchi.domain.participant import Participant
from madoguchi.domain.pii_lines import SUMMARY_TEXTS, TRIAGE_TEXTS, mask_record_texts
from madoguchi.signaling.consultation import (
    CALL_BOUNDARIES,
    JOINING_ROLES,
    QUEUED_STATES,
    Consultation,
    Role,
    State,
    TransitionError,
    Trigger,
)
from madoguchi.signaling.effects import (
    AgentChanged,
    CallEnded,
    Effect,
    InterpreterWithdrawn,
    OfferMade,
    OfferWithdrawn,
    ParticipantLeft,
    PeerLink,
    ResidentReleased,
    Transitioned,
)
from madoguchi.signaling.state import (
    SET_ASIDE_KEPT,
    Agent,
    AgentActivity,
    AgentStatus,
    CounterConfig,
    CounterError,
    CounterState,
    LostPlace,
    PendingRecord,
    QueuePosition,
    ResumeKind,
    SetAsideRecord,
    record_key,
)

_NOT_ASKED = frozenset({"revoked", "resident_link_lost"})
"""Call ends after which the resident is not asked how it went: their screen is gone (consultation.closed's
``ask_satisfaction``)."""


def agent_participant(agent_id: str) -> Participant:
    return Participant.agent(agent_id)


class Routing:
    """Operations on a :class:`CounterState`. Each records effects in :attr:`effects`."""

    def __init__(self, state: CounterState, config: CounterConfig) -> None:
        self.state = state
        self.config = config
        self.effects: list[Effect] = []
        self.staged: list[PendingRecord] = []
        """Records this counter queued in :attr:`CounterState.outbox`, in order."""

    # --- records to write ------------------------------------------------------------------------------------

    def annotate_first_record(self, extra: Mapping[str, Any]) -> None:
        """Attach further columns (``extra``) to the first record this counter queued; nothing if it queued none."""
        if not self.staged or not extra:
            return
        first = self.staged[0]
        annotated = first.model_copy(update={"extra": {**first.extra, **extra}})
        self.staged[0] = annotated
        self.state.outbox = [annotated if e.key == first.key else e for e in self.state.outbox]

    def discard_records(self, keys: Collection[str]) -> int:
        """Remove the pending records whose keys are given (their database write is confirmed); returns how many.
        Only by key: records queued meanwhile by others stay."""
        if not keys:
            return 0
        kept = [e for e in self.state.outbox if e.key not in keys]
        removed = len(self.state.outbox) - len(kept)
        if removed:
            self.state.outbox = kept
        return removed

    def set_aside_records(self, refused: Mapping[str, str], at: float) -> list[SetAsideRecord]:
        """Move the pending records whose keys are given out of the outbox into :attr:`CounterState.set_aside`,
        each with its refusal (``refused``: key -> error); returns those moved. Beyond :data:`SET_ASIDE_KEPT` the
        oldest set-aside records are dropped."""
        moved = [SetAsideRecord(record=e, error=refused[e.key], at=at) for e in self.state.outbox if e.key in refused]
        if moved:
            self.state.outbox = [e for e in self.state.outbox if e.key not in refused]
            self.state.set_aside = [*self.state.set_aside, *moved][-SET_ASIDE_KEPT:]
        return moved

    def clear_set_aside(self, keys: Collection[str]) -> int:
        """Forget the set-aside records whose keys are given (an operator has dealt with them); returns how many.
        Only by key: records set aside meanwhile stay."""
        kept = [s for s in self.state.set_aside if s.record.key not in keys]
        removed = len(self.state.set_aside) - len(kept)
        if removed:
            self.state.set_aside = kept
        return removed

    def retry_set_aside(self, keys: Collection[str]) -> int:
        """Put the set-aside records whose keys are given back at the end of the outbox (an operator fixed the
        cause, e.g. applied a migration); returns how many. Only by key: records set aside meanwhile stay; a key
        already pending again is not queued twice."""
        pending = {e.key for e in self.state.outbox}
        back = [s.record for s in self.state.set_aside if s.record.key in keys]
        if not back:
            return 0
        self.state.set_aside = [s for s in self.state.set_aside if s.record.key not in keys]
        self.state.outbox = [*self.state.outbox, *(r for r in back if r.key not in pending)]
        return len(back)

    def pending_records(self, consultation_ids: Collection[str] | None = None) -> list[PendingRecord]:
        """Pending records, oldest first; only those of ``consultation_ids`` when given."""
        if consultation_ids is None:
            return list(self.state.outbox)
        return [e for e in self.state.outbox if e.consultation_id in consultation_ids]

    def mask_pending_texts(self, consultation_id: str, groups: Mapping[str, str]) -> int:
        """A number completed over chat lines masked in the summary and triage of the case's pending records too
        (written at the handoff from the lines before; still in the outbox while the database was away), so the
        record written later does not bring the pieces back. Returns how many records changed."""
        changed = 0
        for i, entry in enumerate(self.state.outbox):
            if entry.consultation_id != consultation_id:
                continue
            extra = dict(entry.extra)
            for key, fields in (("summary", SUMMARY_TEXTS), ("triage", TRIAGE_TEXTS)):
                if isinstance(extra.get(key), dict):
                    extra[key] = mask_record_texts(extra[key], fields, dict(groups))
            if extra != entry.extra:
                self.state.outbox[i] = entry.model_copy(update={"extra": extra})
                changed += 1
        return changed

    # --- queries ---------------------------------------------------------------------------------------------

    def queue(self) -> list[Consultation]:
        waiting = [c for c in self.state.consultations.values() if c.state in QUEUED_STATES]
        return sorted(waiting, key=Consultation.queue_key)

    def queue_for_agent(self, agent_id: str, now: float | None = None) -> list[Consultation]:
        """The cases in this agent's queue list: the ones they serve (:meth:`Agent.sees`) and, with ``now``, the ones
        they may take through an interpreter by then (:meth:`through_interpreter`): offered to them when free, so
        listed too (a busy agent's list left them out, and the case they would be rung with next was invisible)."""
        agent = self._agent(agent_id)
        return [
            c
            for c in self.queue()
            if agent.sees(c.municipality_id, c.route, c.language, urgent=c.urgent)
            or (now is not None and self.through_interpreter(agent, c, now))
        ]

    def position(self, consultation_id: str) -> QueuePosition:
        """Place in line among cases the same agents would take, and an honest estimate of the wait.

        The estimate is ``people ahead that free agents cannot absorb × average handling time / agents on
        duty``; with no matching agent on duty it is ``None`` (unknown) rather than a made-up number. For a walk-in
        (no priority), the bookings of the route due soon and not yet checked in count as people ahead too
        (:attr:`CounterState.booked_soon`): they will go first when they check in.
        """
        c = self._consultation(consultation_id)
        ahead = sum(
            1
            for other in self.queue()
            if other.municipality_id == c.municipality_id
            and other.route == c.route
            and other.queue_key() < c.queue_key()
        )
        return self._place(c, ahead + 1, {})

    def positions(self) -> dict[str, QueuePosition]:
        """Every queued case's :meth:`position`, in one pass over the sorted queue (a resident's place is their
        index among the cases of their town and route), the agents on duty looked up once per town, route and
        language: what a change costs grows with the queue, not with its square."""
        out: dict[str, QueuePosition] = {}
        seen: dict[tuple[str, str], int] = {}
        duty: dict[tuple[str, str, str, bool, bool], tuple[list[Agent], int]] = {}
        for c in self.queue():
            group = (c.municipality_id, c.route)
            seen[group] = seen.get(group, 0) + 1
            out[c.id] = self._place(c, seen[group], duty)
        return out

    def on_duty(self) -> frozenset[str]:
        """The agents connected and available or busy with a case (those a wait estimate counts)."""
        return frozenset(a.id for a in self.state.agents.values() if a.on_duty)

    def _place(
        self, c: Consultation, position: int, duty: dict[tuple[str, str, str, bool, bool], tuple[list[Agent], int]]
    ) -> QueuePosition:
        """``duty``: the agents on duty for each town, route, language and urgency, and how many of them are free,
        found once per group (:meth:`positions`) instead of once per case."""
        key = (c.municipality_id, c.route, c.language, c.urgent, c.no_topic)
        found = duty.get(key)
        if found is None:
            agents = [
                a
                for a in self.state.agents.values()
                if a.on_duty and (a.serves(c) or a.takes_urgent(c) or a.takes_no_topic(c))
            ]
            if not agents and self.config.interpreter_after_s is not None and not c.urgent:
                # nobody speaks the language: the route's agents take the case at once, with an interpreter
                agents = [a for a in self.state.agents.values() if a.on_duty and a.covers(c)]
            found = duty[key] = (agents, sum(1 for a in agents if _free(a)))
        on_duty, free = found
        if c.not_back_to:  # one who transferred the case away will not take it back: not counted as on duty for it
            on_duty = [a for a in on_duty if a.id not in c.not_back_to]
        if c.state == State.OFFERED:
            return QueuePosition(c.id, position, 0.0, len(on_duty))
        if not on_duty:
            return QueuePosition(c.id, position, None, 0)
        # An agent who just sent this case away (or declined it) is free but will not be rung with it: not "soon".
        # (tick drops an entry of declined_until when its cooldown ends.)
        if c.not_back_to or c.declined_until:
            free = sum(1 for a in on_duty if _free(a) and a.id not in c.declined_until)
        handle = self.state.handle_time_s.get(c.route, self.config.default_handle_time_s)
        booked = 0 if c.priority > 0 else self.state.booked_soon.get(f"{c.municipality_id}:{c.route}", 0)
        rounds = math.ceil(max(0, position + booked - free) / len(on_duty))
        return QueuePosition(c.id, position, float(round(rounds * handle)), len(on_duty))

    def may_take(self, agent: Agent, c: Consultation, now: float) -> bool:
        """The agent serves the case, or the case has waited past its overflow time and the agent fits the rule,
        or the agent may take it through an interpreter (:meth:`through_interpreter`); never an agent who
        transferred the case away (:attr:`Consultation.not_back_to`)."""
        if agent.id in c.not_back_to:
            return False
        return self._may_take_speaking(agent, c, now) or self.through_interpreter(agent, c, now)

    def through_interpreter(self, agent: Agent, c: Consultation, now: float) -> bool:
        """Interpreter overflow: the agent covers the case's town and route but does not speak its language, and
        the case has waited ``interpreter_after_s`` for a speaker, or no speaker on duty may take it at all.
        Urgent cases need none of this (anyone of the town takes them at once)."""
        wait = self.config.interpreter_after_s
        if wait is None or c.urgent or agent.id in c.not_back_to:
            return False
        if not agent.covers(c) or served_by(c.language, agent.languages):
            return False
        return now >= c.enqueued_at + wait or not self.speaker_on_duty(c, now)

    def speaker_on_duty(self, c: Consultation, now: float) -> bool:
        """Someone on duty who speaks the case's language may take it (its route, or an overflow rule)."""
        return any(
            a.on_duty and a.id not in c.not_back_to and self._may_take_speaking(a, c, now)
            for a in self.state.agents.values()
        )

    @staticmethod
    def offer_rank(agent: Agent, c: Consultation) -> int:
        """Who among the free agents who may take a case is rung first: one who serves it (route and language),
        then one who speaks its language (an overflow rule), then the others (urgent, or through an interpreter)."""
        if agent.serves(c):
            return 0
        return 1 if served_by(c.language, agent.languages) else 2

    def _may_take_speaking(self, agent: Agent, c: Consultation, now: float) -> bool:
        """:meth:`may_take` without the interpreter overflow."""
        if agent.serves(c) or agent.takes_urgent(c) or agent.takes_no_topic(c):
            return True
        rule = self.config.overflow_rule(c.municipality_id, c.route)
        if rule is None or now < c.enqueued_at + rule.after_s:
            return False
        if c.municipality_id not in agent.municipality_ids or c.language not in agent.languages:
            return False
        return rule.any_with_language or (rule.to_route is not None and rule.to_route in agent.routes)

    def overflow_moments(self, c: Consultation) -> list[float]:
        """When ``c`` reaches its overflow times (the office's rule, the interpreter overflow)."""
        return [c.enqueued_at + wait for wait in self.overflow_waits(c.municipality_id, c.route, urgent=c.urgent)]

    def overflow_waits(self, municipality_id: str, route: str, *, urgent: bool) -> tuple[float, ...]:
        """How long a case of this town and route waits before each of its overflow times (:meth:`overflow_moments`
        adds them to its ``enqueued_at``): the same for every such case, so a caller asking about many cases works
        them out once per kind (:class:`~madoguchi.signaling.supervision.StrandedCheck`)."""
        rule = self.config.overflow_rule(municipality_id, route)
        interpreter = self.config.interpreter_after_s if not urgent else None
        return tuple(wait for wait in (None if rule is None else rule.after_s, interpreter) if wait is not None)

    def overflow_deadlines(self, now: float) -> list[float]:
        """When the timers must tick for waiting cases reaching their overflow times, those still ahead of ``now``:
        each moment rounded up to a multiple of :data:`OVERFLOW_TICK_S`, so that the cases coming due within those
        seconds are taken in one tick, not one tick (a whole transaction) each."""
        return sorted(
            {
                tick
                for c in self.state.consultations.values()
                if c.state == State.WAITING
                for at in self.overflow_moments(c)
                if (tick := math.ceil(at / OVERFLOW_TICK_S) * OVERFLOW_TICK_S) > now
            }
        )

    def activity(self, agent_id: str) -> AgentActivity:
        agent = self._agent(agent_id)
        if not agent.connected:
            return AgentActivity.OFFLINE
        if agent.consultation_id is not None:
            state = self.state.consultations[agent.consultation_id].state
            return {
                State.OFFERED: AgentActivity.RINGING,
                State.ACTIVE: AgentActivity.BUSY,
                State.WRAP_UP: AgentActivity.WRAP_UP,
            }.get(state, AgentActivity.BUSY)
        return AgentActivity(agent.status.value)

    def peer_of(self, participant: str, consultation_id: str) -> str:
        """The other participant of an active two-party consultation (see :meth:`receiver_of`)."""
        return self.receiver_of(participant, consultation_id, None)

    def receiver_of(self, sender: str, consultation_id: str, to: str | None) -> Participant:
        """The relay's guard: ``to`` when sender and receiver are both in the active consultation; without
        ``to``, the single other participant (refused when more than two take part). Refuses anyone else."""
        others = self.others_in_call(sender, consultation_id)
        if to is None:
            if len(others) != 1:
                raise CounterError("invalid_payload", "more than two take part: say whom the signal is for ('to')")
            return others[0]
        for other in others:
            if other == to:
                return other
        raise CounterError("forbidden", "the receiver is not in this consultation")

    def others_in_call(self, participant: str, consultation_id: str) -> list[Participant]:
        """Everyone else present in the participant's active consultation (a chat line's audience); refuses a
        participant who is not in it, or a consultation that is not in a call."""
        c = self.state.consultations.get(consultation_id)
        if c is None:
            raise CounterError("not_found", "no such consultation")
        ringing = c.offered_to is not None and participant == agent_participant(c.offered_to)
        if c.agent_id is None or (c.party_of(participant) is None and not ringing):
            raise CounterError("forbidden", "not a participant of this consultation")
        if c.state != State.ACTIVE:
            raise CounterError("invalid_state", f"consultation is {c.state.value}")
        return [p.participant for p in c.present() if p.participant != participant]

    def writers_audience(self, participant: str, consultation_id: str) -> list[Participant]:
        """:meth:`others_in_call`, for a chat line: an observer watches and does not write (``read_only``)."""
        others = self.others_in_call(participant, consultation_id)
        party = self.state.consultations[consultation_id].party_of(participant)
        if party is not None and party.role == Role.OBSERVER:
            raise CounterError("read_only", "an observer follows the call and cannot write in its chat")
        return others

    def ringing_console(self, resident: str, consultation_id: str) -> Participant:
        """The guard of an offer made while the call rings: the agent whose console rings with this resident's
        own case. Refuses anyone else's case, and a case that does not ring (accepted, withdrawn, back in line)."""
        c = self.state.consultations.get(consultation_id)
        if c is None:
            raise CounterError("not_found", "no such consultation")
        if c.resident != resident:
            raise CounterError("forbidden", "not this resident's consultation")
        if c.state != State.OFFERED or c.offered_to is None:
            raise CounterError("invalid_state", f"consultation is {c.state.value}, not ringing")
        return agent_participant(c.offered_to)

    def open_for_resident(self, resident: str) -> list[Consultation]:
        """Cases the resident still takes part in. A case in wrap-up is the agent's alone: the resident was
        released when the call ended, so it neither blocks the booth's next resident nor reacts to the booth's
        link."""
        return [
            c
            for c in self.state.consultations.values()
            if c.resident == resident and c.is_open and c.state != State.WRAP_UP
        ]

    def lost_by(self, resident: str, consultation_id: str, *, now: float) -> LostPlace | None:
        """The resident's case ``consultation_id`` that ended because their link stayed down past the grace period
        (``resident_link_lost``), in a call or waiting in line, if it ended less than
        :attr:`CounterConfig.resume_window_s` ago and was not taken up yet: a booth back on line takes it up again
        (:data:`RESUME_PLACES`) rather than being thanked for a call it never finished or a wait it never gave up
        (ux15 item 1; session 16: also after the agent finished the wrap-up, and for a booth that was waiting).
        Once only: taking it up (or opening any other case) uses it up, so a booth cannot go ahead of walk-ins again
        and again on it."""
        lost = self.state.lost_places.get(consultation_id)
        if lost is None or lost.resident != resident or lost.lost_at + self.config.resume_window_s <= now:
            return None
        return lost

    def current_for_agent(self, agent_id: str) -> Consultation | None:
        agent = self.state.agents.get(agent_id)
        if agent is None or agent.consultation_id is None:
            return None
        return self.state.consultations.get(agent.consultation_id)

    # --- internals -------------------------------------------------------------------------------------------

    def _transitioned(self, e: Transitioned) -> None:
        """Record the effect and queue its durable record in the same state, so both commit or neither does."""
        self.effects.append(e)
        entry = PendingRecord(
            key=record_key(e.consultation),
            consultation=e.consultation,
            previous=e.previous,
            trigger=e.trigger,
            at=e.at,
            detail=dict(e.detail),
        )
        self.staged.append(entry)
        self.state.outbox.append(entry)  # the store's working copy owns this list

    def _fire(self, c: Consultation, trigger: Trigger, now: float, **detail: object) -> None:
        try:
            previous = c.fire(trigger)
        except TransitionError as exc:
            raise CounterError("invalid_state", str(exc)) from exc
        if (previous, trigger) in CALL_BOUNDARIES:  # a call starts or ends: its grants end with it
            for staff_id, invite in c.end_call_grants(now).items():
                self.effects.append(InterpreterWithdrawn(c.id, staff_id, str(c.resident), trigger, by=invite.by))
            if previous == State.ACTIVE:  # a call ends: a transfer note it answered was for it alone
                c.end_hand_over()
        self._transitioned(Transitioned(c.model_copy(deep=True), previous, trigger, now, detail))
        if not c.is_open:
            # Terminal cases leave the live state; their record lives on in storage.
            del self.state.consultations[c.id]

    def _dispatch(self, now: float) -> None:
        """Offer every waiting case that a free matching agent can take, in queue order."""
        free = [
            a
            for a in self.state.agents.values()
            if a.status == AgentStatus.AVAILABLE and a.connected and a.consultation_id is None
        ]
        if not free:
            return
        # residents whose link is down (in their grace period, or ended within the resume window) while waiting: an
        # agent given a case behind one of them that they could have taken passes them over (their turn came)
        skipped: list[Consultation] = []
        gone = [
            lost
            for lost in self.state.lost_places.values()
            if lost.kind == ResumeKind.PLACE and lost.lost_at + self.config.resume_window_s > now
        ]
        for c in self.queue():
            if c.state == State.WAITING and c.resident_lost_at is not None:
                skipped.append(c)
            if c.state != State.WAITING or c.resident_lost_at is not None:
                continue
            candidates = [
                a for a in free if self.may_take(a, c, now) and c.declined_until.get(a.id, float("-inf")) <= now
            ]
            if not candidates:
                continue
            # one who serves the case (route and language) first, then one who speaks its language: an urgent case,
            # or one offered through an interpreter, goes to others only when none of those is free
            agent = min(candidates, key=lambda a: (self.offer_rank(a, c), a.idle_since, a.id))
            free.remove(agent)
            self._pass_over(agent, c, skipped, gone, now)
            c.offered_to = agent.id
            c.offer_expires_at = now + self.config.offer_timeout_s
            self._fire(c, Trigger.OFFER, now, agent_id=agent.id)
            agent.consultation_id = c.id
            self.effects.append(OfferMade(agent.id, c.id, c.offer_expires_at))
            self.effects.append(AgentChanged(agent.id))
            if not free:
                return

    def _pass_over(
        self, agent: Agent, offered: Consultation, skipped: list[Consultation], gone: list[LostPlace], now: float
    ) -> None:
        """``agent`` is rung for ``offered``: each waiting resident ahead of it whose link is down (``skipped``, in
        their grace period; ``gone``, ended within the resume window) and whom the agent could have taken lost
        their turn to the one behind them, and comes back at the head of the line (:attr:`ResumeKind.PASSED`)."""
        for c in skipped:
            c.passed_over = c.passed_over or self.may_take(agent, c, now)
        key = offered.queue_key()
        for lost in gone:
            if not lost.passed_over and lost.case.queue_key() < key and self.may_take(agent, lost.case, now):
                self.state.lost_places[lost.case.id] = lost.model_copy(update={"passed_over": True})

    def _return_offer(
        self,
        c: Consultation,
        agent: Agent,
        trigger: Trigger,
        now: float,
        *,
        reason: str,
        cooldown: bool = True,
        away: bool = False,
    ) -> None:
        """The offer stops ringing ``agent``; ``cooldown`` keeps the case from ringing them again for
        ``decline_cooldown_s``, ``away`` sets them away (an offer that ran out: nobody is at the console)."""
        cooldown_s = self.config.decline_cooldown_s if cooldown and self.config.decline_cooldown_s > 0 else None
        if cooldown_s is not None:
            c.declined_until[agent.id] = now + cooldown_s
        c.offered_to = None
        c.offer_expires_at = None
        agent.consultation_id = None
        if away:
            agent.status = AgentStatus.AWAY
        self._fire(c, trigger, now, agent_id=agent.id, reason=reason)
        self.effects.append(OfferWithdrawn(agent.id, c.id, reason, cooldown_s=cooldown_s, away=away))
        self.effects.append(AgentChanged(agent.id))

    def _withdraw_offer(self, c: Consultation, reason: str) -> None:
        if c.state == State.OFFERED and c.agent_id is not None:
            agent = self.state.agents[c.agent_id]
            agent.consultation_id = None
            self.effects.append(OfferWithdrawn(agent.id, c.id, reason))
            self.effects.append(AgentChanged(agent.id))
            c.offered_to = None
            c.offer_expires_at = None

    def _end_call(self, c: Consultation, trigger: Trigger, now: float, *, reason: str) -> None:
        c.ended_at = now
        c.end_reason = reason
        c.agent_lost_at = None
        c.resident_lost_at = None
        c.leave(c.resident, now)
        self._extras_leave(c, now, reason)
        self._fire(c, trigger, now, reason=reason)
        agent_id = c.agent_id or ""
        self.effects.append(CallEnded(c.id, c.resident, agent_id, reason))
        # a person answered: asked how it went, unless the resident's screen is gone (a lost link, a revoked device)
        rate = reason not in _NOT_ASKED
        self.effects.append(ResidentReleased(c.id, c.resident, reason, rate=rate))
        self.effects.append(AgentChanged(agent_id))

    def _learn_handle_time(self, route: str, seconds: float) -> None:
        w = self.config.handle_time_weight
        previous = self.state.handle_time_s.get(route, self.config.default_handle_time_s)
        self.state.handle_time_s[route] = (1 - w) * previous + w * max(0.0, seconds)

    def _agent(self, agent_id: str) -> Agent:
        agent = self.state.agents.get(agent_id)
        if agent is None:
            raise CounterError("invalid_state", "agent is not on duty")
        return agent

    def _consultation(self, consultation_id: str) -> Consultation:
        c = self.state.consultations.get(consultation_id)
        if c is None:
            raise CounterError("not_found", "no such consultation")
        return c

    def _owned_by_resident(self, consultation_id: str, resident: str) -> Consultation:
        c = self._consultation(consultation_id)
        if c.resident != resident:
            raise CounterError("forbidden", "not your consultation")
        return c

    def _tell_others(self, c: Consultation, about: str, *, connected: bool) -> None:
        """Everyone else in the call hears that ``about``'s link went down or came back."""
        for party in c.present():
            if party.participant != about:
                self.effects.append(PeerLink(c.id, party.participant, connected=connected))

    def _extras_leave(self, c: Consultation, now: float, reason: str) -> None:
        """The call is over for those who joined it (observers, interpreters)."""
        for party in c.present():
            if party.role in JOINING_ROLES:
                party.left_at = now
                self.effects.append(ParticipantLeft(c.id, party.participant, reason))


OVERFLOW_TICK_S = 2.0
"""Overflow moments within these seconds (on a grid from the epoch) are taken in one timer tick: a case overflows at
most this much after its moment when nothing else happens meanwhile (any operation before then takes it at once).
With 2,000 waiting each tick is a transaction over the whole queue, and cases that came in a stream came due in
one as well: one tick each, several a second."""


def _free(agent: Agent) -> bool:
    """Available and holding no case: would be rung at once."""
    return agent.status == AgentStatus.AVAILABLE and agent.consultation_id is None
