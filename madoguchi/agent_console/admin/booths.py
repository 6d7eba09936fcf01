"""Booth and place changes from the admin page: the same storage calls and audit actions as ``madoguchi booth``.

A new or rotated token is answered once, with the kiosk URL as a link and a QR code (an SVG data URI made
here with segno, so the kiosk's tablet can open it with its camera and no address is typed by hand).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

import segno
from aiohttp import web
from pydantic import BaseModel, ConfigDict, StringConstraints
from yarl import URL

from madoguchi import keys
from madoguchi.agent_console.admin import guard
from madoguchi.domain.place_names import MAX_NAME
from madoguchi.storage.accounts import StaffRecord
from madoguchi.storage.booths import BoothRecord, audit_detail, kiosk_url
from madoguchi.storage.errors import DuplicateBoothName, DuplicateId, StorageError
from madoguchi.storage.models import PLACE_KINDS
from madoguchi.storage.municipalities import Municipalities, PlaceRecord

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PlaceId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


BoothNames = dict[str, str]
"""A booth's display name per other page language ("" or absent: none, the Japanese ``name`` stands in); checked by
storage (``clean_booth_names``), which names the language's field in a refusal (``names.en``)."""


class NewBooth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Text
    names: BoothNames = {}
    municipality_id: PlaceId
    place_id: PlaceId | None = None
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class Rename(BaseModel):
    """The Japanese name (required) and, when given, the names in the other languages (replaced all at once; left
    out: kept, as before session 16)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Text
    names: BoothNames | None = None


class Move(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    place_id: PlaceId | None


LocalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NAME)]


class NewPlace(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    place_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    municipality_id: PlaceId
    name: Text
    kind: str
    names: dict[str, LocalName] = {}
    reading: LocalName = ""


class PlaceNames(BaseModel):
    """A place's names: the Japanese one (as on the sign), the other page languages' ("" or absent: none, the
    Japanese one with its reading stands in) and its reading in romaji."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: Text
    names: dict[str, LocalName] = {}
    reading: LocalName = ""


def place_json(place: PlaceRecord) -> dict[str, Any]:
    return {
        "id": place.id,
        "municipality_id": place.municipality_id,
        "name": place.name,
        "kind": place.kind,
        "names": place.names,
        "reading": place.reading,
    }


def booth_json(booth: BoothRecord) -> dict[str, Any]:
    return {
        "id": booth.id,
        "name": booth.name,
        "names": booth.names,
        "municipality_id": booth.municipality_id,
        "place_id": booth.place_id,
        "place_name": booth.place_name,
        "location": booth.location,
        "revoked": booth.revoked,
    }


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"})


def link_origin(request: web.Request) -> str:
    """Where a link for another device starts: ``MADOGUCHI_PUBLIC_URL`` when set. Else the Host header's name
    (already checked against ``MADOGUCHI_ALLOWED_HOSTS`` by ``host_guard``) with the port this connection really
    arrived on: session 16 sent ``Host: 127.0.0.1:6666`` and got a kiosk link (and its QR, with the booth's token)
    to port 6666. Only a proxy in ``MADOGUCHI_TRUSTED_PROXIES`` may name the public port in Host."""
    settings = request.app[keys.SETTINGS]
    if settings.public_url:
        return settings.public_url
    origin = request.url.origin()
    if request.remote in settings.trusted_proxies:
        return str(origin)
    sockname = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if isinstance(sockname, tuple) and len(sockname) >= 2 and isinstance(sockname[1], int):
        return str(origin.with_port(sockname[1]))
    return str(origin)


def kiosk_link(request: web.Request, booth: BoothRecord, token: str) -> dict[str, Any]:
    """The kiosk's link and QR code, at ``MADOGUCHI_PUBLIC_URL`` when it is set, else at the address the admin's
    browser used (the request's Host). ``local`` says the link names this computer itself (localhost,
    127.0.0.1): a tablet that scans it opens itself, so the page warns in words."""
    url = f"{link_origin(request)}{kiosk_url(booth.id, token)}"
    host = (URL(url).host or "").strip("[]").lower()
    local = host in LOOPBACK_HOSTS or host.endswith(".localhost") or host.startswith("127.")
    qr = segno.make(url, error="m").svg_data_uri(scale=5, border=4)
    return {"booth": booth_json(booth), "url": url, "qr": qr, "local": local}


async def _own_booth(request: web.Request, staff: StaffRecord) -> BoothRecord:
    booth = await request.app[keys.BOOTHS].get(request.match_info["booth_id"])
    if booth is None:
        raise guard.refuse(404, "not_found", "there is no booth with that id in your municipalities")
    guard.require_scope(staff, booth.municipality_id, "booth")
    return booth


T = TypeVar("T")


