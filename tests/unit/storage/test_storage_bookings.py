"""The bookings table and its per-slot counter, on SQLite and PostgreSQL: capacity holds under concurrent
writers, cancelling and no-shows give the place back, moves keep the code, contacts stay masked."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest

from madoguchi.bookings import codes
from madoguchi.bookings.ferry import Sailing
from madoguchi.bookings.plan import JST
from madoguchi.bookings.slots import Slot
from madoguchi.storage.bookings import BookingClosed, Bookings, NewBooking, SlotFull, UnknownBooking, mask_contact
from madoguchi.storage.db import Database, open_database

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
START = datetime(2026, 12, 7, 10, 0, tzinfo=JST)


def slot(start: datetime = START, capacity: int = 3, place: str = "post") -> Slot:
    return Slot("booths", "booth", place, start, start + timedelta(minutes=30), capacity)


def new(s: Slot, **extra: object) -> NewBooking:
    return NewBooking(municipality_id="shiomi", route="tax", slot=s, name_kana="ヤマダ タロウ", **extra)  # type: ignore[arg-type]


async def test_a_booking_is_stored_with_a_well_formed_code(db: Database, town: str) -> None:
    bookings = Bookings(db)
    record = await bookings.book(new(slot(), email="taro@example.jp", phone="090-1234-5678"), now=NOW)
    assert codes.well_formed(record.code)
    stored = await bookings.get(record.code)
    assert stored == record
    assert stored.start == START and stored.start.tzinfo is not None and stored.status == "booked"
    assert stored.masked_contact() == "ta***@example.jp"
    assert "taro" not in repr(stored) and "5678" not in repr(stored)
    assert await bookings.get("00000000") is None


async def test_capacity_holds_under_concurrent_writers(database_url: str, town: str) -> None:
    """Four connections' worth of writers race for a slot of capacity 3: three win, the rest are refused."""
    databases = [await open_database(database_url) for _ in range(4)]
    try:
        results = await asyncio.gather(
            *(Bookings(databases[i % 4]).book(new(slot()), now=NOW) for i in range(40)), return_exceptions=True
        )
    finally:
        for database in databases:
            await database.close()
    won = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, SlotFull)]
    assert (len(won), len(refused)) == (3, 37), [r for r in results if isinstance(r, BaseException)][:3]


async def test_cancel_and_no_show_give_the_place_back(db: Database, town: str) -> None:
    bookings = Bookings(db)
    first = await bookings.book(new(slot(capacity=1)), now=NOW)
    with pytest.raises(SlotFull):
        await bookings.book(new(slot(capacity=1)), now=NOW)
    cancelled = await bookings.cancel(first.code, now=NOW)
    assert cancelled.status == "cancelled"
    second = await bookings.book(new(slot(capacity=1)), now=NOW)
    assert await bookings.counts("shiomi", START, START + timedelta(hours=1)) == {second.key: 1}
    await bookings.set_status(second.code, "no_show", now=NOW)
    assert await bookings.counts("shiomi", START, START + timedelta(hours=1)) == {}
    with pytest.raises(BookingClosed):
        await bookings.cancel(second.code, now=NOW)
    with pytest.raises(UnknownBooking):
        await bookings.cancel("12345678", now=NOW)


async def test_a_move_keeps_the_code_and_needs_room_at_the_new_time(db: Database, town: str) -> None:
    bookings = Bookings(db)
    later = slot(START + timedelta(hours=1), capacity=1)
    mine = await bookings.book(new(slot()), now=NOW)
    other = await bookings.book(new(later), now=NOW)
    with pytest.raises(SlotFull):
        await bookings.move(mine.code, later, now=NOW)
    assert (await bookings.get(mine.code)).start == START  # type: ignore[union-attr]
    await bookings.cancel(other.code, now=NOW)
    moved = await bookings.move(mine.code, later, now=NOW)
    assert (moved.code, moved.start) == (mine.code, later.start)
    assert await bookings.counts("shiomi", START, START + timedelta(hours=2)) == {moved.key: 1}


async def test_bookings_by_day_and_cancelled_sailings(db: Database, town: str) -> None:
    bookings = Bookings(db)
    ferry = await bookings.book(
        new(slot(), ferry_line="nagishima", ferry_arrive=time(8, 5), ferry_leave=time(12, 10)), now=NOW
    )
    await bookings.book(new(slot(START + timedelta(days=1))), now=NOW)
    day = await bookings.between(START - timedelta(hours=10), START + timedelta(hours=14), municipality_id="shiomi")
    assert [b.code for b in day] == [ferry.code]
    assert ferry.ferry_booking() is not None and ferry.ferry_booking().arrive == time(8, 5)  # type: ignore[union-attr]
    sailing = Sailing("nagishima", date(2026, 12, 7), "in", time(8, 5))
    assert await bookings.cancel_sailing("shiomi", sailing, now=NOW)
    assert not await bookings.cancel_sailing("shiomi", sailing, now=NOW)
    assert await bookings.cancelled_sailings("shiomi", date(2026, 12, 7), date(2026, 12, 7)) == {sailing}
    await bookings.restore_sailing("shiomi", sailing)
    assert await bookings.cancelled_sailings("shiomi", date(2026, 12, 1), date(2026, 12, 31)) == frozenset()


def test_contacts_are_masked() -> None:
    assert mask_contact("hanako@example.jp") == "ha***@example.jp"
    assert mask_contact("090-1234-5678") == "***5678"
    assert mask_contact("12") == "***"
    assert mask_contact(None) is None


async def test_a_code_already_in_use_is_skipped_and_another_drawn(
    db: Database, town: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The booking insert skips a taken code (``ON CONFLICT DO NOTHING``) instead of looking each one up first;
    the slot is counted once however many codes it took."""
    bookings = Bookings(db)
    first = await bookings.book(new(slot()), now=NOW)
    drawn = iter([first.code, first.code, "12345671"])
    monkeypatch.setattr("madoguchi.storage.bookings.new_code", lambda: next(drawn))
    second = await bookings.book(new(slot()), now=NOW)
    assert second.code == "12345671" and (await bookings.get("12345671")) == second
    assert (await bookings.get(first.code)) == first
    assert await bookings.counts("shiomi", START, START + timedelta(hours=1)) == {first.key: 2}


async def test_counts_of_some_desks_only(db: Database, town: str) -> None:
    """A slot search asks for its route's desks only (the primary key's prefix on PostgreSQL)."""
    bookings = Bookings(db)
    mine = await bookings.book(new(slot()), now=NOW)
    other_desk = Slot("counter", "counter", "post", START, START + timedelta(minutes=30), 2)
    theirs = await bookings.book(new(other_desk), now=NOW)
    window = (START, START + timedelta(hours=1))
    assert await bookings.counts("shiomi", *window) == {mine.key: 1, theirs.key: 1}
    assert await bookings.counts("shiomi", *window, desks={"booths"}) == {mine.key: 1}
    assert await bookings.counts("shiomi", *window, place="post", desks={"counter", "x"}) == {theirs.key: 1}
    assert await bookings.counts("shiomi", *window, place="elsewhere", desks={"booths"}) == {}


async def test_a_slot_of_no_capacity_is_full(db: Database, town: str) -> None:
    with pytest.raises(SlotFull):
        await Bookings(db).book(new(slot(capacity=0)), now=NOW)
