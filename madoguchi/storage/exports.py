"""Exports: every consultation as one flat row (CSV or JSON lines), for the town's own statistics.

Read in batches, each its own short transaction, so exporting years of records neither holds a transaction open
nor loads everything into memory. The columns are :data:`EXPORT_FIELDS`; ``agent_username`` is the agent who
answered (``consultations.agent_id``), as before participants were recorded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select

from madoguchi.storage.db import Database
from madoguchi.storage.models import Booth, ChatMessage, Consultation, Place, Staff


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
) -> AsyncIterator[dict[str, Any]]:
    """One dict per consultation requested in ``[since, until)``, oldest first, keys :data:`EXPORT_FIELDS`.

    Reads in batches (each its own short transaction), so exporting years of records neither holds a
    transaction open nor loads everything into memory.
    """
    after: tuple[datetime, str] | None = None
    while True:
        query = (
            select(Consultation, Booth.name, Place.name, Staff.username)
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
        for consultation, booth_name, place_name, agent_username in rows:
            yield _export_row(consultation, booth_name, place_name, agent_username, transcripts[consultation.id])
        if len(rows) < batch:
            return
        last = rows[-1][0]
        after = (last.requested_at, last.id)


def _export_row(
    row: Consultation,
    booth_name: str | None,
    place_name: str | None,
    agent_username: str | None,
    transcript: list[dict[str, Any]],
) -> dict[str, Any]:
    wait_end = row.answered_at or row.ended_at or row.closed_at
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
        "agent_username": agent_username,
        "requested_at": iso(row.requested_at),
        "offered_at": iso(row.offered_at),
        "answered_at": iso(row.answered_at),
        "ended_at": iso(row.ended_at),
        "wrapped_up_at": iso(row.wrapped_up_at),
        "closed_at": iso(row.closed_at),
        "waited_s": _seconds(row.requested_at, wait_end),
        "handled_s": _seconds(row.answered_at, row.ended_at),
        "end_reason": row.end_reason,
        "disposition": row.disposition,
        "note": row.note,
        "csat": row.csat,
        **link_columns(row.link_quality),
        "summary": row.summary,
        "transcript": transcript,
    }
    return {name: exported[name] for name in EXPORT_FIELDS}
