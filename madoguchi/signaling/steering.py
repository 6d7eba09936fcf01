"""The supervisors' steering: offer a waiting case to a named agent, move it to another route, set an agent away.

Each is an operation on the counter like the service's own (through :meth:`CounterService.run`); what this
module adds is the supervisor's scope: a case or an agent outside their municipalities is refused as if it did
not exist, and an agent who also serves another municipality is left to that municipality's supervisor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from madoguchi.signaling.counter import AgentStatus, Counter, CounterError
from madoguchi.signaling.timers import Run


class Steering:
    def __init__(self, *, run: Run, clock: Callable[[], float]) -> None:
        self._run = run
        self._clock = clock

    async def offer_to(self, allowed: Sequence[str], agent_id: str, consultation_id: str) -> None:
        """A supervisor of ``allowed`` municipalities offers a waiting case to a named agent."""

        def op(c: Counter) -> None:
            _in_scope(c, allowed, consultation_id)
            c.offer_to(agent_id, consultation_id, now=self._clock())

        await self._run(op)

    async def move_route(self, allowed: Sequence[str], consultation_id: str, route: str) -> None:
        def op(c: Counter) -> None:
            _in_scope(c, allowed, consultation_id)
            c.move_route(consultation_id, route=route, now=self._clock())

        await self._run(op)

    async def set_agent_status(self, allowed: Sequence[str], agent_id: str, status: AgentStatus) -> None:
        def op(c: Counter) -> None:
            agent = c.state.agents.get(agent_id)
            if agent is None or not set(agent.municipality_ids) & set(allowed):
                raise CounterError("not_found", "no such agent on duty in your municipalities")
            if not set(agent.municipality_ids) <= set(allowed):  # the admin page's rule for joint staff
                raise CounterError("forbidden", "this agent also serves another municipality; ask its supervisor")
            c.set_status(agent_id, status, now=self._clock())

        await self._run(op)


def _in_scope(counter: Counter, allowed: Sequence[str], consultation_id: str) -> None:
    """Refuse a case outside the supervisor's municipalities as if it did not exist (no leak across towns)."""
    c = counter.state.consultations.get(consultation_id)
    if c is None or c.municipality_id not in allowed:
        raise CounterError("not_found", "no such consultation")
