"""Records: what the database keeps of each state change, as a table keyed by trigger.

:func:`record_update` turns a pending record (a state change the live counter queued in its outbox) into the
update storage applies: a new case, or a transition with the columns it sets, and always the participants as
they are after the change. It is pure; :data:`COLUMNS` is the second transition table of the system (the first
is ``consultation.TRANSITIONS``) and a test checks that every trigger has its row. A new record field is a new
column in ``storage/models.py`` (with a migration) and a row change here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from madoguchi.signaling.consultation import INITIAL, TERMINAL_STATES, Consultation, State, Trigger
from madoguchi.signaling.state import PendingRecord
from madoguchi.storage.updates import Creation, NewConsultation, ParticipantRow, RecordUpdate, Transition


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


Columns = Callable[[PendingRecord, datetime], dict[str, object]]


def _none(e: PendingRecord, at: datetime) -> dict[str, object]:
    return {}


def _ended(e: PendingRecord, at: datetime) -> dict[str, object]:
    return {"ended_at": at, "end_reason": e.consultation.end_reason}


def _closed(e: PendingRecord, at: datetime) -> dict[str, object]:
    """A chat the bot finished (closed from triage) is filed under the topic the bot answered last
    (``Counter.bot_answered``); it was created under the route a chat opens on."""
    columns: dict[str, object] = {"closed_at": at, "end_reason": e.consultation.end_reason}
    if e.previous == State.TRIAGE:
        columns["route"] = e.consultation.route
    return columns


def _resident_gone(e: PendingRecord, at: datetime) -> dict[str, object]:
    """From a call the case goes to wrap-up (the call ended); from the queue it is abandoned (closed)."""
    return _ended(e, at) if e.consultation.state == State.WRAP_UP else _closed(e, at)


def _agent_gone(e: PendingRecord, at: datetime) -> dict[str, object]:
    """Only a call that was running ends; a ringing offer that returns leaves no column behind. The call's talk is
    added to ``talked_before_s`` (the case is back in line; the next answer starts a new call)."""
    if e.previous != State.ACTIVE:
        return {}
    return {"ended_at": at, "end_reason": "agent_link_lost", "talked_before_s": e.consultation.talked_before_s}


def _wrapped_up(e: PendingRecord, at: datetime) -> dict[str, object]:
    return {
        "wrapped_up_at": at,
        "closed_at": at,
        "disposition": str(e.detail.get("disposition")),
        "note": str(e.detail.get("note", "")),
    }


def _wrap_up_timed_out(e: PendingRecord, at: datetime) -> dict[str, object]:
    """Closed without a wrap-up: ``wrapped_up_at`` stays empty, so after-call work time is not made up."""
    return {"closed_at": at, "end_reason": e.consultation.end_reason, "disposition": str(e.detail.get("disposition"))}


def _rerouted(e: PendingRecord, at: datetime) -> dict[str, object]:
    return {"route": e.consultation.route, "urgent": e.consultation.urgent}


def _transferred(e: PendingRecord, at: datetime) -> dict[str, object]:
    """Rerouted, and the call that ended is added to ``talked_before_s``: the wait the reports count is then the
    resident's waiting only (before the first answer and between calls), never the talk of an earlier call."""
    return {**_rerouted(e, at), "talked_before_s": e.consultation.talked_before_s}


COLUMNS: dict[Trigger, Columns] = {
    Trigger.HANDOFF: _rerouted,
    Trigger.OFFER: lambda e, at: {"offered_at": at},
    Trigger.ACCEPT: lambda e, at: {"answered_at": at, "agent_id": e.consultation.agent_id},
    Trigger.DECLINE: _none,
    Trigger.OFFER_TIMEOUT: _none,
    Trigger.CANCEL: _closed,
    Trigger.RESIDENT_GONE: _resident_gone,
    Trigger.AGENT_GONE: _agent_gone,
    Trigger.END: _ended,
    Trigger.TRANSFER: _transferred,
    Trigger.WRAP_UP: _wrapped_up,
    Trigger.WRAP_UP_TIMEOUT: _wrap_up_timed_out,
    Trigger.INTERRUPT: _closed,
    Trigger.JOIN: _none,
    Trigger.LEAVE: _none,
    Trigger.MOVE: _rerouted,  # a supervisor's move: the record files the case under the route it ends on
}
"""Columns each trigger sets on the consultation row (``INITIAL`` triggers create the row instead)."""


def participant_rows(c: Consultation, at: datetime) -> tuple[ParticipantRow, ...]:
    """Who takes part after the change; on a terminal change everyone still in leaves with it."""
    closing = c.state in TERMINAL_STATES
    rows = []
    for party in c.participants:
        left = utc(party.left_at) if party.left_at is not None else (at if closing else None)
        rows.append(
            ParticipantRow(
                participant=str(party.participant),
                role=party.role.value,
                joined_at=utc(party.joined_at),
                left_at=left,
                staff_id=party.participant.agent_id(),
            )
        )
    return tuple(rows)


def record_update(e: PendingRecord) -> RecordUpdate:
    c = e.consultation
    at = utc(e.at)
    extra = e.extra
    participants = participant_rows(c, at)
    if e.previous is None:
        if e.trigger not in INITIAL:
            raise ValueError(f"{e.key}: a case is created by {', '.join(INITIAL)}, not {e.trigger.value}")
        resident = c.resident
        return Creation(
            NewConsultation(
                id=c.id,
                municipality_id=c.municipality_id,
                channel=c.channel.value,
                booth_id=c.booth_id,
                resident_ref=None if c.booth_id else str(resident),
                route=c.route,
                language=c.language,
                urgent=c.urgent,
                state=c.state.value,
                requested_at=at,
                triage=extra.get("triage"),
                summary=extra.get("summary"),
                booking=c.booking,
            ),
            key=e.key,
            participants=participants,
        )
    columns = {k: v for k, v in extra.items() if v is not None}
    columns.update(COLUMNS[e.trigger](e, at))
    return Transition(
        consultation_id=c.id,
        at=at,
        kind=e.trigger.value,
        state=c.state.value,
        key=e.key,
        detail=dict(e.detail),
        columns=columns,
        participants=participants,
    )
