"""Report filters: every mistake is refused with a sentence naming it; good ones come out typed and scoped."""

from __future__ import annotations

from datetime import date

import pytest

from madoguchi.reports.params import MAX_DAYS, BadReportRequest, parse_report_request

ALLOWED = ("shiomi", "nagi")


def test_a_good_request() -> None:
    report = parse_report_request(
        {"from": "2026-12-01", "to": "2026-12-07", "route": "tax", "place": "p1", "channel": "booth"}, ALLOWED
    )

    assert (report.first, report.last) == (date(2026, 12, 1), date(2026, 12, 7))
    assert report.municipality_ids == ("nagi", "shiomi")
    assert (report.route, report.place_id, report.channel, report.booth_id) == ("tax", "p1", "booth", None)
    assert report.headers == "keys"


def test_one_municipality_of_the_callers() -> None:
    report = parse_report_request({"from": "2026-12-01", "to": "2026-12-01", "municipality": "nagi"}, ALLOWED)

    assert report.municipality_ids == ("nagi",)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"to": "2026-12-01"}, "'from' is missing"),
        ({"from": "2026-12-01"}, "'to' is missing"),
        ({"from": "1/12/2026", "to": "2026-12-01"}, "YYYY-MM-DD"),
        ({"from": "2026-02-30", "to": "2026-03-01"}, "not a real date"),
        ({"from": "2026-12-02", "to": "2026-12-01"}, "before 'from'"),
        ({"from": "2025-01-01", "to": "2026-12-01"}, f"at most {MAX_DAYS}"),
        ({"from": "2026-12-01", "to": "2026-12-01", "route": "parking"}, "unknown route 'parking'"),
        ({"from": "2026-12-01", "to": "2026-12-01", "channel": "phone"}, "'channel' must be one of"),
        ({"from": "2026-12-01", "to": "2026-12-01", "place": "a b"}, "'place' must be an id"),
        ({"from": "2026-12-01", "to": "2026-12-01", "headers": "de"}, "'headers' must be one of"),
        ({"from": "2026-12-01", "to": "2026-12-01", "municipality": "other"}, "cannot see municipality 'other'"),
    ],
)
def test_mistakes_are_named(query: dict[str, str], words: str) -> None:
    with pytest.raises(BadReportRequest, match=words.replace("(", r"\(")):
        parse_report_request(query, ALLOWED)


def test_a_whole_leap_year_is_allowed() -> None:
    report = parse_report_request({"from": "2028-01-01", "to": "2028-12-31"}, ALLOWED)

    assert (report.last - report.first).days + 1 == MAX_DAYS


def test_a_reversed_range_names_its_reason_and_field_for_the_page() -> None:
    """ux6: the page showed 「表示できませんでした: 'to' is before 'from'…」; it now says it in its language beside
    the 「まで」 field, from the reason and the field."""
    with pytest.raises(BadReportRequest) as refused:
        parse_report_request({"from": "2026-11-02", "to": "2026-11-01"}, {"shiomi"})
    assert (refused.value.reason, refused.value.field) == ("range_reversed", "to")
    with pytest.raises(BadReportRequest) as missing:
        parse_report_request({"to": "2026-11-01"}, {"shiomi"})
    assert (missing.value.reason, missing.value.field) == ("date_missing", "from")
