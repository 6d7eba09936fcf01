"""Durable consultation records: the case row, one event row per transition, the chat transcript, exports.

The server writes here as things happen; a write the database cannot take just now (a failover) waits in the live
state's outbox and is written when it can be, so nothing a user was told had happened is lost. Each transition
updates the consultation's columns and appends its event row in one transaction: the two can never disagree.

State changes the live state queued (its outbox, see :mod:`madoguchi.signaling.counter`) carry a ``record_key``:
:meth:`ConsultationRecords.create` and :meth:`ConsultationRecords.transition` with a key already stored do
nothing, so two processes writing the same pending record, or a retry after a commit whose reply was lost, store
it once. The check and the insert share one transaction, and the unique index settles a race between two.

Chat lines are idempotent on ``(consultation_id, client_id)``: a client that did not see the acknowledgement
retries with the same ``client_id`` and gets the original line's ``seq`` back instead of a duplicate.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final, Protocol, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from madoguchi.bookings.checkin import gives_the_booking_back
from madoguchi.domain.pii_lines import (
    PIECE_LINES,
    PIECE_WINDOW_S,
    SUMMARY_TEXTS,
    TRIAGE_TEXTS,
    mask_across_lines,
    mask_record_texts,
    masked_pieces,
)
from madoguchi.storage.bookings import GIVEN_BACK
from madoguchi.storage.db import Database
from madoguchi.storage.errors import (
    ChatSeqConflict,
    DuplicateConsultation,
    InvalidValue,
    StorageError,
    UnknownBooth,
    UnknownColumn,
    UnknownConsultation,
    UnknownMunicipality,
)
from madoguchi.storage.exports import EXPORT_FIELDS, export_rows
from madoguchi.storage.kept_keys import keyed_hash
from madoguchi.storage.models import (
    CHANNELS,
    FINISHED_STATES,
    SENDERS,
    Booking,
    Booth,
    ChatMessage,
    Consultation,
    ConsultationEvent,
    ConsultationParticipant,
    Municipality,
)
from madoguchi.storage.record_values import (
    ChatLine,
    ConsultationEventRecord,
    ConsultationRecord,
    LinkQualityKept,
    StoredChat,
    json_data,
    to_record,
)
from madoguchi.storage.today import TodayCounts
from madoguchi.storage.today import counts_since as today_counts
from madoguchi.storage.updates import Creation, NewConsultation, ParticipantRow, RecordUpdate

__all__ = ["EXPORT_FIELDS", "ChatLine", "ConsultationRecord", "ConsultationRecords", "NewConsultation"]

TRANSITION_COLUMNS = frozenset(
    {
        "agent_id",
        "route",
        "language",
        "urgent",
        "offered_at",
        "answered_at",
        "talked_before_s",
        "ended_at",
        "wrapped_up_at",
        "closed_at",
        "end_reason",
        "disposition",
        "note",
        "triage",
        "summary",
    }
)
"""Columns a transition may set. Identity (id, municipality, channel, booth, requested_at) never changes, and
``state`` / ``updated_at`` are set by every transition itself."""


_EXPORT_BATCH = 200
_SEQ_RETRIES = 5


_PROCESS_LINE_KEY: Final = secrets.token_bytes(32)
"""The chat lines' ``client_id`` key of a :class:`ConsultationRecords` given none (tools and tests that store no
line a client retries across processes); the server passes the deployment's (:mod:`.kept_keys`)."""


LINK_QUALITY_CHUNK: Final = 1000
"""Booths per query of :meth:`ConsultationRecords.last_link_quality` (a bounded ``IN`` list)."""


_A = TypeVar("_A")
_T = TypeVar("_T")


class OffLoop(Protocol):
    """Where long texts are masked (``signaling.masking_work.MaskingWork``): ``work(argument)`` off the event loop
    when ``size`` characters are many, else at once."""

    async def call(self, work: Callable[[_A], _T], argument: _A, size: int) -> _T: ...


