"""The per-process cache of parsed stored days: a day is read again when it was rebuilt (a new built_at), the
oldest unused day leaves first, and what it hands out adds up to the same summary as parsing afresh."""

from __future__ import annotations

from datetime import UTC, date, datetime

from madoguchi.reports.kpis import Summary, Tally
from madoguchi.reports.rollups import ParsedDays, decode_merged, encode, merge_parsed

BUILT = datetime(2026, 12, 6, 1, tzinfo=UTC)
LATER = datetime(2026, 12, 6, 2, tzinfo=UTC)


def stored(volume: int) -> tuple[str, bytes]:
    day = Summary(by_hour=[volume, *[0] * 23], by_weekday=[volume, *[0] * 6])
    day.groups["route"] = {"tax": Tally([volume, *[0] * 15], 0.0, [])}
    return encode(day)


def key(day: int, built: datetime) -> tuple[str, date, str, str, datetime]:
    return ("shiomi", date(2026, 12, day), "JST", "k", built)


def test_a_rebuilt_day_is_parsed_again_and_the_oldest_leaves_first() -> None:
    cache = ParsedDays(limit=2)
    first = cache.get(key(1, BUILT), *stored(1))
    assert cache.get(key(1, BUILT), *stored(99)) is first  # same build: not parsed again
    assert cache.peek(key(1, LATER)) is None  # a rebuild is another key
    rebuilt = cache.get(key(1, LATER), *stored(2))
    assert rebuilt is not first
    cache.get(key(2, BUILT), *stored(3))  # over the limit: the least recently used (day 1's first build) leaves
    assert cache.peek(key(1, BUILT)) is None and cache.peek(key(1, LATER)) is rebuilt


def test_cached_days_add_up_like_fresh_ones() -> None:
    cache = ParsedDays()
    days = [stored(n) for n in (1, 2, 3)]
    parsed = [cache.get(key(i + 1, BUILT), *day) for i, day in enumerate(days)]
    once, twice = merge_parsed(parsed), merge_parsed(cache.get(key(i + 1, BUILT), *d) for i, d in enumerate(days))
    assert once.by_hour == twice.by_hour == decode_merged(days).by_hour
    assert once.by_hour[0] == 6
