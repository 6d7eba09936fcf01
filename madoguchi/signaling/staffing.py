"""Who could take a case on each route: what the console's transfer form shows beside every route.

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
from madoguchi.signaling.consultation import State
from madoguchi.signaling.routing import Routing
from madoguchi.signaling.server_events import TransferRoute
from madoguchi.signaling.state import ALL_ROUTES, AgentStatus, CounterError


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
    others = [
        a
        for a in counter.state.agents.values()
        if a.id != agent_id
        and a.connected
        and (a.status == AgentStatus.AVAILABLE or a.consultation_id is not None)
        and c.municipality_id in a.municipality_ids
        and served_by(c.language, a.languages)
    ]
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
            on_duty=sum(1 for a in others if _covers(a.routes, route)),
            staff=None if able is None else sum(1 for s in able if _covers(s.routes, route)),
        )
        for route in routes
    ]
