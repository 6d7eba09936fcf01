"""The supervisor's page, ``/supervisor``: the frame only; the live view arrives over the ``/supervisor`` socket.

Why here, with the console: it is a staff page behind the same session; an agent who opens it gets a page that
says in plain words that it is for supervisors, not a bare 403.
"""

from __future__ import annotations

from aiohttp import web

from madoguchi import ui
from madoguchi.agent_console import auth
from madoguchi.domain.languages import DEFAULT_LANGUAGE
from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.signaling.staff_sessions import SUPERVISING_ROLES


def setup(app: web.Application) -> None:
    app.router.add_get("/supervisor", supervisor_page, name="supervisor")


async def supervisor_page(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    found = await auth.current_session(request)
    if found is None:
        raise web.HTTPFound("/login" if language == DEFAULT_LANGUAGE else f"/login?lang={language}")
    staff, csrf_token = found
    if staff.role not in SUPERVISING_ROLES:
        return await ui.render(
            request,
            "message.html",
            language=language,
            status=403,
            context={"heading_key": "sv.forbidden.heading", "message_key": "sv.forbidden.message"},
        )
    return await ui.render(
        request,
        "supervisor.html",
        language=language,
        context={
            "staff_name": staff.display_name,
            "csrf_token": csrf_token,
            "municipality_ids": list(staff.municipality_ids),
            "routes": list(ROUTE_IDS),
        },
        texts=ui.municipality_texts(request.app, next(iter(staff.municipality_ids), None)),
    )
