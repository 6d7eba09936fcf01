"""One rule for how a queued consultation ended (madoguchi/domain/outcomes.py), computed by the reports' KPIs over
columns and by the supervisor's 「今日」 figures row by row: a call-back request made after a long wait is a
call-back in both, never an abandon (/reports counted it as abandoned, the supervisor page as 折り返し)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

from madoguchi.domain.outcomes import CALLBACK_END_REASON, Outcome, outcome
from madoguchi.reports.kpis import ConsultationRow, KpiSettings, compute
from tests.unit.reports.test_kpis import booth

SETTINGS = KpiSettings(short_abandon_s=10.0)


def left(name: str, after: float, *, end_reason: str | None = None) -> ConsultationRow:
    return replace(booth(name, abandon_after=after), end_reason=end_reason)


ROWS = [
    booth("A", wait=30, talk=300, wrap=60),
    left("B", 900, end_reason=CALLBACK_END_REASON),  # a call-back after 15 minutes: not an abandon
    left("C", 5, end_reason=CALLBACK_END_REASON),  # a call-back at once: not a short abandon either
    left("D", 60),  # gave up after a minute
    left("E", 5),  # left at once
    booth("F"),  # still waiting
]


def test_a_callback_after_a_long_wait_is_a_callback_not_an_abandon() -> None:
    figures = compute(ROWS, SETTINGS)
    assert (figures["answered"], figures["callbacks"], figures["abandoned"], figures["abandoned_short"]) == (1, 2, 1, 1)
    assert figures["abandon_rate"] == 0.5, "answered 1, abandoned 1: the call-backs are in neither"
    assert figures["service_level"] == 0.5


def test_the_reports_and_the_rule_row_by_row_agree() -> None:
    def one(row: ConsultationRow) -> Outcome:
        waited = None if row.closed_at is None or row.queued_at is None else row.closed_at - row.queued_at
        return outcome(
            answered=row.answered_at is not None,
            state=row.state,
            end_reason=row.end_reason,
            waited_s=None if waited is None else waited / timedelta(seconds=1),
            short_abandon_s=SETTINGS.short_abandon_s,
        )

    by_rule = Counter(one(r) for r in ROWS)
    figures = compute(ROWS, SETTINGS)
    assert figures["answered"] == by_rule[Outcome.ANSWERED]
    assert figures["callbacks"] == by_rule[Outcome.CALLBACK]
    assert figures["abandoned"] == by_rule[Outcome.ABANDONED]
    assert figures["abandoned_short"] == by_rule[Outcome.SHORT_ABANDONED]
    assert by_rule[Outcome.IN_HAND] == 1
