"""Bookings on disk: the booked times, the per-slot counter that keeps them within capacity, cancelled sailings.

Why a counter row per slot: capacity must hold when two server processes take the last place at the same
moment. ``UPDATE booking_slots SET taken = taken + 1 WHERE … AND taken < :capacity`` decides in one statement:
on PostgreSQL the second writer waits for the first's row lock and then re-checks the condition on the new row;
on SQLite ``BEGIN IMMEDIATE`` makes writers take turns. The booking row is inserted in the same transaction, so
a counted place and its booking exist together or not at all. Which slots exist and what capacity they have is
the plan's business (``madoguchi.bookings``), passed in; this module only counts and stores.

Contact details (phone, e-mail) are for reminders only: :class:`BookingRecord` masks them in ``repr`` and
:func:`mask_contact` is what every screen and export shows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Final

from sqlalchemy import and_, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from madoguchi.bookings.codes import new_code
from madoguchi.bookings.ferry import Direction, FerryBooking, Sailing
from madoguchi.bookings.kpis import BookingRow, WaitRow
from madoguchi.bookings.slots import Slot, SlotKey, local
from madoguchi.storage.db import Database
from madoguchi.storage.errors import StorageError
from madoguchi.storage.models import Booking, BookingSlot, Booth, Consultation, SailingCancellation

ACTIVE: Final = "booked"
STATUS_CHANGES: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        ("booked", "checked_in"),
        ("booked", "no_show"),
        ("booked", "cancelled"),
        ("checked_in", "done"),
    }
)
"""Every status change anyone may ask for (:meth:`Bookings.set_status`); anything else is refused."""
GIVEN_BACK: Final = ("checked_in", "booked")
"""The one change back, never asked for: a check-in that opened no consultation (:meth:`Bookings.undo_check_in`),
or a wait given up before anyone answered (``records._give_the_booking_back``, ``bookings.checkin``)."""

FREES_THE_SLOT: Final = frozenset({"no_show", "cancelled"})


class SlotFull(StorageError):
    def __init__(self) -> None:
        super().__init__("that time is fully booked")


class UnknownBooking(StorageError):
    def __init__(self) -> None:
        super().__init__("there is no booking with that code")


class BookingClosed(StorageError):
    def __init__(self, status: str, wanted: str) -> None:
        super().__init__(f"a booking that is {status} cannot become {wanted}")
        self.status = status


def mask_contact(value: str | None) -> str | None:
    """``ta***@example.jp`` / ``***-****-5678``: enough for the resident to recognise, useless to anyone else."""
    if not value:
        return None
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:2]}***@{domain}"
    digits = [c for c in value if c.isdigit()]
    return "***" + "".join(digits[-4:]) if len(digits) >= 4 else "***"


@dataclass(frozen=True, slots=True)
class NewBooking:
    municipality_id: str
    route: str
    slot: Slot
    name_kana: str
    language: str = "ja"
    booked_by: str = "resident"
    phone: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    ferry_line: str | None = None
    ferry_arrive: time | None = None
    ferry_leave: time | None = None
    consultation_id: str | None = None
    """The call or chat during which staff booked it (booked on behalf), if any."""


@dataclass(frozen=True, slots=True)
class BookingRecord:
    code: str
    municipality_id: str
    route: str
    mode: str
    desk: str
    place: str
    start: datetime
    end: datetime
    name_kana: str
    language: str
    status: str
    booked_by: str
    created_at: datetime
    updated_at: datetime
    phone: str | None = field(repr=False)
    email: str | None = field(repr=False)
    ferry_line: str | None
    ferry_arrive: str | None
    ferry_leave: str | None
    notice: dict[str, Any] | None
    consultation_id: str | None
    reminded_at: datetime | None

    @property
    def key(self) -> SlotKey:
        return SlotKey(self.desk, self.place, self.start)

    def masked_contact(self) -> str | None:
        return mask_contact(self.email) or mask_contact(self.phone)

    def ferry_booking(self) -> FerryBooking | None:
        if not (self.ferry_line and self.ferry_arrive and self.ferry_leave):
            return None
        return FerryBooking(
            self.code,
            self.ferry_line,
            local(self.start).date(),
            time.fromisoformat(self.ferry_arrive),
            time.fromisoformat(self.ferry_leave),
        )


def booking_record(row: Booking) -> BookingRecord:
    """A stored row as the rest of the server sees it (contact details masked in ``repr``)."""
    return _record(row)


def _record(row: Booking) -> BookingRecord:
    return BookingRecord(
        code=row.code,
        municipality_id=row.municipality_id,
        route=row.route,
        mode=row.mode,
        desk=row.desk,
        place=row.place,
        start=row.start_at,
        end=row.end_at,
        name_kana=row.name_kana,
        language=row.language,
        status=row.status,
        booked_by=row.booked_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        phone=row.phone,
        email=row.email,
        ferry_line=row.ferry_line,
        ferry_arrive=row.ferry_arrive,
        ferry_leave=row.ferry_leave,
        notice=row.notice,
        consultation_id=row.consultation_id,
        reminded_at=row.reminded_at,
    )


def _hhmm(value: time | None) -> str | None:
    return None if value is None else f"{value:%H:%M}"


class Bookings:
    def __init__(self, db: Database) -> None:
        self._db = db

    def _insert(self) -> Any:
        return pg_insert if self._db.dialect == "postgresql" else sqlite_insert

    async def _take(self, session: AsyncSession, municipality_id: str, slot: Slot) -> None:
        """Count one more booking on ``slot`` or raise :class:`SlotFull`, atomically, in one statement.

        ``INSERT … ON CONFLICT DO UPDATE SET taken = taken + 1 WHERE taken < :capacity RETURNING taken``: the
        first booking of a slot creates its row with 1; later ones add one while there is room. On PostgreSQL the
        conflicting row is locked and the ``WHERE`` re-checked on its newest version, so two processes taking the
        last place cannot both succeed; no row back means full. (It was an ``INSERT … DO NOTHING`` and then an
        ``UPDATE``: the same decision in two round trips.)"""
        if slot.capacity < 1:
            raise SlotFull
        key = {
            "municipality_id": municipality_id,
            "desk": slot.desk,
            "place": slot.place,
            "start_at": slot.start.astimezone(UTC),
        }
        statement = (
            self._insert()(BookingSlot)
            .values(**key, taken=1)
            .on_conflict_do_update(
                index_elements=list(key),
                set_={"taken": BookingSlot.taken + 1},
                where=BookingSlot.taken < slot.capacity,
            )
            .returning(BookingSlot.taken)
        )
        if (await session.execute(statement)).first() is None:
            raise SlotFull

    async def _release(self, session: AsyncSession, row: Booking) -> None:
        await session.execute(
            update(BookingSlot)
            .where(
                BookingSlot.municipality_id == row.municipality_id,
                BookingSlot.desk == row.desk,
                BookingSlot.place == row.place,
                BookingSlot.start_at == row.start_at,
                BookingSlot.taken > 0,
            )
            .values(taken=BookingSlot.taken - 1)
            .execution_options(synchronize_session=False)
        )

    async def _insert_with_new_code(self, session: AsyncSession, values: dict[str, Any]) -> str:
        """Insert the booking under a fresh random code; a code already in use (one in ten million per booking
        stored) is skipped by ``ON CONFLICT DO NOTHING`` and another drawn, with no look-up before each insert."""
        while True:
            code = new_code()
            stored = await session.execute(
                self._insert()(Booking)
                .values(code=code, **values)
                .on_conflict_do_nothing(index_elements=["code"])
                .returning(Booking.code)
            )
            if stored.first() is not None:
                return code

    async def book(
        self,
        new: NewBooking,
        *,
        now: datetime,
        recheck: Callable[[AsyncSession], Awaitable[None]] | None = None,
    ) -> BookingRecord:
        """Count and store ``new``; ``recheck`` runs first in the same transaction (the desk locks the town's row
        and checks the slot against the hours stored now; it raises to refuse, and nothing is stored)."""
        values: dict[str, Any] = {
            "municipality_id": new.municipality_id,
            "route": new.route,
            "mode": new.slot.mode,
            "desk": new.slot.desk,
            "place": new.slot.place,
            "start_at": new.slot.start,
            "end_at": new.slot.end,
            "name_kana": new.name_kana,
            "phone": new.phone,
            "email": new.email,
            "language": new.language,
            "status": ACTIVE,
            "ferry_line": new.ferry_line,
            "ferry_arrive": _hhmm(new.ferry_arrive),
            "ferry_leave": _hhmm(new.ferry_leave),
            "booked_by": new.booked_by,
            "consultation_id": new.consultation_id,
            "created_at": now,
            "updated_at": now,
        }
        async with self._db.transaction() as session:
            if recheck is not None:
                await recheck(session)
            await self._take(session, new.municipality_id, new.slot)
            code = await self._insert_with_new_code(session, values)
        return _record(Booking(code=code, **values, notice=None, reminded_at=None))

    async def get(self, code: str) -> BookingRecord | None:
        async with self._db.read() as session:
            row = await session.get(Booking, code)
            return None if row is None else _record(row)

    async def set_status(self, code: str, status: str, *, now: datetime) -> BookingRecord:
        async with self._db.transaction() as session:
            row = await session.get(Booking, code, with_for_update=True)
            if row is None:
                raise UnknownBooking
            if (row.status, status) not in STATUS_CHANGES:
                raise BookingClosed(row.status, status)
            row.status = status
            row.updated_at = now
            if status in FREES_THE_SLOT:
                await self._release(session, row)
            await session.flush()
            return _record(row)

    async def cancel(self, code: str, *, now: datetime) -> BookingRecord:
        return await self.set_status(code, "cancelled", now=now)

    async def undo_check_in(self, code: str, *, now: datetime) -> BookingRecord | None:
        """Put a ``checked_in`` booking back to ``booked``: its check-in opened no consultation (the counter
        refused it). Not one of :data:`STATUS_CHANGES` — nobody may ask for it; ``None`` when the booking is no
        longer ``checked_in`` (nothing to undo)."""
        async with self._db.transaction() as session:
            row = await session.get(Booking, code, with_for_update=True)
            if row is None or row.status != GIVEN_BACK[0]:
                return None
            row.status = GIVEN_BACK[1]
            row.updated_at = now
            await session.flush()
            return _record(row)

    async def move(
        self,
        code: str,
        slot: Slot,
        *,
        now: datetime,
        ferry_arrive: time | None = None,
        ferry_leave: time | None = None,
        recheck: Callable[[AsyncSession], Awaitable[None]] | None = None,
    ) -> BookingRecord:
        """The same code at another time: the new place is taken before the old one is given back (``recheck``:
        as :meth:`book`, first in the transaction)."""
        async with self._db.transaction() as session:
            if recheck is not None:
                await recheck(session)
            row = await session.get(Booking, code, with_for_update=True)
            if row is None:
                raise UnknownBooking
            if row.status != ACTIVE:
                raise BookingClosed(row.status, "moved")
            if (row.desk, row.place, row.start_at) != (slot.desk, slot.place, slot.start.astimezone(UTC)):
                await self._take(session, row.municipality_id, slot)
                await self._release(session, row)
            row.desk, row.place, row.mode = slot.desk, slot.place, slot.mode
            row.start_at, row.end_at = slot.start, slot.end
            if row.ferry_line is not None:
                row.ferry_arrive, row.ferry_leave = _hhmm(ferry_arrive), _hhmm(ferry_leave)
            row.notice = None
            row.updated_at = now
            await session.flush()
            return _record(row)

    async def set_notice(self, code: str, notice: dict[str, Any] | None, *, now: datetime) -> None:
        async with self._db.transaction() as session:
            await session.execute(update(Booking).where(Booking.code == code).values(notice=notice, updated_at=now))

    async def claim_reminder(self, code: str, *, now: datetime) -> bool:
        """Mark the reminder as sent; False when another process already did (then it must not send)."""
        async with self._db.transaction() as session:
            claimed = await session.execute(
                update(Booking)
                .where(Booking.code == code, Booking.reminded_at.is_(None))
                .values(reminded_at=now)
                .execution_options(synchronize_session=False)
            )
            return bool(claimed.rowcount)  # type: ignore[attr-defined]

    async def counts(
        self,
        municipality_id: str,
        start: datetime,
        end: datetime,
        *,
        place: str | None = None,
        desks: Collection[str] | None = None,
    ) -> dict[SlotKey, int]:
        """Places taken per slot starting in [start, end) (at ``place`` only, of ``desks`` only, if given).

        A slot search passes the desks of its route: with the desk and the place known, PostgreSQL reads the
        day's few rows straight from the primary key ``(municipality_id, desk, place, start_at)`` instead of every
        desk's rows of that day from the ``(municipality_id, start_at)`` index (with 20 places × 16 desks, 11
        rows instead of 3,000 filtered down to 155 and then mostly thrown away here)."""
        query = select(BookingSlot.desk, BookingSlot.place, BookingSlot.start_at, BookingSlot.taken).where(
            BookingSlot.municipality_id == municipality_id,
            BookingSlot.start_at >= start,
            BookingSlot.start_at < end,
            BookingSlot.taken > 0,
        )
        if place is not None:
            query = query.where(BookingSlot.place == place)
        if desks is not None:
            query = query.where(BookingSlot.desk.in_(sorted(desks)))
        return {SlotKey(desk, where, at): taken for desk, where, at, taken in await self._db.fetch(query)}

    async def between(
        self,
        start: datetime,
        end: datetime,
        *,
        municipality_id: str | None = None,
        statuses: Iterable[str] | None = None,
        ferry_line: str | None = None,
    ) -> list[BookingRecord]:
        query = select(Booking).where(Booking.start_at >= start, Booking.start_at < end)
        if municipality_id is not None:
            query = query.where(Booking.municipality_id == municipality_id)
        if statuses is not None:
            query = query.where(Booking.status.in_(list(statuses)))
        if ferry_line is not None:
            query = query.where(Booking.ferry_line == ferry_line)
        async with self._db.read() as session:
            rows = await session.scalars(query.order_by(Booking.start_at, Booking.place, Booking.code))
            return [_record(r) for r in rows]

    async def report_rows(
        self, municipality_id: str, start: datetime, end: datetime
    ) -> tuple[list[BookingRow], list[WaitRow]]:
        """For the booking KPIs: the bookings starting in [start, end), and every case requested then that a
        person answered, with whether it came with a booking, how long the resident waited, and its route, channel,
        booth and the booth's place (the report's filters are applied by :func:`madoguchi.bookings.kpis.compute`)."""
        bookings = select(
            Booking.status,
            Booking.mode,
            Booking.booked_by,
            Booking.start_at,
            Booking.created_at,
            Booking.route,
            Booking.place,
        ).where(Booking.municipality_id == municipality_id, Booking.start_at >= start, Booking.start_at < end)
        waits = (
            select(
                Consultation.booking,
                Consultation.requested_at,
                Consultation.answered_at,
                Consultation.route,
                Consultation.channel,
                Consultation.booth_id,
                Booth.place_id,
            )
            .outerjoin(Booth, Consultation.booth_id == Booth.id)
            .where(
                Consultation.municipality_id == municipality_id,
                Consultation.requested_at >= start,
                Consultation.requested_at < end,
                Consultation.answered_at.is_not(None),
            )
        )
        async with self._db.read() as session:
            booked = [
                BookingRow(status, mode, by, _utc(at), _utc(created), route, place)
                for status, mode, by, at, created, route, place in await session.execute(bookings)
            ]
            answered = [
                WaitRow(
                    code is not None,
                    (_utc(answered_at) - _utc(requested_at)).total_seconds(),
                    route=route,
                    channel=channel,
                    booth=booth,
                    place=place,
                )
                for code, requested_at, answered_at, route, channel, booth, place in await session.execute(waits)
                if answered_at is not None  # the query asks for answered cases only
            ]
        return booked, answered

    async def cancel_sailing(self, municipality_id: str, sailing: Sailing, *, now: datetime) -> bool:
        """Record a cancelled sailing; False when it was already recorded."""
        async with self._db.transaction() as session:
            key = (municipality_id, sailing.line, sailing.day, sailing.direction, f"{sailing.at:%H:%M}")
            if await session.get(SailingCancellation, key) is not None:
                return False
            session.add(
                SailingCancellation(
                    municipality_id=municipality_id,
                    line=sailing.line,
                    day=sailing.day,
                    direction=sailing.direction,
                    at=f"{sailing.at:%H:%M}",
                    created_at=now,
                )
            )
            return True

    async def restore_sailing(self, municipality_id: str, sailing: Sailing) -> None:
        async with self._db.transaction() as session:
            await session.execute(
                delete(SailingCancellation).where(
                    and_(
                        SailingCancellation.municipality_id == municipality_id,
                        SailingCancellation.line == sailing.line,
                        SailingCancellation.day == sailing.day,
                        SailingCancellation.direction == sailing.direction,
                        SailingCancellation.at == f"{sailing.at:%H:%M}",
                    )
                )
            )

    async def cancelled_sailings(self, municipality_id: str, first: date, last: date) -> frozenset[Sailing]:
        async with self._db.read() as session:
            rows = await session.scalars(
                select(SailingCancellation).where(
                    SailingCancellation.municipality_id == municipality_id,
                    SailingCancellation.day >= first,
                    SailingCancellation.day <= last,
                )
            )
            return frozenset(_sailing(r) for r in rows)


def _sailing(row: SailingCancellation) -> Sailing:
    direction: Direction = "in" if row.direction == "in" else "out"
    return Sailing(row.line, row.day, direction, time.fromisoformat(row.at))


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored in UTC); PostgreSQL aware ones."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
