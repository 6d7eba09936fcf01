"""The booking page for phones: ``GET /book`` and ``GET /book/{municipality_id}``, optionally ``?route=R`` (the
topic chosen already, as the bot's booking button links it) and ``?lang=L``.

Why the server embeds the choices: the page must show the town's own topics, places and the days each place
is open before any request, on a slow island connection. Free times and the booking itself go through the
JSON API (``booking_desk.api``); the resident's code never reaches the server in a page address (it travels in
the fragment, ``/book#code=…``, and in API calls only).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from madoguchi import ui
from madoguchi.booking_desk.api import DESK
from madoguchi.booking_desk.service import BookingDesk, DeskError
from madoguchi.bookings.plan import HOME
from madoguchi.bookings.slots import desk_open_on, local
from madoguchi.chatbot.knowledge import Municipality
from madoguchi.domain.opening_hours import OpeningHours


def setup(app: web.Application) -> None:
    ui.setup_static(app)
    app.router.add_get("/book", book_page, name="book")
    app.router.add_get("/book/{municipality_id}", book_page, name="book_municipality")


def options(desk: BookingDesk, town: Municipality, hours: OpeningHours | None = None) -> dict[str, Any]:
    """Topics, ways, places (with the days they are open, in the booking horizon; national holidays are closed
    unless the town's ``hours`` open them, and its closed days are closed) and ferry lines."""
    plan = desk.plan(town)
    today = local(desk.now()).date()
    days = [today + timedelta(days=n) for n in range(plan.horizon_days + 1)]
    places: list[dict[str, Any]] = []
    for booking_desk in plan.desks:
        open_days = [
            d.isoformat() for d in days if desk_open_on(booking_desk, d) and not plan.is_closed(d, hours=hours)
        ]
        for place in booking_desk.place_ids:
            found = next((p for p in town.places if p.id == place), None)
            places.append(
                {
                    "id": place,
                    "mode": booking_desk.mode,
                    "names": {
                        lang: (found.name.in_language(lang) if found else ui.translate(lang, "book.mode.video"))
                        for lang in ui.SUPPORTED_LANGUAGES
                    },
                    "routes": list(booking_desk.routes),
                    "days": open_days,
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
            {"id": f.id, "homes": {lang: f.home.get(lang) or f.home.get("ja", f.id) for lang in ui.SUPPORTED_LANGUAGES}}
            for f in plan.ferries
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
    offered = options(desk, town, await desk.hours(town.id))
    # ?route=R: the topic a link chose (the bot's booking button); an unknown one is left for the page to say
    wanted = request.query.get("route", "")
    chosen = wanted if any(route["id"] == wanted for route in offered["routes"]) else ""
    return await ui.render(
        request,
        "book.html",
        language=language,
        context={
            "options": offered,
            "chosen_route": chosen,
            "town_names": {code: town.name.in_language(code) for code in ui.SUPPORTED_LANGUAGES},
        },
    )
