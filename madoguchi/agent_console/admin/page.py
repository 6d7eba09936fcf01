"""The ``/admin`` page and the one read it needs (``GET /api/admin/state``), limited to the admin's towns.

The page is a frame; static/js/admin.js fills it from the state and sends each change as JSON with the
session's CSRF token. Agents and supervisors get a plain 403 page, not the console.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from madoguchi import keys, ui
from madoguchi.agent_console import auth
from madoguchi.agent_console.admin import booths, guard, hours, knowledge, staff
from madoguchi.domain.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES, language_name
from madoguchi.domain.place_names import OTHER_LANGUAGES
from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.domain.staff_pages import pages_for
from madoguchi.storage.models import PLACE_KINDS, ROLES
from madoguchi.storage.municipalities import Municipalities


async def admin_page(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    found = await auth.current_session(request)
    if found is None:
        raise web.HTTPFound("/login" if language == DEFAULT_LANGUAGE else f"/login?lang={language}")
    who, csrf_token = found
    if who.role != guard.ADMIN_ROLE:
        return await ui.render(
            request,
            "message.html",
            language=language,
            status=403,
            context={"heading_key": "admin.forbidden.heading", "message_key": "admin.forbidden.message"},
        )
    return await ui.render(
        request,
        "admin.html",
        language=language,
        context={"staff_name": who.display_name, "staff_pages": pages_for(who.role), "csrf_token": csrf_token},
        texts=ui.municipality_texts(request.app, next(iter(who.municipality_ids), None)),
    )


async def state(request: web.Request) -> web.StreamResponse:
    admin = await guard.admin(request, changing=False)
    municipalities = Municipalities(request.app[keys.DATABASE])
    towns = [m for m in await municipalities.list() if guard.in_scope(admin, m.id)]
    places = [p for p in await municipalities.places() if guard.in_scope(admin, p.municipality_id)]
    all_booths = await request.app[keys.BOOTHS].list()
    accounts = await request.app[keys.ACCOUNTS].list()
    return web.json_response(
        {
            "me": admin.username,
            "municipalities": [{"id": m.id, "name_ja": m.name_ja, "name_en": m.name_en} for m in towns],
            "places": [booths.place_json(p) for p in places],
            "booths": [booths.booth_json(b) for b in all_booths if guard.in_scope(admin, b.municipality_id)],
            "staff": [
                staff.staff_json(admin, person, disabled)
                for person, disabled in accounts
                if staff.visible(admin, person)
            ],
            "hours": [await hours.hours_json(request.app, m.id, datetime.now(UTC)) for m in towns],
            "routes": list(ROUTE_IDS),
            "roles": list(ROLES),
            "place_kinds": list(PLACE_KINDS),
            "languages": list(LANGUAGE_CODES),
            "place_languages": [{"code": code, "name": language_name(code)} for code in OTHER_LANGUAGES],
        },
        headers={"Cache-Control": "no-store"},
    )


async def set_aside(request: web.Request) -> web.StreamResponse:
    """The records the database refused for their values (``docs/operations.md``, "Records set aside"), of the
    admin's towns, oldest first: which case and change, when, and the refusal; never the case's free text."""
    admin = await guard.admin(request, changing=False)
    items = await request.app[keys.COUNTER].set_aside_records()
    return web.json_response(
        {
            "records": [
                {
                    "key": item.record.key,
                    "consultation_id": item.record.consultation_id,
                    "municipality": item.record.consultation.municipality_id,
                    "channel": str(item.record.consultation.channel),
                    "trigger": item.record.trigger.value,
                    "at": datetime.fromtimestamp(item.record.at, UTC).isoformat(),
                    "set_aside_at": datetime.fromtimestamp(item.at, UTC).isoformat(),
                    "error": item.error,
                }
                for item in items
                if guard.in_scope(admin, item.record.consultation.municipality_id)
            ]
        },
        headers={"Cache-Control": "no-store"},
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/admin", admin_page, name="admin")
    app.router.add_get("/api/admin/state", state)
    app.router.add_get("/api/admin/records/set-aside", set_aside)
    booths.setup(app)
    staff.setup(app)
    knowledge.setup(app)
    hours.setup(app)
