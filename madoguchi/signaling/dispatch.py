"""Dispatch: who hears what after an operation. A pure function from the counter's effects to
``(audience, event)`` pairs; the socket layer delivers them (:class:`Notifier`).

An audience is a named value: one participant (their every connection), the agents of a route in a
municipality, or a municipality's supervisors. A new kind of listener is a new audience class here and a room in
``signaling/rooms.py`` (``SocketNotifier``), not a new code path; a new effect is a new case in
:func:`dispatch`. Delivery keeps the order of the pairs for each audience.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from madoguchi.domain.participant import Participant
from madoguchi.signaling import server_events as se
from madoguchi.signaling import views
from madoguchi.signaling.consultation import QUEUED_STATES, Consultation, Role, State
from madoguchi.signaling.counter import (
    Agent,
    AgentChanged,
    BookingsDue,
    CallEnded,
    CallStarted,
    CaseMoved,
    Counter,
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
    QueuePosition,
    ResidentReleased,
    Transitioned,
    VideoAnswered,
    VideoInvited,
)
from madoguchi.signaling.views import Facts


@dataclass(frozen=True)
class RouteAgents:
    """Every agent connected who serves ``route`` in ``municipality_id``."""

    municipality_id: str
    route: str


@dataclass(frozen=True)
class Supervisors:
    """A municipality's supervisors on duty."""

    municipality_id: str


@dataclass(frozen=True)
class AgentsSeeing:
    """Agents who see the same queue (the same towns, routes and languages): one event for all of them, built and
    published once (a queue of thousands sent to each agent apart would be built and carried through Redis once per
    agent). Delivered after the other audiences' events of the same dispatch."""

    agent_ids: tuple[str, ...]


Audience = Participant | RouteAgents | Supervisors | AgentsSeeing
Delivery = tuple[Audience, se.ServerEvent]


class Notifier(Protocol):
    async def deliver(self, deliveries: Sequence[Delivery]) -> None:
        """Send each event to its audience; events for one audience arrive in the order given."""
        ...


@dataclass(frozen=True)
class Needs:
    """The database facts a dispatch of these effects will use (see :meth:`Lookups.facts`)."""

    summaries: frozenset[str]
    chats: frozenset[str]


def needs(effects: Sequence[Effect], counter: Counter) -> Needs:
    summaries: set[str] = set()
    chats: set[str] = set()
    for effect in effects:
        if isinstance(effect, OfferMade):
            summaries.add(effect.consultation_id)
            offered = counter.state.consultations.get(effect.consultation_id)
            if offered is not None and offered.transferred_by is not None:
                chats.add(offered.id)  # the next agent reads the transcript with the note
        elif isinstance(effect, AgentChanged):
            current = counter.current_for_agent(effect.agent_id)
            if current is not None:
                summaries.add(current.id)
                if current.state != State.OFFERED or current.transferred_by is not None:
                    chats.add(current.id)
    return Needs(frozenset(summaries), frozenset(chats))


def dispatch(effects: Sequence[Effect], counter: Counter, facts: Facts) -> list[Delivery]:
    """Everything the effects mean for every audience: :func:`call_events`, then :func:`view_events`."""
    return call_events(effects, counter, facts) + view_events(effects, counter, facts)


