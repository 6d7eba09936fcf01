"""The seams between the counter's middle and storage: what the service needs from the database, as small
Protocols. Each has one real implementation in ``madoguchi.storage`` (named in its docstring); tests may run the
real one on SQLite. Nothing in ``signaling`` but the composition root names a storage class."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Protocol

from madoguchi.domain.opening_hours import HoursSpec
from madoguchi.storage.booths import BoothRecord
from madoguchi.storage.callbacks import CallbackRecord, KeptCallback, NewCallback
from madoguchi.storage.record_values import ChatLine, ConsultationRecord, LinkQualityKept, StoredChat
from madoguchi.storage.updates import RecordUpdate


class RecordSink(Protocol):
    """Writes one pending record (idempotent by its key). Real: ``storage.records.ConsultationRecords``."""

    async def apply(self, update: RecordUpdate) -> None: ...


class HoursSource(Protocol):
    """A town's opening hours in force: the admin's stored ones, else its file's. Real:
    :class:`~madoguchi.storage.opening_hours.HoursBook` (a few seconds' cache, shared with /admin)."""

    async def spec(self, municipality_id: str) -> tuple[HoursSpec | None, str]: ...


class RecordReader(Protocol):
    """Reads stored cases (a summary for a view, the recovery sweep). Real: ``ConsultationRecords``."""

    async def get(self, consultation_id: str) -> ConsultationRecord | None: ...

    async def unfinished(self) -> list[ConsultationRecord]: ...


class ChatLog(Protocol):
    """The transcript: store a line first (idempotent by client id), read it. Real: ``ConsultationRecords``."""

    async def add_chat(
        self,
        consultation_id: str,
        *,
        seq: int | None,
        sender: str,
        text: str,
        at: datetime,
        client_id: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> tuple[int, bool]: ...

    async def add_chat_line(
        self,
        consultation_id: str,
        *,
        seq: int | None,
        sender: str,
        text: str,
        at: datetime,
        client_id: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> StoredChat:
        """As ``add_chat``, with the text as stored and the earlier lines the new one masked (pii_lines)."""
        ...

    async def chat(self, consultation_id: str, after_seq: int = 0) -> list[ChatLine]: ...


class Satisfaction(Protocol):
    """Where a resident's one-tap answer after a call or chat is kept, with its record. Real:
    :class:`~madoguchi.storage.records.ConsultationRecords`."""

    async def set_csat(self, consultation_id: str, participant: str, answer: str) -> bool:
        """Store ``answer`` once, if ``participant`` was the resident's side of the case; False otherwise."""
        ...


class CallbackBook(Protocol):
    """Where call-back requests are kept until staff have called. Real: :class:`~madoguchi.storage.callbacks.
    Callbacks`."""

    async def add(self, new: NewCallback, *, now: datetime) -> KeptCallback: ...

    async def discard(self, callback_id: str) -> None: ...

    async def pending_of(self, resident_ref: str) -> CallbackRecord | None: ...

    async def withdraw(self, callback_id: str, *, resident_ref: str, now: datetime) -> bool: ...


class QualityLog(Protocol):
    """Where each side's link-quality summary of a call is kept, with its record. Real:
    :class:`~madoguchi.storage.records.ConsultationRecords`."""

    async def set_link_quality(
        self, consultation_id: str, participant: str, summary: dict[str, Any]
    ) -> LinkQualityKept | None:
        """Keep ``summary`` as ``participant``'s side's latest; None if they took no part in the case."""
        ...


class LinkObserver(Protocol):
    """Hears each side's final link summary of a call, with the case's booth (from the record, so a label set
    bounded by the booth directory). Real: :class:`~madoguchi.observability.Metrics`."""

    def link_summary(
        self, consultation_id: str, booth_id: str | None, role: str, summary: Mapping[str, Any]
    ) -> None: ...


class Records(RecordSink, RecordReader, ChatLog, Satisfaction, QualityLog, Protocol):
    """All five, as ``ConsultationRecords`` provides them."""


class BoothDirectory(Protocol):
    """Booths by id, for names in views. Real: :class:`~madoguchi.storage.booths.Booths`."""

    async def get(self, booth_id: str) -> BoothRecord | None: ...

    async def many(self, booth_ids: Collection[str]) -> dict[str, BoothRecord]:
        """The booths among ``booth_ids`` that exist (one query, not one per booth)."""
        ...


class CredentialLookup(Protocol):
    """What the database says now about credentials open sockets hold. Real:
    :class:`~madoguchi.storage.credentials.Credentials`."""

    async def session_expiry(self, token_hashes: Collection[str]) -> dict[str, datetime]: ...

    async def disabled_staff(self, staff_ids: Collection[str]) -> set[str]: ...

    async def booth_tokens(self, booth_ids: Collection[str]) -> dict[str, str | None]: ...


class EchoPeer(Protocol):
    """A server-side WebRTC peer for a booth's self-test call: it answers the kiosk's offer and sends back the
    audio and data-channel messages it receives, for a few seconds. Real: :class:`~madoguchi.media.echo.EchoPeers`
    (aiortc), plugged in by the composition root."""

    async def answer(self, owner: str, offer_sdp: str) -> str:
        """The answer to ``offer_sdp`` (every candidate in it); raises ``CounterError`` (``busy``) when too many
        self-test calls run."""
        ...
