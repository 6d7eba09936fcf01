"""Fixtures for tests against the real Redis at 127.0.0.1:6379 (and PostgreSQL for the multi-process tests).

Every test gets its own key prefix, so tests never see each other's state and can run while a real deployment
uses the same Redis; the prefix's keys are deleted afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from madoguchi.settings import Settings
from madoguchi.signaling.counter import CounterConfig
from madoguchi.signaling.redis_store import RedisStore, connect_redis
from madoguchi.storage.testing import temporary_database_url
from tests.support import delete_redis_keys, make_settings

REDIS_TEST_URL = os.environ.get("MADOGUCHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    prefix = f"mdtest:{secrets.token_hex(6)}"
    yield prefix
    await delete_redis_keys(prefix)


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis]:
    client = connect_redis(REDIS_TEST_URL)
    yield client
    await client.aclose()


@pytest.fixture
async def make_store(redis_prefix: str) -> AsyncIterator[Callable[..., RedisStore]]:
    """Stores on the same keys: each one stands for a separate server process."""
    stores: list[RedisStore] = []

    def make(config: CounterConfig | None = None, **options: Any) -> RedisStore:
        store = RedisStore(connect_redis(REDIS_TEST_URL), config or CounterConfig(), prefix=redis_prefix, **options)
        stores.append(store)
        return store

    yield make
    for store in stores:
        await store.close()


@pytest.fixture
async def postgres_url(tmp_path: Path) -> AsyncIterator[str]:
    async with temporary_database_url("postgresql", tmp_path) as url:
        yield url


def redis_settings(data_dir: Path, *, database_url: str | None, redis_url: str, prefix: str, **extra: Any) -> Settings:
    return make_settings(data_dir, database_url=database_url, redis_url=redis_url, redis_prefix=prefix, **extra)
