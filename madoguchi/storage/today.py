"""The supervisor's "today" figures from the records: received, answered and left without an answer.

Why its own module: "abandoned" must be the reports' number for the same day (``madoguchi/reports/kpis.py``,
「待ちきれずに帰った」), not a second definition: the supervisor page said 7 where /reports said 3 plus 3 short
abandons. The rule is written here in the records' terms because the storage layer may not import the reports.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select, type_coerce

from madoguchi.storage.db import Database
from madoguchi.storage.models import Consultation, ConsultationEvent, UTCDateTime


async def counts_since(
    db: Database, municipality_id: str, since: datetime, *, short_abandon_s: float = 0.0
) -> tuple[int, int, int]:
    """(received, answered, abandoned) since ``since`` for one municipality. A web chat counts once the bot handed
    it to a person (it has a summary); the bot's own chats do not.

    ``abandoned`` is the reports' definition: queued for a person (a booth request, or a chat from its first
    handoff), never answered, state ``abandoned``, and waited at least ``short_abandon_s`` — who left sooner is
    the reports' 「すぐに帰った人」, counted apart there and not here."""
    person = (Consultation.channel != "chat") | Consultation.summary.is_not(None)
    query = select(func.count(), func.count(Consultation.answered_at)).where(
        Consultation.municipality_id == municipality_id, Consultation.requested_at >= since, person
    )
    first_handoff = (
        select(func.min(ConsultationEvent.at))
        .where(ConsultationEvent.consultation_id == Consultation.id, ConsultationEvent.kind == "handoff")
        .scalar_subquery()
    )
    queued_at = type_coerce(
        case((Consultation.channel == "booth", Consultation.requested_at), else_=first_handoff), UTCDateTime()
    )
    left = select(queued_at, Consultation.closed_at).where(
        Consultation.municipality_id == municipality_id,
        Consultation.requested_at >= since,
        Consultation.state == "abandoned",
        Consultation.answered_at.is_(None),
    )
    async with db.read() as session:
        received, answered = (await session.execute(query)).one()
        waits = (await session.execute(left)).all()
    abandoned = sum(
        1
        for queued, closed in waits
        if queued is not None and closed is not None and (closed - queued).total_seconds() >= short_abandon_s
    )
    return int(received), int(answered), abandoned
