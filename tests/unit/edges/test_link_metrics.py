"""The per-booth link histograms of ``/metrics`` (``Metrics.link_summary``), without a server: one observation
per case and side, a call from home under ``home``, and a bounded memory of the summaries already counted."""

from __future__ import annotations

from typing import Any

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from madoguchi import observability
from madoguchi.observability import Metrics


def summary(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "rtt_ms": {"min": 20, "median": 120, "max": 900},
        "loss_pct": {"median": 2.0, "max": 9.0},
        "concealment_pct": 3.5,
        "seconds": {"video": 30.0, "low_video": 0, "audio": 12.0, "chat": 0},
    }
    return {**base, **changes}


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("madoguchi_link_")
    }


def count(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_each_side_of_a_case_counts_once_and_a_call_from_home_has_its_own_label() -> None:
    metrics = Metrics()
    metrics.link_summary("c1", "B1", "resident", summary())
    metrics.link_summary("c1", "B1", "resident", summary(rtt_ms={"median": 999}))  # the same side again
    metrics.link_summary("c1", "B1", "agent", summary(concealment_pct=None))  # not measured: not observed
    metrics.link_summary("c2", None, "resident", summary())
    found = samples(metrics)
    assert count(found, "madoguchi_link_rtt_ms_count", booth="B1", side="resident") == 1
    assert count(found, "madoguchi_link_rtt_ms_sum", booth="B1", side="resident") == 120
    assert count(found, "madoguchi_link_concealment_percent_count", booth="B1", side="agent") == 0
    assert count(found, "madoguchi_link_step_seconds_sum", booth="B1", side="resident", step="audio") == 12
    assert count(found, "madoguchi_link_step_seconds_count", booth="B1", side="resident", step="low-video") == 1
    assert count(found, "madoguchi_link_rtt_ms_count", booth="home", side="resident") == 1


def test_the_memory_of_counted_summaries_is_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(observability, "LINK_SEEN_MAX", 3)
    metrics = Metrics()
    for n in range(5):
        metrics.link_summary(f"c{n}", "B1", "resident", summary())
    metrics.link_summary("c4", "B1", "resident", summary())  # still remembered: not counted again
    metrics.link_summary("c0", "B1", "resident", summary())  # forgotten long ago: counted (a bounded cost)
    assert count(samples(metrics), "madoguchi_link_rtt_ms_count", booth="B1", side="resident") == 6
