"""Every KPI from hand-made consultations whose answers were worked out by hand (see each test's comments)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from madoguchi.reports.kpis import JST, ConsultationRow, KpiSettings, compute, day_bounds, percentile

DAY = datetime(2026, 12, 1, 9, 0, tzinfo=JST)  # a Tuesday, 09:00 in Japan


def at(seconds: float, base: datetime = DAY) -> datetime:
    return base + timedelta(seconds=seconds)


def booth(
    name: str,
    *,
    wait: float | None = None,
    abandon_after: float | None = None,
    talk: float | None = None,
    wrap: float | None = None,
    route: str = "tax",
    state: str | None = None,
    start: datetime = DAY,
    booth_id: str = "b1",
    agent: str | None = "u1",
) -> ConsultationRow:
    answered = None if wait is None else at(wait, start)
    ended = None if answered is None or talk is None else answered + timedelta(seconds=talk)
    wrapped = None if ended is None or wrap is None else ended + timedelta(seconds=wrap)
    if abandon_after is not None:
        return ConsultationRow(
            id=name,
            municipality_id="shiomi",
            channel="booth",
            route=route,
            state="abandoned",
            requested_at=start,
            queued_at=start,
            closed_at=at(abandon_after, start),
            booth_id=booth_id,
            place_id="p1",
        )
    return ConsultationRow(
        id=name,
        municipality_id="shiomi",
        channel="booth",
        route=route,
        state=state or ("closed" if wrapped or ended else "active"),
        requested_at=start,
        queued_at=start,
        answered_at=answered,
        ended_at=ended,
        wrapped_up_at=wrapped,
        closed_at=wrapped or ended,
        booth_id=booth_id,
        place_id="p1",
        agent_id=agent if answered else None,
    )


def chat(
    name: str,
    *,
    handoff_after: float | None,
    wait: float | None = None,
    talk: float | None = None,
    wrap: float | None = None,
    route: str = "general_inquiry",
) -> ConsultationRow:
    queued = None if handoff_after is None else at(handoff_after)
    answered = None if queued is None or wait is None else queued + timedelta(seconds=wait)
    ended = None if answered is None or talk is None else answered + timedelta(seconds=talk)
    wrapped = None if ended is None or wrap is None else ended + timedelta(seconds=wrap)
    return ConsultationRow(
        id=name,
        municipality_id="shiomi",
        channel="chat",
        route=route,
        state="closed" if (queued is None or wrapped) else "active",
        requested_at=DAY,
        queued_at=queued,
        answered_at=answered,
        ended_at=ended,
        wrapped_up_at=wrapped,
        closed_at=wrapped if queued else at(300),
        agent_id="u2" if answered else None,
    )


MIXED = [
    booth("A", wait=30, talk=300, wrap=60),  # handled 360
    booth("B", wait=150, talk=200),  # outside the 120 s target; closed without a wrap-up: handled 200
    booth("C", abandon_after=5),  # short abandon (< 10 s)
    booth("D", abandon_after=60),  # a real abandon
    chat("E", handoff_after=None),  # the bot finished it
    chat("F", handoff_after=100, wait=20, talk=120, wrap=30),  # waits from the handoff: 20; handled 150
    booth("G", wait=10, state="interrupted"),  # answered, call never ended: not handled
]


def test_mixed_day_every_figure() -> None:
    figures = compute(MIXED, KpiSettings())

    assert figures["volume"] == 7
    assert figures["queued"] == 6  # all but the bot-only chat
    assert figures["answered"] == 4  # A B F G
    assert figures["abandoned"] == 1  # D
    assert figures["abandoned_short"] == 1  # C
    assert figures["interrupted"] == 1
    assert figures["abandon_rate"] == pytest.approx(1 / 5)
    assert figures["asa_s"] == 52.5  # (30 + 150 + 20 + 10) / 4
    # waits of everyone who waited: 10 20 30 60 150 -> nearest rank p50 = 3rd, p90 = 5th
    assert figures["wait_p50_s"] == 30
    assert figures["wait_p90_s"] == 150
    assert figures["service_level"] == pytest.approx(3 / 5)  # A F G within 120 s, of 4 answered + 1 abandoned
    assert figures["aht_s"] == pytest.approx(236.7)  # (360 + 200 + 150) / 3
    assert figures["talk_s"] == pytest.approx(206.7)  # (300 + 200 + 120) / 3
    assert figures["wrap_up_s"] == 30  # (60 + 0 + 30) / 3
    assert figures["chats"] == 2
    assert figures["bot_containment"] == 0.5
    assert figures["handoff_rate"] == 0.5
    assert figures["satisfaction"] is None
    assert figures["satisfaction_count"] == 0


def test_breakdowns_split_the_same_rows() -> None:
    figures = compute(MIXED, KpiSettings())

    assert set(figures["by_route"]) == {"tax", "general_inquiry"}
    assert figures["by_route"]["tax"]["volume"] == 5
    assert figures["by_route"]["general_inquiry"]["bot_containment"] == 0.5
    assert figures["by_channel"]["booth"]["volume"] == 5
    assert list(figures["by_booth"]) == ["b1"]  # chats have no booth and are left out
    assert figures["by_booth"]["b1"]["answered"] == 3
    assert figures["by_place"]["p1"]["volume"] == 5
    assert figures["by_agent"]["u1"]["answered"] == 3
    assert figures["by_agent"]["u2"]["aht_s"] == 150


def test_no_rows_gives_zeros_and_no_rates() -> None:
    figures = compute([], KpiSettings())

    assert figures["volume"] == 0
    assert figures["by_hour"] == [0] * 24
    assert figures["by_weekday"] == [0] * 7
    for rate in ("abandon_rate", "service_level", "bot_containment", "handoff_rate", "asa_s", "aht_s", "wait_p90_s"):
        assert figures[rate] is None, rate


@pytest.mark.parametrize(
    ("waited", "short", "counted"),
    [(0, 1, 0), (9.999, 1, 0), (10, 0, 1), (10.001, 0, 1), (600, 0, 1)],
)
def test_abandon_threshold_is_strictly_under(waited: float, short: int, counted: int) -> None:
    figures = compute([booth("X", abandon_after=waited)], KpiSettings(short_abandon_s=10))

    assert (figures["abandoned_short"], figures["abandoned"]) == (short, counted)
    assert figures["abandon_rate"] == (None if counted == 0 else 1.0)


def test_threshold_zero_counts_every_abandon() -> None:
    figures = compute([booth("X", abandon_after=0)], KpiSettings(short_abandon_s=0))

    assert figures["abandoned"] == 1
    assert figures["abandoned_short"] == 0


@pytest.mark.parametrize(("waited", "within"), [(0, 1), (119.999, 1), (120, 1), (120.001, 0)])
def test_service_level_target_includes_its_edge(waited: float, within: int) -> None:
    figures = compute([booth("X", wait=waited, talk=60)], KpiSettings(target_s=120))

    assert figures["service_level"] == within


def test_each_route_has_its_own_target() -> None:
    rows = [booth("T", wait=200, talk=60, route="tax"), booth("R", wait=200, talk=60, route="resident_records")]
    settings = KpiSettings(target_s=120, route_targets={"tax": 300})

    figures = compute(rows, settings)

    assert figures["service_level"] == 0.5
    assert figures["by_route"]["tax"]["service_level"] == 1
    assert figures["by_route"]["resident_records"]["service_level"] == 0


def test_an_abandon_after_the_target_counts_against_the_service_level() -> None:
    rows = [booth("A", wait=30, talk=60), booth("D", abandon_after=500)]

    assert compute(rows, KpiSettings(target_s=120))["service_level"] == 0.5


def test_day_bounds_are_japan_midnights() -> None:
    since, until = day_bounds(date(2026, 12, 1), date(2026, 12, 1), JST)

    assert since == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert until == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert until - since == timedelta(days=1)


def test_hours_and_weekdays_are_japan_time() -> None:
    # 14:59:59 UTC on 30 Nov is 23:59:59 on Monday in Japan; 15:00 UTC is 00:00 on Tuesday.
    late = booth("late", wait=5, talk=5, start=datetime(2026, 11, 30, 14, 59, 59, tzinfo=UTC))
    early = booth("early", wait=5, talk=5, start=datetime(2026, 11, 30, 15, 0, tzinfo=UTC))

    figures = compute([late, early], KpiSettings())

    assert figures["by_hour"][23] == 1
    assert figures["by_hour"][0] == 1
    assert sum(figures["by_hour"]) == 2
    assert figures["by_weekday"][:2] == [1, 1]  # Monday, Tuesday


def test_other_zone_moves_the_hours() -> None:
    row = booth("x", wait=5, talk=5, start=datetime(2026, 12, 1, 0, 30, tzinfo=UTC))

    assert compute([row], KpiSettings(zone=ZoneInfo("UTC")))["by_hour"][0] == 1
    assert compute([row], KpiSettings())["by_hour"][9] == 1  # 09:30 in Japan


def test_a_wait_across_midnight_belongs_to_the_day_and_hour_it_was_asked() -> None:
    # asked 23:59:30 on 1 Dec, answered 00:00:30 on 2 Dec (Japan time), talked 10 minutes
    start = datetime(2026, 12, 1, 23, 59, 30, tzinfo=JST)
    row = booth("midnight", wait=60, talk=600, wrap=0, start=start)
    since, until = day_bounds(date(2026, 12, 1), date(2026, 12, 1), JST)

    figures = compute([row], KpiSettings())

    assert since <= row.requested_at < until
    assert figures["by_hour"][23] == 1
    assert figures["by_weekday"][1] == 1  # Tuesday
    assert figures["asa_s"] == 60
    assert figures["aht_s"] == 600


def test_a_dst_zone_uses_the_offset_of_each_instant() -> None:
    # New York: 2026-03-08 07:30 UTC is 02:30 EST... which does not exist; 06:59 UTC is 01:59 EST and
    # 07:00 UTC is 03:00 EDT (clocks jump at 02:00 local).
    zone = ZoneInfo("America/New_York")
    before = booth("before", wait=1, talk=1, start=datetime(2026, 3, 8, 6, 59, tzinfo=UTC))
    after = booth("after", wait=1, talk=1, start=datetime(2026, 3, 8, 7, 0, tzinfo=UTC))

    by_hour = compute([before, after], KpiSettings(zone=zone))["by_hour"]

    assert by_hour[1] == 1
    assert by_hour[3] == 1


def test_satisfaction_where_collected() -> None:
    rated = [
        ConsultationRow("a", "shiomi", "booth", "tax", "closed", DAY, DAY, satisfaction=4),
        ConsultationRow("b", "shiomi", "booth", "tax", "closed", DAY, DAY, satisfaction=5),
        ConsultationRow("c", "shiomi", "booth", "tax", "closed", DAY, DAY),
    ]

    figures = compute(rated, KpiSettings())

    assert figures["satisfaction"] == 4.5
    assert figures["satisfaction_count"] == 2


def test_a_chat_still_with_the_bot_is_not_yet_contained() -> None:
    open_chat = ConsultationRow("o", "shiomi", "chat", "general_inquiry", "triage", DAY)

    figures = compute([open_chat, chat("E", handoff_after=None)], KpiSettings())

    assert figures["chats"] == 1
    assert figures["bot_containment"] == 1


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [([], 50, None), ([7.0], 90, 7.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.0), ([4.0, 1.0, 3.0, 2.0], 90, 4.0)],
)
def test_nearest_rank_percentile(values: list[float], p: float, expected: float | None) -> None:
    assert percentile(values, p) == expected


def test_breakdowns_can_be_left_out() -> None:
    figures = compute(MIXED, KpiSettings(), breakdowns=("by_route",))

    assert "by_route" in figures
    assert "by_agent" not in figures


def test_a_transferred_case_waits_only_while_nobody_talks_and_its_handling_counts_every_call() -> None:
    """ux16 H3: ``answered_at`` is the last call's answer; the 100 s of the first call are not waiting."""
    first_wait, first_talk, between, last_talk = 5.0, 100.0, 20.0, 30.0
    row = booth("T", wait=first_wait + first_talk + between, talk=last_talk, wrap=10)
    transferred = replace(row, talked_before_s=100.0)

    figures = compute([transferred], KpiSettings(target_s=120))

    assert figures["asa_s"] == first_wait + between
    assert figures["service_level"] == 1
    assert figures["talk_s"] == first_talk + last_talk
    assert figures["aht_s"] == first_talk + last_talk + 10
