"""The bookings HTTP API: slots, book, look up, move, cancel, the .ics file.

Why so guarded: these endpoints are anonymous. A booking code is the only key, so lookups are rate limited
per client address (twelve digits with a check digit, or eight from before session 13: docs/bookings.md,
"Guessing codes"), and so are bookings, moves and cancellations. Changes need a JSON body or a non-simple method,
which a cross-site form cannot send without a CORS preflight we never grant, and a request whose ``Origin`` or
``Sec-Fetch-Site`` says another site is refused outright (the same rule as the staff login form).
Every refusal is ``{"error": {"code", "message"}}`` with a 4xx status from :data:`STATUS`.
"""

from __future__ import annotations

import io
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import segno
from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from madoguchi import keys, ui
from madoguchi.booking_desk.flood import MESSAGE as TOO_MANY_BOOKINGS
from madoguchi.booking_desk.flood import NewBookings, TooManyBookings, person_key
from madoguchi.booking_desk.guesses import TooManyWrongCodes, WrongCodes
from madoguchi.booking_desk.service import ERRORS, BookingDesk, BookingRequest, DeskError, FoundSlot
from madoguchi.bookings import codes
from madoguchi.bookings.slots import local
from madoguchi.domain.languages import LanguageCode
from madoguchi.signaling.ratelimit import KeyedLimit, Rate
from madoguchi.storage.bookings import BookingRecord

DESK = web.AppKey("booking_desk", BookingDesk)

STATUS: Final[dict[str, int]] = {
    "invalid": 400,
    "personal_number": 400,
    "unknown_route": 400,
    "unknown_place": 400,
    "unknown_ferry": 400,
    "cross_site": 403,
    "unknown_town": 404,
    "unknown_code": 404,
    "full": 409,
    "not_changeable": 409,
    "cancelled": 409,
    "closed_day": 422,
    "not_today": 422,
    "wrong_way": 422,
    "past_slot": 422,
    "too_late": 422,
    "beyond_horizon": 422,
    "no_such_slot": 422,
    "no_ferry": 422,
    "rate_limited": 429,
    "too_many_wrong_codes": 429,
    "too_many_bookings": 429,
}
MESSAGES: Final[dict[str, str]] = {
    **ERRORS,
    "cross_site": "requests from other sites are refused",
    "rate_limited": "too many requests; wait a minute and try again",
    "too_many_bookings": TOO_MANY_BOOKINGS,
}


class BookingBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    municipality: str | None = Field(default=None, max_length=64)
    route: str = Field(max_length=64)
    place: str = Field(max_length=80)
    start: AwareDatetime
    name_kana: str = Field(max_length=80)
    contact: str | None = Field(default=None, max_length=254)
    ferry: str | None = Field(default=None, max_length=80)
    language: LanguageCode = "ja"

    def request(
        self, municipality_id: str | None, *, booked_by: str = "resident", consultation_id: str | None = None
    ) -> BookingRequest:
        """The desk's request for this body (the resident's page and the staff console fill the same fields)."""
        return BookingRequest(
            municipality_id=municipality_id,
            route=self.route,
            place=self.place,
            start=self.start,
            name_kana=self.name_kana,
            contact=self.contact,
            ferry=self.ferry,
            language=self.language,
            booked_by=booked_by,
            consultation_id=consultation_id,
        )


class MoveBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    start: AwareDatetime
    place: str | None = Field(default=None, max_length=80)


LIMITS = web.AppKey("booking_limits", dict[str, KeyedLimit])
"""Per client address: ``change`` (bookings, moves, cancellations) and ``lookup`` (code look-ups); shared by every
process when the deployment has Redis (``keys.RATE_LIMITS``)."""
WRONG_CODES = web.AppKey("booking_wrong_codes", WrongCodes)
"""The brake on wrong codes from anonymous sources: the web API and the resident chat (client addresses)."""
BOOTH_WRONG_CODES = web.AppKey("booth_wrong_codes", WrongCodes)
"""The booths' own brake on wrong codes: an authenticated booth is never paused by anonymous guesses."""
NEW_BOOKINGS = web.AppKey("booking_new", NewBookings)


