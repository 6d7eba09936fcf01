"""Slot generation and the booking rules: hours, holidays, buffers, capacity, horizon, notice (JST dates,
a fake clock: every "now" is passed in)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from madoguchi.bookings.plan import HOME, JST, BookingPlan
from madoguchi.bookings.slots import (
    BookingRefused,
    SlotKey,
    day_slots,
    find_slot,
    offered_capacity,
    offers,
    open_days,
)
from madoguchi.domain.opening_hours import HoursSpec, hours_of

PLAN = BookingPlan.model_validate(
    {
        "horizon_days": 14,
        "min_notice_minutes": 60,
        "closed_dates": ["2026-12-08"],
        "closed_every_year": ["12-31", "01-01"],
        "desks": [
            {
                "id": "counter",
                "mode": "counter",
                "places": ["honcho"],
                "routes": ["tax", "resident_records"],
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "hours": ["8:30-10:00", "13:00-14:00"],
                "slot_minutes": 20,
                "buffer_minutes": 10,
                "capacity": 3,
            },
            {
                "id": "booths",
                "mode": "booth",
                "places": ["post", "island"],
                "routes": ["*"],
                "days": ["mon", "wed"],
                "hours": ["9:00-10:00"],
                "slot_minutes": 30,
                "capacity": 1,
            },
            {
                "id": "video",
                "mode": "video",
                "routes": ["tax"],
                "days": ["sat"],
                "hours": ["10:00-11:00"],
                "slot_minutes": 60,
                "capacity": 2,
            },
        ],
    }
)

MONDAY = date(2026, 12, 7)  # a Monday
SUNDAY_EVENING = datetime(2026, 12, 6, 18, 0, tzinfo=JST)


def starts(slots: list) -> list[str]:  # type: ignore[type-arg]
    return [f"{s.place} {s.start:%H:%M}-{s.end:%H:%M}" for s in slots]


def test_slots_follow_the_hours_with_the_buffer_between_them() -> None:
    assert starts(day_slots(PLAN, "tax", MONDAY, place="honcho")) == [
        "honcho 08:30-08:50",
        "honcho 09:00-09:20",
        "honcho 09:30-09:50",
        "honcho 13:00-13:20",
        "honcho 13:30-13:50",
    ]


def test_a_slot_never_runs_past_closing_time() -> None:
    assert all(s.end.time() <= time(14, 0) for s in day_slots(PLAN, "resident_records", MONDAY, place="honcho"))


def test_slot_times_are_japan_time() -> None:
    first = day_slots(PLAN, "tax", MONDAY, place="honcho")[0]
    assert first.start.utcoffset() == timedelta(hours=9)
    assert first.start.astimezone(UTC) == datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # 8:30 JST is the day before in UTC


def test_every_place_of_a_desk_gets_its_own_slots_and_a_wildcard_desk_serves_every_route() -> None:
    assert starts(day_slots(PLAN, "waste_environment", MONDAY)) == [
        "island 09:00-09:30",
        "post 09:00-09:30",
        "island 09:30-10:00",
        "post 09:30-10:00",
    ]


def test_weekdays_holidays_and_yearly_closures_close_the_day() -> None:
    with pytest.raises(BookingRefused) as closed:
        day_slots(PLAN, "tax", date(2026, 12, 8))  # a Tuesday in closed_dates
    assert closed.value.code == "closed_day"
    for day in (date(2026, 12, 6), date(2026, 12, 31), date(2027, 1, 1)):  # Sunday, 12-31 and 01-01 every year
        with pytest.raises(BookingRefused, match="closed"):
            day_slots(PLAN, "tax", day, place="honcho")
    with pytest.raises(BookingRefused) as booth_tuesday:
        day_slots(PLAN, "waste_environment", date(2026, 12, 10))  # Thursday: the booths open mon and wed
    assert booth_tuesday.value.code == "closed_day"


def test_video_from_home_has_the_place_home() -> None:
    saturday = date(2026, 12, 12)
    assert starts(day_slots(PLAN, "tax", saturday)) == [f"{HOME} 10:00-11:00"]


def test_unknown_route_and_place_are_refused_by_name() -> None:
    with pytest.raises(BookingRefused) as route:
        day_slots(PLAN, "family_register", MONDAY, place="honcho")
    assert route.value.code == "unknown_place"  # the booths take it, the counter does not
    only_counter = PLAN.model_copy(update={"desks": PLAN.desks[:1]})
    with pytest.raises(BookingRefused) as unknown:
        day_slots(only_counter, "family_register", MONDAY)
    assert unknown.value.code == "unknown_route"


def test_free_places_subtract_what_is_booked() -> None:
    slots = day_slots(PLAN, "tax", MONDAY, place="honcho")
    booked = {slots[0].key: 3, slots[1].key: 1}
    found = offers(PLAN, "tax", MONDAY, SUNDAY_EVENING, booked, place="honcho")
    assert [o.free for o in found] == [0, 2, 3, 3, 3]


def test_routes_of_one_desk_share_its_capacity() -> None:
    [slot] = [s for s in day_slots(PLAN, "tax", MONDAY, place="honcho")][:1]
    other_route = day_slots(PLAN, "resident_records", MONDAY, place="honcho")[0]
    assert slot.key == other_route.key == SlotKey("counter", "honcho", slot.start.astimezone(UTC))


def test_past_and_too_soon_slots_are_not_offered() -> None:
    now = datetime(2026, 12, 7, 8, 45, tzinfo=JST)  # 8:30 has begun; 9:00 and 9:30 are within the hour
    assert starts([o.slot for o in offers(PLAN, "tax", MONDAY, now, {}, place="honcho")]) == [
        "honcho 13:00-13:20",
        "honcho 13:30-13:50",
    ]
    with pytest.raises(BookingRefused) as past:
        find_slot(PLAN, "tax", "honcho", datetime(2026, 12, 7, 8, 30, tzinfo=JST), now)
    assert past.value.code == "past_slot"
    with pytest.raises(BookingRefused) as soon:
        find_slot(PLAN, "tax", "honcho", datetime(2026, 12, 7, 9, 30, tzinfo=JST), now)
    assert soon.value.code == "too_late"
    with pytest.raises(BookingRefused) as yesterday:
        offers(PLAN, "tax", MONDAY - timedelta(days=1), now, {})
    assert yesterday.value.code == "past_slot"


def test_the_horizon_limits_how_far_ahead() -> None:
    now = SUNDAY_EVENING
    last_monday = MONDAY + timedelta(days=7)  # within 14 days
    assert offers(PLAN, "tax", last_monday, now, {}, place="honcho")
    with pytest.raises(BookingRefused) as far:
        offers(PLAN, "tax", date(2026, 12, 21), now, {}, place="honcho")  # 15 days ahead
    assert far.value.code == "beyond_horizon"
    with pytest.raises(BookingRefused) as far_slot:
        find_slot(PLAN, "tax", "honcho", datetime(2026, 12, 21, 8, 30, tzinfo=JST), now)
    assert far_slot.value.code == "beyond_horizon"


def test_find_slot_accepts_the_same_instant_in_utc_and_refuses_a_time_between_slots() -> None:
    slot = find_slot(PLAN, "tax", "honcho", datetime(2026, 12, 7, 0, 0, tzinfo=UTC), SUNDAY_EVENING)  # 9:00 JST
    assert f"{slot.start:%H:%M}" == "09:00" and slot.capacity == 3
    with pytest.raises(BookingRefused) as between:
        find_slot(PLAN, "tax", "honcho", datetime(2026, 12, 7, 8, 50, tzinfo=JST), SUNDAY_EVENING)  # the buffer
    assert between.value.code == "no_such_slot"


def test_a_plan_that_books_one_route_twice_at_a_place_is_refused() -> None:
    desk = PLAN.desks[0].model_dump()
    with pytest.raises(ValidationError, match="both book route tax at honcho"):
        BookingPlan.model_validate({"desks": [desk, {**desk, "id": "again", "routes": ["tax"]}]})
    with pytest.raises(ValidationError, match="overlap"):
        BookingPlan.model_validate({"desks": [{**desk, "hours": ["8:00-10:00", "9:30-11:00"]}]})
    with pytest.raises(ValidationError, match="end before they start"):
        BookingPlan.model_validate({"desks": [{**desk, "hours": ["10:00-9:00"]}]})
    with pytest.raises(ValidationError, match="video desk"):
        BookingPlan.model_validate({"desks": [{**desk, "mode": "video"}]})


def test_a_national_holiday_is_closed_unless_the_towns_hours_open_it() -> None:
    substitute = date(2026, 5, 6)  # Wednesday, 振替休日 (not in the plan's closed_dates)
    before = datetime(2026, 5, 1, 9, 0, tzinfo=JST)
    week = {"mon": "08:30-17:15", "wed": "08:30-17:15"}
    closed = hours_of(HoursSpec(weekly=week))
    opened = hours_of(HoursSpec(weekly=week, open_holidays=[substitute]))  # the admin opened it on /admin
    for hours in (None, closed):
        with pytest.raises(BookingRefused) as refused:
            offers(PLAN, "tax", substitute, before, {}, hours=hours)
        assert refused.value.code == "closed_day"
    offered = offers(PLAN, "tax", substitute, before, {}, place="honcho", hours=opened)
    assert [f"{o.slot.start:%H:%M}" for o in offered][:2] == ["08:30", "09:00"]
    start = datetime(2026, 5, 6, 8, 30, tzinfo=JST)
    with pytest.raises(BookingRefused):
        find_slot(PLAN, "tax", "honcho", start, before, hours=closed)
    assert find_slot(PLAN, "tax", "honcho", start, before, hours=opened).start == start
    assert PLAN.is_closed(substitute, hours=closed) and not PLAN.is_closed(substitute, hours=opened)
    ignoring = PLAN.model_copy(update={"national_holidays": False})
    assert offers(ignoring, "tax", substitute, before, {}, place="honcho")


def test_offered_capacity_counts_open_days_only() -> None:
    # Mon 7 Dec: counter 3 slots before 10:00 (8:30, 9:00, 9:30) + 2 after 13:00 (13:00, 13:30), capacity 3;
    # booths at post and island 2 slots of 1; Tue 8 Dec is a closed date; Sat 12 Dec the video desk, 1 slot of 2
    offered = offered_capacity(PLAN, MONDAY, MONDAY + timedelta(days=6))
    assert offered == {"home": 2, "honcho": 5 * 3 * 4, "island": 2 * 2, "post": 2 * 2}  # Mon, Wed, Thu, Fri
    assert offered_capacity(PLAN, date(2026, 12, 8), date(2026, 12, 8)) == {}


def test_offered_capacity_of_one_route_or_some_modes_only() -> None:
    """A report narrowed to a route or a channel divides by the capacity of the desks that serve it."""
    week = (MONDAY, MONDAY + timedelta(days=6))
    assert offered_capacity(PLAN, *week, route="welfare") == {"island": 4, "post": 4}  # only the booths serve all
    assert offered_capacity(PLAN, *week, route="tax", modes=frozenset({"video"})) == {"home": 2}
    assert offered_capacity(PLAN, *week, modes=frozenset({"booth"})) == {"island": 4, "post": 4}
    assert offered_capacity(PLAN, *week, route="resident_records", modes=frozenset({"video"})) == {}


def test_offered_capacity_follows_the_towns_opening_hours_calendar() -> None:
    # the admin closed Wed 9 Dec on /admin (the alarms' calendar): the report offers nothing that day either
    week = {**dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "08:30-17:15"), "sat": "10:00-11:00"}
    hours = hours_of(HoursSpec(weekly=week, closed=[date(2026, 12, 9)], national_holidays=False))
    offered = offered_capacity(PLAN, MONDAY, MONDAY + timedelta(days=6), hours=hours)
    assert offered == {"home": 2, "honcho": 5 * 3 * 3, "island": 2, "post": 2}  # Mon, Thu, Fri (and Sat's video)
    # the hours close Saturdays and keep Thursdays to the mornings: Sat's video and Thu's afternoon go too
    shorter = hours_of(HoursSpec(weekly={**week, "thu": "08:30-12:00", "sat": "closed"}, national_holidays=False))
    offered = offered_capacity(PLAN, MONDAY, MONDAY + timedelta(days=6), hours=shorter)
    assert offered == {"honcho": 5 * 3 * 3 + 3 * 3, "island": 4, "post": 4}


WEEKDAYS_OPEN = {**dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "08:30-17:15")}


def test_a_weekday_the_towns_hours_close_offers_no_slot() -> None:
    """Gap of session 8: the desk opens on Wednesdays, the town's hours (/admin, ``madoguchi hours``) close them;
    no slot may be offered, found or listed that day, as for a holiday."""
    hours = hours_of(HoursSpec(weekly={**WEEKDAYS_OPEN, "wed": "closed"}))
    wednesday = MONDAY + timedelta(days=2)
    for route, place in (("tax", "honcho"), ("welfare", "post")):
        assert day_slots(PLAN, route, wednesday, place=place)  # the plan alone opens it
        with pytest.raises(BookingRefused) as refused:
            offers(PLAN, route, wednesday, SUNDAY_EVENING, {}, place=place, hours=hours)
        assert refused.value.code == "closed_day"
        with pytest.raises(BookingRefused) as refused:
            find_slot(
                PLAN, route, place, day_slots(PLAN, route, wednesday, place=place)[0].start, SUNDAY_EVENING, hours=hours
            )
        assert refused.value.code == "closed_day"
    week = [MONDAY + timedelta(days=n) for n in range(7)]
    desk = PLAN.desks[0]
    assert open_days(PLAN, desk, "honcho", week) == [MONDAY + timedelta(days=n) for n in (0, 2, 3, 4)]  # 8th closed
    assert open_days(PLAN, desk, "honcho", week, hours=hours) == [MONDAY + timedelta(days=n) for n in (0, 3, 4)]


def test_only_slots_inside_the_hours_are_offered_and_a_route_may_keep_its_own() -> None:
    """A slot must fit one open window of the route's hours from start to end (the rule that names bookings a
    change of hours closes): the town closes at 13:40, so 13:00-13:20 stays and 13:30-13:50 goes; the tax desk's
    own week (``routes``) opens only Mondays' mornings."""
    hours = hours_of(
        HoursSpec(weekly=dict.fromkeys(WEEKDAYS_OPEN, "08:30-13:40"), routes={"tax": {"mon": "08:00-12:00"}})
    )
    kept = day_slots(PLAN, "resident_records", MONDAY, place="honcho", hours=hours)
    assert starts(kept)[-2:] == ["honcho 09:30-09:50", "honcho 13:00-13:20"]
    assert (
        starts(day_slots(PLAN, "tax", MONDAY, place="honcho", hours=hours))
        == starts(day_slots(PLAN, "tax", MONDAY, place="honcho"))[:3]
    )
    thursday = MONDAY + timedelta(days=3)
    with pytest.raises(BookingRefused):
        day_slots(PLAN, "tax", thursday, place="honcho", hours=hours)
    assert day_slots(PLAN, "resident_records", thursday, place="honcho", hours=hours)
    week = [MONDAY + timedelta(days=n) for n in range(7)]
    assert open_days(PLAN, PLAN.desks[0], "honcho", week, route="tax", hours=hours) == [MONDAY]


