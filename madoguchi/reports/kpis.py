"""Counter KPIs from consultation rows: the one definition of every figure the reports page shows.

Why pure: the figures decide where a town puts its staff, so each has one written definition, tested on
hand-made rows with known answers, and no database, clock or time zone hidden inside. The caller passes the
rows (``query.py`` reads them), the time zone (JST unless the municipality says otherwise) and the thresholds.

Definitions (every duration in seconds):

- **volume**: consultations requested in the range (booth requests and web chats, bot-only ones included).
- **queued**: those that asked for a person: a booth request at once, a web chat when the bot handed it over.
  The wait counts from that moment (``queued_at``), never from the start of the bot conversation.
- **answered**: queued and taken by a person (``answered_at``, the answer of the case's current call).
  **wait** of the answered: the resident's waiting only, ``answered_at - queued_at - talked_before_s``: before
  the first answer and between the calls of a transferred case (or of a call cut and answered again), never the
  talk of an earlier call (``talked_before_s``, 0 for a case with one call). **abandoned**: queued, never
  answered, and the resident left (state ``abandoned``). Abandons that waited less than ``short_abandon_s`` are
  **short abandons**:
  counted apart (``abandoned_short``) and left out of ``abandoned``, the abandon rate, the waits and the service
  level — a resident who pressed the wrong button and left at once did not give up on a wait. **callbacks**:
  queued, never answered, and the resident left a number for a call-back instead (end reason ``callback``):
  neither answered nor abandoned, however long they waited. These outcomes are one rule with the supervisor's
  「今日」 figures: ``madoguchi/domain/outcomes.py``.
- **abandon_rate** = abandoned / (answered + abandoned).
- **asa_s** (average speed of answer) = mean wait of the answered.
- **wait_p50_s / wait_p90_s**: nearest-rank percentiles of the waits of everyone who waited for a person
  (answered or abandoned, short abandons left out).
- **service_level** = answered within the route's target / (answered + abandoned); the target is per route with
  a default.
- **aht_s** (average handling time) = mean of talk (``ended_at - answered_at + talked_before_s``: every call of
  the case) + wrap-up
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

from madoguchi.domain.outcomes import CALLBACK_END_REASON

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
    end_reason: str | None = None
    talked_before_s: float | None = None
    """Seconds of the case's earlier calls (a transfer, a call cut and answered again); None: none."""


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
    end_reason: Sequence[str]
    talked_before_s: Sequence[float | None]


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
        end_reason=[r.end_reason or _NO_KEY for r in listed],
        talked_before_s=[r.talked_before_s for r in listed],
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


TALLY_FIELDS: Final = (
    "volume",
    "queued",
    "answered",
    "abandoned",
    "short",
    "callbacks",
    "interrupted",
    "within",
    "handled",
    "handed",
    "contained",
    "rated",
    "answer_wait_us",
    "talk_us",
    "wrap_us",
)
"""What one group of consultations adds up to: counts, and durations in whole microseconds (integers, so a sum
is the same in any order: a report added up from daily rollups equals the one added up row by row)."""

_FIELD: Final = {name: i for i, name in enumerate(TALLY_FIELDS)}
_US: Final = 1_000_000


