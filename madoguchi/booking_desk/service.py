"""The booking desk: the one place where the plan (pure), the stored bookings and the mail meet.

Why one service: the phone page, the staff console and the CLI must refuse and accept exactly the same
bookings. Every operation reads the clock once, asks the pure core (``madoguchi.bookings``) whether the time
may be booked, and lets the storage layer take the place atomically. Refusals are :class:`DeskError` with a
code from :data:`~madoguchi.booking_desk.refusals.ERRORS`, which the HTTP edge turns into a 4xx with a sentence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from madoguchi.booking_desk import ics, mail
from madoguchi.booking_desk.form_fields import contact, kana
from madoguchi.booking_desk.refusals import ERRORS as ERRORS  # where the edges have always found them
from madoguchi.booking_desk.refusals import DeskError as DeskError
from madoguchi.bookings import codes, kpis
from madoguchi.bookings.checkin import Checkin, Due, check_in, due_soon, is_no_show
from madoguchi.bookings.ferry import Sailing, Trip, affected, fitting, lines_for, next_fitting, trip
from madoguchi.bookings.kpis import BookingKpis, ReportFilter
from madoguchi.bookings.plan import HOME, JST, BookingPlan, FerryLine
from madoguchi.bookings.slots import BookingRefused, Offer, find_slot, local, offered_capacity, offers
from madoguchi.chatbot.knowledge import Municipality
from madoguchi.domain.date_range import BadDates, check_day, check_period
from madoguchi.domain.opening_hours import OpeningHours
from madoguchi.storage.bookings import BookingClosed, BookingRecord, Bookings, NewBooking, SlotFull, UnknownBooking
from madoguchi.ui import translate

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

LockedHours = Callable[["AsyncSession", str], Awaitable[OpeningHours]]
"""A town's hours read fresh inside the booking's own write transaction, its row locked first
(:meth:`~madoguchi.storage.opening_hours.HoursBook.hours_locked`)."""


@dataclass(frozen=True, slots=True)
class FoundSlot:
    offer: Offer
    trip: Trip | None


@dataclass(frozen=True, slots=True)
class BookingRequest:
    municipality_id: str | None
    route: str
    place: str
    start: datetime
    name_kana: str
    contact: str | None = None
    ferry: str | None = None
    language: str = "ja"
    booked_by: str = "resident"
    consultation_id: str | None = None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), JST)
    return start, start + timedelta(days=1)


class BookingDesk:
    def __init__(
        self,
        *,
        towns: Mapping[str, Municipality],
        bookings: Bookings,
        clock: Callable[[], float],
        mailer: mail.Mailer | None = None,
        reminder_hours: float = 24.0,
        due_horizon_minutes: float = 30.0,
        town_hours: Callable[[str], Awaitable[OpeningHours]] | None = None,
        locked_hours: LockedHours | None = None,
    ) -> None:
        self.towns = {mid: town for mid, town in towns.items() if town.booking is not None}
        self.bookings = bookings
        self._clock = clock
        self._mailer = mailer
        self._reminder = timedelta(hours=reminder_hours)
        self._due_horizon = timedelta(minutes=due_horizon_minutes)
        self._town_hours = town_hours
        """The town's opening hours in force (the admin's on /admin, else its file's): the one calendar the alarms,
        the booth's "closed now" and the reports use; bookings take its opened holidays and its closed days."""
        self._locked_hours = locked_hours
        """The same hours read again inside the write's transaction, the town's row locked: ``town_hours`` may be
        up to a few seconds old on this process (its cache), and an admin's change may commit between the check
        and the insert; the slot is checked again against these before it is taken (:meth:`_recheck`)."""
        self.on_due: Callable[[str, Mapping[str, int]], Awaitable[None]] | None = None
        """Told each town's bookings due soon per route (the counter, which counts them in walk-ins' waits)."""

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def town(self, municipality_id: str | None) -> Municipality:
        if municipality_id is None and len(self.towns) == 1:
            return next(iter(self.towns.values()))
        town = self.towns.get(municipality_id or "")
        if town is None:
            raise DeskError("unknown_town")
        return town

    @staticmethod
    def _known_route(town: Municipality, route: str) -> None:
        if route not in town.routes:
            raise DeskError("unknown_route")

    @staticmethod
    def plan(town: Municipality) -> BookingPlan:
        assert town.booking is not None  # only towns with a plan are kept
        return town.booking

    async def hours(self, municipality_id: str) -> OpeningHours | None:
        return None if self._town_hours is None else await self._town_hours(municipality_id)

    def _recheck(
        self, town: Municipality, route: str, place: str, start: datetime, now: datetime
    ) -> Callable[[AsyncSession], Awaitable[None]] | None:
        """The slot checked again, inside the write's transaction, against the hours stored at that moment (town
        row locked): refused with the same code as the first check (:class:`BookingRefused`)."""
        locked = self._locked_hours
        if locked is None:
            return None

        async def recheck(session: AsyncSession) -> None:
            find_slot(self.plan(town), route, place, start, now, hours=await locked(session, town.id))

        return recheck

    def _line(self, town: Municipality, place: str, ferry: str | None) -> FerryLine | None:
        if ferry is None:
            return None
        line = next((f for f in lines_for(self.plan(town), place) if f.id == ferry), None)
        if line is None:
            raise DeskError("unknown_ferry")
        return line

    async def slots(
        self, municipality_id: str | None, route: str, day: date, *, place: str | None = None, ferry: str | None = None
    ) -> list[FoundSlot]:
        town = self.town(municipality_id)
        self._known_route(town, route)
        try:
            check_day(day)  # a year far away is nobody's booking (and 9999-12-31 has no day after it)
        except BadDates as bad:
            raise DeskError("invalid", str(bad)) from None
        plan = self.plan(town)
        now = self.now()
        start, end = day_bounds(day)
        try:
            desks = {d.id for d in plan.desks if d.serves(route)}
            booked = await self.bookings.counts(town.id, start, end, place=place, desks=desks)
            hours = await self.hours(town.id)
            found = offers(plan, route, day, now, booked, place=place, hours=hours)
        except BookingRefused as refused:
            raise DeskError(refused.code) from refused
        if ferry is None:
            return [FoundSlot(o, None) for o in found]
        if place is None:
            raise DeskError("invalid", "choose a place to book around the ferry")
        line = self._line(town, place, ferry)
        assert line is not None
        cancelled = await self.bookings.cancelled_sailings(town.id, day, day)
        return [FoundSlot(o, t) for o, t in fitting(line, found, cancelled)]

    async def _fit(
        self, town: Municipality, place: str, ferry: str | None, start: datetime, end: datetime
    ) -> Trip | None:
        line = self._line(town, place, ferry)
        if line is None:
            return None
        day = local(start).date()
        cancelled = await self.bookings.cancelled_sailings(town.id, day, day)
        fit = trip(line, start, end, cancelled)
        if fit is None:
            raise DeskError("no_ferry")
        return fit

    async def book(self, request: BookingRequest) -> BookingRecord:
        town = self.town(request.municipality_id)
        self._known_route(town, request.route)
        name = kana(request.name_kana)
        phone, email = contact(request.contact)
        now = self.now()
        try:
            hours = await self.hours(town.id)
            slot = find_slot(self.plan(town), request.route, request.place, request.start, now, hours=hours)
        except BookingRefused as refused:
            raise DeskError(refused.code) from refused
        fit = await self._fit(town, request.place, request.ferry, slot.start, slot.end)
        try:
            record = await self.bookings.book(
                NewBooking(
                    municipality_id=town.id,
                    route=request.route,
                    slot=slot,
                    name_kana=name,
                    language=request.language,
                    booked_by=request.booked_by,
                    phone=phone,
                    email=email,
                    ferry_line=request.ferry,
                    ferry_arrive=fit.arrive.at if fit else None,
                    ferry_leave=fit.leave.at if fit else None,
                    consultation_id=request.consultation_id,
                ),
                now=now,
                recheck=self._recheck(town, request.route, request.place, request.start, now),
            )
        except BookingRefused as refused:  # the hours changed meanwhile (an admin's save just committed)
            raise DeskError(refused.code) from refused
        except SlotFull as full:
            raise DeskError("full") from full
        await self._mail(record, "book.mail.booked", town)
        await self.report_due(town.id, record)
        return record

    async def get(self, code: str) -> BookingRecord:
        record = await self.bookings.get(code)
        if record is None:
            raise DeskError("unknown_code")
        return record

    async def cancel(self, code: str) -> BookingRecord:
        try:
            cancelled = await self.bookings.cancel(code, now=self.now())
        except UnknownBooking as unknown:
            raise DeskError("unknown_code") from unknown
        except BookingClosed as closed:
            raise DeskError("not_changeable") from closed
        await self.report_due(cancelled.municipality_id, cancelled)
        return cancelled

    async def move(self, code: str, start: datetime, place: str | None = None) -> BookingRecord:
        current = await self.get(code)
        town = self.town(current.municipality_id)
        now = self.now()
        where = place or current.place
        try:
            hours = await self.hours(town.id)
            slot = find_slot(self.plan(town), current.route, where, start, now, hours=hours)
        except BookingRefused as refused:
            raise DeskError(refused.code) from refused
        fit = await self._fit(town, where, current.ferry_line, slot.start, slot.end)
        try:
            moved = await self.bookings.move(
                code,
                slot,
                now=now,
                ferry_arrive=fit.arrive.at if fit else None,
                ferry_leave=fit.leave.at if fit else None,
                recheck=self._recheck(town, current.route, where, start, now),
            )
        except BookingRefused as refused:
            raise DeskError(refused.code) from refused
        except SlotFull as full:
            raise DeskError("full") from full
        except BookingClosed as closed:
            raise DeskError("not_changeable") from closed
        await self._mail(moved, "book.mail.moved", town)
        await self.report_due(town.id, current, moved)
        return moved

    async def check_in(
        self, code: str, *, municipality_id: str | None = None, modes: frozenset[str] | None = None
    ) -> tuple[BookingRecord, Checkin]:
        """The resident at a booth (or the counter) with their code: mark the booking checked in and say whether
        they go ahead of walk-ins (within the window) or join as a walk-in (early or late). Only a booking of
        today, of this town, still ``booked``, can check in; a cancelled one never does (``cancelled``)."""
        record = await self.get(code)
        town = self.town(record.municipality_id)
        if municipality_id is not None and municipality_id != town.id:
            raise DeskError("unknown_code")
        if modes is not None and record.mode not in modes:
            raise DeskError("wrong_way")
        if record.status == "cancelled":  # on any day, in the booking's language (ux15 item 2: a cancelled booking
            # was told "this appointment is Wed 9 Dec, come back that day")
            raise DeskError("cancelled", facts={"language": record.language})
        now = self.now()
        if local(record.start).date() != local(now).date():  # the kiosk names the day booked, in large print
            # and in the booking's language: a kiosk nobody switched yet says it so (ux14 item 4)
            facts = {"start": record.start.isoformat(), "end": record.end.isoformat(), "language": record.language}
            raise DeskError("not_today", facts=facts)
        outcome = check_in(self.plan(town).checkin, record.start, now)
        try:
            checked = await self.bookings.set_status(code, "checked_in", now=now)
        except BookingClosed as closed:
            raise DeskError("not_changeable") from closed
        await self.report_due(town.id)
        return checked, outcome

    async def undo_check_in(self, code: str) -> None:
        """The check-in of ``code`` opened no consultation (the counter refused it: the booth's limit, the
        resident's case already open…): the booking is ``booked`` again, to be checked in once that is sorted."""
        undone = await self.bookings.undo_check_in(code, now=self.now())
        if undone is not None:
            await self.report_due(undone.municipality_id)

    # -- what the office does -----------------------------------------------------------------------------

    async def cancel_sailing(self, municipality_id: str | None, sailing: Sailing) -> list[BookingRecord]:
        """Mark ``sailing`` cancelled; tell every booking that relied on it and offer the next fitting slots."""
        town = self.town(municipality_id)
        plan = self.plan(town)
        line = plan.ferry(sailing.line)
        if line is None:
            raise DeskError("unknown_ferry")
        now = self.now()
        await self.bookings.cancel_sailing(town.id, sailing, now=now)
        start, end = day_bounds(sailing.day)
        candidates = await self.bookings.between(
            start, end, municipality_id=town.id, statuses=("booked",), ferry_line=line.id
        )
        by_code = {r.code: r for r in candidates}
        hit = affected((fb for r in candidates if (fb := r.ferry_booking()) is not None), sailing)
        last = local(now).date() + timedelta(days=plan.horizon_days)
        booked = await self.bookings.counts(town.id, start, day_bounds(last)[1])
        cancelled = await self.bookings.cancelled_sailings(town.id, sailing.day, last)
        told: list[BookingRecord] = []
        for ferry_booking in hit:
            record = by_code[ferry_booking.code]
            instead = next_fitting(
                plan,
                line,
                route=record.route,
                place=record.place,
                after=max(now, start),  # from the booking's day on: the resident planned that day
                now=now,
                booked=booked,
                cancelled=cancelled,
            )
            notice = {
                "kind": "sailing_cancelled",
                "line": line.id,
                "line_name": line.label(record.language),
                "day": sailing.day.isoformat(),
                "direction": sailing.direction,
                "at": f"{sailing.at:%H:%M}",
                "instead": [
                    {"place": o.slot.place, "start": o.slot.start.isoformat(), "end": o.slot.end.isoformat()}
                    for o, _ in instead
                ],
            }
            await self.bookings.set_notice(record.code, notice, now=now)
            updated = await self.get(record.code)
            told.append(updated)
            await self._mail(updated, "book.mail.sailing_cancelled", town)
        return told

    async def report(
        self, municipality_id: str | None, first: date, last: date, where: ReportFilter | None = None
    ) -> BookingKpis:
        """The booking KPIs of the days ``first`` to ``last`` (Japan time, both included), narrowed by the reports
        page's filters (:mod:`madoguchi.bookings.kpis` says what each means for a booking). The period follows
        the reports' rule (:func:`madoguchi.domain.date_range.check_period`: at most a year, this century), and
        the counting runs in a worker thread, so a year's figures never hold up the server's other requests."""
        town = self.town(municipality_id)
        where = where or ReportFilter()
        try:
            check_period(first, last)
        except BadDates as bad:
            raise DeskError("invalid", str(bad)) from None
        if where.route is not None:
            self._known_route(town, where.route)
        plan = self.plan(town)
        if where.place is not None and where.place not in {*plan.place_ids(), *(p.id for p in town.places), HOME}:
            raise DeskError("unknown_place", f"there is no place {where.place!r} in this town")
        if where.channel is not None and where.channel not in kpis.CHANNEL_MODES:
            raise DeskError("invalid", f"'channel' must be one of {', '.join(kpis.CHANNEL_MODES)}")
        bookings, waits = await self.bookings.report_rows(town.id, day_bounds(first)[0], day_bounds(last)[1])
        modes = None if where.channel is None else kpis.CHANNEL_MODES[where.channel]
        hours = await self.hours(town.id)
        offered = await asyncio.to_thread(
            offered_capacity, plan, first, last, route=where.route, modes=modes, hours=hours
        )
        return await asyncio.to_thread(kpis.compute, bookings, waits, offered, where)

    async def due(self, municipality_id: str) -> dict[str, int]:
        """Per route, the town's bookings an agent will serve ahead of a walk-in who joins now
        (:func:`madoguchi.bookings.checkin.due_soon`)."""
        town = self.towns.get(municipality_id)
        if town is None:
            return {}
        rules = self.plan(town).checkin
        now = self.now()
        records = await self.bookings.between(
            now - timedelta(minutes=rules.late_minutes),
            now + self._due_horizon + timedelta(seconds=1),
            municipality_id=municipality_id,
            statuses=("booked",),
        )
        return due_soon(rules, (Due(r.route, r.mode, r.start) for r in records), now, self._due_horizon)

    async def report_due(self, municipality_id: str, *changed: BookingRecord) -> None:
        """Tell :attr:`on_due` the town's bookings due soon; a failure is logged (the estimate is advice). With
        ``changed`` bookings, only when one of them starts near enough to count (a booking for next week changes
        nothing now, and its request is spared the extra query)."""
        if self.on_due is None or municipality_id not in self.towns:
            return
        if changed:
            now = self.now()
            rules = self.plan(self.towns[municipality_id]).checkin
            earliest = now - timedelta(minutes=rules.late_minutes)
            if not any(earliest <= r.start <= now + self._due_horizon for r in changed):
                return
        try:
            await self.on_due(municipality_id, await self.due(municipality_id))
        except Exception:
            log.exception("could not count the bookings due soon")

    async def sweep(self) -> tuple[int, int]:
        """Mark no-shows, send due reminders and count the bookings due soon; returns (no-shows, reminders). Run
        about once a minute."""
        now = self.now()
        no_shows = reminders = 0
        for record in await self.bookings.between(now - timedelta(days=2), now, statuses=("booked",)):
            town = self.towns.get(record.municipality_id)
            if town is not None and is_no_show(self.plan(town).checkin, record.start, now):
                try:
                    await self.bookings.set_status(record.code, "no_show", now=now)
                    no_shows += 1
                except (UnknownBooking, BookingClosed):
                    pass  # checked in or cancelled meanwhile
        if self._mailer is not None:
            for record in await self.bookings.between(now, now + self._reminder, statuses=("booked",)):
                town = self.towns.get(record.municipality_id)
                if record.email and town is not None and await self.bookings.claim_reminder(record.code, now=now):
                    await self._mail(record, "book.mail.reminder", town)
                    reminders += 1
        for municipality_id in self.towns:
            await self.report_due(municipality_id)
        return no_shows, reminders

    async def run_sweeps(self, interval_s: float = 60.0) -> None:
        """:meth:`sweep` for ever (a task of the app); an error is logged and tried again next round."""
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("booking sweep failed")
            await asyncio.sleep(interval_s)

    # -- texts ---------------------------------------------------------------------------------------------

    def place_name(self, town: Municipality, place: str, language: str) -> str:
        if place == HOME:
            return translate(language, "book.mode.video")
        found = next((p for p in town.places if p.id == place), None)
        return found.name.in_language(language) if found else place

    def calendar(self, record: BookingRecord) -> str:
        town = self.town(record.municipality_id)
        language = record.language
        route = town.route_name(record.route, language)
        return ics.booking_ics(
            code=record.code,
            start=record.start,
            end=record.end,
            summary=translate(language, "book.ics.summary", {"town": town.name.in_language(language), "route": route}),
            location=self.place_name(town, record.place, language),
            description=translate(language, "book.ics.description", {"code": codes.grouped(record.code)}),
            now=self.now(),
        )

    async def _mail(self, record: BookingRecord, key: str, town: Municipality) -> None:
        if self._mailer is None or not record.email:
            return
        language = record.language
        start = local(record.start)
        params: dict[str, object] = {
            "town": town.name.in_language(language),
            "route": town.route_name(record.route, language),
            "place": self.place_name(town, record.place, language),
            "when": f"{start:%Y-%m-%d %H:%M}",
            "code": codes.grouped(record.code),  # 1234 5678 9012, as it is read out
            "notice": _notice_text(record, language),
        }
        message = mail.message(
            to=record.email,
            subject=translate(language, f"{key}.subject", params),
            body=translate(language, f"{key}.body", params),
            ics=self.calendar(record),
            code=record.code,
        )
        try:
            await self._mailer.send(message)
        except OSError as exc:  # the booking stands; the resident still has the code and the .ics
            log.warning("could not send booking e-mail for %s: %s", record.code[:2] + "******", exc)


def _notice_text(record: BookingRecord, language: str) -> str:
    notice = record.notice or {}
    lines = [f"{local(datetime.fromisoformat(s['start'])):%m/%d %H:%M}" for s in notice.get("instead", [])]
    return ", ".join(lines)
