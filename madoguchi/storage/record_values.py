"""What a consultation's record reads back as: frozen values, so no caller ever holds an ORM row (or its session).

:mod:`madoguchi.storage.records` writes and reads the rows; these are the shapes it hands out, and the JSON rule
for event details both directions share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from madoguchi.storage.errors import InvalidValue
from madoguchi.storage.exports import iso
from madoguchi.storage.models import FINISHED_STATES, Consultation


@dataclass(frozen=True, slots=True)
class LinkQualityKept:
    """Whose summary was kept: the reporter's role in the case and the case's booth (None for a call from home;
    the booth id comes from the directory, never from the reporter)."""

    role: str
    booth_id: str | None


@dataclass(frozen=True, slots=True)
class ConsultationRecord:
    id: str
    municipality_id: str
    channel: str
    booth_id: str | None
    resident_ref: str | None
    route: str
    language: str
    urgent: bool
    state: str
    agent_id: str | None
    requested_at: datetime
    offered_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    wrapped_up_at: datetime | None
    closed_at: datetime | None
    end_reason: str | None
    disposition: str | None
    note: str | None
    triage: dict[str, Any] | None
    summary: dict[str, Any] | None
    updated_at: datetime
    csat: str | None = None
    link_quality: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


@dataclass(frozen=True, slots=True)
class ConsultationEventRecord:
    id: int
    consultation_id: str
    at: datetime
    kind: str
    state: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChatLine:
    seq: int
    sender: str
    text: str
    at: datetime
    client_id: str | None
    meta: dict[str, Any] | None = None


_RECORD_FIELDS = tuple(f.name for f in fields(ConsultationRecord))


def to_record(row: Consultation) -> ConsultationRecord:
    return ConsultationRecord(**{name: getattr(row, name) for name in _RECORD_FIELDS})


def json_data(value: Any) -> Any:
    """A JSON-safe copy of an event detail value: datetimes become ISO strings."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {str(k): json_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_data(v) for v in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue("event detail numbers must be finite")
        return value
    raise InvalidValue(f"event detail values must be JSON data or datetimes, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class StoredChat:
    """What :meth:`~madoguchi.storage.records.ConsultationRecords.add_chat_line` stored: the line's seq, whether it
    is new (not a retry), its text as stored, the earlier lines it masked (seq, text as stored now), and the case's
    handoff summary as stored now when the number's pieces were masked in it too (else None)."""

    seq: int
    created: bool
    text: str
    redacted: tuple[tuple[int, str], ...] = ()
    summary: dict[str, Any] | None = None
    masked_groups: Mapping[str, str] = field(default_factory=dict)
    """The digit groups the line's cross-line masking took out, with their tokens (``pii_lines.masked_pieces``)."""
