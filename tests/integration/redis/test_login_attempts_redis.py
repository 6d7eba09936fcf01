"""The Redis attempt store behaves like the memory one, and several processes' failures all count."""

from __future__ import annotations

import asyncio
import hashlib
import time

from redis.asyncio import Redis

from madoguchi.agent_console.attempts import RedisAttemptStore
from madoguchi.agent_console.login_guard import LoginGuard
from madoguchi.agent_console.throttle import Tally
from madoguchi.signaling.redis_store import connect_redis
from tests.integration.redis.conftest import REDIS_TEST_URL


async def test_tallies_count_expire_and_clear(redis_prefix: str, redis_client: Redis) -> None:
    store = RedisAttemptStore(connect_redis(REDIS_TEST_URL), redis_prefix)
    now = time.time()
    try:
        await store.add("pair:abc", now, 0.5)
        await store.add("pair:abc", now + 0.1, 0.5)
        assert await store.read(["pair:abc", "pair:none"], now) == {"pair:abc": Tally(count=2, last=now + 0.1)}
        assert await redis_client.keys(f"{redis_prefix}:login:*") == [f"{redis_prefix}:login:pair:abc"]
        await asyncio.sleep(0.7)  # Redis expires it by itself
        assert await store.read(["pair:abc"], now) == {}
        await store.add("pair:abc", now, 60)
        await store.clear(["pair:abc"])
        assert await store.read(["pair:abc"], now) == {}
    finally:
        await store.close()


async def test_concurrent_failures_from_several_processes_are_all_counted(redis_prefix: str) -> None:
    stores = [RedisAttemptStore(connect_redis(REDIS_TEST_URL), redis_prefix) for _ in range(3)]
    now = time.time()
    try:
        await asyncio.gather(*(store.add("account:x", now, 60) for store in stores for _ in range(20)))
        assert (await stores[0].read(["account:x"], now))["account:x"].count == 60
    finally:
        for store in stores:
            await store.close()


async def test_a_nonce_is_used_once_across_processes(redis_prefix: str) -> None:
    first, second = (RedisAttemptStore(connect_redis(REDIS_TEST_URL), redis_prefix) for _ in range(2))
    try:
        results = await asyncio.gather(first.first_use("nonce:n", 0, 60), second.first_use("nonce:n", 0, 60))
        assert sorted(results) == [False, True]
    finally:
        await first.close()
        await second.close()


async def test_a_redis_dump_does_not_say_which_usernames_were_tried(redis_prefix: str, redis_client: Redis) -> None:
    store = RedisAttemptStore(connect_redis(REDIS_TEST_URL), redis_prefix)
    guard = LoginGuard(store, time.time, key=b"k" * 32)
    try:
        await guard.failed("sato", "192.0.2.7")
        dumped = " ".join(await redis_client.keys(f"{redis_prefix}:*"))
        assert dumped.count(":login:") == 3
        guessed = ["sato", "192.0.2.7", "sato\x00192.0.2.7"]  # a guesser hashes likely names and addresses
        assert not any(hashlib.sha256(g.encode()).hexdigest()[:32] in dumped for g in guessed)
        assert "sato" not in dumped and "192.0.2.7" not in dumped
    finally:
        await guard.close()