class ConsultationRecords:
    def __init__(self, db: Database, *, line_key: bytes | None = None, masking: OffLoop | None = None) -> None:
        """``line_key``: the HMAC key of the chat lines' ``client_id`` as stored (:meth:`client_key`); every
        process of a deployment must pass the same one (``kept_keys.deployment_key(…, "chat-client-id")``).
        ``masking``: where a long line is read with the sender's earlier lines (pieces of a number over lines):
        off the event loop; that reading costs 10–30 ms for a 1,000-character line after short ones."""
        self._db = db
        self._line_key = _PROCESS_LINE_KEY if line_key is None else line_key
        self._masking = masking

    def client_key(self, consultation_id: str, client_id: str) -> str:
        """What ``chat_messages.client_id`` holds for a line's ``client_id``: 32 hex digits of its HMAC-SHA256
        under the deployment's key (with the case's id), never the id itself and never a bare hash. It is an
        idempotency key, only equality matters. Why keyed: a client id of 16+ hex digits is let through the
        個人番号 check (``events._no_personal_number``) and could hold one (``123456789018abcd``); a bare SHA-256
        of it (session 11) was undone by trying the 10^12 numbers, and linked the same id across cases and
        deployments. Rows stored before session 12 (raw ids, bare hashes) were cleared by migration 0014."""
        return keyed_hash(self._line_key, consultation_id, client_id)

    # -- writes ------------------------------------------------------------------------------------------

    async def apply(self, update: RecordUpdate) -> None:
        """Write one of the live counter's pending records (the ``RecordSink`` the counter's middle uses)."""
        if isinstance(update, Creation):
            await self.create(update.record, key=update.key, participants=update.participants)
            return
        await self.transition(
            update.consultation_id,
            at=update.at,
            kind=update.kind,
            state=update.state,
            detail=update.detail,
            key=update.key,
            participants=update.participants,
            **update.columns,
        )

    async def participants(self, consultation_id: str) -> list[ParticipantRow]:
        query = (
            select(ConsultationParticipant)
            .where(ConsultationParticipant.consultation_id == consultation_id)
            .order_by(ConsultationParticipant.joined_at, ConsultationParticipant.id)
        )
        async with self._db.read() as session:
            rows = (await session.scalars(query)).all()
        return [ParticipantRow(r.participant, r.role, r.joined_at, r.left_at, r.staff_id) for r in rows]

    async def create(
        self,
        record: NewConsultation,
        *,
        detail: Mapping[str, Any] | None = None,
        key: str | None = None,
        participants: Sequence[ParticipantRow] = (),
    ) -> bool:
        """Store a new consultation and its first event (kind ``created``) in one transaction.

        With a ``key`` already stored this is a no-op; returns whether anything was written."""
        if record.channel not in CHANNELS:
            raise InvalidValue(f"channel must be one of {', '.join(CHANNELS)}, got {record.channel!r}")
        if record.channel == "booth" and record.booth_id is None:
            raise InvalidValue("a booth consultation needs a booth_id")
        event_detail = json_data(
            {"route": record.route, "language": record.language, "urgent": record.urgent, **(detail or {})}
        )
        try:
            async with self._db.transaction() as session:
                if key is not None and await _has_key(session, key):
                    return False
                await self._insert_new(session, record, event_detail, key)
                await _sync_participants(session, record.id, participants, closing_at=None)
        except (IntegrityError, DuplicateConsultation):
            # A concurrent writer of the same record got there first (the consultation's id or the key).
            if key is not None and await self._key_stored(key):
                return False
            raise
        return True

    async def _insert_new(
        self, session: AsyncSession, record: NewConsultation, event_detail: Any, key: str | None
    ) -> None:
        if await session.get(Consultation, record.id) is not None:
            raise DuplicateConsultation(record.id)
        if await session.get(Municipality, record.municipality_id) is None:
            raise UnknownMunicipality(record.municipality_id)
        if record.booth_id is not None and await session.get(Booth, record.booth_id) is None:
            raise UnknownBooth(record.booth_id)
        session.add(
            Consultation(
                id=record.id,
                municipality_id=record.municipality_id,
                channel=record.channel,
                booth_id=record.booth_id,
                resident_ref=record.resident_ref,
                route=record.route,
                language=record.language,
                urgent=record.urgent,
                state=record.state,
                agent_id=record.agent_id,
                requested_at=record.requested_at,
                triage=record.triage,
                summary=record.summary,
                booking=record.booking,
                updated_at=record.requested_at,
            )
        )
        await session.flush()
        session.add(
            ConsultationEvent(
                consultation_id=record.id,
                at=record.requested_at,
                kind="created",
                state=record.state,
                detail=event_detail,
                record_key=key,
            )
        )

    async def transition(
        self,
        consultation_id: str,
        *,
        at: datetime,
        kind: str,
        state: str,
        detail: Mapping[str, Any] | None = None,
        key: str | None = None,
        participants: Sequence[ParticipantRow] = (),
        **columns: Any,
    ) -> ConsultationRecord:
        """Move a consultation to ``state``: set the given ``columns`` and append one event, atomically.

        The event's detail records the columns that were set (plus ``detail``). Column names outside
        :data:`TRANSITION_COLUMNS` are refused before anything is written. With a ``key`` already stored
        nothing is written (the record as it stands is returned): the same change is never applied twice.
        """
        unknown = [name for name in columns if name not in TRANSITION_COLUMNS]
        if unknown:
            raise UnknownColumn(unknown, TRANSITION_COLUMNS)
        if not kind or not state:
            raise InvalidValue("a transition needs a kind and a state")
        event_detail = json_data({**columns, **(detail or {})})
        try:
            async with self._db.transaction() as session:
                # the row lock first: writers of one consultation's changes queue here, so the key check below
                # sees whatever the writer before us committed
                row = await session.get(Consultation, consultation_id, with_for_update=True)
                if row is None:
                    raise UnknownConsultation(consultation_id)
                if key is not None and await _has_key(session, key):
                    return to_record(row)
                for name, value in columns.items():
                    setattr(row, name, value)
                row.state = state
                row.updated_at = at
                await _give_the_booking_back(session, row, at)
                closing = at if state in FINISHED_STATES else None
                await _sync_participants(session, consultation_id, participants, closing_at=closing)
                session.add(
                    ConsultationEvent(
                        consultation_id=consultation_id,
                        at=at,
                        kind=kind,
                        state=state,
                        detail=event_detail,
                        record_key=key,
                    )
                )
                await session.flush()
                return to_record(row)
        except IntegrityError:
            if key is not None and await self._key_stored(key):
                found = await self.get(consultation_id)
                if found is not None:
                    return found
            raise

    async def _key_stored(self, key: str) -> bool:
        async with self._db.read() as session:
            return await _has_key(session, key)

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
    ) -> tuple[int, bool]:
        """Store one chat line; returns ``(seq, created)``.

        A retry with a ``client_id`` already stored returns the original line's seq and ``created=False``.
        ``seq=None`` takes the next free number (the server normally assigns seqs itself).
        """
        stored = await self.add_chat_line(
            consultation_id, seq=seq, sender=sender, text=text, at=at, client_id=client_id, meta=meta
        )
        return stored.seq, stored.created

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
        """Store one chat line as :meth:`add_chat` does; returns what was stored: the seq, whether it was new, the
        text as stored (a number it completes over the sender's earlier lines is masked) and the earlier lines
        masked by it (seq, text as stored now), for the screens that showed them."""
        if sender not in SENDERS:
            raise InvalidValue(f"sender must be one of {', '.join(SENDERS)}, got {sender!r}")
        client_id = self.client_key(consultation_id, client_id) if client_id is not None else None
        if seq is not None and seq < 1:
            raise InvalidValue("chat seq numbers start at 1")
        for _attempt in range(_SEQ_RETRIES):
            try:
                async with self._db.transaction() as session:
                    if client_id is not None:
                        existing = await _seq_of_client_id(session, consultation_id, client_id)
                        if existing is not None:
                            return StoredChat(existing, False, text)
                    # The case's row is locked (FOR NO KEY UPDATE on PostgreSQL; SQLite's IMMEDIATE transaction
                    # already serialises writers) so that concurrent writers of one case take their numbers one
                    # after the other instead of racing for max+1: a booth resending twenty lines through one
                    # process while the agent writes through another made one writer lose every retry (CI stop 18).
                    # NO KEY UPDATE, not UPDATE: it does not block other tables' foreign-key checks on the row.
                    locked = await session.get(Consultation, consultation_id, with_for_update={"key_share": True})
                    if locked is None:
                        raise UnknownConsultation(consultation_id)
                    line_seq = seq if seq is not None else await _max_seq(session, consultation_id) + 1
                    redacted: tuple[tuple[int, str], ...] = ()
                    summary: dict[str, Any] | None = None
                    groups: dict[str, str] = {}
                    if sender in TYPED_BY_PEOPLE:
                        text, redacted, groups = await _mask_pieces(
                            session, consultation_id, sender, text, at, self._masking
                        )
                        if groups:
                            summary = _mask_record_texts(locked, groups)
                    session.add(
                        ChatMessage(
                            consultation_id=consultation_id,
                            seq=line_seq,
                            sender=sender,
                            text=text,
                            at=at,
                            client_id=client_id,
                            meta=json_data(dict(meta)) if meta else None,
                        )
                    )
                return StoredChat(line_seq, True, text, redacted, summary, groups)
            except IntegrityError:
                # Another writer got there first: the same client_id (a concurrent retry) or the same seq.
                if client_id is not None:
                    async with self._db.read() as session:
                        existing = await _seq_of_client_id(session, consultation_id, client_id)
                    if existing is not None:
                        return StoredChat(existing, False, text)
                if seq is not None:
                    raise ChatSeqConflict(consultation_id, seq) from None
        raise StorageError(f"could not find a free chat seq for consultation {consultation_id!r}")

    # -- reads -------------------------------------------------------------------------------------------

    async def set_csat(self, consultation_id: str, participant: str, answer: str) -> bool:
        """The resident's one-tap answer, once, and only from the resident's side of the case."""
        async with self._db.transaction() as session:
            resident = await session.scalar(
                select(ConsultationParticipant.id).where(
                    ConsultationParticipant.consultation_id == consultation_id,
                    ConsultationParticipant.participant == participant,
                    ConsultationParticipant.role == "resident",
                )
            )
            if resident is None:
                return False
            result = await session.execute(
                update(Consultation)
                .where(Consultation.id == consultation_id, Consultation.csat.is_(None))
                .values(csat=answer)
            )
            return bool(getattr(result, "rowcount", 0))

    async def set_link_quality(
        self, consultation_id: str, participant: str, summary: dict[str, Any]
    ) -> LinkQualityKept | None:
        """One side's latest link-quality summary of the call, kept under its role (``resident``, ``agent``);
        only from someone who took part in the case. None when they did not (or the record is not written yet)."""
        async with self._db.transaction() as session:
            role = await session.scalar(
                select(ConsultationParticipant.role).where(
                    ConsultationParticipant.consultation_id == consultation_id,
                    ConsultationParticipant.participant == participant,
                )
            )
            row = None if role is None else await session.get(Consultation, consultation_id, with_for_update=True)
            if row is None or role is None:
                return None
            row.link_quality = {**(row.link_quality or {}), str(role): summary}
            return LinkQualityKept(role=str(role), booth_id=row.booth_id)

    async def get(self, consultation_id: str) -> ConsultationRecord | None:
        async with self._db.read() as session:
            row = await session.get(Consultation, consultation_id)
        return None if row is None else to_record(row)

    async def events(self, consultation_id: str) -> list[ConsultationEventRecord]:
        query = (
            select(ConsultationEvent)
            .where(ConsultationEvent.consultation_id == consultation_id)
            .order_by(ConsultationEvent.id)
        )
        async with self._db.read() as session:
            rows = (await session.scalars(query)).all()
        return [
            ConsultationEventRecord(row.id, row.consultation_id, row.at, row.kind, row.state, dict(row.detail))
            for row in rows
        ]

    async def chat(self, consultation_id: str, after_seq: int = 0) -> list[ChatLine]:
        query = (
            select(ChatMessage)
            .where(ChatMessage.consultation_id == consultation_id, ChatMessage.seq > after_seq)
            .order_by(ChatMessage.seq)
        )
        async with self._db.read() as session:
            rows = (await session.scalars(query)).all()
        return [ChatLine(row.seq, row.sender, row.text, row.at, row.client_id, row.meta) for row in rows]

    async def max_seq(self, consultation_id: str) -> int:
        """The highest chat seq of the consultation, 0 when it has no chat yet."""
        async with self._db.read() as session:
            return await _max_seq(session, consultation_id)

    async def unfinished(self) -> list[ConsultationRecord]:
        """Consultations not yet closed, abandoned or interrupted, oldest first: the recovery sweep's input."""
        query = (
            select(Consultation)
            .where(Consultation.state.not_in(FINISHED_STATES))
            .order_by(Consultation.requested_at, Consultation.id)
        )
        async with self._db.read() as session:
            rows = (await session.scalars(query)).all()
        return [to_record(row) for row in rows]

    async def last_link_quality(
        self, booth_ids: Sequence[str], since: datetime
    ) -> dict[str, tuple[datetime, dict[str, Any]]]:
        """Per booth, its latest call since ``since`` with a link-quality summary kept (``set_link_quality``): when
        it was asked for and the summaries by role. One query per :data:`LINK_QUALITY_CHUNK` booths (each booth's
        latest such call ranked by a window), not one per booth: a town of 2,201 booths took 2,201 queries, on the
        supervisors' update path, longer than its 2 s limit under load (session 13)."""
        wanted = sorted(set(booth_ids))
        found: dict[str, tuple[datetime, dict[str, Any]]] = {}
        async with self._db.read() as session:
            for start in range(0, len(wanted), LINK_QUALITY_CHUNK):
                chunk = wanted[start : start + LINK_QUALITY_CHUNK]
                latest_first = Consultation.requested_at.desc(), Consultation.id.desc()
                ranked = (
                    select(
                        Consultation.booth_id,
                        Consultation.requested_at,
                        Consultation.link_quality,
                        func.row_number().over(partition_by=Consultation.booth_id, order_by=latest_first).label("n"),
                    )
                    .where(
                        Consultation.booth_id.in_(chunk),
                        Consultation.requested_at >= since,
                        Consultation.link_quality.is_not(None),
                    )
                    .subquery()
                )
                rows = await session.execute(
                    select(ranked.c.booth_id, ranked.c.requested_at, ranked.c.link_quality).where(ranked.c.n == 1)
                )
                for booth_id, requested_at, link_quality in rows.all():
                    if booth_id is not None and link_quality:
                        found[booth_id] = (requested_at, dict(link_quality))
        return found

    async def counts_since(self, municipality_id: str, since: datetime, *, short_abandon_s: float = 0.0) -> TodayCounts:
        """(received, answered, abandoned, short abandons, call-backs) since ``since`` for one municipality: the
        supervisor's "today" (:func:`madoguchi.storage.today.counts_since`: abandoned by the reports' rule)."""
        return await today_counts(self._db, municipality_id, since, short_abandon_s=short_abandon_s)

    def export_rows(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        municipality_ids: Sequence[str] | None = None,
        *,
        short_abandon_s: float = 10.0,
    ) -> AsyncIterator[dict[str, Any]]:
        """One dict per consultation requested in ``[since, until)``, oldest first (see :mod:`.exports`)."""
        return export_rows(
            self._db, since, until, municipality_ids, batch=_EXPORT_BATCH, short_abandon_s=short_abandon_s
        )


