"""Call-back requests (折り返し電話): kept until staff have called, then the number is deleted.

Why the number is stored in clear here and nowhere else: staff must dial it. Everything a resident types is
masked at the socket edge; the phone number of a call-back request never enters the transcript or any record's
free text, only this row, and :meth:`Callbacks.done` sets it to NULL in the same statement that marks the
request done. The case itself stays a consultation record (end reason ``callback``).
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from madoguchi.storage.db import Database
from madoguchi.storage.errors import StorageError
from madoguchi.storage.models import CallbackRequest, Consultation

WITHDRAWN_BY: Final = "resident"
"""``done_by`` of a request the resident withdrew from the chat page (the number is deleted as when staff called)."""


class CallbackNotStored(StorageError):
    """The case's record is not in the database yet (it is written a moment after the request)."""

    def __init__(self) -> None:
        super().__init__("the call-back request could not be kept yet; please try again")


@dataclass(frozen=True, slots=True)
class NewCallback:
    consultation_id: str
    municipality_id: str
    route: str
    language: str
    channel: str
    booth_id: str | None
    phone: str


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    id: str
    consultation_id: str
    municipality_id: str
    route: str
    language: str
    channel: str
    booth_id: str | None
    phone: str | None
    requested_at: datetime
    done_at: datetime | None
    done_by: str | None


@dataclass(frozen=True, slots=True)
class KeptCallback:
    """What :meth:`Callbacks.add` kept: the resident's own request, whether or not the number was waiting already
    (staff see a number once, :meth:`Callbacks.pending`; the resident is told nothing about anyone else's)."""

    id: str
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class DoneCallbacks:
    """What :meth:`Callbacks.done` marked: the asked request and every id marked with it (the audit names each)."""

    record: CallbackRecord
    ids: tuple[str, ...]


def _record(row: CallbackRequest) -> CallbackRecord:
    return CallbackRecord(
        row.id,
        row.consultation_id,
        row.municipality_id,
        row.route,
        row.language,
        row.channel,
        row.booth_id,
        row.phone,
        row.requested_at,
        row.done_at,
        row.done_by,
    )


class Callbacks:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, new: NewCallback, *, now: datetime) -> KeptCallback:
        """Keep a request, the resident's own, even for a number already waiting in the town: staff are shown that
        number once (:meth:`pending`) and call it once (:meth:`done` marks every request for it), and whoever typed
        it learns nothing from the answer (session 15: a merged request said the number was in the list already,
        to anyone who typed a neighbour's number). Raises :class:`CallbackNotStored` when the case has no record
        yet."""
        callback_id = "cb_" + secrets.token_hex(8)
        try:
            async with self._db.transaction() as session:
                session.add(
                    CallbackRequest(
                        id=callback_id,
                        consultation_id=new.consultation_id,
                        municipality_id=new.municipality_id,
                        route=new.route,
                        language=new.language,
                        channel=new.channel,
                        booth_id=new.booth_id,
                        phone=new.phone,
                        requested_at=now,
                    )
                )
        except IntegrityError:
            raise CallbackNotStored() from None
        return KeptCallback(callback_id, now)

    async def discard(self, callback_id: str) -> None:
        """Forget a request whose case could not be closed (it was answered in the same moment)."""
        async with self._db.transaction() as session:
            row = await session.get(CallbackRequest, callback_id)
            if row is not None:
                await session.delete(row)

    async def pending(self, municipality_ids: Collection[str]) -> list[CallbackRecord]:
        """Requests not done yet in these municipalities, oldest first; a number left more than once in a town for
        one route is listed once, as its first request (staff call it once; marking it done marks them all). The
        route is part of the key: the same number left on a tax case and on a child_family case is two pieces of
        work for two sets of staff, each shown to those who serve its route (session 15: merged across routes, the
        kept request was the first route's and the other route's staff never saw theirs)."""
        async with self._db.read() as session:
            rows = await session.scalars(
                select(CallbackRequest)
                .where(CallbackRequest.municipality_id.in_(list(municipality_ids)), CallbackRequest.done_at.is_(None))
                .order_by(CallbackRequest.requested_at, CallbackRequest.id)
            )
            first: dict[tuple[str, str, str | None], CallbackRecord] = {}
            for row in rows:
                first.setdefault((row.municipality_id, row.route, row.phone), _record(row))
            return list(first.values())

    async def pending_of(self, resident_ref: str) -> CallbackRecord | None:
        """The newest request not done yet that the resident ``resident_ref`` (``resident:<hash>``, the case's
        ``resident_ref``) left from the home chat: their page shows it after a reload, with a way to withdraw it."""
        async with self._db.read() as session:
            row = await session.scalar(
                select(CallbackRequest)
                .join(Consultation, Consultation.id == CallbackRequest.consultation_id)
                .where(Consultation.resident_ref == resident_ref, CallbackRequest.done_at.is_(None))
                .order_by(CallbackRequest.requested_at.desc())
                .limit(1)
            )
            return None if row is None else _record(row)

    async def withdraw(self, callback_id: str, *, resident_ref: str, now: datetime) -> bool:
        """The resident no longer wants the call: done by them (:data:`WITHDRAWN_BY`), the number deleted, off the
        staff's list; False when it is not theirs or not pending."""
        mine = select(Consultation.id).where(Consultation.resident_ref == resident_ref).scalar_subquery()
        async with self._db.transaction() as session:
            result = await session.execute(
                update(CallbackRequest)
                .where(
                    CallbackRequest.id == callback_id,
                    CallbackRequest.consultation_id.in_(mine),
                    CallbackRequest.done_at.is_(None),
                )
                .values(done_at=now, done_by=WITHDRAWN_BY, phone=None)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    async def get(self, callback_id: str) -> CallbackRecord | None:
        async with self._db.read() as session:
            row = await session.get(CallbackRequest, callback_id)
        return None if row is None else _record(row)

    async def done(
        self, callback_id: str, *, municipality_ids: Collection[str], by: str, now: datetime
    ) -> DoneCallbacks | None:
        """Mark done and delete the number, once, with every other request for the same number in that town and
        route (staff were shown it once, :meth:`pending`); another route's request for that number stays for its
        own staff. None when it is not pending in these municipalities."""
        async with self._db.transaction() as session:
            asked = await session.scalar(
                select(CallbackRequest)
                .where(
                    CallbackRequest.id == callback_id,
                    CallbackRequest.municipality_id.in_(list(municipality_ids)),
                    CallbackRequest.done_at.is_(None),
                )
                .with_for_update()
            )
            if asked is None:
                return None
            merged = list(
                await session.scalars(
                    select(CallbackRequest.id)
                    .where(
                        CallbackRequest.municipality_id == asked.municipality_id,
                        CallbackRequest.route == asked.route,
                        CallbackRequest.phone == asked.phone,
                        CallbackRequest.done_at.is_(None),
                    )
                    .with_for_update()
                )
            )
            await session.execute(
                update(CallbackRequest)
                .where(CallbackRequest.id.in_(merged), CallbackRequest.done_at.is_(None))
                .values(done_at=now, done_by=by, phone=None)
                .execution_options(synchronize_session=False)
            )
            row = await session.get(CallbackRequest, callback_id, populate_existing=True)
            if row is None:
                return None
            return DoneCallbacks(_record(row), tuple(sorted(merged)))
