"""Where each audience listens, and the delivery of server events to it.

An audience (:mod:`madoguchi.signaling.dispatch`) is a named thing; this module is the one place that knows the
Socket.IO namespace and rooms it stands for, so a new audience is a new case in :func:`rooms_of`, not a new code
path. :class:`SocketNotifier` is the :class:`~madoguchi.signaling.dispatch.Notifier` the service hands its
``(audience, event)`` pairs to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import socketio

from madoguchi.domain.participant import Participant, ParticipantKind
from madoguchi.signaling.dispatch import AgentsSeeing, Audience, Delivery, RouteAgents, Supervisors

NAMESPACE_OF_KIND = {
    ParticipantKind.BOOTH: "/booth",
    ParticipantKind.AGENT: "/agent",
    ParticipantKind.RESIDENT: "/resident",
}


def route_room(municipality_id: str, route: str) -> str:
    return f"agents:{municipality_id}:{route}"


def supervisors_room(municipality_id: str) -> str:
    return f"supervisors:{municipality_id}"


def rooms_of(audience: Audience) -> tuple[str, list[str]]:
    """The namespace and rooms an audience listens in: a participant's own room; the agents of a route (those
    serving every route too); a municipality's supervisors."""
    match audience:
        case Participant():
            return NAMESPACE_OF_KIND[ParticipantKind(audience.kind)], [str(audience)]
        case RouteAgents(municipality_id=m, route=route):
            return "/agent", [route_room(m, route), route_room(m, "*")]
        case Supervisors(municipality_id=m):
            return "/supervisor", [supervisors_room(m)]
        case AgentsSeeing(agent_ids=ids):
            return "/agent", [str(Participant.agent(agent_id)) for agent_id in ids]


class SocketNotifier:
    """Delivers dispatched events to their audiences' rooms; each audience gets its events in order, different
    audiences concurrently. ``local``: to this process's sockets only, not through the cross-process manager (the
    supervisors' feed builds on every process that has watchers, for its own sockets)."""

    def __init__(self, sio: socketio.AsyncServer, *, local: bool = False) -> None:
        self._sio = sio
        self._local = local

    async def deliver(self, deliveries: Sequence[Delivery]) -> None:
        if len(deliveries) == 1:  # the relay's hot path: one signal to one participant
            await self._in_order(deliveries)
            return
        queues: dict[Audience, list[Delivery]] = {}
        shared: list[Delivery] = []  # to several agents at once: after each one's own events
        for delivery in deliveries:
            if isinstance(delivery[0], AgentsSeeing):
                shared.append(delivery)
            else:
                queues.setdefault(delivery[0], []).append(delivery)
        await asyncio.gather(*(self._in_order(queue) for queue in queues.values()))
        await self._in_order(shared)

    async def _in_order(self, queue: Sequence[Delivery]) -> None:
        for audience, event in queue:
            namespace, rooms = rooms_of(audience)
            await self._sio.emit(
                event.NAME,
                event.payload(),
                room=rooms[0] if len(rooms) == 1 else rooms,
                namespace=namespace,
                ignore_queue=self._local,
            )
