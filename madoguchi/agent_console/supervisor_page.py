"""The supervisor's page, ``/supervisor``: the frame only; the live view arrives over the ``/supervisor`` socket.

Why here, with the console: it is a staff page behind the same session; an agent who opens it gets a page that
says in plain words that it is for supervisors, not a bare 403.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from madoguchi import keys, ui
from madoguchi.agent_console import auth
from madoguchi.domain.languages import DEFAULT_LANGUAGE
from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.domain.staff_pages import pages_for
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
            "staff_pages": pages_for(staff.role),
            "csrf_token": csrf_token,
            "municipality_ids": list(staff.municipality_ids),
            "town_names": _town_names(request.app, staff.municipality_ids, language),
            "routes": list(ROUTE_IDS),
        },
        texts=ui.municipality_texts(request.app, next(iter(staff.municipality_ids), None)),
    )


def _town_names(app: web.Application, municipality_ids: Iterable[str], language: str) -> dict[str, str]:
    """The town filter shows 汐見町, not the code ``shiomi`` (a town without a knowledge base: its code)."""
    names: dict[str, str] = {}
    for m in municipality_ids:
        triage = app[keys.TRIAGES].get(m)
        names[m] = m if triage is None else triage.engine.kb.municipality.name.in_language(language)
    return names
