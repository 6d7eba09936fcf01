"""The kiosk page of a booth, and the static files every page uses.

Why the page carries no secret: the device token travels in the URL fragment (``#token=...``), which browsers
never send to the server or write into access logs; the page's script keeps it in localStorage and hands it
to the ``/booth`` socket, which is where authentication happens. The server checks only that the booth exists,
so a mistyped address gets a readable page instead of a kiosk that can never connect.
"""

from __future__ import annotations

import re
from typing import Final

from aiohttp import web

from madoguchi import keys, ui
from madoguchi.domain.routes import ROUTE_IDS

BOOTH_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_\-]{1,64}")


def setup(app: web.Application) -> None:
    ui.setup_static(app)
    app.router.add_get("/booth/{booth_id}", kiosk_page, name="kiosk")


async def kiosk_page(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    booth_id = request.match_info["booth_id"]
    booth = await request.app[keys.BOOTHS].get(booth_id) if BOOTH_ID_PATTERN.fullmatch(booth_id) else None
    if booth is None or booth.revoked:
        # a revoked booth's kiosk must not look ready (it could never connect): say it is no longer in use (410)
        return await ui.render(
            request,
            "message.html",
            language=language,
            status=404 if booth is None else 410,
            context={
                "heading_key": "booth.error.heading",
                "message_key": "booth.error.unknown_booth" if booth is None else "booth.error.revoked_booth",
            },
        )
    return await ui.render(
        request,
        "booth.html",
        language=language,
        context={
            "booth_id": booth.id,
            "routes": ROUTE_IDS,
            "thanks_seconds": request.app[keys.SETTINGS].thanks_screen_s,
            "still_waiting_seconds": request.app[keys.SETTINGS].booth_still_waiting_s,
            "still_waiting_answer_seconds": request.app[keys.SETTINGS].booth_still_waiting_answer_s,
            "connect_timeout_ms": round(request.app[keys.SETTINGS].page_connect_timeout_s * 1000),
        },
        texts=ui.municipality_texts(request.app, booth.municipality_id),
    )
