"""Counter KPIs from consultation rows: the one definition of every figure the reports page shows.

Why pure: the figures decide where a town puts its staff, so each has one written definition, tested on
hand-made rows with known answers, and no database, clock or time zone hidden inside. The caller passes the
rows (``query.py`` reads them), the time zone (JST unless the municipality says otherwise) and the thresholds.

Definitions (every duration in seconds):

- **volume**: consultations requested in the range (booth requests and web chats, bot-only ones included).
- **queued**: those that asked for a person: a booth request at once, a web chat when the bot handed it over.
  The wait counts from that moment (``queued_at``), never from the start of the bot conversation.
- **answered**: queued and taken by a person (``answered_at``). **abandoned**: queued, never answered, and the
  resident left (state ``abandoned``). Abandons that waited less than ``short_abandon_s`` are **short abandons**:
  counted apart (``abandoned_short``) and left out of ``abandoned``, the abandon rate, the waits and the service
  level — a resident who pressed the wrong button and left at once did not give up on a wait.
- **abandon_rate** = abandoned / (answered + abandoned).
- **asa_s** (average speed of answer) = mean wait of the answered.
- **wait_p50_s / wait_p90_s**: nearest-rank percentiles of the waits of everyone who waited for a person
  (answered or abandoned, short abandons left out).
- **service_level** = answered within the route's target / (answered + abandoned); the target is per route with
  a default.
- **aht_s** (average handling time) = mean of talk (``ended_at - answered_at``) + wrap-up
  (``wrapped_up_at - ended_at``, 0 when the case closed without one) over cases whose call ended.
- **bot_containment** = web chats the bot finished without a person / web chats that are finished with the bot
  (finished without a person, or handed over); **handoff_rate** = handed over / the same.
- **satisfaction**: mean of the ratings collected, ``None`` when none were (the column may not exist yet).
- **by_hour** (24 numbers) and **by_weekday** (7, Monday first): volume by the local hour and weekday the
  consultation was requested. Rates are fractions from 0 to 1, or ``None`` when their denominator is 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

JST: Final = ZoneInfo("Asia/Tokyo")
DEFAULT_SHORT_ABANDON_S: Final = 10.0
DEFAULT_TARGET_S: Final = 120.0
WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class ConsultationRow:
    """What the KPIs read of one consultation; timestamps are timezone-aware."""

    id: str
    municipality_id: str
    channel: str
    route: str
    state: str
    requested_at: datetime
    queued_at: datetime | None = None
    """When the case asked for a person: the request for a booth, the bot's handoff for a web chat; None never."""
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    wrapped_up_at: datetime | None = None
    closed_at: datetime | None = None
    booth_id: str | None = None
    place_id: str | None = None
    agent_id: str | None = None
    satisfaction: float | None = None


@dataclass(frozen=True, slots=True)
class KpiSettings:
    zone: tzinfo = JST
    short_abandon_s: float = DEFAULT_SHORT_ABANDON_S
    target_s: float = DEFAULT_TARGET_S
    route_targets: Mapping[str, float] = field(default_factory=dict)

    def target_for(self, route: str) -> float:
        return self.route_targets.get(route, self.target_s)


