"""The console's booking endpoints: staff book on behalf of a resident and see the day's bookings.

Why separate from the resident API (``booking_desk.api``): these are for a signed-in staff session, not anonymous
phones, so they are not rate limited per address (a town hall's agents share one address behind its router) and
they may list a whole day's bookings. They go through the same :class:`BookingDesk`, so the console refuses and
accepts exactly what the phone page does. A booking made here carries ``booked_by = staff:<id>`` and, when made
during a call or chat, that consultation's id; it is written to the audit log. A change needs the session's CSRF
token in ``X-CSRF-Token`` and no foreign ``Origin`` (the admin API's rule). Refusals are
``{"error": {"code", "message"}}`` with the resident API's status for a desk refusal.

- ``GET /api/staff/bookings/options`` → the town's topics, places and open days (the phone page's choices) and
  ``public_url`` (``MADOGUCHI_PUBLIC_URL`` or null)
- ``GET /api/staff/bookings?date=YYYY-MM-DD`` → ``{"date", "bookings": [...]}`` (contacts masked)
- ``GET /api/staff/slots?route=R&date=YYYY-MM-DD[&place=P][&ferry=F]`` → the free times, as ``/api/slots``, within
  the public lookup budget (``MADOGUCHI_BOOKING_LOOKUPS_PER_MINUTE``) per staff member, not per address
- ``GET /api/staff/bookings/report?from=YYYY-MM-DD&to=YYYY-MM-DD[&route=R][&place=P][&booth=B][&channel=C]``
  → the booking KPIs (``bookings.kpis``), narrowed by the reports page's filters; ``report.xlsx`` the same as Excel.
  Supervisors and admins only (the reports page's rule; an agent gets a 403), at most 366 days of this century
  (:mod:`madoguchi.domain.date_range`, the reports API's rule), counted off the event loop
- ``POST /api/staff/bookings`` ``{"route","place","start","name_kana"[,"contact"][,"ferry"][,"language"]
  [,"consultation_id"]}`` → ``201`` the booking; a ``consultation_id`` must be the caller's own case (another
  agent's is a 403 ``not_your_case``, an unknown one a 404 ``unknown_consultation``)

Every date is a day between 2000 and 2099 (a 400 ``invalid`` otherwise).
"""

from __future__ import annotations

import asyncio
import hmac
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, Final

from aiohttp import web
from pydantic import Field, ValidationError

from madoguchi import keys
from madoguchi.booking_desk import pages, report_book
from madoguchi.booking_desk.api import DESK, LIMITS, STATUS, BookingBody, booking_json, error, same_site, slot_json
from madoguchi.booking_desk.service import BookingDesk, DeskError, day_bounds
from madoguchi.bookings.kpis import BookingKpis, ReportFilter
from madoguchi.bookings.slots import local
from madoguchi.domain.date_range import BadDates, check_day
from madoguchi.domain.sessions import SESSION_COOKIE
from madoguchi.http_json import read_json
from madoguchi.storage.accounts import StaffRecord
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.booths import Booths

CSRF_HEADER: Final = "X-CSRF-Token"
FILTER_ID: Final = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
"""A report filter's id, as the reports API takes them (``reports.params``)."""
MAX_TOKEN: Final = 256
REPORT_ROLES: Final = frozenset({"supervisor", "admin"})
"""Who may see the booking figures (the reports page's rule); booking is every agent's work."""
ALL_ROUTES_ROLES: Final = frozenset({"supervisor", "admin"})
"""Roles that see every route's bookings of their municipalities in the day's list; an agent sees their routes'
(the call-back list's rule, ``agent_console.callbacks``)."""


class StaffBookingBody(BookingBody):
    """The resident's booking form, plus the case it was booked during (if any)."""

    consultation_id: str | None = Field(default=None, max_length=64)


Handler = Callable[[web.Request, StaffRecord], Awaitable[web.StreamResponse]]


def refusal(code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=STATUS.get(code, 400))


def staff_only(*, changing: bool) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    def wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def run(request: web.Request) -> web.StreamResponse:
            found = await _session(request)
            if found is None:
                return _unauthorized()
            staff, csrf_token = found
            given = request.headers.get(CSRF_HEADER, "")
            if changing and (
                not same_site(request) or not csrf_token or not hmac.compare_digest(csrf_token.encode(), given.encode())
            ):
                return web.json_response(
                    {"error": {"code": "csrf", "message": "the page is out of date: reload it and try again"}},
                    status=403,
                )
            try:
                return await handler(request, staff)
            except DeskError as refused:
                return refusal(refused.code, str(refused))

        return run

    return wrap