def test_a_day_is_listed_only_while_it_has_a_time_one_can_still_book() -> None:
    """office8b (outside UX tester): /book listed today at 15:05 and then said 「空いている時間は ありません」. With
    ``now``, a day whose slots are all past or within the notice is not listed; with ``booked``, a full day is not."""
    desk = PLAN.desks[0]  # Mondays 8:30, 9:00, 9:30, 13:00, 13:30 (20 min), an hour's notice, 3 places each
    week = [MONDAY + timedelta(days=n) for n in range(7)]
    wednesday = MONDAY + timedelta(days=2)
    assert open_days(PLAN, desk, "honcho", week, now=datetime(2026, 12, 7, 12, 25, tzinfo=JST))[0] == MONDAY  # 13:30
    late = datetime(2026, 12, 7, 12, 35, tzinfo=JST)  # 13:30 is within the hour's notice now
    assert open_days(PLAN, desk, "honcho", week, now=late)[0] == wednesday
    wednesdays = day_slots(PLAN, "tax", wednesday, place="honcho")
    full = {slot.key: slot.capacity for slot in wednesdays}
    assert wednesday not in open_days(PLAN, desk, "honcho", week, now=late, booked=full)
    one_left = {**full, wednesdays[-1].key: wednesdays[-1].capacity - 1}
    assert wednesday in open_days(PLAN, desk, "honcho", week, now=late, booked=one_left)
    assert wednesday in open_days(PLAN, desk, "honcho", week, booked={})  # nothing taken: as before
