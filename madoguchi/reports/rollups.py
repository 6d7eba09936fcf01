"""Daily rollups: a report over a month or a year adds up stored days instead of reading every consultation.

Why this shape: every KPI is a sum or a nearest-rank percentile (``kpis.py``), so one municipality's local day
can be added up once (:class:`~madoguchi.reports.kpis.Summary`: integer counts and microsecond sums per route,
channel, booth and agent, plus the waits in tenths of a second for the percentiles) and any range of days is the
sum of its days. The sums are integers, so a report added up from days is *equal* to the one computed row by
row, not close to it (``tests/unit/reports/test_rollup_equality.py`` and the integration tests compare both).
Places are not stored: they are added up from the booths at report time, with the booths' current places, like
the row query joins them.

Keeping them right, with several processes writing: database triggers (migration ``0007_report_rollups``) write
a change row (town, request time) in the same transaction as any change to a consultation the reports read, so
nothing that writes a record (the outbox's retried, idempotent writes, any process, the CLI) can forget it. A
report reads the change rows first, then the stored days: a day is used only if it exists for the same zone and
KPI settings and no change row falls in it. Missing or changed days are rebuilt under a per-town lock (a
PostgreSQL advisory lock; SQLite's write lock): the builder deletes the change rows it consumes
(``DELETE … RETURNING``) and only then reads the consultations, in a later statement, so a change that commits in
between is either in what it reads or leaves its change row for the next build. Builders of one town never run
at once, so an older build cannot overwrite a newer one.

Reports filtered by route, place, booth or channel read rows (``query.py``): the stored days are split by one key
at a time, and a filter makes the rows few.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import OrderedDict
from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from madoguchi.reports.kpis import (
    ROLLUP_DIMENSIONS,
    Columns,
    KpiSettings,
    Summary,
    Tally,
    day_bounds,
    local_days,
    merged,
    subset,
    summarize,
    with_places,
)
from madoguchi.reports.query import ReportFilter, columns_in
from madoguchi.storage.db import Database
from madoguchi.storage.models import Booth, ReportRollup, ReportRollupChange

FORMAT: Final = 3
"""Bumped when the stored shape or a KPI definition changes: it is part of :func:`settings_key`, so stored days of
another format are never read, only rebuilt."""
_MAX_RUN_DAYS: Final = 31
_EPOCH: Final = date(1970, 1, 1)


def zone_key(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


def settings_key(settings: KpiSettings) -> str:
    """What a stored day depends on besides the rows: the format, short-abandon threshold and service targets."""
    basis = [FORMAT, settings.short_abandon_s, settings.target_s, sorted(settings.route_targets.items())]
    return hashlib.sha256(json.dumps(basis).encode()).hexdigest()[:32]


def encode(summary: Summary) -> tuple[str, bytes]:
    """A summary as JSON text (sums) and its waits (tenths of a second) packed little-endian: 16-bit when every
    wait of the day is under 6553.5 s (almost always: half the bytes to read), else 32-bit."""
    groups: dict[str, dict[str, list[Any]]] = {}
    arrays: list[npt.NDArray[np.int64]] = []
    offset = 0
    for dimension, tallies in summary.groups.items():
        groups[dimension] = {}
        for key, tally in tallies.items():
            waits = tally.all_waits()
            groups[dimension][key] = [tally.counts, tally.rating, offset, int(waits.size)]
            arrays.append(waits)
            offset += int(waits.size)
    joined = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
    width = _NARROW if joined.size == 0 or int(joined.max()) < 2**16 else _WIDE
    packed = np.minimum(joined, 2**32 - 1).astype(width).tobytes()
    body = {
        "format": FORMAT,
        "width": width,
        "groups": groups,
        "by_hour": summary.by_hour,
        "by_weekday": summary.by_weekday,
    }
    return json.dumps(body, separators=(",", ":")), packed


_NARROW: Final = "<u2"
_WIDE: Final = "<u4"


def _body(tallies: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(tallies)
    if body.get("format") != FORMAT or body.get("width") not in (_NARROW, _WIDE):
        raise ValueError(f"stored rollup format {body.get('format')!r}, expected {FORMAT}")
    return body


ParsedDay = tuple[dict[str, Any], npt.NDArray[Any]]
"""A stored day's JSON body and its waits as an array (read-only, shared by every report that adds it up)."""


def parse(tallies: str, waits: bytes) -> ParsedDay:
    body = _body(tallies)
    return body, np.frombuffer(waits, dtype=body["width"])