def error(code: str, message: str | None = None, *, retry_after: float | None = None) -> web.Response:
    """A refusal; one that passes (``retry_after``) says when in ``Retry-After`` and in the body
    (``retry_after_s``, whole seconds), so the page can tell the resident the time to try again."""
    body: dict[str, Any] = {"code": code, "message": message or MESSAGES[code]}
    headers = None
    if retry_after is not None:
        seconds = max(1, math.ceil(retry_after))
        headers, body["retry_after_s"] = {"Retry-After": str(seconds)}, seconds
    return web.json_response({"error": body}, status=STATUS[code], headers=headers)


def same_site(request: web.Request) -> bool:
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser's cross-origin request (curl, the CLI's tests)
    parts = urlsplit(origin)
    return origin != "null" and parts.netloc == request.host


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def guarded(kind: Literal["change", "lookup"]) -> Callable[[Handler], Handler]:
    def wrap(handler: Handler) -> Handler:
        async def run(request: web.Request) -> web.StreamResponse:
            if kind == "change" and not same_site(request):
                return error("cross_site")
            desk = request.app[DESK]
            wait = await request.app[LIMITS][kind].take(ui.client_address(request), desk.now().timestamp())
            if wait > 0:
                return error("rate_limited", retry_after=wait)
            try:
                return await handler(request)
            except (TooManyWrongCodes, TooManyBookings) as paused:
                return error(paused.code, str(paused), retry_after=paused.retry_after)
            except DeskError as refused:
                return error(refused.code, str(refused))

        return run

    return wrap


async def _body(request: web.Request, model: type[BookingBody] | type[MoveBody]) -> Any:
    if request.content_type != "application/json":
        raise DeskError("invalid", "send the request as JSON (Content-Type: application/json)")
    try:
        return model.model_validate_json(await request.read())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DeskError("invalid", f"{where}: {first['msg']}" if where else str(first["msg"])) from exc


def slot_json(found: FoundSlot) -> dict[str, Any]:
    slot = found.offer.slot
    out: dict[str, Any] = {
        "place": slot.place,
        "mode": slot.mode,
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "free": found.offer.free,
    }
    if found.trip is not None:
        out["ferry"] = {"arrive": f"{found.trip.arrive.at:%H:%M}", "leave": f"{found.trip.leave.at:%H:%M}"}
    return out


def booking_json(record: BookingRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": record.code,
        "route": record.route,
        "place": record.place,
        "mode": record.mode,
        "start": local(record.start).isoformat(),
        "end": local(record.end).isoformat(),
        "status": record.status,
        "name_kana": record.name_kana,
        "contact": record.masked_contact(),
        "notice": record.notice,
    }
    if record.ferry_line:
        out["ferry"] = {"line": record.ferry_line, "arrive": record.ferry_arrive, "leave": record.ferry_leave}
    return out


@guarded("lookup")
async def get_slots(request: web.Request) -> web.StreamResponse:
    query = request.query
    route = query.get("route", "")
    try:
        day = date.fromisoformat(query.get("date", ""))
    except ValueError:
        return error("invalid", "date must be YYYY-MM-DD")
    if not route:
        return error("invalid", "route is required")
    found = await request.app[DESK].slots(
        query.get("municipality"), route, day, place=query.get("place") or None, ferry=query.get("ferry") or None
    )
    return web.json_response([slot_json(f) for f in found])


@guarded("change")
async def post_booking(request: web.Request) -> web.StreamResponse:
    body: BookingBody = await _body(request, BookingBody)
    desk, brake, address = request.app[DESK], request.app[NEW_BOOKINGS], ui.client_address(request)
    person = person_key(address, body.name_kana, body.contact)
    brake.take(address, desk.now().timestamp(), person)  # booking_desk.flood: per address and person a day, all an hour
    try:
        record = await _book(desk, body)
    except DeskError:
        brake.give_back(address, person)
        raise
    return web.json_response(
        {
            "code": record.code,
            "start": local(record.start).isoformat(),
            "end": local(record.end).isoformat(),
            "route": record.route,
            "place": record.place,
            "mode": record.mode,
        },
        status=201,
    )


