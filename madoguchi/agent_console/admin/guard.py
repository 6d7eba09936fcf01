"""Who may use the admin API and how a request proves it came from the admin page.

The session cookie says who it is; role ``admin`` is required; a change also needs the session's CSRF token in
the ``X-CSRF-Token`` header and no foreign ``Origin`` (the console's logout form uses the same two checks).
Refusals are JSON errors with a plain English message; the page turns their codes into a sentence.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from madoguchi import keys
from madoguchi.agent_console import auth
from madoguchi.http_json import read_json
from madoguchi.storage.accounts import StaffRecord
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.errors import PersonalNumberRefused, StorageError, WeakPassword

CSRF_HEADER: Final = "X-CSRF-Token"
ADMIN_ROLE: Final = "admin"
Body = TypeVar("Body", bound=BaseModel)


def refuse(
    status: int, code: str, message: str, *, field: str | None = None, details: Mapping[str, object] | None = None
) -> web.HTTPException:
    """An HTTP error with the project's JSON error body, to ``raise``; ``field``: the input it is about (the page
    puts its plain sentence beside that input, not the English detail at the top); ``details``: what the page
    needs to say more (the bookings a change of hours would close), beside ``error`` in the body."""
    kinds: Mapping[int, type[web.HTTPException]] = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        403: web.HTTPForbidden,
        404: web.HTTPNotFound,
        409: web.HTTPConflict,
    }
    error: dict[str, str] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    body = {"error": error, **(details or {})}
    return kinds[status](text=json.dumps(body, ensure_ascii=False), content_type="application/json")


def refused_by_storage(error: StorageError) -> web.HTTPException:
    """A 400 for input storage refused, naming the input when storage did (``StorageError.field``): the page says
    the field's own sentence beside it (「ユーザー名は 半角の 英字・数字…」), not a guess for the whole form. A
    personal number is its own code: the field's usual rule would not say what is wrong with twelve digits."""
    code = (
        "personal_number"
        if isinstance(error, PersonalNumberRefused)
        else "weak_password"
        if isinstance(error, WeakPassword)
        else "invalid_value"
    )
    return refuse(400, code, str(error), field=error.field)


async def admin(request: web.Request, *, changing: bool) -> StaffRecord:
    """The signed-in admin; for a change, also the same-site and CSRF checks."""
    found = await auth.current_session(request)
    if found is None:
        raise refuse(401, "unauthorized", "log in first")
    staff, csrf_token = found
    if staff.role != ADMIN_ROLE:
        raise refuse(403, "forbidden", "only an admin may do this")
    if changing and (
        not auth.same_origin(request) or not auth.csrf_matches(csrf_token, request.headers.get(CSRF_HEADER))
    ):
        raise refuse(403, "csrf", "the page is out of date: reload it and try again")
    return staff


async def body(request: web.Request, model: type[Body]) -> Body:
    raw = await read_json(request)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        where = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in errors[:3])
        field = str(errors[0]["loc"][0]) if errors and errors[0]["loc"] else None
        raise refuse(400, _payload_code(errors[0]) if errors else "invalid_payload", where, field=field) from None


def _payload_code(error: Any) -> str:
    """``required`` for a text left empty (the page says 「この欄を 入れてください。」 beside it, not the field's
    rule for what it may hold); ``invalid_payload`` for anything else."""
    empty = error["type"] == "missing" or (error["type"] == "string_too_short" and not str(error["input"]).strip())
    return "required" if empty else "invalid_payload"


async def audit(request: web.Request, staff: StaffRecord, action: str, detail: Mapping[str, Any]) -> None:
    await AuditLog(request.app[keys.DATABASE]).write(f"staff:{staff.id}", action, detail, auth.now_utc())


def in_scope(staff: StaffRecord, municipality_id: str) -> bool:
    return municipality_id in staff.municipality_ids


def require_scope(staff: StaffRecord, municipality_id: str, what: str) -> None:
    """A thing of another municipality is answered as if it did not exist (no hint that it does)."""
    if not in_scope(staff, municipality_id):
        raise refuse(404, "not_found", f"there is no {what} with that id in your municipalities")