async def _give_the_booking_back(session: AsyncSession, row: Consultation, at: datetime) -> None:
    """A booked resident's wait given up before anyone answered: the booking is ``booked`` again (in the same
    transaction as the case's close, so a retried or replayed record never does it twice or half)."""
    if row.booking is None or not gives_the_booking_back(
        state=row.state, answered=row.answered_at is not None, end_reason=row.end_reason
    ):
        return
    await session.execute(
        update(Booking)
        .where(Booking.code == row.booking, Booking.status == GIVEN_BACK[0])
        .values(status=GIVEN_BACK[1], updated_at=at)
    )


async def _has_key(session: AsyncSession, key: str) -> bool:
    found = await session.scalar(select(ConsultationEvent.id).where(ConsultationEvent.record_key == key).limit(1))
    return found is not None


async def _seq_of_client_id(session: AsyncSession, consultation_id: str, client_id: str) -> int | None:
    """The seq of the line stored under ``client_id`` (its keyed hash)."""
    return await session.scalar(
        select(ChatMessage.seq)
        .where(ChatMessage.consultation_id == consultation_id, ChatMessage.client_id == client_id)
        .order_by(ChatMessage.seq)
        .limit(1)
    )


TYPED_BY_PEOPLE = frozenset({"resident", "agent"})