def call_events(effects: Sequence[Effect], counter: Counter, facts: Facts) -> list[Delivery]:
    """What the people in a call (or leaving one) must hear at once; needs no database facts but booth names,
    so the service sends these before it reads summaries and transcripts for the views."""
    out: list[Delivery] = []
    cases = counter.state.consultations
    for effect in effects:
        match effect:
            case OfferWithdrawn(agent_id=agent_id, consultation_id=cid, reason=reason):
                withdrawn: dict[str, object] = {"consultation_id": cid, "reason": reason}
                if effect.cooldown_s is not None:
                    withdrawn["cooldown_s"] = effect.cooldown_s
                if effect.away:
                    withdrawn["away"] = True
                out.append((Participant.agent(agent_id), se.OfferWithdrawn.model_validate(withdrawn)))
                c = cases.get(cid)
                if c is not None and c.state in QUEUED_STATES:
                    out.append((c.resident, se.CallComing(consultation_id=cid, ringing=False)))
            case OfferMade(consultation_id=cid):
                c = cases.get(cid)
                if c is not None and c.state == State.OFFERED:
                    out.append((c.resident, views.call_coming(c, facts)))
            case CallStarted(consultation_id=cid, agent_id=agent_id):
                c = cases.get(cid)
                if c is not None:
                    out.append((c.resident, views.call_start(counter, c, Role.RESIDENT, facts)))
                    out.append((Participant.agent(agent_id), views.call_start(counter, c, Role.AGENT, facts)))
            case CallEnded(consultation_id=cid, resident=resident, agent_id=agent_id, reason=reason):
                ended = se.CallEnd(consultation_id=cid, reason=reason)
                out.append((Participant(resident), ended))
                if agent_id:
                    out.append((Participant.agent(agent_id), ended))
            case VideoInvited(consultation_id=cid, resident=resident):
                out.append((Participant(resident), se.VideoInvite(consultation_id=cid)))
            case VideoAnswered(consultation_id=cid, agent_id=agent_id, accepted=accepted):
                out.append((Participant.agent(agent_id), se.VideoAnswer(consultation_id=cid, accepted=accepted)))
            case ResidentReleased(consultation_id=cid, resident=resident, reason=reason, rate=rate):
                closed = se.ConsultationClosed(consultation_id=cid, reason=reason, ask_satisfaction=rate)
                out.append((Participant(resident), closed))
            case NextStepTold(consultation_id=cid, resident=resident, disposition=disposition):
                next_step = se.ConsultationNextStep.model_validate({"consultation_id": cid, "disposition": disposition})
                out.append((Participant(resident), next_step))
            case PeerLink(consultation_id=cid, notify=notify, connected=connected):
                out.append((Participant(notify), se.PeerLink(consultation_id=cid, connected=connected)))
            case ParticipantJoined(consultation_id=cid, participant=who, role=role):
                joined = se.ParticipantJoined(consultation_id=cid, participant=Participant(who), role=role)
                out.extend((other, joined) for other in _others(counter, cid, who))
            case InterpreterInvited(consultation_id=cid, staff_id=guest, by=by, expires_at=expires_at):
                c = cases.get(cid)
                inviter = counter.state.agents.get(by)
                invite = se.InterpreterInvite(
                    consultation_id=cid,
                    by=by,
                    expires_at=expires_at,
                    by_name=inviter.display_name if inviter else "",
                    language=c.language if c else "ja",
                    route=c.route if c else "",
                )
                out.append((Participant.agent(guest), invite))
                if c is not None:  # the resident's screen says an interpreter is being called
                    out.append((c.resident, se.InterpreterCalled(consultation_id=cid, expires_at=expires_at)))
            case InterpreterDeclined(consultation_id=cid, staff_id=guest, by=by, still_until=still_until):
                guest_agent = counter.state.agents.get(guest)
                declined = se.InterpreterDeclined(
                    consultation_id=cid,
                    staff_id=guest,
                    name=guest_agent.display_name if guest_agent else "",
                    by=by,
                    still_until=still_until,
                )
                told = _others(counter, cid, str(Participant.agent(guest)))
                if by is not None and Participant.agent(by) not in told:  # a supervisor who invited from outside
                    told.append(Participant.agent(by))
                out.extend((other, declined) for other in told)
            case InterpreterWithdrawn(consultation_id=cid, staff_id=guest, resident=resident, trigger=trigger):
                withdrawn_invite = se.InterpreterWithdrawn(consultation_id=cid, reason=trigger.value)
                out.append((Participant.agent(guest), withdrawn_invite))
                out.append((Participant(resident), withdrawn_invite))
            case ParticipantLeft(consultation_id=cid, participant=who, reason=reason):
                out.append((Participant(who), se.CallEnd(consultation_id=cid, reason=reason)))
                c = cases.get(cid)
                if c is not None and c.state == State.ACTIVE:
                    left = se.ParticipantLeft(consultation_id=cid, participant=Participant(who), reason=reason)
                    out.extend((other, left) for other in _others(counter, cid, who))
    return out


