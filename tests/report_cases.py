"""Consultations written through the real records repository, the way the server writes them, for report tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from madoguchi.storage.records import ConsultationRecords, NewConsultation


async def booth_case(
    records: ConsultationRecords,
    cid: str,
    *,
    municipality: str,
    booth_id: str,
    at: datetime,
    wait: float | None = None,
    talk: float | None = None,
    wrap: float | None = None,
    abandon_after: float | None = None,
    agent_id: str | None = None,
    route: str = "tax",
) -> None:
    """A booth request at ``at``: answered after ``wait`` s, talked ``talk`` s, wrapped up in ``wrap`` s; or
    abandoned after ``abandon_after`` s; or left waiting."""
    await records.create(
        NewConsultation(
            id=cid,
            municipality_id=municipality,
            channel="booth",
            route=route,
            language="ja",
            state="waiting",
            requested_at=at,
            booth_id=booth_id,
        )
    )
    await _after_queue(records, cid, at, wait=wait, talk=talk, wrap=wrap, abandon_after=abandon_after, agent=agent_id)


async def chat_case(
    records: ConsultationRecords,
    cid: str,
    *,
    municipality: str,
    at: datetime,
    handoff_after: float | None,
    wait: float | None = None,
    talk: float | None = None,
    wrap: float | None = None,
    agent_id: str | None = None,
    route: str = "general_inquiry",
) -> None:
    """A web chat opened at ``at``; the bot finishes it (``handoff_after=None``) or hands it over after that long."""
    await records.create(
        NewConsultation(
            id=cid,
            municipality_id=municipality,
            channel="chat",
            route=route,
            language="ja",
            state="triage",
            requested_at=at,
            resident_ref=f"resident:{cid}",
        )
    )
    if handoff_after is None:
        end = at + timedelta(seconds=120)
        await records.transition(cid, at=end, kind="cancel", state="abandoned", closed_at=end, end_reason="cancelled")
        return
    queued = at + timedelta(seconds=handoff_after)
    await records.transition(cid, at=queued, kind="handoff", state="waiting", route=route)
    await _after_queue(records, cid, queued, wait=wait, talk=talk, wrap=wrap, abandon_after=None, agent=agent_id)


async def _after_queue(
    records: ConsultationRecords,
    cid: str,
    queued: datetime,
    *,
    wait: float | None,
    talk: float | None,
    wrap: float | None,
    abandon_after: float | None,
    agent: str | None,
) -> None:
    if abandon_after is not None:
        gone = queued + timedelta(seconds=abandon_after)
        await records.transition(cid, at=gone, kind="cancel", state="abandoned", closed_at=gone, end_reason="cancelled")
        return
    if wait is None:
        return
    answered = queued + timedelta(seconds=wait)
    await records.transition(cid, at=answered, kind="offer", state="offered", offered_at=answered)
    await records.transition(cid, at=answered, kind="accept", state="active", answered_at=answered, agent_id=agent)
    if talk is None:
        return
    ended = answered + timedelta(seconds=talk)
    await records.transition(cid, at=ended, kind="end", state="wrap_up", ended_at=ended, end_reason="hangup")
    if wrap is None:
        return
    done = ended + timedelta(seconds=wrap)
    await records.transition(
        cid, at=done, kind="wrap_up", state="closed", wrapped_up_at=done, closed_at=done, disposition="resolved"
    )