def day_bounds(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """``[first 00:00, day after last 00:00)`` in ``zone``: the instants a local date range covers."""
    return datetime.combine(first, time(), zone), datetime.combine(last + timedelta(days=1), time(), zone)


_NO_KEY: Final = ""


@dataclass(frozen=True, slots=True)
class Columns:
    """The same consultations as columns: times as UTC epoch seconds (NaN when missing), keys as strings
    (``""`` when missing). The query builds these directly; :func:`columns_of` builds them from rows."""

    channel: Sequence[str]
    route: Sequence[str]
    state: Sequence[str]
    booth_id: Sequence[str]
    place_id: Sequence[str]
    agent_id: Sequence[str]
    requested_at: Sequence[float]
    queued_at: Sequence[float | None]
    answered_at: Sequence[float | None]
    ended_at: Sequence[float | None]
    wrapped_up_at: Sequence[float | None]
    closed_at: Sequence[float | None]
    satisfaction: Sequence[float | None]


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def columns_of(rows: Iterable[ConsultationRow]) -> Columns:
    listed = list(rows)
    return Columns(
        channel=[r.channel for r in listed],
        route=[r.route for r in listed],
        state=[r.state for r in listed],
        booth_id=[r.booth_id or _NO_KEY for r in listed],
        place_id=[r.place_id or _NO_KEY for r in listed],
        agent_id=[r.agent_id or _NO_KEY for r in listed],
        requested_at=[r.requested_at.timestamp() for r in listed],
        queued_at=[_epoch(r.queued_at) for r in listed],
        answered_at=[_epoch(r.answered_at) for r in listed],
        ended_at=[_epoch(r.ended_at) for r in listed],
        wrapped_up_at=[_epoch(r.wrapped_up_at) for r in listed],
        closed_at=[_epoch(r.closed_at) for r in listed],
        satisfaction=[r.satisfaction for r in listed],
    )


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile of ``values``, None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


BREAKDOWNS: Final = {
    "by_route": "route",
    "by_channel": "channel",
    "by_booth": "booth_id",
    "by_place": "place_id",
    "by_agent": "agent_id",
}
"""Groups every report splits its figures by (name → column); a consultation without the key (a chat has no
booth) is left out of that breakdown."""


class _Derived:
    """Per-consultation facts every figure is a sum or a percentile of (numpy arrays, one entry each)."""

    def __init__(self, c: Columns, settings: KpiSettings) -> None:
        def times(values: Sequence[float | None]) -> npt.NDArray[np.float64]:
            return np.array(values, dtype=np.float64)  # None becomes NaN

        state = np.array(c.state, dtype=object)
        chat = np.array(c.channel, dtype=object) == "chat"
        queued_at, answered_at = times(c.queued_at), times(c.answered_at)
        ended_at, wrapped_at, closed_at = times(c.ended_at), times(c.wrapped_up_at), times(c.closed_at)
        self.size = len(state)
        self.queued = ~np.isnan(queued_at)
        self.answered = self.queued & ~np.isnan(answered_at)
        abandoned = self.queued & ~self.answered & (state == "abandoned")
        with np.errstate(invalid="ignore"):
            answer_wait = np.maximum(0.0, answered_at - queued_at)
            abandon_wait = np.maximum(0.0, np.nan_to_num(closed_at - queued_at, nan=0.0))
            routes = np.array(c.route, dtype=object)
            target = np.full(self.size, settings.target_s)
            for route, seconds in settings.route_targets.items():
                target[routes == route] = seconds
            self.short = abandoned & (abandon_wait < settings.short_abandon_s)
            self.abandoned = abandoned & ~self.short
            self.within = self.answered & (answer_wait <= target)
            self.handled = self.answered & ~np.isnan(ended_at)
            self.talk = np.where(self.handled, np.maximum(0.0, ended_at - answered_at), 0.0)
            self.wrap = np.where(self.handled, np.maximum(0.0, np.nan_to_num(wrapped_at - ended_at, nan=0.0)), 0.0)
        self.answer_wait = np.where(self.answered, answer_wait, 0.0)
        self.waited = self.answered | self.abandoned
        self.wait = np.where(self.answered, answer_wait, np.where(self.abandoned, abandon_wait, np.nan))
        self.interrupted = state == "interrupted"
        self.handed_off = chat & self.queued
        self.contained = chat & ~self.queued & ((state == "closed") | (state == "abandoned"))
        rating = times(c.satisfaction)
        self.rated = ~np.isnan(rating)
        self.rating = np.nan_to_num(rating, nan=0.0)


def _figures(d: _Derived, group: npt.NDArray[np.intp], groups: int) -> list[dict[str, Any]]:
    """The KPIs of each of ``groups`` groups; ``group`` gives each consultation's group (-1: in none)."""
    member = group >= 0
    g = group[member]

    def count(mask: npt.NDArray[np.bool_]) -> list[int]:
        return [int(v) for v in np.bincount(g, weights=mask[member], minlength=groups)]

    def total(values: npt.NDArray[np.float64]) -> list[float]:
        return [float(v) for v in np.bincount(g, weights=values[member], minlength=groups)]

    volume = [int(v) for v in np.bincount(g, minlength=groups)]
    queued, answered, abandoned = count(d.queued), count(d.answered), count(d.abandoned)
    short, interrupted, within, handled = count(d.short), count(d.interrupted), count(d.within), count(d.handled)
    answer_wait, talk, wrap = total(d.answer_wait), total(d.talk), total(d.wrap)
    handed, contained, rated, rating = count(d.handed_off), count(d.contained), count(d.rated), total(d.rating)
    p50, p90 = _group_percentiles(d.wait[member], (d.waited[member]), g, groups)
    out = []
    for i in range(groups):
        decided = answered[i] + abandoned[i]
        chats = handed[i] + contained[i]
        mean_talk = _mean(talk[i], handled[i])
        mean_wrap = _mean(wrap[i], handled[i])
        out.append(
            {
                "volume": volume[i],
                "queued": queued[i],
                "answered": answered[i],
                "abandoned": abandoned[i],
                "abandoned_short": short[i],
                "interrupted": interrupted[i],
                "abandon_rate": _ratio(abandoned[i], decided),
                "asa_s": _rounded(_mean(answer_wait[i], answered[i])),
                "wait_p50_s": _rounded(p50[i]),
                "wait_p90_s": _rounded(p90[i]),
                "service_level": _ratio(within[i], decided),
                "aht_s": _rounded(None if mean_talk is None or mean_wrap is None else mean_talk + mean_wrap),
                "talk_s": _rounded(mean_talk),
                "wrap_up_s": _rounded(mean_wrap),
                "chats": chats,
                "bot_containment": _ratio(contained[i], chats),
                "handoff_rate": _ratio(handed[i], chats),
                "satisfaction": _rounded(_mean(rating[i], rated[i]), 2),
                "satisfaction_count": rated[i],
            }
        )
    return out


def _group_percentiles(
    wait: npt.NDArray[np.float64], waited: npt.NDArray[np.bool_], group: npt.NDArray[np.intp], groups: int
) -> tuple[list[float | None], list[float | None]]:
    """Nearest-rank p50 and p90 of the waits in each group."""
    values, keys = wait[waited], group[waited]
    order = np.lexsort((values, keys))
    values, keys = values[order], keys[order]
    counts = np.bincount(keys, minlength=groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    result: tuple[list[float | None], list[float | None]] = ([], [])
    for i in range(groups):
        for p, out in ((50, result[0]), (90, result[1])):
            n = int(counts[i])
            out.append(None if n == 0 else float(values[starts[i] + max(1, math.ceil(p / 100 * n)) - 1]))
    return result


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _mean(total: float, count: int) -> float | None:
    return None if count == 0 else total / count


def compute(
    rows: Iterable[ConsultationRow] | Columns,
    settings: KpiSettings,
    *,
    breakdowns: Iterable[str] = tuple(BREAKDOWNS),
) -> dict[str, Any]:
    """Every KPI of the consultations, with ``by_hour``, ``by_weekday`` and the named ``breakdowns``."""
    columns = rows if isinstance(rows, Columns) else columns_of(rows)
    derived = _Derived(columns, settings)
    everyone = np.zeros(derived.size, dtype=np.intp)
    result = _figures(derived, everyone, 1)[0]
    result["service_level_target_s"] = settings.target_s
    result["short_abandon_s"] = settings.short_abandon_s
    hour, weekday = _local_hour_and_weekday(np.array(columns.requested_at, dtype=np.float64), settings.zone)
    result["by_hour"] = [int(v) for v in np.bincount(hour, minlength=24)]
    result["by_weekday"] = [int(v) for v in np.bincount(weekday, minlength=7)]
    for name in breakdowns:
        names, group = _codes(getattr(columns, BREAKDOWNS[name]))
        figures = _figures(derived, group, len(names))
        result[name] = {key: figures[i] for i, key in sorted(enumerate(names), key=lambda pair: pair[1])}
    return result


def _codes(values: Sequence[str]) -> tuple[list[str], npt.NDArray[np.intp]]:
    """Each distinct key numbered in order of appearance, ``""`` (no key) as -1. Dict lookups run in C through
    ``map``; sorting a million Python strings, as ``np.unique`` would, costs ten times more."""
    names = [value for value in dict.fromkeys(values) if value != _NO_KEY]
    index = {name: i for i, name in enumerate(names)}
    index[_NO_KEY] = -1
    return names, np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))


def _local_hour_and_weekday(
    instants: npt.NDArray[np.float64], zone: tzinfo
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Local hour and weekday (Monday 0) of UTC epoch seconds. Zones change their offset only on a quarter hour
    (JST never does), so the offset is looked up once per quarter hour of UTC, not once per consultation."""
    slots = np.floor(instants / 900).astype(np.int64)
    unique, inverse = np.unique(slots, return_inverse=True)
    offsets = np.array(
        [
            (datetime.fromtimestamp(float(slot) * 900, UTC).astimezone(zone).utcoffset() or timedelta()).total_seconds()
            for slot in unique
        ],
        dtype=np.float64,
    )
    local = instants + offsets[np.asarray(inverse).reshape(-1)] if instants.size else instants
    days = np.floor(local / 86400).astype(np.int64)
    hour = (np.floor(local / 3600).astype(np.int64) % 24).astype(np.intp)
    weekday = ((days + 3) % 7).astype(np.intp)  # 1970-01-01 was a Thursday
    return hour, weekday