def view_events(
    effects: Sequence[Effect],
    counter: Counter,
    facts: Facts,
    *,
    before: QueuePlaces | None = None,
    after: QueuePlaces | None = None,
) -> list[Delivery]:
    """Offers, each changed agent's state and, after any change, the queue as each audience sees it: with
    ``before`` (:func:`queue_places` taken before the operation), only to those whose view of it changed;
    ``after``: :func:`queue_places` of ``counter`` when the caller has it already."""
    out: list[Delivery] = []
    agents_changed: list[str] = []
    for effect in effects:
        match effect:
            case AgentChanged(agent_id=agent_id):
                if agent_id not in agents_changed:
                    agents_changed.append(agent_id)
            case OfferMade(agent_id=agent_id, consultation_id=cid):
                c = counter.state.consultations.get(cid)
                if c is not None and c.state == State.OFFERED and c.agent_id == agent_id:
                    out.append((Participant.agent(agent_id), views.offer(counter, c, facts)))
    for agent_id in agents_changed:
        out.append((Participant.agent(agent_id), views.agent_state(counter, agent_id, facts)))
    if queue_changed(effects):
        told = frozenset(agents_changed)
        out.extend(queue_broadcast(counter, facts, before=before, after=after, agents_told=told))
    return out


def queue_changed(effects: Sequence[Effect]) -> bool:
    """The effects may have changed the queue or who serves it: :func:`view_events` sends the queue's views."""
    return any(isinstance(e, Transitioned | CaseMoved | BookingsDue | InterpreterDue | AgentChanged) for e in effects)


@dataclass(frozen=True)
class QueuePlaces:
    """What the queue shows, taken before an operation so that only what it changed is sent: each queued case's
    place as its resident sees it, each open case's row as agents see it, and who is on duty (a change of the
    roster changes what "nobody can answer" means for cases of any route: then everyone hears)."""

    shown: Mapping[str, tuple[object, ...]]
    rows: Mapping[str, tuple[object, ...]]
    on_duty: frozenset[str]
    places: Mapping[str, QueuePosition]
    """:meth:`Counter.positions` they were taken from."""


def _shown(c: Consultation, place: QueuePosition) -> tuple[object, ...]:
    return (place.position, place.wait_estimate_s, place.agents_on_duty, c.state, c.route, c.transferred_by)


def _row(c: Consultation, interpreted: bool) -> tuple[object, ...]:
    """What an agent's queue shows of a case, and whom it concerns (town, route, language first; last, whether
    agents of its route who do not speak its language may see it: the interpreter overflow is on)."""
    return (
        c.municipality_id,
        c.route,
        c.language,
        c.state,
        c.urgent,
        c.prioritised,
        c.source_count,
        c.booth_id,
        c.booking,
        c.resident_lost_at is not None,
        c.interpreter_due,
        interpreted and not c.urgent,
    )


def queue_places(counter: Counter) -> QueuePlaces:
    return _places(counter, counter.positions())


def _places(counter: Counter, places: Mapping[str, QueuePosition]) -> QueuePlaces:
    cases = counter.state.consultations
    return QueuePlaces(
        shown={cid: _shown(cases[cid], place) for cid, place in places.items()},
        rows={cid: _row(cases[cid], counter.config.interpreter_after_s is not None) for cid in places},
        on_duty=counter.on_duty(),
        places=places,
    )


