"""Opening hours an admin stored, and the one place the server asks "what are this town's hours now?".

Why a book with a short cache: the supervisor's view asks every couple of seconds for every watched town, and an
admin's change on one process must reach the others without a restart; reading the row at most every
``ttl_s`` seconds does both (the process that saved the change forgets its cached copy at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from madoguchi.domain.holidays import JAPAN, HolidayCalendar
from madoguchi.domain.opening_hours import HoursSpec, OpeningHours, hours_in_force, layered, open_through
from madoguchi.storage.bookings import ACTIVE, BookingRecord, booking_record
from madoguchi.storage.db import Database
from madoguchi.storage.models import AuditEntry, Booking, Municipality, StoredOpeningHours

DEFAULT_TTL_S: Final = 5.0
BOOKINGS_AHEAD: Final = timedelta(days=400)
"""How far ahead a change of hours is checked against the bookings (a booking plan books at most months ahead)."""


@dataclass(frozen=True, slots=True)
class SavedHours:
    spec: HoursSpec
    updated_at: datetime
    updated_by: str


class OpeningHoursStore:
    """The ``opening_hours`` table: one stored :class:`HoursSpec` per town; every change is audited in the
    same transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, municipality_id: str) -> SavedHours | None:
        async with self._db.read() as session:
            row = await session.get(StoredOpeningHours, municipality_id)
        if row is None:
            return None
        return SavedHours(HoursSpec.model_validate(row.spec), row.updated_at, row.updated_by)

    @staticmethod
    async def locked_in(session: AsyncSession, municipality_id: str) -> SavedHours | None:
        """The stored hours read fresh inside a writer's own transaction (``session``), after locking the town's
        row (``FOR SHARE`` on PostgreSQL: against :meth:`save`'s ``FOR UPDATE`` through :func:`bookings_closed_by`,
        while bookings of one town still go side by side; SQLite's ``IMMEDIATE`` transaction already makes writers
        take turns): a booking checked against these hours cannot be committed after a change of hours that would
        have closed its time (it waits for the change, then reads it, its next statement seeing the commit), nor
        can the change miss the booking (it waits for the booking)."""
        town = select(Municipality.id).where(Municipality.id == municipality_id)
        await session.execute(town.with_for_update(read=True))
        row = await session.get(StoredOpeningHours, municipality_id, populate_existing=True)
        if row is None:
            return None
        return SavedHours(HoursSpec.model_validate(row.spec), row.updated_at, row.updated_by)

    async def save(
        self,
        municipality_id: str,
        spec: HoursSpec,
        *,
        actor: str,
        by: str,
        at: datetime,
        check: OpeningHours | None = None,
        confirmed: bool = False,
    ) -> list[BookingRecord]:
        """Store ``spec``; ``actor`` goes to the audit log, ``by`` (a person's name) is shown on the page. With
        ``check`` (the hours ``spec`` puts in force), the bookings those hours would close are looked up in the
        same transaction as the write (:func:`_closed_in`): unless ``confirmed``, any such booking refuses the
        change (:class:`BookingsOnClosedDays`, nothing stored); confirmed, they are returned, to be named."""
        data: dict[str, Any] = spec.model_dump(mode="json")
        async with self._db.transaction() as session:
            closed = [] if check is None else await _closed_in(session, municipality_id, check, at, confirmed)
            row = await session.get(StoredOpeningHours, municipality_id)
            before = None if row is None else row.spec
            if row is None:
                session.add(
                    StoredOpeningHours(municipality_id=municipality_id, spec=data, updated_at=at, updated_by=by)
                )
            else:
                row.spec, row.updated_at, row.updated_by = data, at, by
            detail = {"municipality_id": municipality_id, "before": before, "after": data}
            session.add(AuditEntry(at=at, actor=actor, action="hours.update", detail=detail))
        return closed

    async def clear(
        self,
        municipality_id: str,
        *,
        actor: str,
        at: datetime,
        check: OpeningHours | None = None,
        confirmed: bool = False,
    ) -> tuple[bool, list[BookingRecord]]:
        """Back to the municipality file's hours (``check``: those hours, checked against the bookings in the same
        transaction, as :meth:`save`); False when nothing was stored (nothing checked then)."""
        async with self._db.transaction() as session:
            row = await session.get(StoredOpeningHours, municipality_id)
            if row is None:
                return False, []
            closed = [] if check is None else await _closed_in(session, municipality_id, check, at, confirmed)
            detail = {"municipality_id": municipality_id, "before": row.spec, "after": None}
            await session.execute(
                delete(StoredOpeningHours).where(StoredOpeningHours.municipality_id == municipality_id)
            )
            session.add(AuditEntry(at=at, actor=actor, action="hours.reset", detail=detail))
        return True, closed


class BookingsOnClosedDays(Exception):
    """A change of hours would close booked times and was not confirmed: nothing was stored."""

    def __init__(self, bookings: list[BookingRecord]) -> None:
        super().__init__(f"{len(bookings)} booking(s) fall on hours this change closes")
        self.bookings = bookings


