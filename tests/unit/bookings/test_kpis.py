"""The booking KPIs over fixed rows: volume, no-show rate, lead time, wait of booked against walk-in residents."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from openpyxl import load_workbook

from madoguchi.booking_desk.report_book import workbook
from madoguchi.bookings.kpis import BookingRow, ReportFilter, WaitRow, compute
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


def placed(status: str, route: str, place: str, mode: str = "booth", lead_h: float = 24.0) -> BookingRow:
    return BookingRow(status, mode, "resident", MONDAY, MONDAY - timedelta(hours=lead_h), route, place)


ROWS = [
    placed("done", "tax", "post", lead_h=2),
    placed("no_show", "tax", "post", lead_h=10),
    placed("no_show", "welfare", "post", lead_h=30),
    placed("done", "tax", "hall", mode="counter", lead_h=50),
    placed("checked_in", "tax", "home", mode="video", lead_h=70),
]
WAITS = [
    WaitRow(True, 30.0, route="tax", channel="booth", booth="b1", place="post"),
    WaitRow(False, 300.0, route="tax", channel="booth", booth="b1", place="post"),
    WaitRow(False, 900.0, route="welfare", channel="booth", booth="b2", place="post"),
    WaitRow(True, 60.0, route="tax", channel="chat"),
    WaitRow(False, 1200.0, route="tax", channel="chat"),
]


def test_the_report_filters_narrow_bookings_and_waits_alike() -> None:
    """Each of the reports page's filters narrows the volume, no-show rate, lead time and both waits."""
    by_route = compute(ROWS, WAITS, where=ReportFilter(route="tax"))
    assert (by_route.bookings, by_route.no_show_rate, by_route.lead_time_median_h) == (4, round(1 / 4, 3), 30.0)
    assert (by_route.wait_median_booked_s, by_route.wait_median_walk_in_s) == (45.0, 750.0)

    at_post = compute(ROWS, WAITS, where=ReportFilter(place="post"))
    assert (at_post.bookings, at_post.no_show_rate, at_post.lead_time_median_h) == (3, round(2 / 3, 3), 10.0)
    assert (at_post.answered_booked, at_post.answered_walk_in) == (1, 2)

    chat = compute(ROWS, WAITS, where=ReportFilter(channel="chat"))
    assert (chat.bookings, chat.by_mode, chat.no_show_rate) == (1, {"video": 1}, 0.0)
    assert (chat.wait_median_booked_s, chat.wait_median_walk_in_s) == (60.0, 1200.0)

    both = compute(ROWS, WAITS, where=ReportFilter(route="welfare", place="post", channel="booth"))
    assert (both.bookings, both.no_show_rate, both.wait_median_walk_in_s, both.answered_booked) == (1, 1.0, 900.0, 0)


def test_a_booth_filter_keeps_the_bookings_at_its_place_and_the_cases_at_that_booth() -> None:
    at_b1 = compute(ROWS, WAITS, where=ReportFilter(booth="b1", booth_place="post"))
    assert at_b1.bookings == 3 and set(at_b1.by_place) == {"post"}
    assert (at_b1.wait_median_booked_s, at_b1.wait_median_walk_in_s) == (30.0, 300.0)
    nowhere = compute(ROWS, WAITS, where=ReportFilter(booth="b3", booth_place=None))
    assert (nowhere.bookings, nowhere.no_show_rate, nowhere.answered_walk_in) == (0, None, 0)


def test_utilisation_counts_only_the_kept_places_and_the_unfiltered_report_is_unchanged() -> None:
    offered = {"post": 10, "hall": 4, "home": 2}
    narrowed = compute(ROWS, WAITS, offered, ReportFilter(place="post"))
    assert narrowed.utilisation == {
        "post": {"offered": 10, "booked": 3, "rate": 0.3},
        "*": {"offered": 10, "booked": 3, "rate": 0.3},
    }
    assert compute(ROWS, WAITS, offered, ReportFilter()) == compute(ROWS, WAITS, offered)
    assert compute(ROWS, WAITS, offered).bookings == 5
    assert ReportFilter(route="tax", channel="chat").as_dict() == {"route": "tax", "channel": "chat"}


def test_channels_map_to_the_booking_modes_that_arrive_through_them() -> None:
    assert compute(ROWS, [], where=ReportFilter(channel="booth")).by_mode == {"booth": 3}
    assert compute(ROWS, [], where=ReportFilter(channel="chat")).by_mode == {"video": 1}
    counter_only = [placed("done", "tax", "hall", mode="counter")]
    assert compute(counter_only, [], where=ReportFilter(channel="booth")).bookings == 0
    assert compute(counter_only, [], where=ReportFilter(channel="chat")).bookings == 0


def test_the_workbook_says_which_filters_it_covers_and_has_the_four_figures() -> None:
    report = compute(ROWS, WAITS, where=ReportFilter(route="tax", channel="booth"))
    sheet = load_workbook(
        io.BytesIO(workbook(report, date(2026, 12, 1), date(2026, 12, 31), {"route": "tax", "channel": "booth"}))
    )["予約"]
    rows = {r[0]: r[1] for r in sheet.iter_rows(values_only=True)}
    assert (rows["絞り込み: 窓口"], rows["絞り込み: 受付の 方法"]) == ("tax", "booth")
    assert "絞り込み: 場所" not in rows
    assert (rows["予約の数"], rows["来なかった 割合"]) == (report.bookings, report.no_show_rate) == (2, 0.5)
    assert rows["予約から 当日までの 時間（中央値・時間）"] == report.lead_time_median_h == 6.0
    assert (rows["予約した 方の 待ち時間（中央値・秒）"], rows["予約なしの 方の 待ち時間（中央値・秒）"]) == (
        30.0,
        300.0,
    )