def queue_broadcast(
    counter: Counter,
    facts: Facts,
    *,
    before: QueuePlaces | None = None,
    after: QueuePlaces | None = None,
    agents_told: frozenset[str] = frozenset(),
) -> list[Delivery]:
    """Waiting residents' places in line and connected agents' views of the queue: all of them without
    ``before``; with it, a resident only when their place, estimate or the like changed (a case appended at the
    end moves nobody ahead of it) and an agent only when a case they may take came, went or changed (and the
    agents in ``agents_told``, whose own state changed)."""
    if after is None:
        after = queue_places(counter)
    places = after.places
    everyone = before is None or before.on_duty != after.on_duty
    out: list[Delivery] = [
        (c.resident, views.queue_position(counter, c, facts, place=places[c.id]))
        for c in counter.queue()
        if everyone or before is None or before.shown.get(c.id) != after.shown[c.id]
    ]
    changed: list[tuple[object, ...]] = []
    if before is not None:
        for cid in before.rows.keys() | after.rows.keys():
            old, new = before.rows.get(cid), after.rows.get(cid)
            if old != new:
                changed.extend(row for row in (old, new) if row is not None)
    told = [
        agent
        for agent in counter.state.agents.values()
        if agent.connected and (everyone or agent.id in agents_told or any(_concerns(agent, r) for r in changed))
    ]
    return out + _snapshots(counter, facts, told)


def queue_to_town(counter: Counter, facts: Facts, municipality_id: str) -> list[Delivery]:
    """The queue as it stands, to every connected agent of ``municipality_id``: a change their console shows
    beside the queue (a call-back withdrawn) that the counter's state does not hold."""
    town = [a for a in counter.state.agents.values() if a.connected and municipality_id in a.municipality_ids]
    return _snapshots(counter, facts, town)


def _snapshots(counter: Counter, facts: Facts, agents: Sequence[Agent]) -> list[Delivery]:
    """One ``queue.snapshot`` per group of agents who see the same queue."""
    seeing: dict[tuple[object, ...], list[str]] = {}
    for agent in agents:
        seeing.setdefault((agent.municipality_ids, agent.routes, agent.languages), []).append(agent.id)
    out: list[Delivery] = []
    for ids in seeing.values():
        audience: Audience = Participant.agent(ids[0]) if len(ids) == 1 else AgentsSeeing(tuple(ids))
        out.append((audience, views.queue_snapshot(counter, ids[0], facts)))
    return out


def _concerns(agent: Agent, row: tuple[object, ...]) -> bool:
    """The case of this row is in the agent's queue (:meth:`Agent.sees`, as :meth:`Routing.queue_for_agent`), or may
    be through an interpreter (the overflow is on and the agent covers its town and route: told, whatever the
    language; their list says whether it is theirs yet)."""
    municipality, route, language = (str(x) for x in row[:3])
    if agent.sees(municipality, route, language, urgent=bool(row[4])):
        return True
    return bool(row[-1]) and municipality in agent.municipality_ids and agent.covers_route(route)


def municipalities_touched(effects: Sequence[Effect], counter: Counter) -> set[str]:
    """The municipalities whose supervisors' view the effects change (their snapshot is rebuilt, coalesced, by
    the edge: see :mod:`madoguchi.signaling.supervisor_feed`)."""
    found: set[str] = set()
    cases = counter.state.consultations
    for effect in effects:
        match effect:
            case Transitioned(consultation=c):
                found.add(c.municipality_id)
            case AgentChanged(agent_id=agent_id):
                agent = counter.state.agents.get(agent_id)
                if agent is not None:
                    found.update(agent.municipality_ids)
            case (
                CaseMoved(consultation_id=cid)
                | OfferMade(consultation_id=cid)
                | PeerLink(consultation_id=cid)
                | InterpreterDue(consultation_id=cid)
            ):
                case_now = cases.get(cid)
                if case_now is not None:
                    found.add(case_now.municipality_id)
    return found


def _others(counter: Counter, consultation_id: str, who: str) -> list[Participant]:
    c = counter.state.consultations.get(consultation_id)
    if c is None:
        return []
    return [p.participant for p in c.present() if p.participant != who]
