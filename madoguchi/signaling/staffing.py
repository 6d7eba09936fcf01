"""Who could take a case on each route: what the console's transfer form shows beside every route; and who could
interpret a call (:func:`interpreter_options`: the console's 通訳を よぶ list).

Why: an agent who transfers a case into a route nobody is on sends the resident into a void, and one who transfers
into a route only they cover got the case back labelled "handed over from" themselves. So the form says, per
route, how many others are on duty now (connected, available or already on a case: they will be rung) and how many
members of staff could ever take it (accounts of the case's town with the route and the resident's language, the
agent excluded; ``None`` when the accounts could not be read). Only agents count as "could ever take it": a
supervisor's or admin's account usually covers every route but takes cases only while on their console, so it is
counted when on duty, never as a standing 「だれか」 (the form said 「いま 0人」 where only the agent covered the
route, counting the office's supervisor). When that is none, the console tells the agent
before the transfer that the case will come back to them (``Transfer.back_to_me``). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from madoguchi.domain.languages import served_by
from madoguchi.domain.participant import Participant
from madoguchi.signaling.consultation import State
from madoguchi.signaling.routing import Routing
from madoguchi.signaling.server_events import InterpreterOption, TransferRoute
from madoguchi.signaling.state import ALL_ROUTES, Agent, AgentActivity, AgentStatus, CounterError


@dataclass(frozen=True)
class StaffMember:
    """An enabled staff account, as far as taking a case goes."""

    id: str
    municipality_ids: tuple[str, ...]
    routes: tuple[str, ...]
    languages: tuple[str, ...]
    role: str = "agent"


def _covers(routes: Iterable[str], route: str) -> bool:
    return ALL_ROUTES in routes or route in routes


def transfer_options(
    counter: Routing, agent_id: str, consultation_id: str, routes: Sequence[str], staff: Sequence[StaffMember] | None
) -> list[TransferRoute]:
    """For each of ``routes``: the others on duty now who would be rung with the case there, and the staff who
    could ever take it. Only for the agent's own case in a call."""
    c = counter.state.consultations.get(consultation_id)
    if c is None or c.agent_id != agent_id or c.state != State.ACTIVE:
        raise CounterError("invalid_state", "only your consultation in a call can be transferred")
    on_duty = [
        a
        for a in counter.state.agents.values()
        if a.id != agent_id
        and a.connected
        and (a.status == AgentStatus.AVAILABLE or a.consultation_id is not None)
        and c.municipality_id in a.municipality_ids
    ]
    others = [a for a in on_duty if served_by(c.language, a.languages)]
    # the interpreter overflow (routing.py): on a route no speaker on duty covers, its other agents are rung at once
    through_interpreter = counter.config.interpreter_after_s is not None and not c.urgent
    able = None
    if staff is not None:
        able = [
            s
            for s in staff
            if s.id != agent_id
            and s.role == "agent"
            and c.municipality_id in s.municipality_ids
            and served_by(c.language, s.languages)
        ]
    return [
        TransferRoute(
            route=route,
            on_duty=_rung_on(route, others, on_duty if through_interpreter else []),
            staff=None if able is None else sum(1 for s in able if _covers(s.routes, route)),
        )
        for route in routes
    ]


def _rung_on(route: str, speakers: Sequence[Agent], everyone: Sequence[Agent]) -> int:
    """How many on duty would be rung with the case on ``route``: its speakers there, or else (the interpreter
    overflow) anyone there."""
    speaking = sum(1 for a in speakers if _covers(a.routes, route))
    return speaking or sum(1 for a in everyone if _covers(a.routes, route))


INVITE_ORDER: dict[str, int] = {
    AgentActivity.AVAILABLE: 0,
    AgentActivity.AWAY: 1,
    AgentActivity.WRAP_UP: 2,
    AgentActivity.RINGING: 3,
    AgentActivity.BUSY: 4,
}
"""Who is listed first among those who could interpret: one free now, then one at their desk but away, then those
busy with a case of their own (they may still come between calls)."""


def interpreter_options(counter: Routing, agent_id: str, consultation_id: str, now: float) -> list[InterpreterOption]:
    """The members of staff the call's agent may invite to interpret their call: on the counter and connected for
    the case's town (``Counter.invite_interpreter`` refuses anyone else), speaking the resident's language, not in
    the call already; the free first. Only for the agent's own case in a call."""
    c = counter.state.consultations.get(consultation_id)
    if c is None or c.agent_id != agent_id or c.state != State.ACTIVE:
        raise CounterError("invalid_state", "only your consultation in a call can have an interpreter")
    rows: list[tuple[int, str, InterpreterOption]] = []
    for a in counter.state.agents.values():
        if a.id == agent_id or not a.connected or c.municipality_id not in a.municipality_ids:
            continue
        if not served_by(c.language, a.languages) or c.party_of(Participant.agent(a.id)) is not None:
            continue
        activity = counter.activity(a.id)
        invited = c.interpreter_invites.get(a.id)
        option = InterpreterOption(
            staff_id=a.id,
            name=a.display_name,
            activity=activity.value,
            invited_until=invited.expires_at if invited is not None and invited.expires_at > now else None,
        )
        rows.append((INVITE_ORDER.get(activity, 9), a.display_name, option))
    return [option for _, _, option in sorted(rows, key=lambda row: (row[0], row[1]))]