class ParsedDays:
    """The last stored days parsed, by (town, day, zone, settings key, built at): a day is never changed in place
    (a rebuild writes a new ``built_at``), so a key read again is the same day. Parsing the JSON was the biggest
    part of a year's report (0.16 s of CPU for 365 days); a repeated or overlapping range parses only the days it
    has not seen. Bounded (least recently used out first); one per process, for every report of that process."""

    def __init__(self, limit: int = 4_000) -> None:
        self._limit = limit
        self._days: OrderedDict[tuple[str, date, str, str, datetime], ParsedDay] = OrderedDict()

    def peek(self, key: tuple[str, date, str, str, datetime]) -> ParsedDay | None:
        found = self._days.get(key)
        if found is not None:
            self._days.move_to_end(key)
        return found

    def get(self, key: tuple[str, date, str, str, datetime], tallies: str, waits: bytes) -> ParsedDay:
        found = self._days.get(key)
        if found is None:
            found = self._days[key] = parse(tallies, waits)
            if len(self._days) > self._limit:
                self._days.popitem(last=False)
        else:
            self._days.move_to_end(key)
        return found

    def clear(self) -> None:
        self._days.clear()


PARSED: Final = ParsedDays()


def decode(tallies: str, waits: bytes) -> Summary:
    """One stored day back as a :class:`Summary`."""
    return decode_merged([(tallies, waits)])


def decode_merged(days: Iterable[tuple[str, bytes]]) -> Summary:
    """Stored days added up into one :class:`Summary` straight from their JSON and bytes."""
    return merge_parsed(parse(tallies, waits) for tallies, waits in days)


def merge_parsed(days: Iterable[ParsedDay]) -> Summary:
    """Parsed stored days added up into one :class:`Summary` (a year is 365 of them: no object per day and group
    is made on the way)."""
    counts: dict[tuple[str, str], list[list[int]]] = {}
    ratings: dict[tuple[str, str], float] = {}
    waits: dict[tuple[str, str], list[npt.NDArray[Any]]] = {}
    by_hour = np.zeros(24, dtype=np.int64)
    by_weekday = np.zeros(7, dtype=np.int64)
    for body, values in days:
        for dimension, by_key in body["groups"].items():
            for key, (day_counts, rating, offset, size) in by_key.items():
                group = (dimension, key)
                if group in counts:
                    counts[group].append(day_counts)
                    ratings[group] += rating
                else:
                    counts[group], ratings[group], waits[group] = [day_counts], rating, []
                if size:
                    waits[group].append(values[offset : offset + size])
        by_hour += body["by_hour"]
        by_weekday += body["by_weekday"]
    total = Summary(by_hour=[int(v) for v in by_hour], by_weekday=[int(v) for v in by_weekday])
    for (dimension, key), rows in counts.items():
        summed = np.sum(np.array(rows, dtype=np.int64), axis=0)
        parts = waits[dimension, key]
        joined = [np.concatenate(parts).astype(np.int64)] if parts else []
        total.groups.setdefault(dimension, {})[key] = Tally(
            [int(v) for v in summed], float(ratings[dimension, key]), joined
        )
    return total


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as ``(first, last)`` runs of at most :data:`_MAX_RUN_DAYS`."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == timedelta(days=1) and (day - runs[-1][0]).days < _MAX_RUN_DAYS:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _lock_key(municipality_id: str) -> int:
    return zlib.crc32(f"madoguchi.report_rollups:{municipality_id}".encode()) - 2**31


def summaries_by_day(columns: Columns, days: Collection[date], settings: KpiSettings) -> dict[date, Summary]:
    """Each of ``days`` added up from ``columns`` (rows of one town; a day without rows gets an empty summary)."""
    local = local_days(columns, settings.zone)
    return {day: summarize(subset(columns, local == (day - _EPOCH).days), settings, ROLLUP_DIMENSIONS) for day in days}


async def _build(
    db: Database, municipality_id: str, needed: Collection[date], first: date, last: date, settings: KpiSettings
) -> dict[date, Summary]:
    """Rebuild ``needed`` and every day of ``first..last`` a change row marks, under the town's lock."""
    zone = settings.zone
    since, until = day_bounds(first, last, zone)
    built: dict[date, Summary] = {}
    async with db.transaction() as session:
        if db.dialect == "postgresql":
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(municipality_id)})
        consumed = await session.scalars(
            delete(ReportRollupChange)
            .where(
                ReportRollupChange.municipality_id == municipality_id,
                ReportRollupChange.requested_at >= since,
                ReportRollupChange.requested_at < until,
            )
            .returning(ReportRollupChange.requested_at)
        )
        days = set(needed) | {at.astimezone(zone).date() for at in consumed.all()}
        for run_first, run_last in _runs(days):
            run_since, run_until = day_bounds(run_first, run_last, zone)
            columns = await columns_in(session, ReportFilter(run_since, run_until, [municipality_id]), db.dialect)
            built.update(summaries_by_day(columns, [d for d in days if run_first <= d <= run_last], settings))
        await _store(session, municipality_id, built, settings)
    return built


