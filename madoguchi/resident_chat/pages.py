"""The resident chat page for phones: ``GET /chat`` and ``GET /chat/{municipality_id}``.

Why the page carries nothing about the resident: residents are anonymous, and everything they say, the bot's
answers and the queue arrive over the ``/resident`` socket (``static/js/resident.js``). The server only checks
that the municipality has a knowledge base, so a mistyped address gets a readable page instead of a chat that
can never connect, and names the town in the header so the resident knows whose counter they reached.
"""

from __future__ import annotations

import re
from typing import Final

from aiohttp import web

from madoguchi import keys, ui
from madoguchi.resident_chat.browser_id import BROWSER_IDS, BrowserIds

MUNICIPALITY_ID_PATTERN: Final = re.compile(r"[a-z0-9_\-]{1,64}")
MAX_MESSAGE_CHARS: Final = 1000  # the limit of ``ResidentSay.text`` in madoguchi.signaling.events


def setup(app: web.Application) -> None:
    ui.setup_static(app)
    if BROWSER_IDS not in app:
        app[BROWSER_IDS] = BrowserIds(app[keys.SETTINGS].secret_key)
    app.router.add_get("/chat", default_chat_page, name="resident_chat")
    app.router.add_get("/chat/{municipality_id}", chat_page, name="resident_chat_municipality")


async def default_chat_page(request: web.Request) -> web.StreamResponse:
    """The first municipality of the deployment (the only one in a town's own installation)."""
    triages = request.app[keys.TRIAGES]
    return await _render_chat(request, next(iter(triages), None))


async def chat_page(request: web.Request) -> web.StreamResponse:
    wanted = request.match_info["municipality_id"]
    return await _render_chat(request, wanted if MUNICIPALITY_ID_PATTERN.fullmatch(wanted) else None)


async def _render_chat(request: web.Request, municipality_id: str | None) -> web.StreamResponse:
    language = ui.pick_language(request)
    triage = request.app[keys.TRIAGES].get(municipality_id) if municipality_id else None
    if municipality_id is None or triage is None:
        return await ui.render(
            request,
            "message.html",
            language=language,
            status=404,
            context={"heading_key": "resident.error.heading", "message_key": "resident.error.unknown_town"},
        )
    name = triage.engine.kb.municipality.name
    response = await ui.render(
        request,
        "chat.html",
        language=language,
        texts=ui.municipality_texts(request.app, municipality_id),  # the town's phone and hours on the no-answer panel
        context={
            "municipality_id": municipality_id,
            "town_names": {code: name.in_language(code) for code in ui.SUPPORTED_LANGUAGES},
            "max_chars": MAX_MESSAGE_CHARS,
        },
    )
    # what the anonymous chat limits count this browser by (browser_id.py)
    await request.app[BROWSER_IDS].give(request, response, secure=request.app[keys.SETTINGS].cookie_secure)
    return response
