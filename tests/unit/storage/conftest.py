"""Every storage test runs twice: on a fresh SQLite file and on a fresh PostgreSQL schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from madoguchi.storage.accounts import Accounts
from madoguchi.storage.db import Database, open_database
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.testing import Backend, fast_password_hasher, temporary_database_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    backend: Backend = request.param
    async with temporary_database_url(backend, tmp_path) as url:
        yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = await open_database(database_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def town(db: Database) -> str:
    """Two municipalities with places; returns the first one's id."""
    municipalities = Municipalities(db)
    await municipalities.add_municipality("shiomi", name_ja="汐見町", name_en="Shiomi Town")
    await municipalities.add_place("post", municipality_id="shiomi", name="汐見郵便局", kind="post_office")
    await municipalities.add_place("kominkan", municipality_id="shiomi", name="凪島公民館", kind="community_centre")
    await municipalities.add_municipality("ishinomori", name_ja="石ノ森村", name_en="Ishinomori Village")
    await municipalities.add_place("ishi-honcho", municipality_id="ishinomori", name="本庁", kind="main_office")
    return "shiomi"


@pytest.fixture
def accounts(db: Database) -> Accounts:
    return Accounts(db, hasher=fast_password_hasher())  # the tests check behaviour, not cost
