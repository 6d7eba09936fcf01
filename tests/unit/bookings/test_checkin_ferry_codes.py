"""Check-in windows, no-shows and ferry fitting, with a fake clock and JST times (codes: test_booking_codes.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from madoguchi.bookings.checkin import Due, check_in, due_soon, gives_the_booking_back, is_no_show, no_show_after
from madoguchi.bookings.ferry import FerryBooking, Sailing, affected, fitting, next_fitting, trip
from madoguchi.bookings.plan import JST, BookingPlan, CheckinRules, FerryLine
from madoguchi.bookings.slots import offers
from madoguchi.chatbot.knowledge import KnowledgeBaseError, bundled_kb_dir, load_municipality

START = datetime(2026, 12, 7, 10, 0, tzinfo=JST)
RULES = CheckinRules(early_minutes=15, late_minutes=10, no_show_minutes=20)


@pytest.mark.parametrize(
    ("minutes", "outcome", "priority"),
    [
        (-60, "early", False),
        (-15.01, "early", False),
        (-15, "priority", True),
        (0, "priority", True),
        (10, "priority", True),
        (10.01, "late", False),
        (45, "late", False),
    ],
)
def test_checkin_window(minutes: float, outcome: str, priority: bool) -> None:
    result = check_in(RULES, START, START + timedelta(minutes=minutes))
    assert (result.outcome, result.priority) == (outcome, priority)


def test_no_show_after_the_grace() -> None:
    assert no_show_after(RULES, START) == START + timedelta(minutes=20)
    assert not is_no_show(RULES, START, START + timedelta(minutes=19, seconds=59))
    assert is_no_show(RULES, START, START + timedelta(minutes=20))


LINE = FerryLine.model_validate(
    {
        "id": "nagishima",
        "name": {"ja": "凪島航路"},
        "home": {"ja": "凪島"},
        "places": ["honcho"],
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "arrivals": ["8:05", "11:35"],
        "departures": ["12:10", "16:20"],
        "walk_minutes": 10,
        "margin_minutes": 15,
    }
)


def at(hh_mm: str, day: date = date(2026, 12, 7)) -> datetime:
    return datetime.combine(day, time.fromisoformat(hh_mm), JST)


def test_a_visit_fits_between_the_latest_arrival_and_the_earliest_boat_home() -> None:
    fit = trip(LINE, at("09:00"), at("09:20"))
    assert fit is not None and (fit.arrive.at, fit.leave.at) == (time(8, 5), time(12, 10))
    late_morning = trip(LINE, at("11:45"), at("12:05"))  # arrive 11:35 + 10 min walk; 12:10 too soon to get back
    assert late_morning is not None and (late_morning.arrive.at, late_morning.leave.at) == (time(11, 35), time(16, 20))


@pytest.mark.parametrize(
    ("start", "end"),
    [("08:10", "08:30"), ("15:50", "16:10"), ("16:00", "16:30")],  # before the first boat lands; no boat home
)
def test_a_visit_that_misses_a_boat_does_not_fit(start: str, end: str) -> None:
    assert trip(LINE, at(start), at(end)) is None


def test_no_boats_on_a_day_the_line_does_not_run() -> None:
    assert trip(LINE, at("09:00", date(2026, 12, 12)), at("09:20", date(2026, 12, 12))) is None  # Saturday


def test_a_cancelled_sailing_is_not_relied_on() -> None:
    cancelled = {Sailing("nagishima", date(2026, 12, 7), "in", time(8, 5))}
    assert trip(LINE, at("09:00"), at("09:20"), cancelled) is None
    later = trip(LINE, at("11:50"), at("12:10"), cancelled)
    assert later is not None and later.arrive.at == time(11, 35)


def test_affected_bookings_are_those_on_the_cancelled_boat() -> None:
    day = date(2026, 12, 7)
    bookings = [
        FerryBooking("a", "nagishima", day, time(8, 5), time(12, 10)),
        FerryBooking("b", "nagishima", day, time(11, 35), time(16, 20)),
        FerryBooking("c", "nagishima", day + timedelta(days=1), time(8, 5), time(12, 10)),
        FerryBooking("d", "other", day, time(8, 5), time(12, 10)),
    ]
    assert [b.code for b in affected(bookings, Sailing("nagishima", day, "in", time(8, 5)))] == ["a"]
    assert [b.code for b in affected(bookings, Sailing("nagishima", day, "out", time(16, 20)))] == ["b"]


PLAN = BookingPlan.model_validate(
    {
        "min_notice_minutes": 0,
        "desks": [
            {
                "id": "counter",
                "mode": "counter",
                "places": ["honcho"],
                "routes": ["*"],
                "days": ["mon", "tue"],
                "hours": ["8:00-17:00"],
                "slot_minutes": 30,
                "capacity": 1,
            }
        ],
        "ferries": [LINE.model_dump()],
    }
)


def test_only_fitting_slots_are_offered_to_a_ferry_passenger() -> None:
    now = at("07:00")
    found = fitting(LINE, offers(PLAN, "tax", date(2026, 12, 7), now, {}, place="honcho"))
    # 8:05 + 10 → from 8:30; the last boat 16:20 − 25 → ending by 15:55
    assert (f"{found[0][0].slot.start:%H:%M}", f"{found[-1][0].slot.end:%H:%M}") == ("08:30", "15:30")


def test_after_a_cancellation_the_next_fitting_free_slots_are_offered() -> None:
    now = at("07:00")
    day = date(2026, 12, 7)
    cancelled = {Sailing("nagishima", day, "in", time(8, 5))}
    full = {o.slot.key: 1 for o in offers(PLAN, "tax", day, now, {}, place="honcho")[7:9]}  # 11:30 and 12:00 taken
    found = next_fitting(
        PLAN, LINE, route="tax", place="honcho", after=at("08:30"), now=now, booked=full, cancelled=cancelled
    )
    assert [f"{o.slot.start:%m-%d %H:%M}" for o, _ in found] == ["12-07 12:30", "12-07 13:00", "12-07 13:30"]
    tuesday_on = next_fitting(PLAN, LINE, route="tax", place="honcho", after=at("15:30"), now=now, booked={})
    assert [f"{o.slot.start:%m-%d %H:%M}" for o, _ in tuesday_on] == ["12-08 08:30", "12-08 09:00", "12-08 09:30"]


def test_the_demo_town_ships_a_plan_and_a_ferry_for_its_island() -> None:
    town = load_municipality(bundled_kb_dir() / "municipality.yaml")
    assert town.booking is not None and town.booking_problems() == []
    assert {d.mode for d in town.booking.desks} == {"booth", "counter", "video"}
    assert [line.id for line in town.booking.ferries] == ["nagishima"]


def test_a_plan_mistake_comes_back_with_file_and_line(tmp_path: Path) -> None:
    source = (bundled_kb_dir() / "municipality.yaml").read_text(encoding="utf-8")
    bad_place = tmp_path / "municipality.yaml"
    bad_place.write_text(source.replace("places: [shiomi-post-office, nagishima", "places: [nowhere, nagishima"))
    with pytest.raises(KnowledgeBaseError) as unknown:
        load_municipality(bad_place)
    line = source.splitlines().index("      places: [shiomi-post-office, nagishima-community-centre]") + 1
    assert str(unknown.value) == f"{bad_place}:{line}: booking.desks.1.places: unknown place 'nowhere'"
    bad_time = tmp_path / "m2.yaml"
    bad_time.write_text(source.replace('hours: ["9:00-12:00", "13:00-16:00"]', 'hours: ["9:00-12:00", "16:00-13:00"]'))
    with pytest.raises(KnowledgeBaseError, match=r"m2.yaml:\d+: booking.desks.1.hours.1: .*end before they start"):
        load_municipality(bad_time)


def test_bookings_due_soon_are_those_an_agent_serves_within_the_horizon() -> None:
    now = START
    minutes = timedelta(minutes=1)
    bookings = [
        Due("tax", "booth", now + 20 * minutes),
        Due("tax", "video", now + 30 * minutes),  # the horizon's edge counts
        Due("tax", "booth", now - 10 * minutes),  # still inside its check-in window
        Due("tax", "booth", now - 11 * minutes),  # past it: would join as a walk-in
        Due("tax", "booth", now + 31 * minutes),  # beyond the horizon
        Due("tax", "counter", now + 5 * minutes),  # the main office counter: staffed in person
        Due("welfare", "video", now + 5 * minutes),
    ]
    assert due_soon(RULES, bookings, now, 30 * minutes) == {"tax": 3, "welfare": 1}
    assert due_soon(RULES, bookings, now, timedelta(0)) == {"tax": 1}
    assert due_soon(RULES, [], now, 30 * minutes) == {}


@pytest.mark.parametrize(
    ("state", "answered", "end_reason", "back"),
    [
        ("abandoned", False, "cancelled", True),  # やめる while waiting (UX14 #1)
        ("abandoned", False, "resident_link_lost", True),  # the booth's link dropped while waiting
        ("abandoned", False, "callback", False),  # a call-back instead: the office calls them
        ("abandoned", True, "cancelled", False),  # answered once, then given up: the booking was used
        ("closed", True, None, False),  # a finished call
        ("interrupted", False, "server_restart", False),
    ],
)
def test_only_an_unanswered_wait_given_up_gives_the_booking_back(
    state: str, answered: bool, end_reason: str | None, back: bool
) -> None:
    assert gives_the_booking_back(state=state, answered=answered, end_reason=end_reason) is back
