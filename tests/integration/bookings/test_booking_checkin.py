"""Check-in with a booking code on a real database with a fake clock: within the window the resident goes ahead
of walk-ins, early or late they join as a walk-in; a booking of another day, or already used, is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from madoguchi.booking_desk.service import BookingDesk, BookingRequest, DeskError
from madoguchi.bookings.plan import JST
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_municipality
from madoguchi.storage.bookings import Bookings
from madoguchi.storage.db import open_database
from madoguchi.storage.municipalities import Municipalities

START = datetime(2026, 12, 8, 10, 0, tzinfo=JST)


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 8, 0, tzinfo=JST)

    def __call__(self) -> float:
        return self.now.timestamp()


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[tuple[BookingDesk, FakeClock]]:
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'checkin.db'}")
    town = load_municipality(bundled_kb_dir() / "municipality.yaml")
    await Municipalities(db).ensure_municipality(town.id, name_ja=town.name.ja, name_en="Shiomi")
    clock = FakeClock()
    try:
        yield BookingDesk(towns={town.id: town}, bookings=Bookings(db), clock=clock), clock
    finally:
        await db.close()


async def book(desk: BookingDesk, start: datetime = START) -> str:
    request = BookingRequest("shiomi", "tax", "shiomi-post-office", start, "ヤマダ")
    return (await desk.book(request)).code


@pytest.mark.parametrize(
    ("minutes", "outcome", "priority"),
    [(-16, "early", False), (-15, "priority", True), (10, "priority", True), (11, "late", False)],
)
async def test_the_window_decides_the_priority(
    desk: tuple[BookingDesk, FakeClock], minutes: int, outcome: str, priority: bool
) -> None:
    booking_desk, clock = desk
    code = await book(booking_desk)
    clock.now = START + timedelta(minutes=minutes)
    record, checked = await booking_desk.check_in(code, municipality_id="shiomi")
    assert (checked.outcome, checked.priority) == (outcome, priority)
    assert record.status == "checked_in" and record.route == "tax"


async def test_another_day_another_town_or_twice_is_refused(desk: tuple[BookingDesk, FakeClock]) -> None:
    booking_desk, clock = desk
    code = await book(booking_desk)
    with pytest.raises(DeskError) as other_day:
        await booking_desk.check_in(code)  # still the 7th
    assert other_day.value.code == "not_today"
    clock.now = START
    with pytest.raises(DeskError) as other_town:
        await booking_desk.check_in(code, municipality_id="ishinomori")
    assert other_town.value.code == "unknown_code"
    await booking_desk.check_in(code)
    with pytest.raises(DeskError) as twice:
        await booking_desk.check_in(code)
    assert twice.value.code == "not_changeable"
    assert (await booking_desk.sweep())[0] == 0  # checked in: never a no-show


async def test_a_cancelled_booking_never_checks_in(desk: tuple[BookingDesk, FakeClock]) -> None:
    """ux15 item 2: a booking cancelled on /book was told "this is Wed 9 Dec, come back that day" at the booth;
    on any day, before or on its own, the kiosk says it was cancelled."""
    booking_desk, clock = desk
    code = await book(booking_desk)
    await booking_desk.cancel(code)
    for now in (clock.now, START, START + timedelta(days=2)):
        clock.now = now
        with pytest.raises(DeskError) as refused:
            await booking_desk.check_in(code)
        assert refused.value.code == "cancelled"