async def _book(desk: BookingDesk, body: BookingBody) -> BookingRecord:
    return await desk.book(body.request(body.municipality))


def _code(request: web.Request) -> str:
    code = codes.BookingCode.parse(request.match_info["code"])  # 12 digits, or 8 from before session 13
    if code is None:
        raise DeskError("unknown_code")  # a typo: told apart by the check digit, spends no wrong-code token
    return code.digits


Lookup = Callable[[BookingDesk, str], Awaitable[BookingRecord]]


async def _by_code(request: web.Request, lookup: Lookup) -> BookingRecord:
    """The booking behind the request's code, under the brake on wrong codes (``booking_desk.guesses``)."""
    code, desk = _code(request), request.app[DESK]
    return await request.app[WRONG_CODES].look_up(
        ui.client_address(request), desk.now().timestamp(), lambda: lookup(desk, code)
    )


@guarded("lookup")
async def get_booking(request: web.Request) -> web.StreamResponse:
    return web.json_response(booking_json(await _by_code(request, BookingDesk.get)))


@guarded("lookup")
async def get_calendar(request: web.Request) -> web.StreamResponse:
    desk = request.app[DESK]
    record = await _by_code(request, BookingDesk.get)
    return web.Response(
        text=desk.calendar(record),
        content_type="text/calendar",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="booking-{record.code}.ics"',
            "Cache-Control": "no-store",
        },
    )


QR_PREFIX: Final = "madoguchi-booking:"
"""What a booking's QR code says before the code: the kiosk takes only QR codes that start with it."""


@guarded("lookup")
async def get_qr(request: web.Request) -> web.StreamResponse:
    """The booking's QR code (SVG) for the resident to hold to the booth's camera instead of typing the code."""
    record = await _by_code(request, BookingDesk.get)
    svg = io.BytesIO()
    segno.make(QR_PREFIX + record.code, error="m").save(svg, kind="svg", scale=6, border=4, xmldecl=False)
    return web.Response(
        body=svg.getvalue(), content_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"}
    )


@guarded("change")
async def delete_booking(request: web.Request) -> web.StreamResponse:
    return web.json_response(booking_json(await _by_code(request, BookingDesk.cancel)))


@guarded("change")
async def move_booking(request: web.Request) -> web.StreamResponse:
    body: MoveBody = await _body(request, MoveBody)
    return web.json_response(
        booking_json(await _by_code(request, lambda desk, code: desk.move(code, body.start, body.place)))
    )


async def _limits(app: web.Application) -> AsyncIterator[None]:
    settings, limits = app[keys.SETTINGS], app[keys.RATE_LIMITS]
    change, lookup = settings.booking_requests_per_minute, settings.booking_lookups_per_minute
    app[LIMITS] = {
        "change": limits.keyed("booking_change", Rate(change, burst=max(3, int(change)))),
        "lookup": limits.keyed("booking_lookup", Rate(lookup, burst=max(5, int(lookup)))),
    }
    yield


def setup(app: web.Application) -> None:
    settings = app[keys.SETTINGS]
    app.cleanup_ctx.append(_limits)
    app[WRONG_CODES] = WrongCodes(per_minute=settings.booking_wrong_codes_per_minute)
    app[BOOTH_WRONG_CODES] = WrongCodes(per_minute=settings.booking_wrong_codes_per_minute)
    app[NEW_BOOKINGS] = NewBookings(
        per_address_per_day=settings.booking_creates_per_address_per_day,
        per_hour=settings.booking_creates_per_hour,
        per_person_per_day=settings.booking_creates_per_person_per_day,
    )
    app.router.add_get("/api/slots", get_slots)
    app.router.add_post("/api/bookings", post_booking)
    app.router.add_get("/api/bookings/{code}", get_booking)
    app.router.add_delete("/api/bookings/{code}", delete_booking)
    app.router.add_post("/api/bookings/{code}/move", move_booking)
    app.router.add_get("/api/bookings/{code}/calendar.ics", get_calendar)
    app.router.add_get("/api/bookings/{code}/qr.svg", get_qr)
