"""The counter: every open consultation and every agent on duty, and the rules that match them.

Why one object: routing decisions (who gets the next offer, who is longest idle, where a resident stands in line)
depend on all waiting cases and all agents at once. Keeping them in one :class:`CounterState` lets a live-state
store apply each operation atomically — a lock in one process, a compare-and-set in Redis across several — and
lets this code stay pure: every method takes ``now``, mutates the state and records :data:`Effect` objects that
the edges turn into database writes and socket events. No I/O here, ever.

Routing rules:

* A consultation can go to an agent who is ``available``, connected, not already ringing or busy, serves the
  consultation's municipality, route (or ``*``) and language (easy Japanese: any Japanese speaker;
  ``madoguchi.domain.languages.served_by``), and did not decline it within the cooldown.
* Queue order: urgent first, then priority, then time of entering the queue (kept when a case comes back).
* Among matching agents the longest idle gets the offer; an offer that runs out sets that agent ``away``.
* A resident whose link is down keeps their place but is not offered until they are back.

Wrap-up (after-call work) belongs to the agent and has no time limit while they are connected. An agent whose
link stays down past the grace period keeps the pending wrap-up for ``wrap_up_timeout_s`` more, counted from when
their link went down; then the case is closed for them (``wrap_up_timeout``, disposition ``other``), the way
contact centres auto-complete after-call work, so the record and the town's handling-time numbers close.

Records to write (the transactional outbox): every state change a consultation goes through must reach the
database, but the database can be down for a while (a PostgreSQL failover takes 10-60 s) when the live state has
already moved. So each :class:`Transitioned` effect is also appended to :attr:`CounterState.outbox` as a
:class:`PendingRecord`, in the same atomic transaction as the change itself: the fact is durable (in Redis, with
the rest of the state) the moment the operation commits. The edges write pending records to the database in
order and then remove them by key (:meth:`Counter.discard_records`); a record's key
(``<consultation id>:<n>``, ``n`` the consultation's count of state changes) is unique and deterministic, so the
database can refuse a second copy and any process may write any pending record without doubling it.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from madoguchi.domain.languages import served_by
from madoguchi.signaling.consultation import (
    QUEUED_STATES,
    Channel,
    Consultation,
    Disposition,
    State,
    TransitionError,
    Trigger,
)

ALL_ROUTES = "*"


class AgentStatus(StrEnum):
    AVAILABLE = "available"
    AWAY = "away"


class AgentActivity(StrEnum):
    """What a supervisor sees: status combined with what the agent is doing."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    AWAY = "away"
    RINGING = "ringing"
    BUSY = "busy"
    WRAP_UP = "wrap_up"


class Agent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    display_name: str
    municipality_ids: tuple[str, ...]
    routes: tuple[str, ...]
    languages: tuple[str, ...]
    status: AgentStatus = AgentStatus.AWAY
    connected: bool = True
    lost_at: float | None = None
    idle_since: float
    consultation_id: str | None = None

    def serves(self, c: Consultation) -> bool:
        return (
            c.municipality_id in self.municipality_ids
            and (ALL_ROUTES in self.routes or c.route in self.routes)
            and served_by(c.language, self.languages)
        )


class CounterConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    offer_timeout_s: float = 20.0
    grace_period_s: float = 30.0
    decline_cooldown_s: float = 60.0
    default_handle_time_s: float = 360.0
    handle_time_weight: float = Field(default=0.2, gt=0, le=1)
    max_open_per_resident: int = 1
    process_timeout_s: float = Field(default=15.0, gt=0, description="a process silent this long is dead")
    wrap_up_timeout_s: float = Field(
        default=1800.0, gt=0, description="an offline agent's pending wrap-up is closed this long after their link went"
    )