async def _session(request: web.Request) -> tuple[StaffRecord, str] | None:
    """The signed-in staff member and the session's CSRF token (the console's session cookie), or None."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or len(token) > MAX_TOKEN:
        return None
    return await request.app[keys.ACCOUNTS].session(token, datetime.now(UTC))


def _unauthorized() -> web.Response:
    return web.json_response({"error": {"code": "unauthorized", "message": "log in as staff first"}}, status=401)


def town_of(desk: BookingDesk, staff: StaffRecord, requested: str | None) -> str:
    """The municipality asked for (one the staff member serves), or their first one that takes bookings."""
    if requested is not None:
        if requested not in staff.municipality_ids:
            raise DeskError("unknown_town")
        return desk.town(requested).id
    for municipality in staff.municipality_ids:
        if municipality in desk.towns:
            return municipality
    raise DeskError("unknown_town")


def _day(text: str | None, desk: BookingDesk, name: str = "date") -> date:
    if not text:
        return local(desk.now()).date()
    try:
        return check_day(date.fromisoformat(text), name)
    except BadDates as bad:
        raise DeskError("invalid", str(bad)) from None
    except ValueError:
        raise DeskError("invalid", f"'{name}' must be a date as YYYY-MM-DD") from None


def day_entry(record: Any) -> dict[str, Any]:
    """One row of the day's list: the booking as the resident API shows it, plus who booked it."""
    out = booking_json(record)
    out["booked_by"] = "staff" if record.booked_by.startswith("staff:") else record.booked_by
    return out


@staff_only(changing=False)
async def get_options(request: web.Request, staff: StaffRecord) -> web.StreamResponse:
    desk = request.app[DESK]
    town = desk.town(town_of(desk, staff, request.query.get("municipality")))
    # the address residents reach (MADOGUCHI_PUBLIC_URL), for the booking link the console sends to the chat: the
    # console's own address may be an internal one a resident cannot open; None = the page's own origin
    public_url = request.config_dict[keys.SETTINGS].public_url
    return web.json_response({**await pages.offered(desk, town), "public_url": public_url})


@staff_only(changing=False)
async def get_day(request: web.Request, staff: StaffRecord) -> web.StreamResponse:
    desk = request.app[DESK]
    municipality = town_of(desk, staff, request.query.get("municipality"))
    day = _day(request.query.get("date"), desk)
    start, end = day_bounds(day)
    records = await desk.bookings.between(start, end, municipality_id=municipality)
    # a code is enough to cancel, move or check a booking in: an agent sees the bookings of the routes they serve
    # (as the call-back list), supervisors and admins every route of their towns
    shown = [r for r in records if staff.role in ALL_ROUTES_ROLES or staff.serves_route(r.route)]
    return web.json_response({"date": day.isoformat(), "bookings": [day_entry(r) for r in shown]})


@staff_only(changing=False)
async def get_slots(request: web.Request, staff: StaffRecord) -> web.StreamResponse:
    desk = request.app[DESK]
    # the public lookup budget, per staff member rather than per address (a town hall's agents share one)
    wait = await request.app[LIMITS]["lookup"].take(f"staff:{staff.id}", desk.now().timestamp())
    if wait > 0:
        return error("rate_limited", retry_after=wait)
    query = request.query
    municipality = town_of(desk, staff, query.get("municipality"))
    route = query.get("route", "")
    if not route:
        raise DeskError("invalid", "route is required")
    if "date" not in query:
        raise DeskError("invalid", "date is required (YYYY-MM-DD)")
    found = await desk.slots(
        municipality,
        route,
        _day(query["date"], desk),
        place=query.get("place") or None,
        ferry=query.get("ferry") or None,
    )
    return web.json_response([slot_json(f) for f in found])


