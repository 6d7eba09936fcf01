"""Booths and device tokens on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from madoguchi.storage.booths import Booths, kiosk_url
from madoguchi.storage.db import Database
from madoguchi.storage.errors import InvalidValue, UnknownBooth, UnknownMunicipality, UnknownPlace
from madoguchi.storage.models import Booth

NOW = datetime(2024, 6, 3, 0, 30, tzinfo=UTC)


async def test_added_booth_is_found_by_its_token_and_only_the_hash_is_stored(db: Database, town: str) -> None:
    booths = Booths(db)

    booth, token = await booths.add(
        "汐見郵便局ブース", municipality_id=town, location="窓口の横", place_id="post", now=NOW
    )

    assert booth.id.startswith("b_")
    assert (booth.name, booth.location, booth.place_id, booth.place_name) == (
        "汐見郵便局ブース",
        "窓口の横",
        "post",
        "汐見郵便局",
    )
    assert booth.created_at == NOW and booth.revoked_at is None
    assert len(token) >= 40
    assert await booths.by_token(token) == booth
    assert await booths.by_token(token[:-1]) is None
    async with db.sessions() as session:
        stored = (await session.execute(select(Booth.token_hash))).scalars().all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


async def test_every_booth_gets_its_own_token(db: Database, town: str) -> None:
    booths = Booths(db)
    first, first_token = await booths.add("A", municipality_id=town)
    second, second_token = await booths.add("B", municipality_id=town)

    assert first.id != second.id and first_token != second_token
    assert await booths.by_token(second_token) == second
    assert (await booths.get(first.id)) == first
    assert first.place_name is None


async def test_many_booths_are_read_in_chunks_and_unknown_ids_are_left_out(
    db: Database, town: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import madoguchi.storage.booths as booths_module

    monkeypatch.setattr(booths_module, "MANY_CHUNK", 2)  # three queries for five ids
    booths = Booths(db)
    added = [
        (await booths.add(f"ブース{n}", municipality_id=town, place_id="post" if n % 2 else None))[0] for n in range(4)
    ]

    found = await booths.many([b.id for b in added] + ["b_nobody"])

    assert found == {b.id: b for b in added}
    assert found[added[1].id].place_name == "汐見郵便局" and found[added[0].id].place_name is None
    assert await booths.many([]) == {}


async def test_revoked_booth_token_is_refused(db: Database, town: str) -> None:
    booths = Booths(db)
    booth, token = await booths.add("汐見郵便局ブース", municipality_id=town, place_id="post")

    revoked = await booths.revoke(booth.id, now=NOW)

    assert revoked.revoked_at == NOW and revoked.revoked
    assert await booths.by_token(token) is None
    assert (await booths.get(booth.id)) == revoked
    again = await booths.revoke(booth.id)
    assert again.revoked_at == NOW  # revoking twice keeps the first time
    with pytest.raises(UnknownBooth):
        await booths.revoke("b_missing")


async def test_list_filters_by_municipality(db: Database, town: str) -> None:
    booths = Booths(db)
    shiomi, _ = await booths.add("汐見", municipality_id="shiomi")
    ishi, _ = await booths.add("石ノ森", municipality_id="ishinomori", place_id="ishi-honcho")

    assert [b.id for b in await booths.list("ishinomori")] == [ishi.id]
    assert {b.id for b in await booths.list()} == {shiomi.id, ishi.id}
    assert (await booths.list("ishinomori"))[0].place_name == "本庁"


async def test_bad_booths_are_refused(db: Database, town: str) -> None:
    booths = Booths(db)
    with pytest.raises(UnknownMunicipality):
        await booths.add("X", municipality_id="atlantis")
    with pytest.raises(UnknownPlace):
        await booths.add("X", municipality_id="shiomi", place_id="ishi-honcho")  # another town's place
    with pytest.raises(UnknownPlace):
        await booths.add("X", municipality_id="shiomi", place_id="nowhere")
    with pytest.raises(InvalidValue):
        await booths.add("   ", municipality_id="shiomi")
    assert await booths.list() == []


def test_kiosk_url_keeps_the_token_in_the_fragment() -> None:
    assert kiosk_url("b_1234", "tok-en_") == "/booth/b_1234#token=tok-en_"
