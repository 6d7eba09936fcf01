"""Throw-away databases for tests: a fresh SQLite file, or a fresh schema in a PostgreSQL database.

Every call gets its own name, so tests never see each other's rows and can run twice (or in parallel) against
the same PostgreSQL server. The PostgreSQL schema is dropped afterwards; the SQLite file lives in the caller's
temporary directory.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from madoguchi.storage.db import parse_database_url

Backend = Literal["sqlite", "postgresql"]
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgresql")
POSTGRES_TEST_URL = os.environ.get("MADOGUCHI_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def fast_password_hasher() -> PasswordHasher:
    """Argon2 with tiny costs: for tests that check behaviour, never for real accounts."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@asynccontextmanager
async def temporary_database_url(backend: Backend, directory: Path) -> AsyncIterator[str]:
    """Yield the URL of an empty database of ``backend``; it is removed (PostgreSQL) when the block ends."""
    name = f"t_{secrets.token_hex(6)}"
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{(directory / f'{name}.db').resolve()}"
        return
    server = parse_database_url(POSTGRES_TEST_URL)
    admin = create_async_engine(server)
    try:
        async with admin.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{name}"'))
        try:
            yield server.update_query_dict({"search_path": name}).render_as_string(hide_password=False)
        finally:
            async with admin.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        await admin.dispose()
