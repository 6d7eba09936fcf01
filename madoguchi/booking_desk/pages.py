"""The booking page for phones: ``GET /book`` and ``GET /book/{municipality_id}``, optionally ``?route=R`` (the
topic chosen already, as the bot's booking button links it) and ``?lang=L``.

Why the server embeds the choices: the page must show the town's own topics, places and the days each place
is open before any request, on a slow island connection. Free times and the booking itself go through the
JSON API (``booking_desk.api``); the resident's code never reaches the server in a page address (it travels in
the fragment, ``/book#code=…``, and in API calls only).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from aiohttp import web

from madoguchi import ui
from madoguchi.booking_desk.api import DESK
from madoguchi.booking_desk.service import BookingDesk, DeskError, day_bounds
from madoguchi.bookings.plan import HOME
from madoguchi.bookings.slots import SlotKey, local, open_days
from madoguchi.chatbot.knowledge import Municipality
from madoguchi.domain.opening_hours import DEFAULT_ROUTE, OpeningHours


def setup(app: web.Application) -> None:
    ui.setup_static(app)
    app.router.add_get("/book", book_page, name="book")
    app.router.add_get("/book/{municipality_id}", book_page, name="book_municipality")


async def offered(desk: BookingDesk, town: Municipality) -> dict[str, Any]:
    """:func:`options` with the town's hours and the places taken in the booking horizon (one query)."""
    now = desk.now()
    today = local(now).date()
    start, _ = day_bounds(today)
    _, end = day_bounds(today + timedelta(days=desk.plan(town).horizon_days))
    booked = await desk.bookings.counts(town.id, start, end)
    return options(desk, town, await desk.hours(town.id), booked=booked)


def options(
    desk: BookingDesk,
    town: Municipality,
    hours: OpeningHours | None = None,
    *,
    booked: Mapping[SlotKey, int] | None = None,
) -> dict[str, Any]:
    """Topics, ways, places (with the days they offer a slot, in the booking horizon: national holidays are closed
    unless the town's ``hours`` open them, its closed days and the weekdays its hours close are closed,
    :func:`~madoguchi.bookings.slots.open_days`) and ferry lines. A place's ``days`` follow the town's hours;
    ``route_days`` gives the days of each route that keeps hours of its own (the page takes those for that topic).
    A day is listed only while it has a slot one may still book now (not past, not within the notice) and, given
    ``booked`` (the places taken per slot), one with a free place: today late in the afternoon, or a full day, is
    not offered only to say there is no free time."""
    plan = desk.plan(town)
    now = desk.now()
    today = local(now).date()
    days = [today + timedelta(days=n) for n in range(plan.horizon_days + 1)]
    own_hours = sorted(r for r in (hours.routes if hours is not None else {}) if r != DEFAULT_ROUTE)
    places: list[dict[str, Any]] = []
    for booking_desk in plan.desks:
        for place in booking_desk.place_ids:
            listed = open_days(plan, booking_desk, place, days, hours=hours, now=now, booked=booked)
            route_days = {
                route: [
                    d.isoformat()
                    for d in open_days(
                        plan, booking_desk, place, days, route=route, hours=hours, now=now, booked=booked
                    )
                ]
                for route in own_hours
                if booking_desk.serves(route)
            }
            found = next((p for p in town.places if p.id == place), None)
            places.append(
                {
                    "id": place,
                    "mode": booking_desk.mode,
                    "names": {
                        lang: (found.name_in(lang) if found else ui.translate(lang, "book.mode.video"))
                        for lang in ui.SUPPORTED_LANGUAGES
                    },
                    "routes": list(booking_desk.routes),
                    "days": [d.isoformat() for d in listed],
                    "route_days": route_days,
                    "ferries": [f.id for f in plan.ferries if place in f.places and place != HOME],
                }
            )
    return {
        "municipality": town.id,
        "routes": [
            {"id": route, "names": {lang: town.route_name(route, lang) for lang in ui.SUPPORTED_LANGUAGES}}
            for route in town.routes
        ],
        "places": places,
        "ferries": [
            {"id": f.id, "homes": {lang: f.home_in(lang) for lang in ui.SUPPORTED_LANGUAGES}} for f in plan.ferries
        ],
    }


async def book_page(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    desk = request.app[DESK]
    try:
        town = desk.town(request.match_info.get("municipality_id"))
    except DeskError:
        return await ui.render(
            request,
            "message.html",
            language=language,
            status=404,
            context={"heading_key": "book.title", "message_key": "book.error.unknown_town"},
        )
    offered_now = await offered(desk, town)
    # ?route=R: the topic a link chose (the bot's booking button); an unknown one is left for the page to say
    wanted = request.query.get("route", "")
    chosen = wanted if any(route["id"] == wanted for route in offered_now["routes"]) else ""
    return await ui.render(
        request,
        "book.html",
        language=language,
        context={
            "options": offered_now,
            "chosen_route": chosen,
            "town_names": {code: town.name.in_language(code) for code in ui.SUPPORTED_LANGUAGES},
        },
    )
