"""Municipalities and their places (main office, post offices, community centres, branches).

Everything else (booths, staff, consultations) belongs to a municipality, so one deployment can serve several
towns (共同運用) and nobody sees another town's residents unless granted.
"""

from __future__ import annotations

import builtins
import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from madoguchi.domain.place_names import MAX_NAME, OTHER_LANGUAGES
from madoguchi.domain.privacy import mask_pii
from madoguchi.storage.db import Database
from madoguchi.storage.errors import (
    DuplicateId,
    InvalidValue,
    UnknownMunicipality,
    UnknownPlace,
    refuse_personal_number,
)
from madoguchi.storage.models import PLACE_KINDS, Municipality, Place


@dataclass(frozen=True, slots=True)
class MunicipalityRecord:
    id: str
    name_ja: str
    name_en: str


@dataclass(frozen=True, slots=True)
class PlaceRecord:
    id: str
    municipality_id: str
    name: str
    kind: str
    names: dict[str, str] = field(default_factory=dict)
    """The name in other page languages (``madoguchi.domain.place_names``); ``name`` is the Japanese one."""
    reading: str = ""
    """The Japanese name's reading in romaji ("" when none was given)."""

    @staticmethod
    def of(row: Place) -> PlaceRecord:
        return PlaceRecord(row.id, row.municipality_id, row.name, row.kind, dict(row.names or {}), row.reading or "")


def clean_place_names(names: Mapping[str, str] | None, reading: str | None) -> tuple[dict[str, str], str]:
    """An admin's per-language names and romaji reading, checked and masked like every admin-typed text; an
    empty name means "none in that language" (the Japanese one stands in)."""
    cleaned: dict[str, str] = {}
    for language, text in (names or {}).items():
        if language not in OTHER_LANGUAGES:
            raise InvalidValue(f"place names are for {', '.join(OTHER_LANGUAGES)}, got {language!r}")
        refuse_personal_number(f"the {language} place name", str(text))
        text = mask_pii(str(text).strip()).text
        if len(text) > MAX_NAME:
            raise InvalidValue(f"the {language} place name must be at most {MAX_NAME} characters")
        if text:
            cleaned[language] = text
    refuse_personal_number("the reading", reading or "")
    reading = mask_pii((reading or "").strip()).text
    if len(reading) > MAX_NAME:
        raise InvalidValue(f"the reading must be at most {MAX_NAME} characters")
    return cleaned, reading


def _require_text(what: str, value: str, field: str | None = None) -> str:
    refuse_personal_number(what, value, field=field)
    value = value.strip()
    if not value:
        raise InvalidValue(f"{what} must not be empty", field=field)
    return value


_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _require_id(what: str, value: str, field: str | None = None) -> str:
    refuse_personal_number(what, value, field=field)
    if not _ID_PATTERN.fullmatch(value):
        raise InvalidValue(f"{what} must be 1..64 letters, digits, '-' or '_', got {value!r}", field=field)
    return value


class Municipalities:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_municipality(self, municipality_id: str, *, name_ja: str, name_en: str) -> MunicipalityRecord:
        record = MunicipalityRecord(
            id=_require_id("municipality id", municipality_id),
            name_ja=_require_text("Japanese name", name_ja),
            name_en=_require_text("English name", name_en),
        )
        try:
            async with self._db.transaction() as session:
                if await session.get(Municipality, record.id) is not None:
                    raise DuplicateId("municipality", record.id)
                session.add(Municipality(id=record.id, name_ja=record.name_ja, name_en=record.name_en))
        except IntegrityError:  # another process inserted it between our check and our commit
            raise DuplicateId("municipality", record.id) from None
        return record

    async def ensure_municipality(self, municipality_id: str, *, name_ja: str, name_en: str) -> None:
        """Create the municipality unless it exists; safe when several processes start at once."""
        if await self.get(municipality_id) is None:
            with contextlib.suppress(DuplicateId):
                await self.add_municipality(municipality_id, name_ja=name_ja, name_en=name_en)

    async def add_place(
        self,
        place_id: str,
        *,
        municipality_id: str,
        name: str,
        kind: str,
        names: Mapping[str, str] | None = None,
        reading: str | None = None,
    ) -> PlaceRecord:
        if kind not in PLACE_KINDS:
            raise InvalidValue(f"place kind must be one of {', '.join(PLACE_KINDS)}, got {kind!r}", field="kind")
        other_names, reading = clean_place_names(names, reading)
        record = PlaceRecord(
            id=_require_id("place id", place_id, "place_id"),
            municipality_id=municipality_id,
            name=mask_pii(_require_text("place name", name, "name")).text,  # admin-typed free text is masked too
            kind=kind,
            names=other_names,
            reading=reading,
        )
        async with self._db.transaction() as session:
            if await session.get(Municipality, municipality_id) is None:
                raise UnknownMunicipality(municipality_id)
            if await session.get(Place, record.id) is not None:
                raise DuplicateId("place", record.id)
            session.add(
                Place(
                    id=record.id,
                    municipality_id=municipality_id,
                    name=record.name,
                    kind=kind,
                    names=other_names or None,
                    reading=reading or None,
                )
            )
        return record

    async def set_place_names(
        self, place_id: str, *, name: str | None = None, names: Mapping[str, str] | None, reading: str | None
    ) -> PlaceRecord:
        """Replace a place's names in the other languages and its reading (and its Japanese name when given);
        a kiosk shows them from its next connection."""
        other_names, reading = clean_place_names(names, reading)
        japanese = None if name is None else mask_pii(_require_text("place name", name)).text
        async with self._db.transaction() as session:
            row = await session.get(Place, place_id)
            if row is None:
                raise UnknownPlace(place_id, None)
            if japanese is not None:
                row.name = japanese
            row.names = other_names or None
            row.reading = reading or None
            return PlaceRecord.of(row)

    async def get(self, municipality_id: str) -> MunicipalityRecord | None:
        async with self._db.read() as session:
            row = await session.get(Municipality, municipality_id)
        return None if row is None else MunicipalityRecord(row.id, row.name_ja, row.name_en)

    async def list(self) -> builtins.list[MunicipalityRecord]:
        async with self._db.read() as session:
            rows = (await session.scalars(select(Municipality).order_by(Municipality.id))).all()
        return [MunicipalityRecord(row.id, row.name_ja, row.name_en) for row in rows]

    async def get_place(self, place_id: str) -> PlaceRecord | None:
        async with self._db.read() as session:
            row = await session.get(Place, place_id)
        return None if row is None else PlaceRecord.of(row)

    async def places(self, municipality_id: str | None = None) -> builtins.list[PlaceRecord]:
        query = select(Place).order_by(Place.municipality_id, Place.id)
        if municipality_id is not None:
            query = query.where(Place.municipality_id == municipality_id)
        async with self._db.read() as session:
            rows = (await session.scalars(query)).all()
        return [PlaceRecord.of(row) for row in rows]
