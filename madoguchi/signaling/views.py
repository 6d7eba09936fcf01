"""Views: what each audience sees, built from the counter and a few facts read beforehand. Pure.

The facts a view needs from the database (booth names, the handoff summary, the transcript) are read first, by
:class:`~madoguchi.signaling.lookups.Lookups`, into a :class:`Facts` value; the builders here only combine them
with the counter, so the same effects and state always give the same events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import JsonValue

from madoguchi.domain.languages import served_by
from madoguchi.domain.opening_hours import HoursSpec, closed_day, hours_of, next_opening, open_now, week_of
from madoguchi.signaling.consultation import Channel, Consultation, Role, State
from madoguchi.signaling.counter import Counter
from madoguchi.signaling.counter import QueuePosition as QueuePlace
from madoguchi.signaling.no_answer import no_answer
from madoguchi.signaling.server_events import (
    AgentConsultation,
    AgentState,
    CallComing,
    CallStart,
    CaseView,
    ChatLine,
    Offer,
    Peer,
    QueueItem,
    QueuePosition,
    QueueSnapshot,
    ResidentConsultation,
    TownHours,
)
from madoguchi.signaling.turn import TurnIssuer


@dataclass(frozen=True)
class BoothName:
    name: str
    place: str | None
    names: Mapping[str, str] = field(default_factory=dict)
    """The booth's display name in other page languages, as the admin gave them (``name``: the Japanese one)."""


@dataclass(frozen=True)
class Facts:
    """What views need beyond the counter, read in advance (absent while the database is away)."""

    now: float
    turn: TurnIssuer
    booths: Mapping[str, BoothName] = field(default_factory=dict)
    summaries: Mapping[str, JsonValue] = field(default_factory=dict)
    chats: Mapping[str, list[ChatLine]] = field(default_factory=dict)
    hours: Mapping[str, HoursSpec] = field(default_factory=dict)
    """Each waiting case's town's opening hours (a town with none configured is absent)."""


def town_hours(spec: HoursSpec | None, route: str | None, now: float, *, staffed: bool = False) -> TownHours | None:
    """What a resident's screen shows of a town's hours (None: the town configured none)."""
    if spec is None:
        return None
    hours, at = hours_of(spec), datetime.fromtimestamp(now, tz=UTC)
    is_open = open_now(hours, route, at)
    opens = None if is_open else next_opening(hours, route, at)
    return TownHours(
        weekly=week_of(spec, route),
        open_now=is_open,
        closed_today=closed_day(hours, at),
        staffed=staffed,
        opens_at=None if opens is None else opens.timestamp(),
    )


def _no_answer(counter: Counter, c: Consultation, facts: Facts) -> dict[str, object]:
    spec = facts.hours.get(c.municipality_id)
    fields: dict[str, object] = {
        "no_answer": no_answer(counter, c, facts.now, None if spec is None else hours_of(spec)),
        "no_answer_after_s": counter.config.no_answer_wait_s,
    }
    if spec is not None:
        fields["hours"] = town_hours(spec, c.route, facts.now)
    return fields


def case_fields(c: Consultation, facts: Facts) -> dict[str, object]:
    booth = facts.booths.get(c.booth_id or "")
    return {
        "consultation_id": c.id,
        "route": c.route,
        "channel": c.channel.value,
        "booth_name": booth.name if booth else None,
        "place": booth.place if booth else None,
        "language": c.language,
        "urgent": c.urgent,
        "prioritised": c.prioritised,
        "source_count": c.source_count,
        "waited_s": round(max(0.0, facts.now - c.waiting_from), 1),
        "booking": c.booking,
        # only when the admin gave any: the queue snapshot is sent to many agents at each change
        **({"booth_names": dict(booth.names)} if booth and booth.names else {}),
    }


def case_view(c: Consultation, facts: Facts) -> CaseView:
    return CaseView.model_validate(case_fields(c, facts))


def transfer_fields(c: Consultation) -> dict[str, object]:
    """The note of a transferred case, for the agent who gets it next (nothing when it was not transferred)."""
    if c.transferred_by is None:
        return {}
    note: dict[str, object] = {"note": c.transfer_note or "", "by": c.transferred_by}
    if c.transferred_by_id is not None and c.agent_id == c.transferred_by_id:
        note["by_you"] = True  # it rings the one who sent it (they were told nobody else can take it)
    return {"transfer": note}


def needs_interpreter(counter: Counter, c: Consultation) -> bool:
    """The case's agent does not speak the resident's language (they need an interpreter or easy Japanese)."""
    agent = counter.state.agents.get(c.agent_id or "")
    return agent is not None and not served_by(c.language, agent.languages)


def offer(counter: Counter, c: Consultation, facts: Facts) -> Offer:
    fields: dict[str, object] = {
        **case_fields(c, facts),
        "summary": facts.summaries.get(c.id),
        "expires_at": c.offer_expires_at,
        "interpreter": needs_interpreter(counter, c),
        **transfer_fields(c),
    }
    if c.transferred_by is not None:
        fields["chat"] = facts.chats.get(c.id, [])
    if c.channel == Channel.BOOTH:
        fields["ice_servers"] = facts.turn.ice_servers(c.id, Role.AGENT.value, now=facts.now)
    return Offer.model_validate(fields)


def call_coming(c: Consultation, facts: Facts) -> CallComing:
    """An agent's console rings with the case: a booth gets its TURN servers with it to prepare the call."""
    if c.channel != Channel.BOOTH:
        return CallComing(consultation_id=c.id, ringing=True)
    ice_servers = facts.turn.ice_servers(c.id, Role.RESIDENT.value, now=facts.now)
    return CallComing(consultation_id=c.id, ringing=True, ice_servers=ice_servers)


