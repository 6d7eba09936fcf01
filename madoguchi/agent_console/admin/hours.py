"""Opening hours on /admin: per weekday, closed dates and yearly closed spans, per municipality.

Why stored in the database over the municipality file: the file is the default a town ships with; an admin
changes the hours in the browser without uploading YAML, every change is audited (``hours.update``,
``hours.reset``, before and after), and "back to the file" deletes the stored version. Every process reads
them through the :class:`~madoguchi.storage.opening_hours.HoursBook` (a few seconds' cache), so the supervisor's
alarms and "open now" follow within seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from madoguchi import keys
from madoguchi.agent_console import auth
from madoguchi.agent_console.admin import guard
from madoguchi.domain.holidays import JAPAN, holidays_between
from madoguchi.domain.opening_hours import JST, HoursSpec, hours_in_force, open_now
from madoguchi.storage.accounts import StaffRecord
from madoguchi.storage.bookings import BookingRecord
from madoguchi.storage.opening_hours import BookingsOnClosedDays, OpeningHoursStore


def _booking_json(booking: BookingRecord) -> dict[str, str | None]:
    """What the admin is shown of a booking the new hours close: enough to find and call the resident. The page
    tells the admin to phone each one, so the contact is given whole (``phone``, ``email``: the day's list
    ``/api/staff/bookings`` masks them, as records, logs and exports do); showing them is audited
    (:func:`_shown`) with the booking numbers only."""
    return {
        "code": booking.code,
        "start": booking.start.isoformat(),
        "route": booking.route,
        "place": booking.place,
        "name_kana": booking.name_kana,
        "phone": booking.phone,
        "email": booking.email,
    }


async def _shown(request: web.Request, admin: StaffRecord, closed: list[BookingRecord], *, confirmed: bool) -> None:
    """``booking.contacts_shown`` in the audit log (the booking numbers, never the contacts), as the call-back
    list's ``callback.list`` is: who was shown whose number, for the town's records; ``confirmed``: whether the
    change was made (``false``: the 409 that asks the admin to confirm it)."""
    if closed:
        detail = {"bookings": [b.code for b in closed], "why": "hours", "confirmed": confirmed}
        await guard.audit(request, admin, "booking.contacts_shown", detail)


async def hours_json(app: web.Application, municipality_id: str, now: datetime) -> dict[str, Any]:
    """What the page shows of a town's hours: the spec in force, where it comes from, open now or not."""
    book = app[keys.HOURS]
    spec, source = await book.spec(municipality_id)
    saved = await book.saved(municipality_id) if source == "stored" else None
    hours = hours_in_force(spec)
    return {
        "municipality_id": municipality_id,
        "spec": None if spec is None else spec.model_dump(mode="json"),
        "source": source,
        "updated_at": None if saved is None else saved.updated_at.isoformat(),
        "updated_by": None if saved is None else saved.updated_by,
        "open_now": open_now(hours, None, now),
        "holidays": upcoming_holidays(now),
    }


def upcoming_holidays(now: datetime) -> list[dict[str, str]]:
    """The national holidays of the coming year (Japan time), for the admin to open one anyway."""
    today = now.astimezone(JST).date()
    return [
        {"date": day.isoformat(), "name": name}
        for day, name in holidays_between(JAPAN, today, today + timedelta(days=365))
    ]


def _town(request: web.Request, admin: StaffRecord) -> str:
    municipality_id = request.match_info["municipality_id"]
    guard.require_scope(admin, municipality_id, "municipality")
    return municipality_id


async def _refused(request: web.Request, admin: StaffRecord, closed: list[BookingRecord]) -> web.HTTPException:
    """The bookings a change would close, named (409) until the admin confirms (``?confirm=1``) having seen them.
    They are kept, not cancelled, and a confirmed change names them again so the office can call each resident.
    The check is made in the change's own transaction (:meth:`OpeningHoursStore.save`), so a booking made while
    the admin looked is named too, never stranded silently."""
    message = f"{len(closed)} booking(s) fall on hours these changes close; send again with ?confirm=1"
    await _shown(request, admin, closed, confirmed=False)
    return guard.refuse(
        409, "bookings_on_closed_days", message, details={"bookings": [_booking_json(b) for b in closed]}
    )


async def save(request: web.Request) -> web.StreamResponse:
    admin = await guard.admin(request, changing=True)
    municipality_id = _town(request, admin)
    spec = await guard.body(request, HoursSpec)
    try:
        closed = await OpeningHoursStore(request.app[keys.DATABASE]).save(
            municipality_id,
            spec,
            actor=f"staff:{admin.id}",
            by=admin.display_name,
            at=auth.now_utc(),
            check=request.app[keys.HOURS].hours_of(spec),
            confirmed=request.query.get("confirm") == "1",
        )
    except BookingsOnClosedDays as refused:
        raise await _refused(request, admin, refused.bookings) from None
    request.app[keys.HOURS].forget(municipality_id)
    await _shown(request, admin, closed, confirmed=True)
    hours = await hours_json(request.app, municipality_id, datetime.now(UTC))
    return web.json_response({"hours": hours, "bookings_on_closed_days": [_booking_json(b) for b in closed]})


async def reset(request: web.Request) -> web.StreamResponse:
    """Back to the municipality file's hours: checked against the bookings like any other change (the file's hours
    may close a day the stored ones opened), in the same transaction as the reset."""
    admin = await guard.admin(request, changing=True)
    municipality_id = _town(request, admin)
    book, store = request.app[keys.HOURS], OpeningHoursStore(request.app[keys.DATABASE])
    try:
        cleared, closed = await store.clear(
            municipality_id,
            actor=f"staff:{admin.id}",
            at=auth.now_utc(),
            check=book.file_hours(municipality_id),
            confirmed=request.query.get("confirm") == "1",
        )
    except BookingsOnClosedDays as refused:
        raise await _refused(request, admin, refused.bookings) from None
    book.forget(municipality_id)
    await _shown(request, admin, closed, confirmed=True)
    hours = await hours_json(request.app, municipality_id, datetime.now(UTC))
    return web.json_response(
        {"reset": cleared, "hours": hours, "bookings_on_closed_days": [_booking_json(b) for b in closed]}
    )


def setup(app: web.Application) -> None:
    app.router.add_post("/api/admin/hours/{municipality_id}", save)
    app.router.add_post("/api/admin/hours/{municipality_id}/reset", reset)