def _micros(seconds: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Non-negative whole microseconds of durations in seconds (NaN: 0)."""
    micros: npt.NDArray[np.int64] = np.rint(np.maximum(0.0, np.nan_to_num(seconds, nan=0.0)) * _US).astype(np.int64)
    return micros


def decis_of(micros: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Waits in tenths of a second, rounded half up: the resolution percentiles are reported in."""
    decis: npt.NDArray[np.int64] = (micros + _US // 20) // (_US // 10)
    return decis


class _Derived:
    """Per-consultation facts every figure is a sum or a percentile of (numpy arrays, one entry each)."""

    def __init__(self, c: Columns, settings: KpiSettings) -> None:
        def times(values: Sequence[float | None]) -> npt.NDArray[np.float64]:
            return np.array(values, dtype=np.float64)  # None becomes NaN

        state = np.array(c.state, dtype=object)
        chat = np.array(c.channel, dtype=object) == "chat"
        queued_at, answered_at = times(c.queued_at), times(c.answered_at)
        ended_at, wrapped_at, closed_at = times(c.ended_at), times(c.wrapped_up_at), times(c.closed_at)
        talked_before = np.nan_to_num(times(c.talked_before_s), nan=0.0)
        self.size = len(state)
        self.queued = ~np.isnan(queued_at)
        self.answered = self.queued & ~np.isnan(answered_at)
        # the outcomes of madoguchi/domain/outcomes.py (the supervisor's figures use the same rule), as columns
        self.callback = self.queued & ~self.answered & (np.array(c.end_reason, dtype=object) == CALLBACK_END_REASON)
        abandoned = self.queued & ~self.answered & ~self.callback & (state == "abandoned")
        with np.errstate(invalid="ignore"):
            answer_wait = np.where(self.answered, _micros(answered_at - queued_at - talked_before), 0)
            abandon_wait = np.where(abandoned, _micros(closed_at - queued_at), 0)
            routes = np.array(c.route, dtype=object)
            target = np.full(self.size, round(settings.target_s * _US), dtype=np.int64)
            for route, seconds in settings.route_targets.items():
                target[routes == route] = round(seconds * _US)
            self.short = abandoned & (abandon_wait < round(settings.short_abandon_s * _US))
            self.abandoned = abandoned & ~self.short
            self.within = self.answered & (answer_wait <= target)
            self.handled = self.answered & ~np.isnan(ended_at)
            self.talk = np.where(self.handled, _micros(ended_at - answered_at + talked_before), 0)
            self.wrap = np.where(self.handled, _micros(wrapped_at - ended_at), 0)
        self.answer_wait = answer_wait
        self.waited = self.answered | self.abandoned
        self.wait_decis = decis_of(np.where(self.answered, answer_wait, abandon_wait))
        self.interrupted = state == "interrupted"
        self.handed_off = chat & self.queued
        self.contained = chat & ~self.queued & ((state == "closed") | (state == "abandoned"))
        rating = times(c.satisfaction)
        self.rated = ~np.isnan(rating)
        self.rating = np.nan_to_num(rating, nan=0.0)

    def fields(self) -> tuple[npt.NDArray[Any], ...]:
        """The per-consultation value of each of :data:`TALLY_FIELDS`, in that order."""
        ones = np.ones(self.size, dtype=np.bool_)
        return (
            ones,
            self.queued,
            self.answered,
            self.abandoned,
            self.short,
            self.callback,
            self.interrupted,
            self.within,
            self.handled,
            self.handed_off,
            self.contained,
            self.rated,
            self.answer_wait,
            self.talk,
            self.wrap,
        )


@dataclass(slots=True)
class Tally:
    """One group's sums (:data:`TALLY_FIELDS`), its ratings' sum and the waits (tenths of a second) of everyone
    who waited, in no order: all a group's figures follow from these, and two tallies add up exactly."""

    counts: list[int]
    rating: float = 0.0
    waits: list[npt.NDArray[np.int64]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.rating += other.rating
        self.waits.extend(other.waits)

    def all_waits(self) -> npt.NDArray[np.int64]:
        return np.concatenate(self.waits) if self.waits else np.zeros(0, dtype=np.int64)


@dataclass(slots=True)
class Summary:
    """Consultations added up: a :class:`Tally` per group of each dimension (``all`` has the one key ``""``),
    and volume by local hour and weekday. A report over many days is the sum of its days' summaries."""

    groups: dict[str, dict[str, Tally]] = field(default_factory=dict)
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)
    by_weekday: list[int] = field(default_factory=lambda: [0] * 7)

    def add(self, other: Summary) -> None:
        for dimension, tallies in other.groups.items():
            mine = self.groups.setdefault(dimension, {})
            for key, tally in tallies.items():
                if key in mine:
                    mine[key].add(tally)
                else:
                    mine[key] = Tally(list(tally.counts), tally.rating, list(tally.waits))
        self.by_hour = [a + b for a, b in zip(self.by_hour, other.by_hour, strict=True)]
        self.by_weekday = [a + b for a, b in zip(self.by_weekday, other.by_weekday, strict=True)]


def merged(summaries: Iterable[Summary]) -> Summary:
    """The sum of many summaries (a year of days): each group's counts added as one integer array, its waits
    kept as a list of the days' arrays (joined once, when a percentile needs them)."""
    counts: dict[tuple[str, str], list[list[int]]] = {}
    ratings: dict[tuple[str, str], float] = {}
    waits: dict[tuple[str, str], list[npt.NDArray[np.int64]]] = {}
    by_hour = np.zeros(24, dtype=np.int64)
    by_weekday = np.zeros(7, dtype=np.int64)
    for summary in summaries:
        for dimension, tallies in summary.groups.items():
            for key, tally in tallies.items():
                group = (dimension, key)
                if group in counts:
                    counts[group].append(tally.counts)
                    ratings[group] += tally.rating
                    waits[group].extend(tally.waits)
                else:
                    counts[group], ratings[group], waits[group] = [tally.counts], tally.rating, list(tally.waits)
        by_hour += summary.by_hour
        by_weekday += summary.by_weekday
    total = Summary(by_hour=[int(v) for v in by_hour], by_weekday=[int(v) for v in by_weekday])
    for (dimension, key), rows in counts.items():
        summed = np.sum(np.array(rows, dtype=np.int64), axis=0)
        tally = Tally([int(v) for v in summed], ratings[dimension, key], waits[dimension, key])
        total.groups.setdefault(dimension, {})[key] = tally
    return total


ALL: Final = "all"
DIMENSIONS: Final = (ALL, "route", "channel", "booth_id", "place_id", "agent_id")
ROLLUP_DIMENSIONS: Final = (ALL, "route", "channel", "booth_id", "agent_id")
"""What a stored daily rollup keeps: places are not kept but added up from the booths at report time, with the
booths' places as they are then (the row query joins the booth's current place the same way)."""


def _tallies(d: _Derived, group: npt.NDArray[np.intp], names: Sequence[str]) -> dict[str, Tally]:
    """A tally per name; ``group`` gives each consultation's index into ``names`` (-1: in none)."""
    member = group >= 0
    g = group[member]
    groups = len(names)
    columns = [
        np.bincount(g, weights=values[member].astype(np.float64), minlength=groups).astype(np.int64)
        for values in d.fields()
    ]
    ratings = np.bincount(g, weights=d.rating[member] * d.rated[member], minlength=groups)
    waited = member & d.waited
    keys, waits = group[waited], d.wait_decis[waited]
    order = np.argsort(keys, kind="stable")
    keys, waits = keys[order], waits[order]
    bounds = np.searchsorted(keys, np.arange(groups + 1))
    return {
        name: Tally(
            counts=[int(column[i]) for column in columns],
            rating=float(ratings[i]),
            waits=[waits[bounds[i] : bounds[i + 1]]] if bounds[i + 1] > bounds[i] else [],
        )
        for i, name in enumerate(names)
    }


def summarize(columns: Columns, settings: KpiSettings, dimensions: Iterable[str] = DIMENSIONS) -> Summary:
    """The sums of ``columns`` for each group of each of ``dimensions`` (see :data:`DIMENSIONS`)."""
    derived = _Derived(columns, settings)
    summary = Summary()
    for dimension in dimensions:
        if dimension == ALL:
            summary.groups[ALL] = _tallies(derived, np.zeros(derived.size, dtype=np.intp), [""])
        else:
            names, group = _codes(getattr(columns, dimension))
            summary.groups[dimension] = _tallies(derived, group, names)
    hour, weekday = _local_hour_and_weekday(np.array(columns.requested_at, dtype=np.float64), settings.zone)
    summary.by_hour = [int(v) for v in np.bincount(hour, minlength=24)]
    summary.by_weekday = [int(v) for v in np.bincount(weekday, minlength=7)]
    return summary


def with_places(summary: Summary, booth_places: Mapping[str, str | None]) -> Summary:
    """``summary`` with its ``place_id`` groups added up from its booths (a booth without a place: in none)."""
    places: dict[str, Tally] = {}
    for booth_id, tally in summary.groups.get("booth_id", {}).items():
        place = booth_places.get(booth_id)
        if place:
            if place in places:
                places[place].add(tally)
            else:
                places[place] = Tally(list(tally.counts), tally.rating, list(tally.waits))
    summary.groups["place_id"] = places
    return summary


def _percentile_decis(waits: npt.NDArray[np.int64], p: int) -> float | None:
    if waits.size == 0:
        return None
    rank = max(1, math.ceil(p / 100 * waits.size)) - 1
    return int(np.partition(waits, rank)[rank]) / 10


def _figures_of(tally: Tally) -> dict[str, Any]:
    c = dict(zip(TALLY_FIELDS, tally.counts, strict=True))
    waits = tally.all_waits()
    decided = c["answered"] + c["abandoned"]
    chats = c["handed"] + c["contained"]
    mean_talk = _mean(c["talk_us"] / _US, c["handled"])
    mean_wrap = _mean(c["wrap_us"] / _US, c["handled"])
    return {
        "volume": c["volume"],
        "queued": c["queued"],
        "answered": c["answered"],
        "abandoned": c["abandoned"],
        "abandoned_short": c["short"],
        "callbacks": c["callbacks"],
        "interrupted": c["interrupted"],
        "abandon_rate": _ratio(c["abandoned"], decided),
        "asa_s": _rounded(_mean(c["answer_wait_us"] / _US, c["answered"])),
        "wait_p50_s": _percentile_decis(waits, 50),
        "wait_p90_s": _percentile_decis(waits, 90),
        "service_level": _ratio(c["within"], decided),
        "aht_s": _rounded(_mean((c["talk_us"] + c["wrap_us"]) / _US, c["handled"])),
        "talk_s": _rounded(mean_talk),
        "wrap_up_s": _rounded(mean_wrap),
        "chats": chats,
        "bot_containment": _ratio(c["contained"], chats),
        "handoff_rate": _ratio(c["handed"], chats),
        "satisfaction": _rounded(_mean(tally.rating, c["rated"]), 2),
        "satisfaction_count": c["rated"],
    }


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _mean(total: float, count: int) -> float | None:
    return None if count == 0 else total / count


def finish(summary: Summary, settings: KpiSettings, *, breakdowns: Iterable[str] = tuple(BREAKDOWNS)) -> dict[str, Any]:
    """Every KPI of a :class:`Summary`, with ``by_hour``, ``by_weekday`` and the named ``breakdowns``."""
    everyone = summary.groups.get(ALL, {}).get("")
    result = _figures_of(everyone if everyone is not None else Tally([0] * len(TALLY_FIELDS)))
    result["service_level_target_s"] = settings.target_s
    result["short_abandon_s"] = settings.short_abandon_s
    result["by_hour"] = list(summary.by_hour)
    result["by_weekday"] = list(summary.by_weekday)
    for name in breakdowns:
        tallies = summary.groups.get(BREAKDOWNS[name], {})
        result[name] = {key: _figures_of(tallies[key]) for key in sorted(tallies)}
    return result


def compute(
    rows: Iterable[ConsultationRow] | Columns,
    settings: KpiSettings,
    *,
    breakdowns: Iterable[str] = tuple(BREAKDOWNS),
) -> dict[str, Any]:
    """Every KPI of the consultations, with ``by_hour``, ``by_weekday`` and the named ``breakdowns``."""
    columns = rows if isinstance(rows, Columns) else columns_of(rows)
    return finish(summarize(columns, settings), settings, breakdowns=breakdowns)


def _codes(values: Sequence[str]) -> tuple[list[str], npt.NDArray[np.intp]]:
    """Each distinct key numbered in order of appearance, ``""`` (no key) as -1. Dict lookups run in C through
    ``map``; sorting a million Python strings, as ``np.unique`` would, costs ten times more."""
    names = [value for value in dict.fromkeys(values) if value != _NO_KEY]
    index = {name: i for i, name in enumerate(names)}
    index[_NO_KEY] = -1
    return names, np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))


def local_days(columns: Columns, zone: tzinfo) -> npt.NDArray[np.int64]:
    """The local calendar day each consultation was requested on, as days since 1970-01-01."""
    return _local_time(np.array(columns.requested_at, dtype=np.float64), zone)[0]


def subset(columns: Columns, mask: npt.NDArray[np.bool_]) -> Columns:
    """The consultations of ``columns`` where ``mask`` is true."""
    (chosen,) = np.nonzero(mask)
    return Columns(*([values[i] for i in chosen] for values in (getattr(columns, f) for f in _COLUMN_FIELDS)))


_COLUMN_FIELDS: Final = tuple(Columns.__dataclass_fields__)


def _local_hour_and_weekday(
    instants: npt.NDArray[np.float64], zone: tzinfo
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    days, hour = _local_time(instants, zone)
    weekday = ((days + 3) % 7).astype(np.intp)  # 1970-01-01 was a Thursday
    return hour, weekday


def _local_time(instants: npt.NDArray[np.float64], zone: tzinfo) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.intp]]:
    """Local day (since the epoch) and hour of UTC epoch seconds. Zones change their offset only on a quarter
    hour (JST never does), so the offset is looked up once per quarter hour of UTC, not once per consultation."""
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
    return days, hour
