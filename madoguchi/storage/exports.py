"""Exports: every consultation as one flat row (CSV or JSON lines), for the town's own statistics.

Read in batches, each its own short transaction, so exporting years of records neither holds a transaction open
nor loads everything into memory. The columns are :data:`EXPORT_FIELDS`; ``agent_name`` and ``agent_username`` are
the agent who answered (``consultations.agent_id``), as before participants were recorded: the display name first
(「窓口 一郎」, the name /reports shows — a sheet that said ``agent1`` matched no row of the page, session 15),
then the login name for whoever administers the accounts. ``outcome`` is how the reports and the
supervisor's 「今日」 figures count the case (:func:`madoguchi.domain.outcomes.outcome`: answered, callback,
abandoned, short_abandoned, in_hand; empty for a web chat that never asked for a person), so a sheet counted in
Excel agrees with /reports: a call-back request is state ``abandoned`` (the resident stopped waiting) but outcome
``callback``, never an abandon.

A transferred case (or a call cut and answered again) has several calls. The row keeps its columns as before
(``route``, ``agent_*`` and ``answered_at`` are the last call's), ``waited_s`` is the resident's waiting only
(request to the first answer, plus the waiting between calls, never an earlier call's talk:
``consultations.talked_before_s``) and ``handled_s`` the talk of every call, as /reports counts them. The
column ``legs``, appended last (session 16, so older sheets' columns keep their places), lists each call: its
route, agent, answer, end and talk seconds (from ``consultation_participants`` and the transfer events).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from madoguchi.domain.outcomes import outcome
from madoguchi.storage.db import Database
from madoguchi.storage.models import (
    Booth,
    ChatMessage,
    Consultation,
    ConsultationEvent,
    ConsultationParticipant,
    Place,
    Staff,
)

ROUTE_EVENTS = ("transfer", "move")
"""Events that change a case's route and name the route before (``from_route``) in their detail."""


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC (``2024-06-01T09:30:00.123456+00:00``), the form every export uses."""
    return None if value is None else value.astimezone(UTC).isoformat()


EXPORT_FIELDS = (
    "consultation_id",
    "municipality_id",
    "channel",
    "booth_id",
    "booth_name",
    "place",
    "route",
    "language",
    "urgent",
    "state",
    "outcome",
    "agent_name",
    "agent_username",
    "requested_at",
    "offered_at",
    "answered_at",
    "ended_at",
    "wrapped_up_at",
    "closed_at",
    "waited_s",
    "handled_s",
    "end_reason",
    "disposition",
    "note",
    "csat",
    "link_worst_step",
    "link_rtt_ms_median",
    "link_loss_pct_max",
    "link_weak_s",
    "summary",
    "transcript",
    "legs",
)
"""The keys of every export row dict, in the order CSV columns use."""


LINK_STEPS: tuple[str, ...] = ("video", "low-video", "audio", "chat")
"""The step-down ladder's steps, best first (``static/js/ladder.js``)."""


def link_columns(quality: Mapping[str, Any] | None) -> dict[str, Any]:
    """The call's link in four columns, the worse of the two sides: the lowest ladder step reached, the median RTT,
    the highest loss and the seconds spent below full video. All None for a case with no summary (chats)."""
    sides = [side for side in (quality or {}).values() if isinstance(side, Mapping)]

    def numbers(path: tuple[str, str]) -> list[float]:
        found = [side.get(path[0], {}).get(path[1]) for side in sides]
        return [float(value) for value in found if isinstance(value, int | float)]

    steps = [side.get("worst_step") for side in sides if side.get("worst_step") in LINK_STEPS]
    weak = [
        sum(float(side.get("seconds", {}).get(key) or 0) for key in ("low_video", "audio", "chat")) for side in sides
    ]
    rtt, loss = numbers(("rtt_ms", "median")), numbers(("loss_pct", "max"))
    return {
        "link_worst_step": max(steps, key=LINK_STEPS.index) if steps else None,
        "link_rtt_ms_median": max(rtt) if rtt else None,
        "link_loss_pct_max": max(loss) if loss else None,
        "link_weak_s": round(max(weak), 1) if weak else None,
    }


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