def _across_lines(lines_and_text: tuple[list[str], str]) -> tuple[list[str], str]:
    return mask_across_lines(*lines_and_text)


async def _mask_pieces(
    session: AsyncSession, consultation_id: str, sender: str, text: str, at: datetime, masking: OffLoop | None = None
) -> tuple[str, tuple[tuple[int, str], ...], dict[str, str]]:
    """A number sent in pieces over the sender's last lines (at most ``PIECE_LINES``, of the last
    ``PIECE_WINDOW_S`` seconds) is masked in every piece, the stored ones too (``domain.pii_lines``); returns the
    new line's text to store, the stored lines it changed (seq, new text) and the digit groups it masked with
    their tokens (:func:`~madoguchi.domain.pii_lines.masked_pieces`)."""
    rows = (
        await session.execute(
            select(ChatMessage)
            .where(
                ChatMessage.consultation_id == consultation_id,
                ChatMessage.sender == sender,
                ChatMessage.at >= at - timedelta(seconds=PIECE_WINDOW_S),
            )
            .order_by(ChatMessage.seq.desc())
            .limit(PIECE_LINES)
        )
    ).scalars()
    earlier = list(reversed(list(rows)))
    lines = [row.text for row in earlier]
    if masking is None:
        texts, masked_text = mask_across_lines(lines, text)
    else:  # the masking thread, for a long line (the case's row stays locked meanwhile, as it did on the loop)
        texts, masked_text = await masking.call(_across_lines, (lines, text), len(text) + sum(map(len, lines)))
    changed: list[tuple[int, str]] = []
    pairs: list[tuple[str, str]] = [(text, masked_text)] if masked_text != text else []
    for row, masked in zip(earlier, texts, strict=True):
        if masked != row.text:
            pairs.append((row.text, masked))
            row.text = masked
            changed.append((row.seq, masked))
    return masked_text, tuple(changed), masked_pieces(pairs)


