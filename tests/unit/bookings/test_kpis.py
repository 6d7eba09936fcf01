"""The booking KPIs over fixed rows: volume, no-show rate, lead time, wait of booked against walk-in residents."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from madoguchi.bookings.kpis import BookingRow, BookingScope, WaitRow, compute
from madoguchi.bookings.plan import JST

MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=JST)


def row(status: str, *, mode: str = "booth", by: str = "resident", lead_h: float = 24.0) -> BookingRow:
    return BookingRow(status, mode, by, MONDAY, MONDAY - timedelta(hours=lead_h))


def test_volume_no_shows_and_lead_time() -> None:
    rows = [
        row("done", lead_h=2),
        row("checked_in", mode="video", lead_h=48),
        row("no_show", by="staff:u1", lead_h=24),
        row("cancelled", mode="counter", lead_h=100),
        row("booked", lead_h=1),
    ]
    kpis = compute(rows, [])
    assert kpis.bookings == 5
    assert kpis.by_status == {"booked": 1, "cancelled": 1, "checked_in": 1, "done": 1, "no_show": 1}
    assert kpis.by_mode == {"booth": 3, "counter": 1, "video": 1}
    assert kpis.booked_by_staff == 1
    assert kpis.no_show_rate == round(1 / 3, 3)  # of the three whose time came; cancelled and future left out
    assert kpis.lead_time_median_h == 24.0


def test_wait_of_booked_against_walk_in_residents() -> None:
    waits = [WaitRow(True, 30.0), WaitRow(True, 90.0), WaitRow(False, 600.0), WaitRow(False, 900.0), WaitRow(False, 60)]
    kpis = compute([], waits)
    assert (kpis.wait_median_booked_s, kpis.answered_booked) == (60.0, 2)
    assert (kpis.wait_median_walk_in_s, kpis.answered_walk_in) == (600.0, 3)


def test_nothing_to_count_is_unknown_not_zero() -> None:
    kpis = compute([], [])
    assert kpis.bookings == 0
    assert (kpis.no_show_rate, kpis.lead_time_median_h, kpis.wait_median_booked_s) == (None, None, None)
    assert compute([row("booked"), row("cancelled")], []).no_show_rate is None


def test_per_route_and_place_and_slot_utilisation() -> None:
    start = datetime(2026, 12, 7, 9, tzinfo=JST)
    rows = [
        BookingRow("done", "counter", "resident", start, start - timedelta(days=1), "tax", "honcho"),
        BookingRow("no_show", "counter", "resident", start, start - timedelta(days=1), "tax", "honcho"),
        BookingRow("cancelled", "counter", "resident", start, start - timedelta(days=1), "tax", "honcho"),
        BookingRow("booked", "video", "staff:u1", start, start - timedelta(days=1), "family_register", "home"),
    ]
    kpis = compute(rows, [], {"honcho": 10, "post": 4})
    assert kpis.by_route == {"family_register": {"booked": 1}, "tax": {"cancelled": 1, "done": 1, "no_show": 1}}
    assert kpis.by_place == {"home": {"booked": 1}, "honcho": {"cancelled": 1, "done": 1, "no_show": 1}}
    assert kpis.utilisation == {
        "home": {"offered": 0, "booked": 1, "rate": None},  # booked where nothing is offered now: no rate
        "honcho": {"offered": 10, "booked": 2, "rate": 0.2},  # the no-show held its place, the cancelled did not
        "post": {"offered": 4, "booked": 0, "rate": 0.0},
        "*": {"offered": 14, "booked": 3, "rate": 0.214},
    }
    assert compute(rows, []).utilisation == {}


def test_the_reports_route_place_and_channel_filters_narrow_the_booking_figures() -> None:
    start = datetime(2026, 12, 7, 9, tzinfo=JST)
    made = start - timedelta(days=1)
    rows = [
        BookingRow("done", "counter", "resident", start, made, "tax", "honcho"),
        BookingRow("done", "booth", "resident", start, made, "tax", "post"),
        BookingRow("no_show", "booth", "resident", start, made, "pension", "post"),
        BookingRow("booked", "video", "resident", start, made, "tax", "home"),
    ]
    waits = [
        WaitRow(True, 30.0, "tax", "booth", "post"),
        WaitRow(False, 300.0, "tax", "chat", ""),
        WaitRow(False, 900.0, "pension", "booth", "post"),
    ]
    offered = {"honcho": 10, "post": 4, "home": 2}
    tax = compute(rows, waits, offered, BookingScope(route="tax"))
    assert (tax.bookings, tax.by_route) == (3, {"tax": {"booked": 1, "done": 2}})
    assert (tax.answered_booked, tax.answered_walk_in, tax.wait_median_walk_in_s) == (1, 1, 300.0)
    post = compute(rows, waits, offered, BookingScope(place="post"))
    assert (post.bookings, post.answered_walk_in) == (2, 1)
    assert post.utilisation == {
        "post": {"offered": 4, "booked": 2, "rate": 0.5},
        "*": {"offered": 4, "booked": 2, "rate": 0.5},
    }
    booths = compute(rows, waits, offered, BookingScope(channel="booth"))
    assert booths.by_mode == {"booth": 2}  # the counter booking is met in person, the video one from the chat page
    chats = compute(rows, waits, offered, BookingScope(route="tax", channel="chat"))
    assert (chats.by_mode, chats.answered_walk_in, chats.answered_booked) == ({"video": 1}, 1, 0)
    assert compute(rows, waits, offered).bookings == 4  # no filter: everything, as before


def test_an_unknown_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="channel must be one of"):
        BookingScope(channel="phone")
