"""Booths (the kiosks in post offices and community centres) and their device tokens.

A booth proves who it is with a long random token shown once, when the booth is added (as part of the kiosk
URL). Only the token's SHA-256 is stored, so a stolen database copy does not let anyone pose as a booth, and a
revoked booth is refused at once.
"""

from __future__ import annotations

import builtins
import secrets
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from madoguchi.domain.place_names import (
    MAX_NAME,
    OTHER_LANGUAGES,
    booth_names_in_every_language,
    place_names_in_every_language,
)
from madoguchi.domain.privacy import mask_pii
from madoguchi.storage.accounts import hash_token, new_id
from madoguchi.storage.db import Database
from madoguchi.storage.errors import (
    DuplicateBoothName,
    InvalidValue,
    UnknownBooth,
    UnknownMunicipality,
    UnknownPlace,
    refuse_personal_number,
)
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
    place_names: dict[str, str] = field(default_factory=dict)
    """The place's name in each page language (``madoguchi.domain.place_names``); empty without a place."""
    last_seen_at: datetime | None = None
    """When a server process last found it connected (:meth:`Booths.mark_seen`), None before it ever was."""
    names: dict[str, str] = field(default_factory=dict)
    """The display name in other page languages, as the admin gave them (``name`` is the Japanese one, the fallback)."""

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def display_names(self) -> dict[str, str]:
        """The display name for every page language: the admin's own, else the Japanese ``name``."""
        return booth_names_in_every_language(self.name, self.names)


def kiosk_url(booth_id: str, token: str) -> str:
    """The kiosk page's path on the server, already bound to the booth (the token stays in the fragment,
    which browsers never send to the server or put in logs)."""
    return f"/booth/{booth_id}#token={token}"


AUDITED_FIELDS: dict[str, tuple[str, ...]] = {
    "booth.add": ("name", "names", "place_id"),
    "booth.rename": ("name", "names"),
    "booth.move": ("place_id",),
    "booth.revoke": (),
    "booth.rotate_token": (),
}
"""What the audit log keeps of each booth change besides the booth's id: the fields the change set. One table,
so ``madoguchi booth`` and the admin page write the same entry for the same change."""


def audit_detail(action: str, booth: BoothRecord) -> dict[str, object]:
    """The audit entry's detail for ``action`` (a key of :data:`AUDITED_FIELDS`) done to ``booth``."""
    return {"booth_id": booth.id, **{name: getattr(booth, name) for name in AUDITED_FIELDS[action]}}


def _clean_name(name: str) -> str:
    refuse_personal_number("the booth name", name, field="name")
    name = mask_pii(name.strip()).text  # admin-typed free text is masked like any other
    if not name:
        raise InvalidValue("booth name must not be empty", field="name")
    if len(name) > 200:
        raise InvalidValue("booth name must be at most 200 characters", field="name")
    return name


def clean_booth_names(names: Mapping[str, str] | None) -> dict[str, str]:
    """An admin's per-language display names, checked and masked like the Japanese one; an empty one means "none in
    that language" (the Japanese name stands in). Each refusal names its field (``names.<language>``), so the
    admin page says it beside that language's input."""
    cleaned: dict[str, str] = {}
    for language, text in (names or {}).items():
        where = f"names.{language}"
        if language not in OTHER_LANGUAGES:
            raise InvalidValue(f"booth names are for {', '.join(OTHER_LANGUAGES)}, got {language!r}", field="names")
        refuse_personal_number(f"the {language} booth name", str(text), field=where)
        text = mask_pii(str(text).strip()).text
        if len(text) > MAX_NAME:
            raise InvalidValue(f"the {language} booth name must be at most {MAX_NAME} characters", field=where)
        if text:
            cleaned[language] = text
    return cleaned


