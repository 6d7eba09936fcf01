"""Links and time: connections and server processes, grace periods, deadlines and the restart sweep.

A participant may be connected several times (two tabs, a reconnect racing the old socket), on any server
process. Their link is lost only when the LAST connection goes, wherever it was; a process that stopped (killed,
or its Redis link gone) takes its connections with it. A process is taken as stopped when its heartbeat is overdue
AND its liveness signal is gone: the heartbeat is one more operation through the live store and can wait behind
a long queue of them, the signal cannot (the edge reads it and passes it in: ``alive``). A lost link starts a grace
period; only when it runs out does the case move (``resident_gone``, ``agent_gone``).

Wrap-up (after-call work) belongs to the agent and has no time limit while they are connected. An agent whose
link stays down past the grace period keeps the pending wrap-up for ``wrap_up_timeout_s`` more, counted from when
their link went down; then the case is closed for them (``wrap_up_timeout``, disposition ``other``), the way
contact centres auto-complete after-call work, so the record and the town's handling-time numbers close.
Pure: no I/O, time is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from madoguchi.domain.participant import Participant
from madoguchi.signaling.consultation import QUEUED_STATES, Channel, Consultation, Disposition, State, Trigger
from madoguchi.signaling.effects import AgentChanged, CallEnded, InterpreterDue, ResidentReleased
from madoguchi.signaling.routing import Routing
from madoguchi.signaling.state import Agent, AgentStatus, LostPlace

LOST_IN: dict[State, bool] = {State.ACTIVE: True, State.WAITING: False, State.OFFERED: False}
"""A booth's case its lost link ends in these states is kept for it to take up again (:class:`LostPlace`), with
whether it ended in a call; a chat with the bot (triage) is not: the kiosk starts over."""


@dataclass(frozen=True)
class ProcessGone:
    """A server process taken as gone by :meth:`Presence.tick` (its last heartbeat ``silent_s`` ago, its liveness
    signal gone): how many connections it held in the live state, and how many of them were residents with a case in
    the queue (whose cases close after the grace period unless the process states its connections again)."""

    silent_s: float
    connections: int = 0
    residents_waiting: int = 0


@dataclass(frozen=True)
class ProcessLate:
    """A server process whose heartbeat is overdue (the last one ``silent_s`` ago) while its liveness signal says it
    runs: slow, not gone, and its connections stay. Reported by the tick that first finds it so; the process's next
    heartbeat ends the episode (the next lateness is reported again)."""

    silent_s: float


ProcessNews = ProcessGone | ProcessLate
"""What a tick found about a server process, for the log."""


class Presence(Routing):
    def link_lost(
        self, participant: str, *, now: float, open_cases: Mapping[str, list[Consultation]] | None = None
    ) -> None:
        """The participant's last connection went away: start their grace period. ``open_cases``: every resident's
        open cases, found once by a caller losing many participants at once (:meth:`_reap_dead_processes`), instead
        of a scan of every case per participant."""
        staff_id = Participant(participant).agent_id()
        if staff_id is not None:
            agent = self.state.agents.get(staff_id)
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
                    self._tell_others(c, participant, connected=False)
            self.effects.append(AgentChanged(agent.id))
            self._dispatch(now)
            return
        mine = self.open_for_resident(participant) if open_cases is None else open_cases.get(participant, [])
        for c in mine:
            if c.resident_lost_at is None and c.is_open and c.state != State.WRAP_UP:
                c.resident_lost_at = now
                if c.state == State.ACTIVE and c.agent_id is not None:
                    self._tell_others(c, c.resident, connected=False)
                if c.state == State.OFFERED and c.agent_id is not None:
                    agent = self.state.agents[c.agent_id]
                    self._return_offer(c, agent, Trigger.DECLINE, now, reason="resident_link_lost", cooldown=False)
        # An offer returned above frees its agent for the next case in line.
        self._dispatch(now)

    def link_restored(self, participant: str, *, now: float) -> None:
        staff_id = Participant(participant).agent_id()
        if staff_id is not None:
            agent = self.state.agents.get(staff_id)
            if agent is not None:
                self._agent_link_restored(agent, now)
                self._dispatch(now)
            return
        for c in self.open_for_resident(participant):
            if c.resident_lost_at is not None:
                c.resident_lost_at = None
                c.passed_over = False  # back in its grace period: its own place is ahead of those it was passed for
                if c.state == State.ACTIVE and c.agent_id is not None:
                    self._tell_others(c, c.resident, connected=True)
        self._dispatch(now)

    def tick(self, now: float, *, alive: Mapping[str, float] | None = None) -> dict[str, ProcessNews]:
        """Fire every deadline that has passed: dead processes, offer timeouts, grace periods, cooldowns and the
        wrap-up timeouts of agents who stayed offline.

        ``alive``: the processes whose liveness signal the edge found present, each with how many seconds more it
        stays good (:meth:`overdue_processes` says which to look for). An overdue process found there is slow, not
        gone: it keeps its connections, and is looked at again when that signal would run out. Without it (or
        absent from it) an overdue process is taken as gone with its connections. Returns, for the log, the
        processes taken as gone now and those found late for the first time since their last heartbeat."""
        news = self._reap_dead_processes(now, alive or {})
        grace = self.config.grace_period_s
        window = self.config.resume_window_s
        if any(lost.lost_at + window <= now for lost in self.state.lost_places.values()):
            self.state.lost_places = {k: v for k, v in self.state.lost_places.items() if v.lost_at + window > now}
        for c in list(self.state.consultations.values()):
            if c.state == State.OFFERED and c.offer_expires_at is not None and c.offer_expires_at <= now:
                agent = self.state.agents[c.agent_id or ""]
                self._return_offer(c, agent, Trigger.OFFER_TIMEOUT, now, reason="timeout", away=True)
            if c.resident_lost_at is not None and c.resident_lost_at + grace <= now and c.is_open:
                self._resident_gone(c, now)
            elif c.agent_lost_at is not None and c.agent_lost_at + grace <= now and c.state == State.ACTIVE:
                self._agent_gone_from_call(c, now)
            for agent_id, until in list(c.declined_until.items()):
                if until <= now:
                    del c.declined_until[agent_id]
        self._interpreter_due(now)
        for agent in list(self.state.agents.values()):
            if not agent.connected and agent.lost_at is not None and agent.lost_at + grace <= now:
                self._agent_offline(agent, now)
        # After the agents: an agent going offline just now may arm a wrap-up deadline that is already due.
        for c in list(self.state.consultations.values()):
            if c.wrap_up_expires_at is not None and c.wrap_up_expires_at <= now:
                self._wrap_up_timed_out(c, now)
        self._dispatch(now)
        return news

    def _interpreter_due(self, now: float) -> None:
        """Waiting cases whose interpreter overflow time has come are marked once (``InterpreterDue``): the route's
        agents who do not speak the language list them from now on, busy or not."""
        wait = self.config.interpreter_after_s
        if wait is None:
            return
        for c in self.state.consultations.values():
            if c.state == State.WAITING and not c.urgent and not c.interpreter_due and now >= c.enqueued_at + wait:
                c.interpreter_due = True
                self.effects.append(InterpreterDue(c.id))

    def next_deadline(self, now: float | None = None) -> float | None:
        """When :meth:`tick` next has something to do (the edge sleeps until then); with ``now``, overflow
        times still ahead count too."""
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
        deadlines.extend(self._alive_until(p) for p in self.state.processes)
        if now is not None:
            deadlines.extend(self.overflow_deadlines(now))
        return min(deadlines, default=None)

    # --- connections and server processes ----------------------------------------------------------------------
    #
    # A participant may be connected several times (two tabs, a reconnect racing the old socket), on any server
    # process. Their link is lost only when the LAST connection goes, wherever it was; a process that stopped
    # (heartbeat overdue and liveness signal gone) takes its connections with it.

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

    def heartbeat(self, process_id: str, *, now: float, held: Mapping[str, Sequence[str]] | None = None) -> int:
        """A process's heartbeat, with ``held`` the connections it really holds (its liveness signal, outside the
        live store, says whether it runs: see :meth:`tick`).

        The process is the authority on its own sockets: after a live-store outage long enough for the others
        to reap it, its still-open connections come back here (links restored), and entries it no longer
        holds (a close that never reached the store) go (links lost). Returns how many held connections the
        live state did not have (normally none: the process had been taken as gone, or an opening was lost)."""
        self.state.processes[process_id] = now
        self.state.alive_until.pop(process_id, None)  # a late episode ends: the next one is reported again
        if held is None:
            return 0
        restated = sum(
            1
            for participant, really_held in held.items()
            for conn in really_held
            if conn not in self.state.connections.get(participant, ())
        )
        prefix = process_id + ":"
        for participant, recorded in list(self.state.connections.items()):
            for conn in [c for c in recorded if c.startswith(prefix) and c not in held.get(participant, ())]:
                self.connection_closed(participant, conn, now=now)
        for participant, really_held in held.items():
            for conn in really_held:
                self.connection_opened(participant, conn, process_id=process_id, now=now)
        return restated

    def overdue_processes(self, now: float) -> list[str]:
        """The processes whose heartbeat is overdue at ``now`` (and no liveness signal found earlier still covers
        them): those a tick at ``now`` takes as gone unless the edge finds their liveness signal present."""
        return [p for p in self.state.processes if self._alive_until(p) <= now]

    def _alive_until(self, process_id: str) -> float:
        """Until when the process counts as running: ``process_timeout_s`` after its last heartbeat, or later when its
        liveness signal was found good for longer."""
        by_heartbeat = self.state.processes[process_id] + self.config.process_timeout_s
        return max(by_heartbeat, self.state.alive_until.get(process_id, by_heartbeat))

    def process_left(self, process_id: str, *, now: float) -> None:
        """The process is shutting down: its connections are gone now, not after its heartbeat times out."""
        if process_id in self.state.processes:
            self._reap({process_id: ProcessGone(silent_s=now - self.state.processes[process_id])}, now)

    def _reap_dead_processes(self, now: float, alive: Mapping[str, float]) -> dict[str, ProcessNews]:
        news: dict[str, ProcessNews] = {}
        gone: dict[str, ProcessGone] = {}
        for p in self.overdue_processes(now):
            silent_s = now - self.state.processes[p]
            remaining = alive.get(p, 0.0)
            if remaining <= 0:  # stopped: killed, or its link to Redis gone (its signal ran out)
                gone[p] = ProcessGone(silent_s=silent_s)
                continue
            if p not in self.state.alive_until:
                news[p] = ProcessLate(silent_s=silent_s)
            self.state.alive_until[p] = now + remaining  # looked at again when the signal found would run out
        news.update(self._reap(gone, now) if gone else {})
        return news

    def _reap(self, gone: dict[str, ProcessGone], now: float) -> dict[str, ProcessGone]:
        """Take the processes ``gone`` as gone with their connections; returns them with what they held."""
        gone, dead = dict(gone), set(gone)
        for process_id in dead:
            del self.state.processes[process_id]
            self.state.alive_until.pop(process_id, None)
        # every resident's open cases, found once: a dead process may have held a thousand booths, and a scan of
        # every case for each of them took seconds of one transaction with 2,000 waiting
        open_cases: dict[str, list[Consultation]] = {}
        for c in self.state.consultations.values():
            if c.is_open and c.state != State.WRAP_UP:
                open_cases.setdefault(c.resident, []).append(c)
        for participant, held in list(self.state.connections.items()):
            kept = tuple(conn for conn in held if conn.split(":", 1)[0] not in dead)
            if kept == held:
                continue
            waiting = not kept and any(c.state in QUEUED_STATES for c in open_cases.get(participant, ()))
            for process_id in {conn.split(":", 1)[0] for conn in held} & dead:
                was = gone[process_id]
                lost = sum(1 for conn in held if conn.split(":", 1)[0] == process_id)
                gone[process_id] = replace(
                    was, connections=was.connections + lost, residents_waiting=was.residents_waiting + waiting
                )
            if kept:
                self.state.connections[participant] = kept
                continue
            del self.state.connections[participant]
            self.link_lost(participant, now=now, open_cases=open_cases)
        return gone

    def recover_after_restart(self, process_id: str, *, now: float, alive: Mapping[str, float] | None = None) -> bool:
        """A process starts. If no other process is alive, the whole server went down: every connection is
        gone, calls that were running are interrupted (nobody can rejoin them), ringing offers return to the
        queue, and waiting residents keep their place for the grace period while their booths reconnect.
        ``alive`` as for :meth:`tick`: a process whose heartbeat is overdue but whose liveness signal is present is
        running (slow), and this is no full restart. Returns whether this was such a full restart."""
        signals = alive or {}
        running = [
            p
            for p in self.state.processes
            if p != process_id and (self._alive_until(p) > now or signals.get(p, 0.0) > 0)
        ]
        self.state.processes[process_id] = now
        if running:
            return False
        self.state.processes = {process_id: now}
        self.state.alive_until = {}
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

    def _resident_gone(self, c: Consultation, now: float) -> None:
        in_call = LOST_IN.get(c.state)
        if in_call is not None and c.channel == Channel.BOOTH and self.config.resume_window_s > 0:
            # kept for the booth to take up again when it is back on line (Counter.open resumes), whatever happens to
            # the case meanwhile (the agent finishing the wrap-up of its call ends it in the live state)
            self.state.lost_places = {
                **self.state.lost_places,
                c.id: LostPlace(
                    resident=c.resident,
                    lost_at=now,
                    case=c.model_copy(deep=True),
                    in_call=in_call,
                    passed_over=c.passed_over,
                ),
            }
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
        if agent_id:
            c.leave(Participant.agent(agent_id), now)
        self._extras_leave(c, now, "agent_link_lost")
        c.agent_lost_at = None
        if c.answered_at is not None:
            c.talked_before_s += max(0.0, now - c.answered_at)
        c.answered_at = None
        c.call_lost = True  # the resident's screen says the call was cut, after a reload too
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
                self._tell_others(c, Participant.agent(agent.id), connected=True)
            if c is not None:
                c.wrap_up_expires_at = None  # back in time: the wrap-up is theirs again, with no limit
        self.effects.append(AgentChanged(agent.id))
