"""Booth and place changes from the admin page: the same storage calls and audit actions as ``madoguchi booth``.

A new or rotated token is answered once, with the kiosk URL as a link and a QR code (an SVG data URI made
here with segno, so the kiosk's tablet can open it with its camera and no address is typed by hand).
"""

from __future__ import annotations

from typing import Annotated, Any

import segno
from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints

from madoguchi import keys
from madoguchi.agent_console.admin import guard
from madoguchi.storage.accounts import StaffRecord
from madoguchi.storage.booths import BoothRecord, kiosk_url
from madoguchi.storage.errors import StorageError
from madoguchi.storage.models import PLACE_KINDS
from madoguchi.storage.municipalities import Municipalities

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PlaceId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class NewBooth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Text
    municipality_id: PlaceId
    place_id: PlaceId | None = None
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class Rename(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Text


class Move(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    place_id: PlaceId | None


class NewPlace(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    place_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    municipality_id: PlaceId
    name: Text
    kind: str


def booth_json(booth: BoothRecord) -> dict[str, Any]:
    return {
        "id": booth.id,
        "name": booth.name,
        "municipality_id": booth.municipality_id,
        "place_id": booth.place_id,
        "place_name": booth.place_name,
        "location": booth.location,
        "revoked": booth.revoked,
    }


def kiosk_link(request: web.Request, booth: BoothRecord, token: str) -> dict[str, Any]:
    url = f"{request.url.origin()}{kiosk_url(booth.id, token)}"
    qr = segno.make(url, error="m").svg_data_uri(scale=5, border=4)
    return {"booth": booth_json(booth), "url": url, "qr": qr}


async def _own_booth(request: web.Request, staff: StaffRecord) -> BoothRecord:
    booth = await request.app[keys.BOOTHS].get(request.match_info["booth_id"])
    if booth is None:
        raise guard.refuse(404, "not_found", "there is no booth with that id in your municipalities")
    guard.require_scope(staff, booth.municipality_id, "booth")
    return booth


def _storage(error: StorageError) -> web.HTTPException:
    return guard.refuse(400, "invalid_value", str(error))


async def add_booth(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    new = await guard.body(request, NewBooth)
    guard.require_scope(staff, new.municipality_id, "municipality")
    try:
        booth, token = await request.app[keys.BOOTHS].add(
            new.name, municipality_id=new.municipality_id, location=new.location, place_id=new.place_id
        )
    except StorageError as error:
        raise _storage(error) from None
    await guard.audit(
        request, staff, "booth.add", {"booth_id": booth.id, "name": booth.name, "place_id": booth.place_id}
    )
    return web.json_response(kiosk_link(request, booth, token), status=201)


async def rename_booth(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    change = await guard.body(request, Rename)
    booth = await _own_booth(request, staff)
    try:
        booth = await request.app[keys.BOOTHS].rename(booth.id, change.name)
    except StorageError as error:
        raise _storage(error) from None
    await guard.audit(request, staff, "booth.rename", {"booth_id": booth.id, "name": booth.name})
    return web.json_response({"booth": booth_json(booth)})


async def move_booth(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    change = await guard.body(request, Move)
    booth = await _own_booth(request, staff)
    try:
        booth = await request.app[keys.BOOTHS].move(booth.id, change.place_id)
    except StorageError as error:
        raise _storage(error) from None
    await guard.audit(request, staff, "booth.move", {"booth_id": booth.id, "place_id": booth.place_id})
    return web.json_response({"booth": booth_json(booth)})


async def revoke_booth(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    booth = await _own_booth(request, staff)
    booth = await request.app[keys.BOOTHS].revoke(booth.id)
    await guard.audit(request, staff, "booth.revoke", {"booth_id": booth.id})
    return web.json_response({"booth": booth_json(booth)})


async def rotate_booth(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    booth = await _own_booth(request, staff)
    try:
        booth, token = await request.app[keys.BOOTHS].rotate_token(booth.id)
    except StorageError as error:
        raise _storage(error) from None
    await guard.audit(request, staff, "booth.rotate_token", {"booth_id": booth.id})
    return web.json_response(kiosk_link(request, booth, token))


async def add_place(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    new = await guard.body(request, NewPlace)
    guard.require_scope(staff, new.municipality_id, "municipality")
    if new.kind not in PLACE_KINDS:
        raise guard.refuse(400, "invalid_value", f"kind must be one of {', '.join(PLACE_KINDS)}")
    try:
        place = await Municipalities(request.app[keys.DATABASE]).add_place(
            new.place_id, municipality_id=new.municipality_id, name=new.name, kind=new.kind
        )
    except StorageError as error:
        raise _storage(error) from None
    await guard.audit(
        request,
        staff,
        "place.add",
        {"place_id": place.id, "municipality_id": place.municipality_id, "name": place.name},
    )
    return web.json_response({"place": {"id": place.id, "name": place.name, "kind": place.kind}}, status=201)


def setup(app: web.Application) -> None:
    app.router.add_post("/api/admin/booths", add_booth)
    app.router.add_post("/api/admin/booths/{booth_id}/rename", rename_booth)
    app.router.add_post("/api/admin/booths/{booth_id}/move", move_booth)
    app.router.add_post("/api/admin/booths/{booth_id}/revoke", revoke_booth)
    app.router.add_post("/api/admin/booths/{booth_id}/rotate", rotate_booth)
    app.router.add_post("/api/admin/places", add_place)
