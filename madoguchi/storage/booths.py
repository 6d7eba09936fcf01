"""Booths (the kiosks in post offices and community centres) and their device tokens.

A booth proves who it is with a long random token shown once, when the booth is added (as part of the kiosk
URL). Only the token's SHA-256 is stored, so a stolen database copy does not let anyone pose as a booth, and a
revoked booth is refused at once.
"""

from __future__ import annotations

import builtins
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, select

from madoguchi.domain.privacy import mask_pii
from madoguchi.storage.accounts import hash_token, new_id
from madoguchi.storage.db import Database
from madoguchi.storage.errors import InvalidValue, UnknownBooth, UnknownMunicipality, UnknownPlace
from madoguchi.storage.models import Booth, Municipality, Place


@dataclass(frozen=True, slots=True)
class BoothRecord:
    id: str
    municipality_id: str
    place_id: str | None
    place_name: str | None
    name: str
    location: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def kiosk_url(booth_id: str, token: str) -> str:
    """The kiosk page's path on the server, already bound to the booth (the token stays in the fragment,
    which browsers never send to the server or put in logs)."""
    return f"/booth/{booth_id}#token={token}"


def _clean_name(name: str) -> str:
    name = mask_pii(name.strip()).text  # admin-typed free text is masked like any other
    if not name:
        raise InvalidValue("booth name must not be empty")
    if len(name) > 200:
        raise InvalidValue("booth name must be at most 200 characters")
    return name


def _query() -> Select[Booth, str]:  # Place.name is None for a booth without a place
    return select(Booth, Place.name).outerjoin(Place, Booth.place_id == Place.id)


def _record(booth: Booth, place_name: str | None) -> BoothRecord:
    return BoothRecord(
        id=booth.id,
        municipality_id=booth.municipality_id,
        place_id=booth.place_id,
        place_name=place_name,
        name=booth.name,
        location=booth.location,
        created_at=booth.created_at,
        revoked_at=booth.revoked_at,
    )


class Booths:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        name: str,
        *,
        municipality_id: str,
        location: str = "",
        place_id: str | None = None,
        now: datetime | None = None,
    ) -> tuple[BoothRecord, str]:
        """Register a booth; returns it with its device token, which is shown this once and never again."""
        name = _clean_name(name)
        token = secrets.token_urlsafe(32)
        booth = Booth(
            id=new_id("b_"),
            municipality_id=municipality_id,
            place_id=place_id,
            name=name,
            location=mask_pii(location.strip()).text,
            token_hash=hash_token(token),
            created_at=now or datetime.now(UTC),
            revoked_at=None,
        )
        place_name: str | None = None
        async with self._db.transaction() as session:
            if await session.get(Municipality, municipality_id) is None:
                raise UnknownMunicipality(municipality_id)
            if place_id is not None:
                place = await session.get(Place, place_id)
                if place is None or place.municipality_id != municipality_id:
                    raise UnknownPlace(place_id, municipality_id)
                place_name = place.name
            session.add(booth)
        return _record(booth, place_name), token

    async def by_token(self, token: str) -> BoothRecord | None:
        """The booth this device token belongs to, or None if the token is unknown or the booth revoked."""
        async with self._db.read() as session:
            row = (
                await session.execute(_query().where(Booth.token_hash == hash_token(token), Booth.revoked_at.is_(None)))
            ).first()
        return None if row is None else _record(row[0], row[1])

    async def get(self, booth_id: str) -> BoothRecord | None:
        async with self._db.read() as session:
            row = (await session.execute(_query().where(Booth.id == booth_id))).first()
        return None if row is None else _record(row[0], row[1])

    async def list(self, municipality_id: str | None = None) -> builtins.list[BoothRecord]:
        query = _query().order_by(Booth.municipality_id, Booth.created_at, Booth.id)
        if municipality_id is not None:
            query = query.where(Booth.municipality_id == municipality_id)
        async with self._db.read() as session:
            rows = (await session.execute(query)).all()
        return [_record(booth, place_name) for booth, place_name in rows]

    async def revoke(self, booth_id: str, *, now: datetime | None = None) -> BoothRecord:
        """Refuse the booth's token from now on (revoking twice keeps the first time)."""
        async with self._db.transaction() as session:
            booth = await session.get(Booth, booth_id)
            if booth is None:
                raise UnknownBooth(booth_id)
            if booth.revoked_at is None:
                booth.revoked_at = now or datetime.now(UTC)
            place = None if booth.place_id is None else await session.get(Place, booth.place_id)
            return _record(booth, None if place is None else place.name)

    async def rename(self, booth_id: str, name: str) -> BoothRecord:
        name = _clean_name(name)
        async with self._db.transaction() as session:
            booth = await session.get(Booth, booth_id)
            if booth is None:
                raise UnknownBooth(booth_id)
            booth.name = name
            place = None if booth.place_id is None else await session.get(Place, booth.place_id)
            return _record(booth, None if place is None else place.name)

    async def move(self, booth_id: str, place_id: str | None) -> BoothRecord:
        """Put the booth in another place of its own municipality (None: no place)."""
        async with self._db.transaction() as session:
            booth = await session.get(Booth, booth_id)
            if booth is None:
                raise UnknownBooth(booth_id)
            place = None if place_id is None else await session.get(Place, place_id)
            if place_id is not None and (place is None or place.municipality_id != booth.municipality_id):
                raise UnknownPlace(place_id, booth.municipality_id)
            booth.place_id = place_id
            return _record(booth, None if place is None else place.name)

    async def rotate_token(self, booth_id: str) -> tuple[BoothRecord, str]:
        """A new device token (shown this once); the old one is refused from now on. A revoked booth stays
        revoked: rotating is for a booth whose kiosk URL may have been seen by someone else. The old
        token's open sockets are closed by the revocation watch (``signaling/revocation_watch.py``)."""
        token = secrets.token_urlsafe(32)
        async with self._db.transaction() as session:
            booth = await session.get(Booth, booth_id)
            if booth is None:
                raise UnknownBooth(booth_id)
            if booth.revoked_at is not None:
                raise InvalidValue(f"booth {booth_id} is revoked; add a new booth instead")
            booth.token_hash = hash_token(token)
            place = None if booth.place_id is None else await session.get(Place, booth.place_id)
            return _record(booth, None if place is None else place.name), token