async def export_rows(
    db: Database,
    since: datetime | None = None,
    until: datetime | None = None,
    municipality_ids: Sequence[str] | None = None,
    *,
    batch: int = 200,
    short_abandon_s: float = 10.0,
) -> AsyncIterator[dict[str, Any]]:
    """One dict per consultation requested in ``[since, until)``, oldest first, keys :data:`EXPORT_FIELDS`;
    ``short_abandon_s`` is the reports' threshold (setting ``short_abandon_s``) the ``outcome`` column uses.

    Reads in batches (each its own short transaction), so exporting years of records neither holds a
    transaction open nor loads everything into memory.
    """
    after: tuple[datetime, str] | None = None
    while True:
        query = (
            select(Consultation, Booth.name, Place.name, Staff.username, Staff.display_name, _queued_at())
            .outerjoin(Booth, Consultation.booth_id == Booth.id)
            .outerjoin(Place, Booth.place_id == Place.id)
            .outerjoin(Staff, Consultation.agent_id == Staff.id)
            .order_by(Consultation.requested_at, Consultation.id)
            .limit(batch)
        )
        if since is not None:
            query = query.where(Consultation.requested_at >= since)
        if until is not None:
            query = query.where(Consultation.requested_at < until)
        if municipality_ids is not None:
            query = query.where(Consultation.municipality_id.in_(list(municipality_ids)))
        if after is not None:
            query = query.where(
                or_(
                    Consultation.requested_at > after[0],
                    and_(Consultation.requested_at == after[0], Consultation.id > after[1]),
                )
            )
        async with db.read() as session:
            rows = (await session.execute(query)).all()
            ids = [row[0].id for row in rows]
            transcripts: dict[str, list[dict[str, Any]]] = {cid: [] for cid in ids}
            if ids:
                lines = await session.scalars(
                    select(ChatMessage)
                    .where(ChatMessage.consultation_id.in_(ids))
                    .order_by(ChatMessage.consultation_id, ChatMessage.seq)
                )
                for line in lines:
                    transcripts[line.consultation_id].append(
                        {"seq": line.seq, "sender": line.sender, "text": line.text, "at": iso(line.at)}
                    )
            legs = await _legs(session, {row[0].id: row[0].route for row in rows})
        for consultation, booth_name, place_name, agent_username, agent_name, queued_at in rows:
            agent = (agent_name or agent_username, agent_username)
            row = _export_row(consultation, booth_name, place_name, agent, transcripts[consultation.id])
            row["legs"] = legs.get(consultation.id) or None
            row["outcome"] = _outcome(consultation, queued_at, short_abandon_s)
            yield row
        if len(rows) < batch:
            return
        last = rows[-1][0]
        after = (last.requested_at, last.id)


