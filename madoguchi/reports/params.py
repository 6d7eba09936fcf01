"""The report filters a request may ask for, checked once: every mistake gets a sentence, nothing is guessed.

Why separate from the handlers: the same checks serve the KPI API, both exports and the page, and they are
plain functions of the query string and the caller's municipalities, tested without a server.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from madoguchi.domain.date_range import MAX_DAYS as MAX_DAYS  # the longest period, re-exported for callers
from madoguchi.domain.date_range import BadDates, check_period
from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.storage.models import CHANNELS
from madoguchi.storage.spreadsheets import HEADER_CHOICES

_ID: Final = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


BadReportRequest = BadDates
"""A filter the report cannot use; the message says which and why, in plain words (for the API). ``reason``
and ``field`` let the page say it in its own language beside the input (``reports.error.<reason>``). The same
class as the shared date rule's (:mod:`madoguchi.domain.date_range`), so a bad period reads the same anywhere."""


@dataclass(frozen=True, slots=True)
class ReportRequest:
    first: date
    last: date
    municipality_ids: tuple[str, ...]
    route: str | None = None
    place_id: str | None = None
    booth_id: str | None = None
    channel: str | None = None
    headers: str = "keys"


def _date(query: Mapping[str, str], name: str) -> date:
    raw = query.get(name, "").strip()
    if not raw:
        raise BadReportRequest(
            f"'{name}' is missing: give a date as YYYY-MM-DD (Japan time)", reason="date_missing", field=name
        )
    if not _DATE.fullmatch(raw):
        raise BadReportRequest(
            f"'{name}' must be a date as YYYY-MM-DD, got {raw[:40]!r}", reason="date_invalid", field=name
        )
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadReportRequest(f"'{name}' is not a real date: {raw!r}", reason="date_invalid", field=name) from None


def _optional_id(query: Mapping[str, str], name: str) -> str | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    if not _ID.fullmatch(raw):
        raise BadReportRequest(f"'{name}' must be an id of letters, digits, '-', '_', '.' or ':' (at most 64)")
    return raw


def parse_report_request(query: Mapping[str, str], allowed: Collection[str]) -> ReportRequest:
    """The filters in ``query`` for a caller who may see the municipalities ``allowed``.

    ``municipality`` narrows to one of them (asking for another is refused, not silently emptied)."""
    first, last = _date(query, "from"), _date(query, "to")
    check_period(first, last)
    route = _optional_id(query, "route")
    if route is not None and route not in ROUTE_IDS:
        raise BadReportRequest(f"unknown route {route!r}; known routes: {', '.join(ROUTE_IDS)}")
    channel = _optional_id(query, "channel")
    if channel is not None and channel not in CHANNELS:
        raise BadReportRequest(f"'channel' must be one of {', '.join(CHANNELS)}, got {channel!r}")
    headers = query.get("headers", "keys").strip() or "keys"
    if headers not in HEADER_CHOICES:
        raise BadReportRequest(f"'headers' must be one of {', '.join(HEADER_CHOICES)}, got {headers[:20]!r}")
    municipality = _optional_id(query, "municipality")
    if municipality is not None and municipality not in allowed:
        raise BadReportRequest(f"you cannot see municipality {municipality!r}")
    return ReportRequest(
        first=first,
        last=last,
        municipality_ids=(municipality,) if municipality is not None else tuple(sorted(allowed)),
        route=route,
        place_id=_optional_id(query, "place"),
        booth_id=_optional_id(query, "booth"),
        channel=channel,
        headers=headers,
    )