async def _stored(change: Awaitable[T]) -> T:
    """A change storage refuses is a 4xx with storage's sentence: a name another booth of the town has is a 409 beside
    the name field; a place id already used (by any town) a 409 beside the id; a name too long or a place of another
    town a 400."""
    try:
        return await change
    except DuplicateBoothName as error:  # the page says so beside the name field
        raise guard.refuse(409, "duplicate_name", str(error), field="name") from None
    except DuplicateId:
        # place ids are unique across the deployment: the answer neither repeats the id nor says whose it is
        # (session 13: another town's admin learnt which ids a town had)
        raise guard.refuse(
            409, "duplicate_id", "this place id cannot be used; please choose another", field="place_id"
        ) from None
    except StorageError as error:
        raise guard.refused_by_storage(error) from None


async def _audit_booth(request: web.Request, staff: StaffRecord, action: str, booth: BoothRecord) -> None:
    """The same audit entry ``madoguchi booth`` writes for the same change (:func:`audit_detail`)."""
    await guard.audit(request, staff, action, audit_detail(action, booth))


async def add_booth(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    new = await guard.body(request, NewBooth)
    guard.require_scope(staff, new.municipality_id, "municipality")
    booth, token = await _stored(
        request.app[keys.BOOTHS].add(
            new.name,
            municipality_id=new.municipality_id,
            location=new.location,
            place_id=new.place_id,
            names=new.names,
        )
    )
    await _audit_booth(request, staff, "booth.add", booth)
    return web.json_response(kiosk_link(request, booth, token), status=201)


async def rename_booth(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    change = await guard.body(request, Rename)
    booth = await _own_booth(request, staff)
    booth = await _stored(request.app[keys.BOOTHS].rename(booth.id, change.name, change.names))
    await _audit_booth(request, staff, "booth.rename", booth)
    return web.json_response({"booth": booth_json(booth)})


async def move_booth(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    change = await guard.body(request, Move)
    booth = await _own_booth(request, staff)
    booth = await _stored(request.app[keys.BOOTHS].move(booth.id, change.place_id))
    await _audit_booth(request, staff, "booth.move", booth)
    return web.json_response({"booth": booth_json(booth)})


async def revoke_booth(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    booth = await _own_booth(request, staff)
    booth = await request.app[keys.BOOTHS].revoke(booth.id)
    await _audit_booth(request, staff, "booth.revoke", booth)
    return web.json_response({"booth": booth_json(booth)})


async def rotate_booth(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    booth = await _own_booth(request, staff)
    booth, token = await _stored(request.app[keys.BOOTHS].rotate_token(booth.id))
    await _audit_booth(request, staff, "booth.rotate_token", booth)
    return web.json_response(kiosk_link(request, booth, token))


async def add_place(request: web.Request) -> web.StreamResponse:
    staff = await guard.admin(request, changing=True)
    new = await guard.body(request, NewPlace)
    guard.require_scope(staff, new.municipality_id, "municipality")
    if new.kind not in PLACE_KINDS:
        raise guard.refuse(400, "invalid_value", f"kind must be one of {', '.join(PLACE_KINDS)}", field="kind")
    place = await _stored(
        Municipalities(request.app[keys.DATABASE]).add_place(
            new.place_id,
            municipality_id=new.municipality_id,
            name=new.name,
            kind=new.kind,
            names=new.names,
            reading=new.reading,
        )
    )
    await guard.audit(
        request,
        staff,
        "place.add",
        {"place_id": place.id, "municipality_id": place.municipality_id, "name": place.name, **_names(place)},
    )
    return web.json_response({"place": place_json(place)}, status=201)


def _names(place: PlaceRecord) -> dict[str, Any]:
    """What the audit log keeps of a place's names (who renamed what to what, in every language)."""
    return {"names": place.names, "reading": place.reading}


async def rename_place(request: web.Request) -> web.StreamResponse:
    """Set a place's names in every language at once (the form shows them all), audited with before and after."""
    staff = await guard.admin(request, changing=True)
    change = await guard.body(request, PlaceNames)
    municipalities = Municipalities(request.app[keys.DATABASE])
    before = await municipalities.get_place(request.match_info["place_id"])
    if before is None:
        raise guard.refuse(404, "not_found", "there is no place with that id in your municipalities")
    guard.require_scope(staff, before.municipality_id, "place")
    place = await _stored(
        municipalities.set_place_names(before.id, name=change.name, names=change.names, reading=change.reading)
    )
    await guard.audit(
        request,
        staff,
        "place.rename",
        {
            "place_id": place.id,
            "before": {"name": before.name, **_names(before)},
            "after": {"name": place.name, **_names(place)},
        },
    )
    return web.json_response({"place": place_json(place)})


def setup(app: web.Application) -> None:
    app.router.add_post("/api/admin/booths", add_booth)
    app.router.add_post("/api/admin/booths/{booth_id}/rename", rename_booth)
    app.router.add_post("/api/admin/booths/{booth_id}/move", move_booth)
    app.router.add_post("/api/admin/booths/{booth_id}/revoke", revoke_booth)
    app.router.add_post("/api/admin/booths/{booth_id}/rotate", rotate_booth)
    app.router.add_post("/api/admin/places", add_place)
    app.router.add_post("/api/admin/places/{place_id}/names", rename_place)