@staff_only(changing=True)
async def post_booking(request: web.Request, staff: StaffRecord) -> web.StreamResponse:
    desk = request.app[DESK]
    try:
        body = StaffBookingBody.model_validate(await read_json(request))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DeskError("invalid", f"{where}: {first['msg']}" if where else str(first["msg"])) from None
    municipality = town_of(desk, staff, body.municipality)
    if body.consultation_id is not None:
        refused = await _not_own_case(request, staff, body.consultation_id)
        if refused is not None:
            return refused
    record = await desk.book(
        body.request(municipality, booked_by=f"staff:{staff.id}", consultation_id=body.consultation_id)
    )
    await AuditLog(request.app[keys.DATABASE]).write(
        f"staff:{staff.id}",
        "booking.create",
        {"code": record.code, "route": record.route, "place": record.place, "start": record.start.isoformat()},
        desk.now(),
    )
    return web.json_response(day_entry(record), status=201)


async def _not_own_case(request: web.Request, staff: StaffRecord, consultation_id: str) -> web.Response | None:
    """None when the case is the caller's (they are its agent), else the refusal: a booking names the case it was
    made in, so it may only name one's own (another agent's case, or one that does not exist, is refused)."""
    record = await request.app[keys.RECORDS].get(consultation_id)
    if record is None or record.municipality_id not in staff.municipality_ids:
        return web.json_response(
            {"error": {"code": "unknown_consultation", "message": "there is no such case in your municipality"}},
            status=404,
        )
    if record.agent_id != staff.id:
        return web.json_response(
            {"error": {"code": "not_your_case", "message": "this case is another agent's: book in your own, or none"}},
            status=403,
        )
    return None


def _forbidden_report() -> web.Response:
    return web.json_response(
        {"error": {"code": "forbidden", "message": "the booking report is for supervisors and admins"}}, status=403
    )


def _filter_id(request: web.Request, name: str) -> str | None:
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    if not FILTER_ID.fullmatch(raw):
        raise DeskError("invalid", f"'{name}' must be an id of letters, digits, '-', '_', '.' or ':' (at most 64)")
    return raw


async def _where(request: web.Request, municipality: str) -> ReportFilter:
    """The reports page's filters (``route``, ``place``, ``booth``, ``channel``); a booth stands for its place."""
    booth_id = _filter_id(request, "booth")
    booth_place = None
    if booth_id is not None:
        booth = await Booths(request.app[keys.DATABASE]).get(booth_id)
        if booth is None or booth.municipality_id != municipality:
            raise DeskError("invalid", f"there is no booth {booth_id!r} in this town")
        booth_place = booth.place_id
    return ReportFilter(
        route=_filter_id(request, "route"),
        place=_filter_id(request, "place"),
        booth=booth_id,
        booth_place=booth_place,
        channel=_filter_id(request, "channel"),
    )


async def _report(request: web.Request, staff: StaffRecord) -> tuple[BookingKpis, date, date, ReportFilter]:
    """The booking figures of the request's town, ``from``..``to`` days and filters (the JSON and the workbook)."""
    desk = request.app[DESK]
    municipality = town_of(desk, staff, request.query.get("municipality"))
    first = _day(request.query.get("from"), desk, "from")
    last = _day(request.query.get("to"), desk, "to")
    where = await _where(request, municipality)
    return await desk.report(municipality, first, last, where), first, last, where


@staff_only(changing=False)
async def get_report(request: web.Request, staff: StaffRecord) -> web.StreamResponse:
    if staff.role not in REPORT_ROLES:
        return _forbidden_report()
    report, first, last, where = await _report(request, staff)
    return web.json_response(
        {"from": first.isoformat(), "to": last.isoformat(), "filters": where.as_dict(), **report.as_dict()}
    )


@staff_only(changing=False)
async def get_report_xlsx(request: web.Request, staff: StaffRecord) -> web.StreamResponse:
    """The same figures as an Excel file (:mod:`madoguchi.booking_desk.report_book`), written in a worker thread."""
    if staff.role not in REPORT_ROLES:
        return _forbidden_report()
    report, first, last, where = await _report(request, staff)
    return web.Response(
        body=await asyncio.to_thread(report_book.workbook, report, first, last, where.as_dict()),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="bookings-{first}-{last}.xlsx"'},
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/api/staff/bookings/options", get_options)
    app.router.add_get("/api/staff/bookings", get_day)
    app.router.add_post("/api/staff/bookings", post_booking)
    app.router.add_get("/api/staff/slots", get_slots)
    app.router.add_get("/api/staff/bookings/report", get_report)
    app.router.add_get("/api/staff/bookings/report.xlsx", get_report_xlsx)
