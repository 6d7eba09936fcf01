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
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo

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


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of ``values`` (sorted here), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _mean(total: float, count: int) -> float | None:
    return None if count == 0 else total / count


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(slots=True)
class Tally:
    """Running sums for one group of consultations (everything, a route, a booth, an agent)."""

    volume: int = 0
    queued: int = 0
    answered: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    interrupted: int = 0
    within_target: int = 0
    answer_wait_total: float = 0.0
    waits: list[float] = field(default_factory=list)
    handled: int = 0
    talk_total: float = 0.0
    wrap_total: float = 0.0
    chats: int = 0
    chats_contained: int = 0
    chats_handed_off: int = 0
    ratings: int = 0
    rating_total: float = 0.0

    def add(self, row: ConsultationRow, settings: KpiSettings) -> None:
        self.volume += 1
        if row.state == "interrupted":
            self.interrupted += 1
        if row.channel == "chat":
            if row.queued_at is not None:
                self.chats_handed_off += 1
            elif row.state in ("closed", "abandoned"):
                self.chats_contained += 1
        if row.satisfaction is not None:
            self.ratings += 1
            self.rating_total += row.satisfaction
        if row.queued_at is None:
            return
        self.queued += 1
        if row.answered_at is not None:
            wait = max(0.0, (row.answered_at - row.queued_at).total_seconds())
            self.answered += 1
            self.answer_wait_total += wait
            self.waits.append(wait)
            if wait <= settings.target_for(row.route):
                self.within_target += 1
            talk = _seconds(row.answered_at, row.ended_at)
            if talk is not None:
                self.handled += 1
                self.talk_total += max(0.0, talk)
                self.wrap_total += max(0.0, _seconds(row.ended_at, row.wrapped_up_at) or 0.0)
        elif row.state == "abandoned":
            wait = max(0.0, _seconds(row.queued_at, row.closed_at) or 0.0)
            if wait < settings.short_abandon_s:
                self.abandoned_short += 1
            else:
                self.abandoned += 1
                self.waits.append(wait)

    def figures(self) -> dict[str, Any]:
        """The KPIs of this group (see the module docstring), durations rounded to 0.1 s."""
        decided = self.answered + self.abandoned
        chats_done = self.chats_contained + self.chats_handed_off
        talk = _mean(self.talk_total, self.handled)
        wrap = _mean(self.wrap_total, self.handled)
        return {
            "volume": self.volume,
            "queued": self.queued,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "abandoned_short": self.abandoned_short,
            "interrupted": self.interrupted,
            "abandon_rate": _ratio(self.abandoned, decided),
            "asa_s": _rounded(_mean(self.answer_wait_total, self.answered)),
            "wait_p50_s": _rounded(percentile(self.waits, 50)),
            "wait_p90_s": _rounded(percentile(self.waits, 90)),
            "service_level": _ratio(self.within_target, decided),
            "aht_s": _rounded(None if talk is None or wrap is None else talk + wrap),
            "talk_s": _rounded(talk),
            "wrap_up_s": _rounded(wrap),
            "chats": chats_done,
            "bot_containment": _ratio(self.chats_contained, chats_done),
            "handoff_rate": _ratio(self.chats_handed_off, chats_done),
            "satisfaction": _rounded(_mean(self.rating_total, self.ratings), 2),
            "satisfaction_count": self.ratings,
        }


Key = Callable[[ConsultationRow], Hashable | None]

BREAKDOWNS: Final[dict[str, Key]] = {
    "by_route": lambda row: row.route,
    "by_channel": lambda row: row.channel,
    "by_booth": lambda row: row.booth_id,
    "by_place": lambda row: row.place_id,
    "by_agent": lambda row: row.agent_id,
}
"""Groups every report splits its figures by; a row whose key is None (a chat has no booth) is left out."""


def compute(
    rows: Iterable[ConsultationRow], settings: KpiSettings, *, breakdowns: Iterable[str] = tuple(BREAKDOWNS)
) -> dict[str, Any]:
    """Every KPI of ``rows``, with ``by_hour``, ``by_weekday`` and the named ``breakdowns`` (dicts by key)."""
    wanted = {name: BREAKDOWNS[name] for name in breakdowns}
    total = Tally()
    groups: dict[str, dict[Hashable, Tally]] = {name: {} for name in wanted}
    by_hour = [0] * 24
    by_weekday = [0] * 7
    local = _LocalClock(settings.zone)
    for row in rows:
        total.add(row, settings)
        hour, weekday = local.hour_and_weekday(row.requested_at)
        by_hour[hour] += 1
        by_weekday[weekday] += 1
        for name, key_of in wanted.items():
            key = key_of(row)
            if key is not None:
                tally = groups[name].get(key)
                if tally is None:
                    tally = groups[name][key] = Tally()
                tally.add(row, settings)
    result = total.figures()
    result["service_level_target_s"] = settings.target_s
    result["short_abandon_s"] = settings.short_abandon_s
    result["by_hour"] = by_hour
    result["by_weekday"] = by_weekday
    for name, tallies in groups.items():
        result[name] = {str(key): tallies[key].figures() for key in sorted(tallies, key=str)}
    return result


class _LocalClock:
    """Local hour and weekday of instants, with the zone's offset looked up once per quarter hour of UTC.

    Reports walk up to a million rows and ``astimezone`` on each costs more than the rest of the tally; zones
    change their offset only on a quarter hour (JST never does), so the lookup is cached per quarter hour."""

    def __init__(self, zone: tzinfo) -> None:
        self._zone = zone
        self._offsets: dict[int, timedelta] = {}

    def hour_and_weekday(self, instant: datetime) -> tuple[int, int]:
        slot = math.floor(instant.timestamp() / 900)
        offset = self._offsets.get(slot)
        if offset is None:
            offset = instant.astimezone(self._zone).utcoffset() or timedelta()
            self._offsets[slot] = offset
        local = instant.replace(tzinfo=None) - (instant.utcoffset() or timedelta()) + offset
        return local.hour, local.weekday()
