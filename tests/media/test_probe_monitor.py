"""The probe monitor's numbers (``madoguchi probe --every``): the last round as gauges, calls counted since start."""

from __future__ import annotations

from madoguchi.media.monitor import ProbeMonitor
from madoguchi.media.probe import CallResult


def ok(first_frame_ms: float, relay: bool | None = None) -> CallResult:
    return CallResult(ok=True, signaling_ms=20.0, connected_ms=80.0, first_frame_ms=first_frame_ms, relay=relay)


def value(page: str, name: str) -> float | None:
    for line in page.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def test_a_good_round_then_a_failed_one() -> None:
    monitor = ProbeMonitor()
    monitor.observe([ok(300.0, relay=True), ok(500.0, relay=True), ok(400.0, relay=True)], now=1000.0)
    page = monitor.render().decode()
    assert value(page, "madoguchi_probe_up") == 1.0
    assert value(page, 'madoguchi_probe_last_ms{step="first_frame_ms"}') == 400.0, "the median of the round"
    assert value(page, "madoguchi_probe_relayed") == 1.0
    assert value(page, "madoguchi_probe_last_run_timestamp_seconds") == 1000.0

    monitor.observe([CallResult(ok=False, error="cannot reach the server")], now=1060.0)
    page = monitor.render().decode()
    assert value(page, "madoguchi_probe_up") == 0.0
    assert value(page, 'madoguchi_probe_calls_total{result="ok"}') == 3.0
    assert value(page, 'madoguchi_probe_calls_total{result="failed"}') == 1.0
    assert 'step="first_frame_ms"' not in page, "no stale timing from an earlier round"
    assert value(page, "madoguchi_probe_last_run_timestamp_seconds") == 1060.0


def test_an_empty_round_is_not_up() -> None:
    monitor = ProbeMonitor()
    monitor.observe([], now=5.0)
    assert value(monitor.render().decode(), "madoguchi_probe_up") == 0.0
