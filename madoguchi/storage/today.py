"""The supervisor's "today" figures from the records: received, answered and left without an answer.

Why its own module: "abandoned" must be the reports' number for the same day (``madoguchi/reports/kpis.py``,
「待ちきれずに帰った」), not a second definition: the supervisor page said 7 where /reports said 3 plus 3 short
abandons. The rule is written here in the records' terms because the storage layer may not import the reports.
The figures add up: received = answered + call-back requests + abandoned + short abandons + still in hand (waiting,
ringing or choosing a topic). A call-back request (end reason ``callback``) is counted as such, never as a resident
who left (the page said 7 received, 4 answered, 0 left: the three call-back requests were nowhere). Each
consultation's outcome is :func:`madoguchi.domain.outcomes.outcome`, the rule the reports' KPIs compute too (they
counted a call-back made after a long wait as abandoned, the supervisor page as 折り返し).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, func, select, type_coerce

from madoguchi.domain.outcomes import Outcome, outcome
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
    first_handoff = (
        select(func.min(ConsultationEvent.at))
        .where(ConsultationEvent.consultation_id == Consultation.id, ConsultationEvent.kind == "handoff")
        .scalar_subquery()
    )
    queued_at = type_coerce(
        case((Consultation.channel == "booth", Consultation.requested_at), else_=first_handoff), UTCDateTime()
    )
    query = select(
        Consultation.answered_at.is_not(None),
        Consultation.state,
        Consultation.end_reason,
        queued_at,
        Consultation.closed_at,
    ).where(Consultation.municipality_id == municipality_id, Consultation.requested_at >= since, person)
    async with db.read() as session:
        rows = (await session.execute(query)).all()
    tally = Counter(
        outcome(
            answered=bool(answered),
            state=state,
            end_reason=end_reason,
            waited_s=None if queued is None or closed is None else (closed - queued).total_seconds(),
            short_abandon_s=short_abandon_s,
        )
        for answered, state, end_reason, queued, closed in rows
    )
    return TodayCounts(
        len(rows),
        tally[Outcome.ANSWERED],
        tally[Outcome.ABANDONED],
        tally[Outcome.SHORT_ABANDONED],
        tally[Outcome.CALLBACK],
    )