async def _legs(session: Any, routes: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Each case's calls, oldest first: one per agent stint (``consultation_participants``, role ``agent``). A
    call's route is the ``from_route`` of the first transfer or move at or after its answer (the transfer that
    ended it), else the case's route; talk is the stint's end minus its start (None while it runs)."""
    if not routes:
        return {}
    ids = list(routes)
    stints = (
        await session.execute(
            select(ConsultationParticipant, Staff.username, Staff.display_name)
            .outerjoin(Staff, ConsultationParticipant.staff_id == Staff.id)
            .where(ConsultationParticipant.consultation_id.in_(ids), ConsultationParticipant.role == "agent")
            .order_by(ConsultationParticipant.consultation_id, ConsultationParticipant.joined_at)
        )
    ).all()
    if not stints:
        return {}
    changes: dict[str, list[tuple[datetime, str]]] = {}
    events = await session.scalars(
        select(ConsultationEvent)
        .where(ConsultationEvent.consultation_id.in_(ids), ConsultationEvent.kind.in_(ROUTE_EVENTS))
        .order_by(ConsultationEvent.consultation_id, ConsultationEvent.at, ConsultationEvent.id)
    )
    for event in events:
        before = (event.detail or {}).get("from_route")
        if isinstance(before, str):
            changes.setdefault(event.consultation_id, []).append((_aware(event.at), before))
    legs: dict[str, list[dict[str, Any]]] = {}
    for stint, username, display_name in stints:
        joined, left = _aware(stint.joined_at), None if stint.left_at is None else _aware(stint.left_at)
        later = [before for at, before in changes.get(stint.consultation_id, []) if at >= joined]
        legs.setdefault(stint.consultation_id, []).append(
            {
                "route": later[0] if later else routes[stint.consultation_id],
                "agent_name": display_name or username,
                "agent_username": username,
                "answered_at": iso(joined),
                "ended_at": iso(left),
                "talk_s": _seconds(joined, left),
            }
        )
    return legs


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _queued_at() -> Any:
    """When the case asked for a person (the reports' rule): a booth at its request, a web chat at its first
    handoff (NULL: the bot finished it, or it is still with the bot)."""
    first_handoff = (
        select(func.min(ConsultationEvent.at))
        .where(ConsultationEvent.consultation_id == Consultation.id, ConsultationEvent.kind == "handoff")
        .scalar_subquery()
    )
    return case((Consultation.channel == "booth", Consultation.requested_at), else_=first_handoff)


def _outcome(row: Consultation, queued_at: datetime | None, short_abandon_s: float) -> str | None:
    """The case's outcome as the reports count it; None for a case that never asked for a person."""
    if queued_at is None:
        return None
    if queued_at.tzinfo is None:
        queued_at = queued_at.replace(tzinfo=UTC)
    waited = None if row.closed_at is None else (row.closed_at - queued_at).total_seconds()
    return outcome(
        answered=row.answered_at is not None,
        state=row.state,
        end_reason=row.end_reason,
        waited_s=waited,
        short_abandon_s=short_abandon_s,
    ).value


def _export_row(
    row: Consultation,
    booth_name: str | None,
    place_name: str | None,
    agent: tuple[str | None, str | None],
    transcript: list[dict[str, Any]],
) -> dict[str, Any]:
    """``agent``: the answering agent's display name (「窓口 一郎」, as /reports shows them) and username."""
    wait_end = row.answered_at or row.ended_at or row.closed_at
    before = row.talked_before_s or 0.0
    waited, handled = _seconds(row.requested_at, wait_end), _seconds(row.answered_at, row.ended_at)
    exported: dict[str, Any] = {
        "consultation_id": row.id,
        "municipality_id": row.municipality_id,
        "channel": row.channel,
        "booth_id": row.booth_id,
        "booth_name": booth_name,
        "place": place_name,
        "route": row.route,
        "language": row.language,
        "urgent": row.urgent,
        "state": row.state,
        "outcome": None,
        "agent_name": agent[0],
        "agent_username": agent[1],
        "requested_at": iso(row.requested_at),
        "offered_at": iso(row.offered_at),
        "answered_at": iso(row.answered_at),
        "ended_at": iso(row.ended_at),
        "wrapped_up_at": iso(row.wrapped_up_at),
        "closed_at": iso(row.closed_at),
        "waited_s": None if waited is None else round(max(0.0, waited - before), 3),
        "handled_s": None if handled is None else round(handled + before, 3),
        "end_reason": row.end_reason,
        "disposition": row.disposition,
        "note": row.note,
        "csat": row.csat,
        **link_columns(row.link_quality),
        "summary": row.summary,
        "transcript": transcript,
        "legs": None,
    }
    return {name: exported[name] for name in EXPORT_FIELDS}