def _same_name(name: str) -> str:
    """A booth name as people read it: full- and half-width alike, case and spaces ignored (「汐見 ブース」 and
    「汐見ブース」 make the same alarm)."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


async def _refuse_duplicate(session: AsyncSession, name: str, municipality_id: str, booth_id: str | None) -> None:
    """Refuse a name another booth of the municipality (not revoked) already has (:class:`DuplicateBoothName`)."""
    others = await session.scalars(
        select(Booth.name).where(
            Booth.municipality_id == municipality_id, Booth.revoked_at.is_(None), Booth.id != (booth_id or "")
        )
    )
    if any(_same_name(other) == _same_name(name) for other in others):
        raise DuplicateBoothName(name, municipality_id)


def _query() -> Select[Booth, Place]:  # Place is None for a booth without a place
    return select(Booth, Place).outerjoin(Place, Booth.place_id == Place.id)


def _record(booth: Booth, place: Place | None) -> BoothRecord:
    return BoothRecord(
        id=booth.id,
        municipality_id=booth.municipality_id,
        place_id=booth.place_id,
        place_name=None if place is None else place.name,
        name=booth.name,
        location=booth.location,
        created_at=booth.created_at,
        revoked_at=booth.revoked_at,
        place_names={} if place is None else place_names_in_every_language(place.name, place.names, place.reading),
        last_seen_at=booth.last_seen_at,
        names={str(k): str(v) for k, v in (booth.names or {}).items()},
    )


MANY_CHUNK = 1000
"""Ids per query in :meth:`Booths.many` (each is a bound parameter; databases cap how many one statement takes)."""


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
        names: Mapping[str, str] | None = None,
    ) -> tuple[BoothRecord, str]:
        """Register a booth; returns it with its device token, which is shown this once and never again. ``names``:
        its display name in other page languages (:func:`clean_booth_names`)."""
        name = _clean_name(name)
        other_names = clean_booth_names(names)
        token = secrets.token_urlsafe(32)
        booth = Booth(
            id=new_id("b_"),
            municipality_id=municipality_id,
            place_id=place_id,
            name=name,
            names=other_names or None,
            location=mask_pii(location.strip()).text,
            token_hash=hash_token(token),
            created_at=now or datetime.now(UTC),
            revoked_at=None,
        )
        place: Place | None = None
        async with self._db.transaction() as session:
            if await session.get(Municipality, municipality_id) is None:
                raise UnknownMunicipality(municipality_id)
            await _refuse_duplicate(session, name, municipality_id, None)
            if place_id is not None:
                place = await session.get(Place, place_id)
                if place is None or place.municipality_id != municipality_id:
                    raise UnknownPlace(place_id, municipality_id)
            session.add(booth)
        return _record(booth, place), token

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

    async def many(self, booth_ids: Collection[str]) -> dict[str, BoothRecord]:
        """The booths among ``booth_ids`` that exist, by id, read in one query per :data:`MANY_CHUNK` ids."""
        wanted = sorted(set(booth_ids))
        found: dict[str, BoothRecord] = {}
        async with self._db.read() as session:
            for start in range(0, len(wanted), MANY_CHUNK):
                chunk = wanted[start : start + MANY_CHUNK]
                for booth, place in (await session.execute(_query().where(Booth.id.in_(chunk)))).all():
                    found[booth.id] = _record(booth, place)
        return found

    async def list(self, municipality_id: str | None = None) -> builtins.list[BoothRecord]:
        query = _query().order_by(Booth.municipality_id, Booth.created_at, Booth.id)
        if municipality_id is not None:
            query = query.where(Booth.municipality_id == municipality_id)
        async with self._db.read() as session:
            rows = (await session.execute(query)).all()
        return [_record(booth, place) for booth, place in rows]

    async def mark_seen(self, seen: Mapping[str, datetime]) -> None:
        """Booths last found connected at these times (``booth id -> when``); a time older than the one stored
        is ignored (another process saw it later). Unknown booths are skipped."""
        if not seen:
            return
        async with self._db.transaction() as session:
            for booth_id, at in sorted(seen.items()):
                await session.execute(
                    update(Booth)
                    .where(Booth.id == booth_id, or_(Booth.last_seen_at.is_(None), Booth.last_seen_at < at))
                    .values(last_seen_at=at)
                )

    async def revoke(self, booth_id: str, *, now: datetime | None = None) -> BoothRecord:
        """Refuse the booth's token from now on (revoking twice keeps the first time)."""
        async with self._db.transaction() as session:
            booth = await session.get(Booth, booth_id)
            if booth is None:
                raise UnknownBooth(booth_id)
            if booth.revoked_at is None:
                booth.revoked_at = now or datetime.now(UTC)
            place = None if booth.place_id is None else await session.get(Place, booth.place_id)
            return _record(booth, place)

    async def rename(self, booth_id: str, name: str, names: Mapping[str, str] | None = None) -> BoothRecord:
        """A new Japanese display name; with ``names``, the names in the other languages are replaced too (what is
        not given is cleared), without them they are kept. A kiosk shows them from its next connection."""
        name = _clean_name(name)
        other_names = None if names is None else clean_booth_names(names)
        async with self._db.transaction() as session:
            booth = await session.get(Booth, booth_id)
            if booth is None:
                raise UnknownBooth(booth_id)
            await _refuse_duplicate(session, name, booth.municipality_id, booth.id)
            booth.name = name
            if other_names is not None:
                booth.names = other_names or None
            place = None if booth.place_id is None else await session.get(Place, booth.place_id)
            return _record(booth, place)

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
            return _record(booth, place)

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
            return _record(booth, place), token
