"""``GET /api/callbacks`` and ``POST /api/callbacks/{id}/done``: the call-back requests as the console's own work.

Why HTTP and not the agent socket: a call-back is not on the counter (nobody is waiting on a line), it is a list
staff of the municipality work through, at their pace; the console polls it and marks one done. An agent sees
and marks done only the requests of the routes they serve (a phone number is shown to whoever will call it, no
one else); supervisors and admins see all of their municipalities'. Marking done needs the session's CSRF token
(``X-CSRF-Token``) and deletes the number in the same statement; another route's request is refused with a 403
(``callback.done_refused`` in the audit log), an unknown or finished one with a 404. Showing the numbers and
marking one done are written to the audit log (``callback.list``, ``callback.done`` with every request id it
marked: a number left twice for one route is called once), as looking at a record is. Requests are merged by
town, route and number in the store, so the route filter here never hides another route's request behind one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

from aiohttp import web

from madoguchi import keys
from madoguchi.agent_console import auth
from madoguchi.http_json import json_error
from madoguchi.storage.accounts import StaffRecord
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.callbacks import CallbackRecord

CSRF_HEADER: Final = "X-CSRF-Token"
CALLBACK_ID: Final = re.compile(r"cb_[0-9a-f]{16}")
ALL_ROUTES_ROLES: Final = frozenset({"supervisor", "admin"})
"""Roles that work every route's call-backs of their municipalities; an agent works those of their own routes."""


def may_work(staff: StaffRecord, record: CallbackRecord) -> bool:
    """Whether ``staff`` may see the request's number and mark it done."""
    return record.municipality_id in staff.municipality_ids and (
        staff.role in ALL_ROUTES_ROLES or staff.serves_route(record.route)
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/api/callbacks", list_callbacks)
    app.router.add_post("/api/callbacks/{callback_id}/done", callback_done)


def _view(record: CallbackRecord, booth_names: dict[str, str]) -> dict[str, object]:
    return {
        "id": record.id,
        "consultation_id": record.consultation_id,
        "municipality_id": record.municipality_id,
        "route": record.route,
        "language": record.language,
        "channel": record.channel,
        "booth_name": booth_names.get(record.booth_id or ""),
        "phone": record.phone,
        "requested_at": record.requested_at.timestamp(),
    }


async def list_callbacks(request: web.Request) -> web.Response:
    found = await auth.current_session(request)
    if found is None:
        return json_error(401, "unauthorized", "log in as staff to see call-back requests")
    staff, _csrf = found
    pending = [r for r in await request.app[keys.CALLBACKS].pending(staff.municipality_ids) if may_work(staff, r)]
    names: dict[str, str] = {}
    for record in pending:
        if record.booth_id and record.booth_id not in names:
            booth = await request.app[keys.BOOTHS].get(record.booth_id)
            if booth is not None:
                names[record.booth_id] = booth.name
    if pending:
        await AuditLog(request.app[keys.DATABASE]).write(
            f"staff:{staff.id}", "callback.list", {"callbacks": [r.id for r in pending]}, auth.now_utc()
        )
    return web.json_response({"callbacks": [_view(r, names) for r in pending]})


async def callback_done(request: web.Request) -> web.Response:
    found = await auth.current_session(request)
    if found is None:
        return json_error(401, "unauthorized", "log in as staff to mark a call-back done")
    staff, csrf_token = found
    if not auth.same_origin(request) or not auth.csrf_matches(csrf_token, request.headers.get(CSRF_HEADER)):
        return json_error(403, "csrf", "the page is out of date: reload it and try again")
    callback_id = request.match_info["callback_id"]
    if not CALLBACK_ID.fullmatch(callback_id):
        return json_error(404, "not_found", "no such call-back request")
    now = datetime.now(UTC)
    asked = await request.app[keys.CALLBACKS].get(callback_id)
    if asked is None or asked.done_at is not None or asked.municipality_id not in staff.municipality_ids:
        return json_error(404, "not_found", "no pending call-back request of your municipality with that id")
    if not may_work(staff, asked):
        await AuditLog(request.app[keys.DATABASE]).write(
            f"staff:{staff.id}", "callback.done_refused", {"callback": callback_id, "route": asked.route}, now
        )
        return json_error(403, "forbidden", "this call-back request is for the staff of another topic")
    done = await request.app[keys.CALLBACKS].done(
        callback_id, municipality_ids=staff.municipality_ids, by=f"staff:{staff.id}", now=now
    )
    if done is None:
        return json_error(404, "not_found", "no pending call-back request of your municipality with that id")
    await AuditLog(request.app[keys.DATABASE]).write(
        f"staff:{staff.id}",
        "callback.done",
        {"callback": callback_id, "consultation": done.record.consultation_id, "callbacks": list(done.ids)},
        now,
    )
    return web.json_response({"ok": True, "id": callback_id})
