"""Reports added up from stored days equal the ones computed row by row, on random consultations.

The days go through the storage codec (JSON sums + packed waits), are added up in a shuffled order, and places
are added up from the booths: every figure, every breakdown, must come out identical (``==``, not close)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.reports.kpis import (
    JST,
    Columns,
    ConsultationRow,
    KpiSettings,
    Summary,
    columns_of,
    compute,
    finish,
    merged,
    with_places,
)
from madoguchi.reports.rollups import FORMAT, decode, decode_merged, encode, summaries_by_day

BOOTH_PLACES = {"b1": "p1", "b2": "p1", "b3": "p2", "b4": None}
START = datetime(2026, 11, 28, 0, 0, tzinfo=JST)  # a Saturday
DAYS = 5


def _duration(rng: random.Random) -> float:
    kind = rng.random()
    if kind < 0.3:
        return float(rng.randrange(0, 400))  # whole seconds: equal sums, percentile ties
    if kind < 0.4:
        return rng.randrange(0, 4000) / 10 + 0.05  # on a tenth's half: the rounding edge
    return rng.uniform(0, 900)


def random_rows(seed: int, count: int) -> list[ConsultationRow]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        requested = START + timedelta(seconds=rng.uniform(0, DAYS * 86400))
        chat = rng.random() < 0.4
        booth_id = None if chat else rng.choice(list(BOOTH_PLACES))
        queued = (
            requested if not chat else (requested + timedelta(seconds=_duration(rng)) if rng.random() < 0.6 else None)
        )
        state = rng.choice(["closed", "abandoned", "interrupted", "waiting", "active"])
        answered = ended = wrapped = closed = None
        agent = None
        if queued is not None and state in ("closed", "interrupted", "active") and rng.random() < 0.9:
            answered = queued + timedelta(seconds=_duration(rng))
            agent = rng.choice(["u1", "u2", "u3"])
            if state != "active":
                ended = answered + timedelta(seconds=_duration(rng))
                wrapped = ended + timedelta(seconds=_duration(rng)) if rng.random() < 0.7 else None
                closed = wrapped or ended
        elif state == "abandoned":
            closed = (queued or requested) + timedelta(seconds=rng.choice([rng.uniform(0, 15), _duration(rng)]))
        rows.append(
            ConsultationRow(
                id=f"c{n}",
                municipality_id="shiomi",
                channel="chat" if chat else "booth",
                route=rng.choice(["tax", "pension", "bus_ferry", "general_inquiry"]),
                state=state,
                requested_at=requested,
                queued_at=queued,
                answered_at=answered,
                ended_at=ended,
                wrapped_up_at=wrapped,
                closed_at=closed,
                booth_id=booth_id,
                place_id=BOOTH_PLACES[booth_id] if booth_id else None,
                agent_id=agent,
                satisfaction=rng.choice([None, 1.0, 2.0, 3.0]),
                talked_before_s=rng.choice([None, None, 0.0, rng.uniform(0, 90)]) if answered else None,
            )
        )
    return rows


def from_days(columns: Columns, kpi: KpiSettings, seed: int) -> Summary:
    first = START.astimezone(kpi.zone).date() - timedelta(days=1)
    days = [first + timedelta(days=i) for i in range(DAYS + 2)]
    stored = [encode(summary) for summary in summaries_by_day(columns, days, kpi).values()]
    random.Random(seed).shuffle(stored)
    half = len(stored) // 2
    # days read straight from storage, days decoded one by one and merged, then both added (as a report does)
    first = decode_merged(stored[:half])
    first.add(merged([decode(*day) for day in stored[half:]]))
    return with_places(first, BOOTH_PLACES)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    count=st.integers(0, 300),
    short=st.sampled_from([0.0, 10.0, 12.5]),
    target=st.sampled_from([60.0, 120.0, 90.5]),
    zone=st.sampled_from([JST, ZoneInfo("Europe/Lisbon")]),
)
def test_days_add_up_to_the_row_by_row_report(
    seed: int, count: int, short: float, target: float, zone: ZoneInfo
) -> None:
    kpi = KpiSettings(zone=zone, short_abandon_s=short, target_s=target, route_targets={"tax": 300.0})
    columns = columns_of(random_rows(seed, count))
    assert finish(from_days(columns, kpi, seed), kpi) == compute(columns, kpi)


def test_a_day_holds_only_its_own_consultations() -> None:
    kpi = KpiSettings()
    rows = random_rows(7, 400)
    by_day = summaries_by_day(columns_of(rows), [date(2026, 11, 29), date(2026, 12, 20)], kpi)
    on_29th = [r for r in rows if r.requested_at.astimezone(JST).date() == date(2026, 11, 29)]
    assert 0 < len(on_29th) < len(rows)
    assert finish(by_day[date(2026, 11, 29)], kpi)["volume"] == len(on_29th)
    assert finish(by_day[date(2026, 12, 20)], kpi)["volume"] == 0  # a day without rows is stored empty
    assert sum(finish(by_day[date(2026, 11, 29)], kpi)["by_hour"]) == len(on_29th)


def test_the_codec_refuses_another_format() -> None:
    tallies, waits = encode(Summary())
    try:
        decode(tallies.replace(f'"format":{FORMAT}', '"format":0'), waits)
    except ValueError as error:
        assert "format" in str(error)
    else:
        raise AssertionError("an old format was decoded")
