"""Staff changes from the admin page: the same storage calls and audit actions as ``madoguchi user``.

Joint operation (共同運用): an admin sees a staff member who shares one of their municipalities, and may change
one only when every municipality of that person is also theirs, so town A's admin cannot lock out or re-role
someone town B relies on.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from madoguchi import keys
from madoguchi.agent_console.admin import guard
from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.storage.accounts import (
    ALL_ROUTES,
    MIN_PASSWORD_LENGTH,
    WILDCARD_ALONE,
    StaffRecord,
    clean_latin_name,
)
from madoguchi.storage.errors import DuplicateUsername, InvalidValue, StorageError

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,8}(-[a-z0-9]{2,8})*$")]
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=1024)]
Routes = Annotated[tuple[str, ...], Field(min_length=1)]
Languages = Annotated[tuple[Language, ...], Field(min_length=1)]
"""At least one of each: a person with no route or no language could never be offered a case (the page's
checkboxes send what is ticked; the refusal names the field, and the page says it beside the boxes)."""


class NewStaff(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    username: Short
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    latin_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    role: str
    municipality_id: Short
    routes: Routes
    languages: Languages
    password: Password | None = None


class StaffChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    role: str | None = None
    routes: Routes | None = None
    languages: Languages | None = None
    latin_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class Disable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    disabled: bool


class NewPassword(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    password: Password | None = None


def visible(admin: StaffRecord, target: StaffRecord) -> bool:
    return bool(set(admin.municipality_ids) & set(target.municipality_ids))


def changeable(admin: StaffRecord, target: StaffRecord) -> bool:
    return set(target.municipality_ids) <= set(admin.municipality_ids)


def staff_json(admin: StaffRecord, target: StaffRecord, disabled: bool) -> dict[str, Any]:
    return {
        "username": target.username,
        "display_name": target.display_name,
        "latin_name": target.latin_name,
        "role": target.role,
        "municipality_ids": list(target.municipality_ids),
        "routes": list(target.routes),
        "languages": list(target.languages),
        "disabled": disabled,
        "changeable": changeable(admin, target) and target.id != admin.id,
    }


def check_routes(routes: tuple[str, ...]) -> None:
    unknown = [r for r in routes if r != ALL_ROUTES and r not in ROUTE_IDS]
    if unknown or not routes:
        detail = f"unknown route id(s): {', '.join(unknown) or '(none given)'}"
        raise guard.refuse(400, "invalid_value", detail, field="routes")
    if ALL_ROUTES in routes and len(set(routes)) > 1:
        raise guard.refuse(400, "invalid_value", WILDCARD_ALONE, field="routes")


def one_time_password() -> str:
    """Twelve characters without look-alikes (no 0/O, 1/l/I), easy to read out over the phone."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def check_latin_name(name: str | None) -> None:
    """Refused beside its field: the name residents read must be in Latin letters."""
    try:
        clean_latin_name(name or "")
    except InvalidValue as error:
        raise guard.refuse(400, "invalid_value", str(error), field="latin_name") from None


async def _target(request: web.Request, admin: StaffRecord) -> StaffRecord:
    target = await request.app[keys.ACCOUNTS].by_username(request.match_info["username"])
    if target is None or not visible(admin, target):
        raise guard.refuse(404, "not_found", "there is no staff member with that username in your municipalities")
    if not changeable(admin, target):
        raise guard.refuse(403, "other_municipality", "this person also works for another municipality")
    if target.id == admin.id:
        raise guard.refuse(400, "self", "you cannot change your own account here")
    return target


async def add_staff(request: web.Request) -> web.StreamResponse:
    admin = await guard.admin(request, changing=True)
    new = await guard.body(request, NewStaff)
    guard.require_scope(admin, new.municipality_id, "municipality")
    check_routes(new.routes)
    check_latin_name(new.latin_name)
    password = new.password or one_time_password()
    try:
        user = await request.app[keys.ACCOUNTS].add_user(
            new.username,
            password,
            role=new.role,
            municipality_ids=[new.municipality_id],
            routes=list(new.routes),
            languages=list(new.languages),
            display_name=new.display_name,
            latin_name=new.latin_name,
        )
    except DuplicateUsername:
        # usernames are unique across the deployment: the answer neither repeats the name nor says whose it is
        # (session 13: another town's admin learnt a town's login names from "a user named 'agent1' already exists")
        raise guard.refuse(409, "duplicate", "this username cannot be used; please choose another") from None
    except StorageError as error:
        raise guard.refused_by_storage(error) from None
    await guard.audit(request, admin, "user.add", user.audit_added())
    shown = None if new.password else password
    return web.json_response({"staff": staff_json(admin, user, False), "password": shown}, status=201)


async def change_staff(request: web.Request) -> web.StreamResponse:
    admin = await guard.admin(request, changing=True)
    change = await guard.body(request, StaffChange)
    target = await _target(request, admin)
    if change.routes is not None:
        check_routes(change.routes)
    check_latin_name(change.latin_name)
    try:
        user = await request.app[keys.ACCOUNTS].update(
            target.username,
            role=change.role,
            routes=None if change.routes is None else list(change.routes),
            languages=None if change.languages is None else list(change.languages),
            latin_name=change.latin_name,
        )
    except StorageError as error:
        raise guard.refused_by_storage(error) from None
    await guard.audit(request, admin, "user.update", user.audit_updated())
    return web.json_response({"staff": staff_json(admin, user, False)})


async def disable_staff(request: web.Request) -> web.StreamResponse:
    admin = await guard.admin(request, changing=True)
    change = await guard.body(request, Disable)
    target = await _target(request, admin)
    await request.app[keys.ACCOUNTS].set_disabled(target.username, change.disabled)
    action = "user.disable" if change.disabled else "user.enable"
    await guard.audit(request, admin, action, {"username": target.username})
    return web.json_response({"staff": staff_json(admin, target, change.disabled)})


async def reset_password(request: web.Request) -> web.StreamResponse:
    admin = await guard.admin(request, changing=True)
    change = await guard.body(request, NewPassword)
    target = await _target(request, admin)
    password = change.password or one_time_password()
    try:
        await request.app[keys.ACCOUNTS].set_password(target.username, password)
    except StorageError as error:
        raise guard.refused_by_storage(error) from None
    await guard.audit(request, admin, "user.password", {"username": target.username})
    return web.json_response({"password": None if change.password else password})


def setup(app: web.Application) -> None:
    app.router.add_post("/api/admin/staff", add_staff)
    app.router.add_post("/api/admin/staff/{username}/update", change_staff)
    app.router.add_post("/api/admin/staff/{username}/disable", disable_staff)
    app.router.add_post("/api/admin/staff/{username}/password", reset_password)