def call_start(counter: Counter, c: Consultation, role: Role, facts: Facts) -> CallStart:
    """The call as one participant sees it: the resident's side is polite, staff are not."""
    peer = Peer(display_name="")
    if role == Role.RESIDENT:
        agent = counter.state.agents.get(c.agent_id or "")
        if agent is not None:
            peer = Peer(
                display_name=agent.display_name, latin_name=agent.latin_name, interpreter=needs_interpreter(counter, c)
            )
    else:
        booth = facts.booths.get(c.booth_id or "")
        peer = Peer(display_name=booth.name if booth else "")
    return CallStart(
        consultation_id=c.id,
        channel=c.channel.value,
        media=c.channel == Channel.BOOTH or c.video,
        polite=role == Role.RESIDENT,
        ice_servers=facts.turn.ice_servers(c.id, role.value, now=facts.now),
        peer=peer,
    )


def agent_consultation(counter: Counter, c: Consultation, facts: Facts) -> AgentConsultation:
    fields: dict[str, object] = {
        **case_fields(c, facts),
        "summary": facts.summaries.get(c.id),
        "state": c.state.value,
        "chat": facts.chats.get(c.id, []),
        "interpreter": needs_interpreter(counter, c),
        **transfer_fields(c),
    }
    if c.state == State.ACTIVE and c.resident_lost_at is not None:
        # a reload must not hide that the resident's screen is gone, nor restart the time left
        fields["resident_away_s"] = round(max(0.0, facts.now - c.resident_lost_at), 1)
    if c.answered_at is not None:
        fields["talked_s"] = round(max(0.0, (c.ended_at or facts.now) - c.answered_at), 1)
    if c.state == State.ACTIVE:
        fields["call"] = call_start(counter, c, Role.AGENT, facts)
    return AgentConsultation.model_validate(fields)


def agent_state(counter: Counter, agent_id: str, facts: Facts) -> AgentState:
    agent = counter.state.agents.get(agent_id)
    current = counter.current_for_agent(agent_id)
    held = None
    ringing = None
    if current is not None and current.state == State.OFFERED:
        ringing = offer(counter, current, facts)
    elif current is not None:
        held = agent_consultation(counter, current, facts)
    return AgentState(
        agent_id=agent_id,
        display_name=agent.display_name if agent else "",
        status=counter.activity(agent_id).value if agent else "offline",
        chosen=agent.status.value if agent else None,
        consultation=held,
        offer=ringing,
    )


AGENT_QUEUE_ITEMS = 30
"""An agent's ``queue.snapshot`` lists this many cases from the head of the queue they may take and counts the rest
(``total``). Why: every change to a case an agent may take sends the snapshot to each agent who may take it, so with
the whole queue in it a change cost O(queue × agents) bytes: 27 MB of socket writes per change with 200 agents and
2,000 waiting (``bench/supervisor/RESULTS.md``, session 11). An agent does not pick from the queue (offers ring in
the order cases are served), and the console shows the head and the count."""


def queue_snapshot(counter: Counter, agent_id: str, facts: Facts, *, limit: int = AGENT_QUEUE_ITEMS) -> QueueSnapshot:
    """The head of the queue the agent may take (``limit`` cases, in the order they are served) and how many wait in
    it in all (``total``)."""
    if agent_id not in counter.state.agents:
        return QueueSnapshot(items=[], total=0)
    queue = counter.queue_for_agent(agent_id, facts.now)
    return QueueSnapshot(
        total=len(queue),
        items=[
            QueueItem.model_validate(
                {
                    **case_fields(c, facts),
                    "state": c.state.value,
                    "waiting_since": c.waiting_from,
                    "resident_away": c.resident_lost_at is not None,
                }
            )
            for c in queue[:limit]
        ],
    )


def queue_position(
    counter: Counter, c: Consultation, facts: Facts, *, place: QueuePlace | None = None
) -> QueuePosition:
    """A resident's place in line; ``place``: their :meth:`Counter.position` when already known (from
    :meth:`Counter.positions`)."""
    pos = counter.position(c.id) if place is None else place
    return QueuePosition.model_validate(
        {
            "consultation_id": c.id,
            "position": pos.position,
            "wait_estimate_s": pos.wait_estimate_s,
            "agents_on_duty": pos.agents_on_duty,
            "requested_at": c.waiting_from,
            "waited_s": round(max(0.0, facts.now - c.waiting_from), 1),
            "ringing": c.state == State.OFFERED,
            "route": c.route,
            "transferred": c.transferred_by is not None,
            "moved": c.moved_by_staff,
            "call_lost": c.call_lost,
            **_no_answer(counter, c, facts),
        }
    )


def resident_consultation(counter: Counter, c: Consultation, facts: Facts) -> ResidentConsultation:
    fields: dict[str, object] = {
        "consultation_id": c.id,
        "state": c.state.value,
        "route": c.route,
        "channel": c.channel.value,
        "urgent": c.urgent,
        "chat": facts.chats.get(c.id, []),
    }
    if c.state in (State.WAITING, State.OFFERED):
        pos = counter.position(c.id)
        fields["position"] = pos.position
        fields["wait_estimate_s"] = pos.wait_estimate_s
        fields["requested_at"] = c.waiting_from
        fields["waited_s"] = round(max(0.0, facts.now - c.waiting_from), 1)
        fields["call_lost"] = c.call_lost
        fields["transferred"] = c.transferred_by is not None
        fields["moved"] = c.moved_by_staff
        fields.update(_no_answer(counter, c, facts))
    if c.state == State.ACTIVE:
        fields["call"] = call_start(counter, c, Role.RESIDENT, facts)
    return ResidentConsultation.model_validate(fields)