class PendingRecord(BaseModel):
    """A consultation's state change the database has not confirmed yet: what the edge needs to write it.

    ``key`` names the change for ever (``<consultation id>:<n>``); writing the same key twice is a no-op in
    storage. ``extra`` holds further columns an operation attaches to its first change (the triage and the
    summary of a request or hand-off)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    consultation: Consultation = Field(description="the case as it was right after the change")
    previous: State | None = Field(description="None for the change that created the case")
    trigger: Trigger
    at: float
    detail: dict[str, Any] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def consultation_id(self) -> str:
        return self.consultation.id


def record_key(c: Consultation) -> str:
    """The key of the record of ``c``'s latest change (its ``transitions`` count is that change's number)."""
    return f"{c.id}:{c.transitions}"


class CounterState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consultations: dict[str, Consultation] = Field(default_factory=dict)
    agents: dict[str, Agent] = Field(default_factory=dict)
    handle_time_s: dict[str, float] = Field(default_factory=dict, description="moving average per route")
    connections: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="participant -> its live connections, '<process>:<sid>', on any process; entries are replaced, "
        "never changed in place, so a store can copy this map shallowly",
    )
    processes: dict[str, float] = Field(default_factory=dict, description="server process -> last heartbeat")
    outbox: list[PendingRecord] = Field(
        default_factory=list,
        description="state changes not yet confirmed written to the database, oldest first; entries are replaced, "
        "never changed in place, so a store can copy this list shallowly",
    )


class CounterError(Exception):
    """A refused operation, with a code the socket layer sends back in its error ack."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- effects -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transitioned:
    """A consultation changed state. Its durable record is queued in the same transaction
    (:attr:`CounterState.outbox`), so nobody is told of a change whose record could be lost."""

    consultation: Consultation
    previous: State | None
    trigger: Trigger
    at: float
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class OfferMade:
    agent_id: str
    consultation_id: str
    expires_at: float


@dataclass(frozen=True)
class OfferWithdrawn:
    agent_id: str
    consultation_id: str
    reason: str


@dataclass(frozen=True)
class CallStarted:
    consultation_id: str
    resident: str
    agent_id: str


@dataclass(frozen=True)
class CallEnded:
    consultation_id: str
    resident: str
    agent_id: str
    reason: str


@dataclass(frozen=True)
class ResidentReleased:
    """The resident's part is over (thank-you screen); the case itself may still be in wrap-up."""

    consultation_id: str
    resident: str
    reason: str


@dataclass(frozen=True)
class PeerLink:
    consultation_id: str
    notify: str
    connected: bool


@dataclass(frozen=True)
class AgentChanged:
    agent_id: str


Effect = (
    Transitioned | OfferMade | OfferWithdrawn | CallStarted | CallEnded | ResidentReleased | PeerLink | AgentChanged
)


def agent_participant(agent_id: str) -> str:
    return f"agent:{agent_id}"


@dataclass(frozen=True)
class QueuePosition:
    consultation_id: str
    position: int
    wait_estimate_s: float | None
    agents_on_duty: int


