"""No double booking under races: 200 concurrent requests for one slot of capacity 3, split over two real
``madoguchi serve`` processes sharing PostgreSQL (and Redis), give exactly 3 bookings and 197 clear refusals.

The processes read the wall clock, so the slot is 9:00 on the next open weekday at least two days ahead; the
town is the demo town with the main office's desk raised to capacity 3.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from madoguchi.bookings.plan import JST
from madoguchi.bookings.slots import BookingRefused, day_slots
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_municipality
from madoguchi.storage.db import open_database
from madoguchi.storage.models import Booking, BookingSlot
from madoguchi.storage.testing import temporary_database_url
from tests.support import REDIS_TEST_URL, delete_redis_keys
from tests.trained_model import TrainedModel

MADOGUCHI = Path(sys.executable).with_name("madoguchi")
LISTENING = re.compile(r"madoguchi listening on (http://[0-9.]+:\d+)")
REQUESTS = 200
KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ"

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]


def town_with_capacity_three(root: Path) -> Path:
    target = root / "kb" / "shiomi"
    shutil.copytree(bundled_kb_dir(), target)
    municipality = target / "municipality.yaml"
    text = municipality.read_text(encoding="utf-8")
    patched = text.replace(
        "      buffer_minutes: 10\n      capacity: 2\n", "      buffer_minutes: 10\n      capacity: 3\n", 1
    )
    assert patched != text
    municipality.write_text(patched, encoding="utf-8")
    plan = load_municipality(municipality).booking
    assert plan is not None and plan.desks[0].capacity == 3
    return target.parent


def next_open_day(kb_root: Path) -> datetime:
    plan = load_municipality(kb_root / "shiomi" / "municipality.yaml").booking
    assert plan is not None
    day = datetime.now(JST).date() + timedelta(days=2)
    while True:
        try:
            day_slots(plan, "tax", day, place="honcho")
            return datetime.combine(day, time(9, 0), JST)
        except BookingRefused:
            day += timedelta(days=1)


START_S = 120.0
"""A start loads the triage model the session trained (``trained_model``: a desk's capacity is not trained on), a few
seconds; training it at the first start took over a minute on a loaded machine."""


async def start_server(name: str, root: Path, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str, Path]:
    data_dir = root / name
    data_dir.mkdir()
    log_path = root / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            str(MADOGUCHI), "serve", "--host", "127.0.0.1", "--port", "0",
            stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=asyncio.subprocess.STDOUT,
            env={**env, "MADOGUCHI_DATA_DIR": str(data_dir)}, cwd=str(data_dir),
        )  # fmt: skip
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_S
    try:
        while (found := LISTENING.search(log_path.read_text(errors="replace"))) is None:
            assert process.returncode is None, log_path.read_text(errors="replace")
            assert loop.time() < deadline, f"{name} did not start:\n{log_path.read_text(errors='replace')}"
            await asyncio.sleep(0.05)
    except BaseException:  # not left running behind the test (a later test would fail on its ResourceWarning)
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    return process, found.group(1), log_path


@pytest.fixture
async def two_servers(tmp_path: Path, trained_model: TrainedModel) -> AsyncIterator[tuple[list[str], str, Path]]:
    kb_root = town_with_capacity_three(tmp_path)
    user_cache = tmp_path / "cache"  # the processes' $XDG_CACHE_HOME, holding the model under this town's key
    trained_model.seed(kb_root / "shiomi", user_cache / "madoguchi")
    prefix = f"mdbook:{secrets.token_hex(6)}"
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with temporary_database_url("postgresql", tmp_path) as database_url:
            env = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")}
            env.update(
                MADOGUCHI_DATABASE_URL=database_url,
                MADOGUCHI_REDIS_URL=REDIS_TEST_URL,
                MADOGUCHI_REDIS_PREFIX=prefix,
                MADOGUCHI_SECRET_KEY=secrets.token_hex(16),
                MADOGUCHI_KB_DIR=str(kb_root),
                MADOGUCHI_BOOKING_REQUESTS_PER_MINUTE="100000",
                MADOGUCHI_BOOKING_CREATES_PER_ADDRESS_PER_DAY="100000",
                MADOGUCHI_BOOKING_CREATES_PER_HOUR="100000",
                XDG_CACHE_HOME=str(user_cache),
                MADOGUCHI_BOOKING_CREATES_PER_PERSON_PER_DAY="100000",
                PYTHONUNBUFFERED="1",
            )
            try:
                urls = []
                for name in ("p1", "p2"):  # the first alone: it registers the municipality
                    process, url, _ = await start_server(name, tmp_path, env)
                    processes.append(process)
                    urls.append(url)
                yield urls, database_url, kb_root
            finally:
                for process in processes:
                    if process.returncode is None:
                        process.terminate()
                    await asyncio.wait_for(process.wait(), 30)
    finally:
        await delete_redis_keys(prefix)


async def test_two_hundred_requests_for_three_places(two_servers: tuple[list[str], str, Path]) -> None:
    urls, database_url, kb_root = two_servers
    start = next_open_day(kb_root).isoformat()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def book(i: int) -> tuple[int, str]:
            name = KANA[i % len(KANA)] + KANA[(i // len(KANA)) % len(KANA)]
            body = {"route": "tax", "place": "honcho", "start": start, "name_kana": name}
            async with http.post(f"{urls[i % 2]}/api/bookings", json=body) as resp:
                data = await resp.json()
                return resp.status, data["code"] if resp.status == 201 else data["error"]["code"]

        results = await asyncio.gather(*(book(i) for i in range(REQUESTS)))

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 3, 409: REQUESTS - 3}, statuses
    assert {detail for status, detail in results if status == 409} == {"full"}
    assert len({detail for status, detail in results if status == 201}) == 3
    db = await open_database(database_url)
    try:
        async with db.read() as session:
            assert await session.scalar(select(func.count()).select_from(Booking)) == 3
            assert await session.scalar(select(BookingSlot.taken)) == 3
    finally:
        await db.close()
