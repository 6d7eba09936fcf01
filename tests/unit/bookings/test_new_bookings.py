"""The brake on anonymous bookings (``booking_desk.flood``) on a fake clock: a day's few per address, an hour's
worth for everyone together, a refused booking given back."""

from __future__ import annotations

import pytest

from madoguchi.booking_desk.flood import NewBookings, TooManyBookings


def spend(brake: NewBookings, address: str, now: float) -> str:
    try:
        brake.take(address, now)
    except TooManyBookings as paused:
        return f"wait {paused.retry_after:.0f}"
    return "ok"


def test_one_address_gets_its_days_bookings_then_waits() -> None:
    brake = NewBookings(per_address_per_day=3, per_hour=100)
    assert [spend(brake, "198.51.100.1", 0.0) for _ in range(4)] == ["ok", "ok", "ok", "wait 28800"]
    assert spend(brake, "198.51.100.2", 0.0) == "ok"  # another address is not held up
    assert spend(brake, "198.51.100.1", 28_800.0) == "ok"  # a third of a day later: one more


def test_many_addresses_share_an_hours_worth() -> None:
    brake = NewBookings(per_address_per_day=5, per_hour=10)
    results = [spend(brake, f"198.51.100.{n}", 0.0) for n in range(12)]
    assert results == ["ok"] * 10 + ["wait 360"] * 2
    assert spend(brake, "198.51.100.40", 360.0) == "ok"


def test_a_refused_booking_is_given_back() -> None:
    brake = NewBookings(per_address_per_day=1, per_hour=1)
    brake.take("198.51.100.1", 0.0)
    brake.give_back("198.51.100.1")  # the time was full: nothing taken from the town
    assert spend(brake, "198.51.100.1", 0.0) == "ok"


def test_the_address_bucket_is_not_spent_when_everyones_is_empty() -> None:
    brake = NewBookings(per_address_per_day=2, per_hour=1)
    assert spend(brake, "198.51.100.1", 0.0) == "ok"
    assert spend(brake, "198.51.100.2", 0.0) == "wait 3600"
    assert spend(brake, "198.51.100.2", 3600.0) == "ok"
    with pytest.raises(TooManyBookings):
        brake.take("198.51.100.2", 3600.0)