class Counter:
    """Operations on a :class:`CounterState`. Each records effects in :attr:`effects`."""

    def __init__(self, state: CounterState, config: CounterConfig) -> None:
        self.state = state
        self.config = config
        self.effects: list[Effect] = []
        self.staged: list[PendingRecord] = []
        """Records this counter queued in :attr:`CounterState.outbox`, in order."""

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
    ) -> Consultation:
        """Start a case: straight to the queue (``to_person``) or to the bot first (chat triage)."""
        if consultation_id in self.state.consultations:
            raise CounterError("invalid_state", "consultation already exists")
        if len(self.open_for_resident(resident)) >= self.config.max_open_per_resident:
            raise CounterError("limit_reached", "this resident already has an open consultation")
        trigger = Trigger.REQUEST if to_person else Trigger.OPEN_CHAT
        c = Consultation(
            id=consultation_id,
            municipality_id=municipality_id,
            channel=channel,
            resident=resident,
            booth_id=booth_id,
            route=route,
            language=language,
            urgent=urgent,
            state=State.WAITING if to_person else State.TRIAGE,
            created_at=now,
            enqueued_at=now,
        )
        self.state.consultations[c.id] = c
        self._transitioned(Transitioned(c.model_copy(deep=True), None, trigger, now))
        self._dispatch(now)
        return c

    def handoff(self, consultation_id: str, *, resident: str, route: str, urgent: bool, now: float) -> None:
        """The bot hands a chat to a person: the case joins the queue now."""
        c = self._owned_by_resident(consultation_id, resident)
        c.route = route
        c.urgent = c.urgent or urgent
        c.enqueued_at = now
        self._fire(c, Trigger.HANDOFF, now, route=route, urgent=c.urgent)
        self._dispatch(now)

    def cancel(self, consultation_id: str, *, resident: str, now: float) -> None:
        c = self._owned_by_resident(consultation_id, resident)
        self._withdraw_offer(c, "cancelled")
        c.end_reason = "cancelled"
        self._fire(c, Trigger.CANCEL, now, reason="cancelled")
        self.effects.append(ResidentReleased(c.id, c.resident, "cancelled"))
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
                idle_since=now,
            )
            self.state.agents[agent_id] = agent
        else:
            agent.display_name = display_name
            agent.municipality_ids = municipality_ids
            agent.routes = routes
            agent.languages = languages
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
        c.answered_at = now
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
        if participant not in (c.resident, agent_participant(c.agent_id or "")):
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
        if c.answered_at is not None:
            self._learn_handle_time(c.route, now - c.answered_at)
        agent.consultation_id = None
        agent.idle_since = now
        self.effects.append(AgentChanged(agent_id))
        self._dispatch(now)

    def transfer(self, agent_id: str, consultation_id: str, *, route: str, now: float) -> None:
        agent = self._agent(agent_id)
        c = self._consultation(consultation_id)
        if c.agent_id != agent_id or c.state != State.ACTIVE:
            raise CounterError("invalid_state", "only your active consultation can be transferred")
        self.effects.append(CallEnded(c.id, c.resident, agent_id, "transferred"))
        previous_route = c.route
        c.route = route
        c.agent_id = None
        c.agent_lost_at = None  # that agent's link is no longer this case's concern
        c.answered_at = None
        # The agent sent it away on purpose: do not ring them with it again straight away.
        c.declined_until[agent_id] = now + self.config.decline_cooldown_s
        self._fire(c, Trigger.TRANSFER, now, from_route=previous_route, route=route)
        agent.consultation_id = None
        agent.idle_since = now
        self.effects.append(AgentChanged(agent_id))
        self._dispatch(now)

    # --- links and time --------------------------------------------------------------------------------------

    def link_lost(self, participant: str, *, now: float) -> None:
        """The participant's last connection went away: start their grace period."""
        if participant.startswith("agent:"):
            agent = self.state.agents.get(participant.removeprefix("agent:"))
            if agent is None or not agent.connected:
                return
            agent.connected = False
            agent.lost_at = now
            if agent.consultation_id is not None:
                c = self.state.consultations[agent.consultation_id]
                if c.state == State.OFFERED:
                    self._return_offer(c, agent, Trigger.AGENT_GONE, now, reason="agent_link_lost", cooldown=False)
                elif c.state == State.ACTIVE:
                    c.agent_lost_at = now
                    self.effects.append(PeerLink(c.id, c.resident, connected=False))
            self.effects.append(AgentChanged(agent.id))
            self._dispatch(now)
            return
        for c in self.open_for_resident(participant):
            if c.resident_lost_at is None:
                c.resident_lost_at = now
                if c.state == State.ACTIVE and c.agent_id is not None:
                    self.effects.append(PeerLink(c.id, agent_participant(c.agent_id), connected=False))
                if c.state == State.OFFERED and c.agent_id is not None:
                    agent = self.state.agents[c.agent_id]
                    self._return_offer(c, agent, Trigger.DECLINE, now, reason="resident_link_lost", cooldown=False)
        # An offer returned above frees its agent for the next case in line.
        self._dispatch(now)

    def link_restored(self, participant: str, *, now: float) -> None:
        if participant.startswith("agent:"):
            agent = self.state.agents.get(participant.removeprefix("agent:"))
            if agent is not None:
                self._agent_link_restored(agent, now)
                self._dispatch(now)
            return
        for c in self.open_for_resident(participant):
            if c.resident_lost_at is not None:
                c.resident_lost_at = None
                if c.state == State.ACTIVE and c.agent_id is not None:
                    self.effects.append(PeerLink(c.id, agent_participant(c.agent_id), connected=True))
        self._dispatch(now)

    def tick(self, now: float) -> None:
        """Fire every deadline that has passed: dead processes, offer timeouts, grace periods, cooldowns and the
        wrap-up timeouts of agents who stayed offline."""
        self._reap_dead_processes(now)
        grace = self.config.grace_period_s
        for c in list(self.state.consultations.values()):
            if c.state == State.OFFERED and c.offer_expires_at is not None and c.offer_expires_at <= now:
                agent = self.state.agents[c.agent_id or ""]
                self._return_offer(c, agent, Trigger.OFFER_TIMEOUT, now, reason="timeout")
                agent.status = AgentStatus.AWAY
            if c.resident_lost_at is not None and c.resident_lost_at + grace <= now and c.is_open:
                self._resident_gone(c, now)
            elif c.agent_lost_at is not None and c.agent_lost_at + grace <= now and c.state == State.ACTIVE:
                self._agent_gone_from_call(c, now)
            for agent_id, until in list(c.declined_until.items()):
                if until <= now:
                    del c.declined_until[agent_id]
        for agent in list(self.state.agents.values()):
            if not agent.connected and agent.lost_at is not None and agent.lost_at + grace <= now:
                self._agent_offline(agent, now)
        # After the agents: an agent going offline just now may arm a wrap-up deadline that is already due.
        for c in list(self.state.consultations.values()):
            if c.wrap_up_expires_at is not None and c.wrap_up_expires_at <= now:
                self._wrap_up_timed_out(c, now)
        self._dispatch(now)

    def next_deadline(self) -> float | None:
        """When :meth:`tick` next has something to do (the edge sleeps until then)."""
        grace = self.config.grace_period_s
        deadlines: list[float] = []
        for c in self.state.consultations.values():
            if c.offer_expires_at is not None:
                deadlines.append(c.offer_expires_at)
            if c.resident_lost_at is not None:
                deadlines.append(c.resident_lost_at + grace)
            if c.agent_lost_at is not None:
                deadlines.append(c.agent_lost_at + grace)
            if c.wrap_up_expires_at is not None:
                deadlines.append(c.wrap_up_expires_at)
            deadlines.extend(c.declined_until.values())
        deadlines.extend(a.lost_at + grace for a in self.state.agents.values() if a.lost_at is not None)
        deadlines.extend(seen + self.config.process_timeout_s for seen in self.state.processes.values())
        return min(deadlines, default=None)

    # --- connections and server processes ----------------------------------------------------------------------
    #
    # A participant may be connected several times (two tabs, a reconnect racing the old socket), on any server
    # process. Their link is lost only when the LAST connection goes, wherever it was; a process that stops
    # sending heartbeats (killed) takes its connections with it.

    def connection_opened(self, participant: str, connection_id: str, *, process_id: str, now: float) -> None:
        self.state.processes[process_id] = now
        held = self.state.connections.get(participant, ())
        if connection_id in held:
            return
        self.state.connections[participant] = (*held, connection_id)
        if not held:
            self.link_restored(participant, now=now)

    def connection_closed(self, participant: str, connection_id: str, *, now: float) -> None:
        held = self.state.connections.get(participant, ())
        if connection_id not in held:
            return
        remaining = tuple(conn for conn in held if conn != connection_id)
        if remaining:
            self.state.connections[participant] = remaining
            return
        del self.state.connections[participant]
        self.link_lost(participant, now=now)

    def heartbeat(self, process_id: str, *, now: float, held: Mapping[str, Sequence[str]] | None = None) -> None:
        """A process proves it is alive and, with ``held``, states the connections it really holds.

        The process is the authority on its own sockets: after a live-store outage long enough for the others
        to reap it, its still-open connections come back here (links restored), and entries it no longer
        holds (a close that never reached the store) go (links lost)."""
        self.state.processes[process_id] = now
        if held is None:
            return
        prefix = process_id + ":"
        for participant, recorded in list(self.state.connections.items()):
            for conn in [c for c in recorded if c.startswith(prefix) and c not in held.get(participant, ())]:
                self.connection_closed(participant, conn, now=now)
        for participant, really_held in held.items():
            for conn in really_held:
                self.connection_opened(participant, conn, process_id=process_id, now=now)

    def _reap_dead_processes(self, now: float) -> None:
        dead = {p for p, seen in self.state.processes.items() if seen + self.config.process_timeout_s <= now}
        if not dead:
            return
        for process_id in dead:
            del self.state.processes[process_id]
        for participant, held in list(self.state.connections.items()):
            alive = tuple(conn for conn in held if conn.split(":", 1)[0] not in dead)
            if alive == held:
                continue
            if alive:
                self.state.connections[participant] = alive
                continue
            del self.state.connections[participant]
            self.link_lost(participant, now=now)

    def recover_after_restart(self, process_id: str, *, now: float) -> bool:
        """A process starts. If no other process is alive, the whole server went down: every connection is
        gone, calls that were running are interrupted (nobody can rejoin them), ringing offers return to the
        queue, and waiting residents keep their place for the grace period while their booths reconnect.
        Returns whether this was such a full restart."""
        alive = [
            p
            for p, seen in self.state.processes.items()
            if p != process_id and seen + self.config.process_timeout_s > now
        ]
        self.state.processes[process_id] = now
        if alive:
            return False
        self.state.processes = {process_id: now}
        self.state.connections = {}
        for agent in self.state.agents.values():
            agent.connected = False
            agent.lost_at = now
        for c in sorted(self.state.consultations.values(), key=Consultation.queue_key):
            if c.state == State.ACTIVE:
                in_call = self.state.agents.get(c.agent_id or "")
                if in_call is not None:
                    in_call.consultation_id = None
                c.end_reason = "interrupted"
                self._fire(c, Trigger.INTERRUPT, now, reason="server_restart")
                continue
            if c.state == State.OFFERED and c.agent_id is not None:
                self._return_offer(
                    c, self.state.agents[c.agent_id], Trigger.AGENT_GONE, now, reason="server_restart", cooldown=False
                )
            if c.state in (State.TRIAGE, State.WAITING):
                c.resident_lost_at = now
        return True

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

    def pending_records(self, consultation_ids: Collection[str] | None = None) -> list[PendingRecord]:
        """Pending records, oldest first; only those of ``consultation_ids`` when given."""
        if consultation_ids is None:
            return list(self.state.outbox)
        return [e for e in self.state.outbox if e.consultation_id in consultation_ids]

    # --- queries ---------------------------------------------------------------------------------------------

    def queue(self) -> list[Consultation]:
        waiting = [c for c in self.state.consultations.values() if c.state in QUEUED_STATES]
        return sorted(waiting, key=Consultation.queue_key)

    def queue_for_agent(self, agent_id: str) -> list[Consultation]:
        agent = self._agent(agent_id)
        return [c for c in self.queue() if agent.serves(c)]

    def position(self, consultation_id: str) -> QueuePosition:
        """Place in line among cases the same agents would take, and an honest estimate of the wait.

        The estimate is ``people ahead that free agents cannot absorb × average handling time / agents on
        duty``; with no matching agent on duty it is ``None`` (unknown) rather than a made-up number.
        """
        c = self._consultation(consultation_id)
        ahead = [
            other
            for other in self.queue()
            if other.municipality_id == c.municipality_id
            and other.route == c.route
            and other.queue_key() < c.queue_key()
        ]
        position = len(ahead) + 1
        matching = [a for a in self.state.agents.values() if a.connected and a.serves(c)]
        on_duty = [a for a in matching if a.status == AgentStatus.AVAILABLE or a.consultation_id is not None]
        if c.state == State.OFFERED:
            return QueuePosition(c.id, position, 0.0, len(on_duty))
        if not on_duty:
            return QueuePosition(c.id, position, None, 0)
        free = sum(1 for a in on_duty if a.status == AgentStatus.AVAILABLE and a.consultation_id is None)
        handle = self.state.handle_time_s.get(c.route, self.config.default_handle_time_s)
        rounds = math.ceil(max(0, position - free) / len(on_duty))
        return QueuePosition(c.id, position, float(round(rounds * handle)), len(on_duty))

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
        """The other participant of an active consultation; refuses anyone else (the relay's guard)."""
        c = self.state.consultations.get(consultation_id)
        if c is None:
            raise CounterError("not_found", "no such consultation")
        agent = agent_participant(c.agent_id) if c.agent_id else None
        if participant not in (c.resident, agent) or agent is None:
            raise CounterError("forbidden", "not a participant of this consultation")
        if c.state != State.ACTIVE:
            raise CounterError("invalid_state", f"consultation is {c.state.value}")
        return agent if participant == c.resident else c.resident

    def open_for_resident(self, resident: str) -> list[Consultation]:
        """Cases the resident still takes part in. A case in wrap-up is the agent's alone: the resident was
        released when the call ended, so it neither blocks the booth's next resident nor reacts to the booth's
        link."""
        return [
            c
            for c in self.state.consultations.values()
            if c.resident == resident and c.is_open and c.state != State.WRAP_UP
        ]

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
        for c in self.queue():
            if c.state != State.WAITING or c.resident_lost_at is not None:
                continue
            candidates = [a for a in free if a.serves(c) and c.declined_until.get(a.id, float("-inf")) <= now]
            if not candidates:
                continue
            agent = min(candidates, key=lambda a: (a.idle_since, a.id))
            free.remove(agent)
            c.agent_id = agent.id
            c.offer_expires_at = now + self.config.offer_timeout_s
            self._fire(c, Trigger.OFFER, now, agent_id=agent.id)
            agent.consultation_id = c.id
            self.effects.append(OfferMade(agent.id, c.id, c.offer_expires_at))
            self.effects.append(AgentChanged(agent.id))
            if not free:
                return

    def _return_offer(
        self,
        c: Consultation,
        agent: Agent,
        trigger: Trigger,
        now: float,
        *,
        reason: str,
        cooldown: bool = True,
    ) -> None:
        if cooldown:
            c.declined_until[agent.id] = now + self.config.decline_cooldown_s
        c.agent_id = None
        c.offer_expires_at = None
        agent.consultation_id = None
        self._fire(c, trigger, now, agent_id=agent.id, reason=reason)
        self.effects.append(OfferWithdrawn(agent.id, c.id, reason))
        self.effects.append(AgentChanged(agent.id))

    def _withdraw_offer(self, c: Consultation, reason: str) -> None:
        if c.state == State.OFFERED and c.agent_id is not None:
            agent = self.state.agents[c.agent_id]
            agent.consultation_id = None
            self.effects.append(OfferWithdrawn(agent.id, c.id, reason))
            self.effects.append(AgentChanged(agent.id))
            c.agent_id = None
            c.offer_expires_at = None

    def _end_call(self, c: Consultation, trigger: Trigger, now: float, *, reason: str) -> None:
        c.ended_at = now
        c.end_reason = reason
        c.agent_lost_at = None
        c.resident_lost_at = None
        self._fire(c, trigger, now, reason=reason)
        agent_id = c.agent_id or ""
        self.effects.append(CallEnded(c.id, c.resident, agent_id, reason))
        self.effects.append(ResidentReleased(c.id, c.resident, reason))
        self.effects.append(AgentChanged(agent_id))

    def _resident_gone(self, c: Consultation, now: float) -> None:
        if c.state == State.ACTIVE:
            self._end_call(c, Trigger.RESIDENT_GONE, now, reason="resident_link_lost")
            return
        self._withdraw_offer(c, "resident_link_lost")
        c.end_reason = "resident_link_lost"
        c.resident_lost_at = None
        self._fire(c, Trigger.RESIDENT_GONE, now, reason="resident_link_lost")
        self.effects.append(ResidentReleased(c.id, c.resident, "resident_link_lost"))

    def _agent_gone_from_call(self, c: Consultation, now: float) -> None:
        agent_id = c.agent_id or ""
        self.effects.append(CallEnded(c.id, c.resident, agent_id, "agent_link_lost"))
        c.agent_id = None
        c.agent_lost_at = None
        c.answered_at = None
        self._fire(c, Trigger.AGENT_GONE, now, agent_id=agent_id, reason="agent_link_lost")
        agent = self.state.agents.get(agent_id)
        if agent is not None:
            agent.consultation_id = None
            self.effects.append(AgentChanged(agent_id))

    def _agent_offline(self, agent: Agent, now: float) -> None:
        """Grace ran out: the agent leaves the counter. A pending wrap-up stays theirs to finish later, until
        ``wrap_up_timeout_s`` after their link went down.

        The timeout counts from the link going down, not from the end of the call: an agent who typed the note
        for an hour and then lost their browser gets the full period to come back, and the time they spent
        connected never counts against them. A deadline already armed is kept (``setdefault`` semantics): a
        full restart marks every agent lost again, and that must not push an offline agent's deadline back."""
        if agent.consultation_id is not None:
            c = self.state.consultations.get(agent.consultation_id)
            if c is not None and c.state == State.WRAP_UP:
                if c.wrap_up_expires_at is None:
                    went = agent.lost_at if agent.lost_at is not None else now
                    c.wrap_up_expires_at = max(now, went + self.config.wrap_up_timeout_s)
                agent.lost_at = None
                agent.status = AgentStatus.AWAY
                self.effects.append(AgentChanged(agent.id))
                return
        del self.state.agents[agent.id]
        self.effects.append(AgentChanged(agent.id))

    def _wrap_up_timed_out(self, c: Consultation, now: float) -> None:
        """Close a wrap-up its offline agent never finished.

        Disposition ``other`` (nothing was recorded; ``end_reason`` ``wrap_up_timeout`` says why) rather than a
        new value, so the console's choices and stored records keep one vocabulary; the call's own end reason
        stays in this transition's detail and in the earlier event row. The handling-time average is not fed:
        the case sat unattended, and that time says nothing about how long the route's cases take."""
        agent = self.state.agents.get(c.agent_id or "")
        if agent is not None and agent.connected:
            c.wrap_up_expires_at = None  # defensive: a connected agent is never cut off
            return
        call_end_reason = c.end_reason
        c.wrap_up_expires_at = None
        c.end_reason = "wrap_up_timeout"
        self._fire(
            c,
            Trigger.WRAP_UP_TIMEOUT,
            now,
            disposition=Disposition.OTHER.value,
            reason="wrap_up_timeout",
            call_end_reason=call_end_reason,
        )
        if agent is None or agent.consultation_id != c.id:
            return
        agent.consultation_id = None
        if agent.lost_at is None:
            # Kept only for this wrap-up (grace already ran out): they leave the counter as _agent_offline would.
            del self.state.agents[agent.id]
        else:
            agent.idle_since = now  # still within a grace period (a full restart): that runs its course
        self.effects.append(AgentChanged(agent.id))

    def _agent_link_restored(self, agent: Agent, now: float) -> None:
        agent.connected = True
        agent.lost_at = None
        if agent.consultation_id is not None:
            c = self.state.consultations.get(agent.consultation_id)
            if c is not None and c.agent_lost_at is not None:
                c.agent_lost_at = None
                self.effects.append(PeerLink(c.id, c.resident, connected=True))
            if c is not None:
                c.wrap_up_expires_at = None  # back in time: the wrap-up is theirs again, with no limit
        self.effects.append(AgentChanged(agent.id))

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