def _mask_record_texts(row: Consultation, groups: dict[str, str]) -> dict[str, Any] | None:
    """A number completed over chat lines masked in the case's stored summary and triage too: they were written
    at the handoff from the lines as they were then (a piece before the handoff, the rest while waiting). Returns
    the summary when it changed."""
    triage = mask_record_texts(row.triage, TRIAGE_TEXTS, groups)
    if triage is not row.triage:
        row.triage = triage
    summary = mask_record_texts(row.summary, SUMMARY_TEXTS, groups)
    if summary is row.summary:
        return None
    row.summary = summary
    return dict(summary)


async def _max_seq(session: AsyncSession, consultation_id: str) -> int:
    value = await session.scalar(
        select(func.max(ChatMessage.seq)).where(ChatMessage.consultation_id == consultation_id)
    )
    return int(value or 0)


async def _sync_participants(
    session: AsyncSession, consultation_id: str, rows: Sequence[ParticipantRow], *, closing_at: datetime | None
) -> None:
    """Make the stored stints match ``rows`` (by participant and join time); a finished case closes any left open."""
    query = select(ConsultationParticipant).where(ConsultationParticipant.consultation_id == consultation_id)
    stored = {(r.participant, r.joined_at): r for r in (await session.scalars(query)).all()}
    for row in rows:
        found = stored.get((row.participant, row.joined_at))
        if found is None:
            found = ConsultationParticipant(
                consultation_id=consultation_id,
                participant=row.participant,
                role=row.role,
                staff_id=row.staff_id,
                joined_at=row.joined_at,
                left_at=row.left_at,
            )
            session.add(found)
            stored[(row.participant, row.joined_at)] = found
        elif row.left_at is not None and found.left_at is None:
            found.left_at = row.left_at
    if closing_at is not None:
        for found in stored.values():
            if found.left_at is None:
                found.left_at = closing_at
