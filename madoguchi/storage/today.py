"""The supervisor's "today" figures from the records: received, answered and left without an answer.

Why its own module: "abandoned" must be the reports' number for the same day (``madoguchi/reports/kpis.py``,
「待ちきれずに帰った」), not a second definition: the supervisor page said 7 where /reports said 3 plus 3 short
abandons. The rule is written here in the records' terms because the storage layer may not import the reports.
The figures add up: received = answered + call-back requests + abandoned + short abandons + still in hand (waiting,
ringing or choosing a topic). A call-back request (end reason ``callback``) is counted as such, never as a resident
who left (the page said 7 received, 4 answered, 0 left: the three call-back requests were nowhere); /reports,
which knows no call-backs yet, counts one made after a long wait as abandoned.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, func, select, type_coerce

from madoguchi.storage.db import Database
from madoguchi.storage.models import Consultation, ConsultationEvent, UTCDateTime


class TodayCounts(NamedTuple):
    received: int
    answered: int
    abandoned: int
    short_abandoned: int = 0
    callbacks: int = 0


async def counts_since(
    db: Database, municipality_id: str, since: datetime, *, short_abandon_s: float = 0.0
) -> TodayCounts:
    """(received, answered, abandoned, short abandons, call-back requests) since ``since`` for one municipality. A
    web chat counts once the bot handed it to a person (a ``handoff`` event); the bot's own chats do not.

    ``abandoned`` is the reports' definition: queued for a person (a booth request, or a chat from its first
    handoff), never answered, state ``abandoned``, and waited at least ``short_abandon_s`` — who left sooner is
    the reports' 「すぐに帰った人」, counted apart there and not here."""
    # a chat counts from its first handoff (its summary column holds JSON null, not SQL NULL, for a bot-only chat)
    handed_over = (
        select(ConsultationEvent.id)
        .where(ConsultationEvent.consultation_id == Consultation.id, ConsultationEvent.kind == "handoff")
        .exists()
    )
    person = (Consultation.channel != "chat") | handed_over
    callback = (Consultation.end_reason == "callback") & Consultation.answered_at.is_(None)
    query = select(func.count(), func.count(Consultation.answered_at), func.count(case((callback, 1)))).where(
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
        person,
        ~callback,
    )
    async with db.read() as session:
        received, answered, callbacks = (await session.execute(query)).one()
        waits = (await session.execute(left)).all()
    waited = [
        (closed - queued).total_seconds() for queued, closed in waits if queued is not None and closed is not None
    ]
    abandoned = sum(1 for seconds in waited if seconds >= short_abandon_s)
    return TodayCounts(int(received), int(answered), abandoned, len(waited) - abandoned, int(callbacks))