async def _closed_in(
    session: AsyncSession, municipality_id: str, hours: OpeningHours, now: datetime, confirmed: bool
) -> list[BookingRecord]:
    """:func:`bookings_closed_by`, refused (:class:`BookingsOnClosedDays`) unless ``confirmed``."""
    closed = await bookings_closed_by(session, municipality_id, hours, now)
    if closed and not confirmed:
        raise BookingsOnClosedDays(closed)
    return closed


async def bookings_closed_by(
    session: AsyncSession, municipality_id: str, hours: OpeningHours, now: datetime
) -> list[BookingRecord]:
    """The town's bookings still to come (``booked``) whose time ``hours`` would not keep open
    (:func:`~madoguchi.domain.opening_hours.open_through`, the rule the booking page offers slots by): a change of
    hours that closes a booked time must name those bookings before it is stored (/admin: 409 until confirmed;
    ``madoguchi hours set|reset``: exit 2 until ``--confirm``). The bookings are kept, for the office to call each
    resident; a booking already outside the current hours is named again.

    Read inside the change's own transaction (``session``), so no booking made meanwhile is missed (it was a
    separate read before the save, and a booking made in between was stranded silently). On PostgreSQL the town's
    row is locked first (``FOR UPDATE``): a booking being written holds a ``KEY SHARE`` lock on it until it commits
    (its foreign key, and its slot counter's), so this waits for such a booking and then sees it, and a booking
    begun after this waits for the change. On SQLite the transaction is ``IMMEDIATE``: writers take turns."""
    await session.execute(select(Municipality.id).where(Municipality.id == municipality_id).with_for_update())
    query = (
        select(Booking)
        .where(
            Booking.municipality_id == municipality_id,
            Booking.status == ACTIVE,
            Booking.start_at >= now,
            Booking.start_at < now + BOOKINGS_AHEAD,
        )
        .order_by(Booking.start_at, Booking.place, Booking.code)
    )
    ahead = [booking_record(row) for row in await session.scalars(query)]
    return [b for b in ahead if not open_through(hours, b.route, b.start, b.end)]


class HoursBook:
    """A town's effective hours: the admin's stored ones, else its file's (``defaults``), else weekdays
    08:30-17:15 (:data:`OFFICE_HOURS`, what the alarms assumed before hours were data); closed as well on the days
    ``also_closed`` names (the town's booking plan's closed dates and 年末年始), with ``calendar``'s national
    holidays. This is the one calendar: the alarms, the wait messages, the booth's "closed now", the bookings and
    the reports' offered capacity all read it, so none of them calls a day open that another calls closed."""

    def __init__(
        self,
        store: OpeningHoursStore,
        defaults: Callable[[str], HoursSpec | None],
        *,
        also_closed: Callable[[str], OpeningHours | None] = lambda _municipality_id: None,
        calendar: HolidayCalendar = JAPAN,
        ttl_s: float = DEFAULT_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._defaults = defaults
        self._also_closed = also_closed
        self._calendar = calendar
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, SavedHours | None]] = {}

    def file_hours(self, municipality_id: str) -> OpeningHours:
        """The hours the town keeps once the stored ones are removed (its file's, else the office default)."""
        return hours_in_force(self._defaults(municipality_id), self._calendar)

    def hours_of(self, spec: HoursSpec) -> OpeningHours:
        """The hours ``spec`` would give the town, with this book's holiday calendar (to check a change first)."""
        return hours_in_force(spec, self._calendar)

    def forget(self, municipality_id: str) -> None:
        self._cache.pop(municipality_id, None)

    async def saved(self, municipality_id: str) -> SavedHours | None:
        now = self._monotonic()
        cached = self._cache.get(municipality_id)
        if cached is None or now - cached[0] >= self._ttl_s:
            cached = (now, await self._store.get(municipality_id))
            self._cache[municipality_id] = cached
        return cached[1]

    async def spec(self, municipality_id: str) -> tuple[HoursSpec | None, str]:
        """The spec in force and where it comes from: ``stored``, ``file`` or ``none``."""
        saved = await self.saved(municipality_id)
        if saved is not None:
            return saved.spec, "stored"
        default = self._defaults(municipality_id)
        return (default, "file") if default is not None else (None, "none")

    async def hours(self, municipality_id: str) -> OpeningHours:
        spec, _ = await self.spec(municipality_id)
        return self._in_force(municipality_id, spec)

    async def hours_locked(self, session: AsyncSession, municipality_id: str) -> OpeningHours:
        """:meth:`hours`, but read fresh (never from the cache) inside a writer's transaction with the town's row
        locked (:meth:`OpeningHoursStore.locked_in`): what a booking is checked against again just before it is
        inserted, so an admin's change committed meanwhile (on any process) is the one it meets."""
        saved = await OpeningHoursStore.locked_in(session, municipality_id)
        spec = saved.spec if saved is not None else self._defaults(municipality_id)
        return self._in_force(municipality_id, spec)

    def _in_force(self, municipality_id: str, spec: HoursSpec | None) -> OpeningHours:
        hours = hours_in_force(spec, self._calendar)
        extra = self._also_closed(municipality_id)
        return hours if extra is None else layered(hours, extra)


def file_defaults(specs: Mapping[str, HoursSpec | None]) -> Callable[[str], HoursSpec | None]:
    return lambda municipality_id: specs.get(municipality_id)
