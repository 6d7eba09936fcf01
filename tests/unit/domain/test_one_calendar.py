"""One calendar for the whole town: the supervisor's alarms, the booth's "closed now", the bookings and the
reports' offered booking capacity ask the same :class:`~madoguchi.storage.opening_hours.HoursBook` hours, which
carry the admin's (or the file's) hours, the booking plan's own closed days (年末年始 12/29–1/3, a town's closed
date) and one holiday calendar. A fake clock (plain epoch seconds and a fake monotonic) and a fake calendar."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from madoguchi.bookings.plan import BookingPlan
from madoguchi.bookings.slots import offered_capacity
from madoguchi.domain.opening_hours import JST, HoursSpec, open_now
from madoguchi.signaling.counter import Counter, CounterConfig, CounterState
from madoguchi.signaling.supervision import BoothInfo, SupervisionRules, alarms
from madoguchi.storage.opening_hours import HoursBook, SavedHours

TOWN = "shiomi"
WEEK = {d: "08:30-17:15" for d in ("mon", "tue", "wed", "thu", "fri")}
PLAN = BookingPlan.model_validate(
    {
        "closed_every_year": ["12-29", "12-30", "12-31", "01-01", "01-02", "01-03"],  # 年末年始, only here
        "closed_dates": ["2026-12-25"],  # the town's own closed day, only here
        "desks": [
            {
                "id": "counter",
                "mode": "counter",
                "places": ["honcho"],
                "routes": ["*"],
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "hours": ["9:00-10:00"],
                "slot_minutes": 60,
                "capacity": 1,
            }
        ],
    }
)


class FakeCalendar:
    """One national holiday: Tuesday 2026-12-08 (invented; the Protocol is what is tested)."""

    def name(self, day: date) -> str | None:
        return "テストの日" if day == date(2026, 12, 8) else None


class FakeStore:
    def __init__(self) -> None:
        self.saved: SavedHours | None = None
        self.reads = 0

    async def get(self, municipality_id: str) -> SavedHours | None:
        self.reads += 1
        return self.saved


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def book(store: FakeStore, clock: FakeMonotonic | None = None) -> HoursBook:
    return HoursBook(
        store,  # type: ignore[arg-type]  # the store's one read, without a database
        lambda m: HoursSpec(weekly=WEEK),  # the municipality file: no closed days of its own
        also_closed=lambda m: PLAN.closed_hours(),
        calendar=FakeCalendar(),
        ttl_s=5.0,
        monotonic=clock or FakeMonotonic(),
    )


def at_10_jst(day: date) -> float:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=JST).timestamp()


def offline_alarms(hours_book: HoursBook, day: date) -> list[str]:
    counter = Counter(CounterState(), CounterConfig(offer_timeout_s=20.0, grace_period_s=30.0))
    rules = SupervisionRules(hours=asyncio.run(hours_book.hours(TOWN)))
    found = alarms(counter, TOWN, at_10_jst(day), booths=[BoothInfo("b1", "北港", None)], rules=rules)
    return [a.key for a in found]


def test_the_booking_plans_new_year_and_closed_date_silence_the_booth_alarm() -> None:
    hours_book = book(FakeStore())
    assert offline_alarms(hours_book, date(2026, 12, 28)) == ["booth_offline:b1"]  # a Monday: open
    for closed in (date(2026, 12, 29), date(2026, 12, 30), date(2027, 1, 1), date(2027, 1, 4) - timedelta(days=1)):
        assert offline_alarms(hours_book, closed) == [], closed  # 年末年始, written only in the booking plan
    assert offline_alarms(hours_book, date(2026, 12, 25)) == []  # the plan's closed date
    assert offline_alarms(hours_book, date(2026, 12, 8)) == []  # the calendar's holiday
    assert offline_alarms(hours_book, date(2027, 1, 4)) == ["booth_offline:b1"]  # back after New Year


def test_the_admins_closed_date_and_opened_holiday_reach_alarms_bookings_and_reports_alike() -> None:
    store, clock = FakeStore(), FakeMonotonic()
    hours_book = book(store, clock)
    before = asyncio.run(hours_book.hours(TOWN))
    assert PLAN.is_closed(date(2026, 12, 8), hours=before) and not PLAN.is_closed(date(2026, 12, 10), hours=before)
    store.saved = SavedHours(
        HoursSpec(weekly=WEEK, closed=[date(2026, 12, 10)], open_holidays=[date(2026, 12, 8)]),
        datetime(2026, 12, 1, tzinfo=UTC),
        "管理者",
    )
    assert asyncio.run(hours_book.hours(TOWN)) == before  # cached for a few seconds
    clock.now += 5.0
    hours = asyncio.run(hours_book.hours(TOWN))
    assert offline_alarms(hours_book, date(2026, 12, 10)) == []
    assert offline_alarms(hours_book, date(2026, 12, 8)) == ["booth_offline:b1"]
    assert PLAN.is_closed(date(2026, 12, 10), hours=hours)  # booking the admin's closed day is refused
    assert not PLAN.is_closed(date(2026, 12, 8), hours=hours)  # the opened holiday can be booked
    # the reports' offered capacity (one slot a weekday): Mon 7, Tue 8 (opened), Wed 9, Fri 11 — not Thu 10
    offered = offered_capacity(PLAN, date(2026, 12, 7), date(2026, 12, 13), hours=hours)
    assert offered == {"honcho": 4}
    assert open_now(hours, None, datetime.fromtimestamp(at_10_jst(date(2026, 12, 8)), tz=UTC))


def test_the_counter_and_the_bookings_agree_on_every_closed_day_of_a_year() -> None:
    hours = asyncio.run(book(FakeStore()).hours(TOWN))
    day = date(2026, 4, 1)
    disagree = []
    while day < date(2027, 4, 1):
        if PLAN.is_closed(day, hours=hours) != hours.closed_on(day):
            disagree.append(day)
        day += timedelta(days=1)
    assert disagree == []
    assert sum(hours.closed_on(date(2026, 12, 25) + timedelta(days=n)) for n in range(12)) == 7  # 25th, 29th–3rd
