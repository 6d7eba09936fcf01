"""Booking tests' server: the real app on 127.0.0.1 whose clock is real time shifted to a known Monday, so the
demo town's plan (weekdays, office hours, holidays) gives the same slots on every run."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from madoguchi.bookings.plan import JST
from tests.support import app_for_tests, database_from_template, make_settings

MONDAY_8AM = datetime(2026, 12, 7, 8, 0, tzinfo=JST).timestamp()


class ShiftedClock:
    """Real time, shifted to start at Monday 7 December 2026, 08:00 JST (moves on by itself)."""

    def __init__(self, start: float = MONDAY_8AM) -> None:
        self.offset = start - time.time()

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Api:
    base_url: str
    http: aiohttp.ClientSession
    clock: ShiftedClock
    app: web.Application

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.http.request(method, f"{self.base_url}{path}", **kwargs) as resp:
            if resp.content_type == "application/json":
                return resp.status, await resp.json()
            return resp.status, await resp.text()

    async def book(self, **fields: Any) -> tuple[int, Any]:
        body = {"route": "tax", "place": "honcho", "name_kana": "やまだ はなこ", **fields}
        return await self.call("POST", "/api/bookings", json=body)


@asynccontextmanager
async def running(data_dir: Path, *, start: float = MONDAY_8AM, **overrides: Any) -> AsyncIterator[Api]:
    clock = ShiftedClock(start)
    overrides.setdefault("booking_creates_per_address_per_day", 1000)  # booking_desk.flood: its own tests set it
    overrides.setdefault("booking_creates_per_hour", 1000)
    overrides.setdefault("booking_creates_per_person_per_day", 1000)
    settings = make_settings(data_dir, **overrides)
    await database_from_template(settings)
    app = app_for_tests(settings, clock=clock)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as http:
            yield Api(f"http://{host}:{port}", http, clock, app)
    finally:
        await runner.cleanup()


# 「予約したい」 in the nine languages of the chat (the bot → booking tests, unit and on the server)
ASKS = {
    "ja": "予約したい",
    "easy-ja": "よやく を したい です",
    "en": "Can I book an appointment?",
    "zh": "我想预约",
    "ko": "예약하고 싶어요",
    "vi": "Tôi muốn đặt lịch hẹn.",
    "pt": "Quero marcar um horário.",
    "tl": "Gusto kong mag-book ng oras.",
    "ne": "म समय बुक गर्न चाहन्छु।",
}