async def _store(
    session: AsyncSession, municipality_id: str, built: dict[date, Summary], settings: KpiSettings
) -> None:
    if not built:
        return
    await session.execute(
        delete(ReportRollup).where(ReportRollup.municipality_id == municipality_id, ReportRollup.day.in_(list(built)))
    )
    now = datetime.now(UTC)
    rows = []
    for day, summary in built.items():
        tallies, waits = encode(summary)
        rows.append(
            {
                "municipality_id": municipality_id,
                "day": day,
                "zone": zone_key(settings.zone),
                "settings_key": settings_key(settings),
                "tallies": tallies,
                "waits": waits,
                "built_at": now,
            }
        )
    await session.execute(insert(ReportRollup), rows)


async def _stale_days(session: AsyncSession, municipality_id: str, first: date, last: date, zone: tzinfo) -> set[date]:
    """The town's days from ``first`` to ``last`` (in ``zone``) with a change not yet rolled up: their stored rollups,
    if any, are stale."""
    since, until = day_bounds(first, last, zone)
    changed = await session.scalars(
        select(ReportRollupChange.requested_at)
        .distinct()
        .where(
            ReportRollupChange.municipality_id == municipality_id,
            ReportRollupChange.requested_at >= since,
            ReportRollupChange.requested_at < until,
        )
    )
    return {at.astimezone(zone).date() for at in changed.all()}


async def _town_summary(db: Database, municipality_id: str, first: date, last: date, settings: KpiSettings) -> Summary:
    zone = settings.zone
    async with db.read() as session:
        # change rows first, stored days second: a build that commits in between then looks stale, never fresh
        stale = await _stale_days(session, municipality_id, first, last, zone)
        zone_id, key = zone_key(zone), settings_key(settings)
        of_town = (
            ReportRollup.municipality_id == municipality_id,
            ReportRollup.zone == zone_id,
            ReportRollup.settings_key == key,
        )
        # which days are stored, and when each was built; only the days this process has not parsed are read whole
        index = (
            await session.execute(
                select(ReportRollup.day, ReportRollup.built_at).where(
                    *of_town, ReportRollup.day >= first, ReportRollup.day <= last
                )
            )
        ).all()
        parsed: dict[date, ParsedDay] = {}
        unread: list[date] = []
        for day, built_at in index:
            if day in stale:
                continue
            found = PARSED.peek((municipality_id, day, zone_id, key, built_at))
            if found is None:
                unread.append(day)
            else:
                parsed[day] = found
        if unread:
            # read after the change rows too, so whatever build it sees is as fresh as the index's
            for day, built_at, tallies, waits in await session.execute(
                select(ReportRollup.day, ReportRollup.built_at, ReportRollup.tallies, ReportRollup.waits).where(
                    *of_town, ReportRollup.day.in_(unread)
                )
            ):
                parsed[day] = PARSED.get((municipality_id, day, zone_id, key, built_at), tallies, waits)
    stored_days = list(parsed.values())
    fresh = set(parsed)
    missing = [day for day in _days(first, last) if day not in fresh]
    total = merge_parsed(stored_days)
    if missing:
        built = await _build(db, municipality_id, missing, first, last, settings)
        total = merged([total, *built.values()])
    return total


async def _booth_places(db: Database, booth_ids: Collection[str]) -> dict[str, str | None]:
    if not booth_ids:
        return {}
    async with db.read() as session:
        rows = (await session.execute(select(Booth.id, Booth.place_id).where(Booth.id.in_(list(booth_ids))))).all()
    return {str(booth_id): place_id for booth_id, place_id in rows}


async def report_summary(
    db: Database, municipality_ids: Collection[str], first: date, last: date, settings: KpiSettings
) -> Summary:
    """The consultations of ``municipality_ids`` requested on local days ``first..last`` (``settings.zone``),
    added up from the stored days (rebuilding those that are missing or changed)."""
    towns = [await _town_summary(db, m, first, last, settings) for m in sorted(set(municipality_ids))]
    total = merged(towns)
    return with_places(total, await _booth_places(db, list(total.groups.get("booth_id", {}))))


async def refresh(
    db: Database, municipality_ids: Collection[str], first: date, last: date, settings: KpiSettings
) -> int:
    """Bring the stored days of ``first..last`` up to date (the CLI and the benchmark); returns days rebuilt."""
    rebuilt = 0
    for municipality_id in sorted(set(municipality_ids)):
        before = await _count_fresh(db, municipality_id, first, last, settings)
        await _town_summary(db, municipality_id, first, last, settings)
        rebuilt += (last - first).days + 1 - before
    return rebuilt


async def _count_fresh(db: Database, municipality_id: str, first: date, last: date, settings: KpiSettings) -> int:
    zone = settings.zone
    async with db.read() as session:
        stale = await _stale_days(session, municipality_id, first, last, zone)
        days = await session.scalars(
            select(ReportRollup.day).where(
                ReportRollup.municipality_id == municipality_id,
                ReportRollup.day >= first,
                ReportRollup.day <= last,
                ReportRollup.zone == zone_key(zone),
                ReportRollup.settings_key == settings_key(settings),
            )
        )
        return len(set(days.all()) - stale)
