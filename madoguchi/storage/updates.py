"""What the live counter asks the database to keep, as values: a new case, or one state change of a case, each
with who takes part. The counter's middle builds these (``signaling/recording.py``); :class:`ConsultationRecords`
applies them. Plain data, so both sides depend on this module and not on each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ParticipantRow:
    """One participant's stint in a case (``consultation_participants``); keyed by participant and join time."""

    participant: str
    role: str
    joined_at: datetime
    left_at: datetime | None = None
    staff_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewConsultation:
    id: str
    municipality_id: str
    channel: str
    route: str
    language: str
    state: str
    requested_at: datetime
    booth_id: str | None = None
    resident_ref: str | None = None
    urgent: bool = False
    agent_id: str | None = None
    triage: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    booking: str | None = None


@dataclass(frozen=True, slots=True)
class Creation:
    """A case's first record: its row, its ``created`` event and its first participants."""

    record: NewConsultation
    key: str
    participants: tuple[ParticipantRow, ...] = ()


@dataclass(frozen=True, slots=True)
class Transition:
    """One state change: columns to set, an event row, and the participants as they are after it."""

    consultation_id: str
    at: datetime
    kind: str
    state: str
    key: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    columns: Mapping[str, Any] = field(default_factory=dict)
    participants: tuple[ParticipantRow, ...] = ()


RecordUpdate = Creation | Transition
