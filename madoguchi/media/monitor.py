"""``madoguchi probe --every SECONDS``: the probe as a synthetic monitor that keeps running and exposes its last
results as Prometheus metrics on a port it is given (``--metrics-port``).

Why a long-running probe beside the cron one: an island's TURN path or a municipal firewall change breaks calls
between two residents' visits; a probe every few minutes, scraped by the town's Prometheus, says so first. The
numbers are those of one ``madoguchi probe`` round (``--count`` calls): whether the last round's calls all
succeeded, when it ran, its timings, whether the calls were relayed, and counts of calls since start.

:class:`ProbeMonitor` holds the numbers (its own registry: nothing global); :func:`serve_metrics` serves them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest

if TYPE_CHECKING:
    from madoguchi.media.probe import CallResult

TIMINGS = ("signaling_ms", "connected_ms", "first_frame_ms")


class ProbeMonitor:
    """The last round's results as Prometheus gauges, and call counts since start."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.up = Gauge("madoguchi_probe_up", "1 when every call of the last round succeeded, else 0", registry=r)
        self.last_run = Gauge(
            "madoguchi_probe_last_run_timestamp_seconds", "when the last round finished (Unix time)", registry=r
        )
        self.calls = Counter("madoguchi_probe_calls", "probe calls since start, by result", ["result"], registry=r)
        self.timing = Gauge(
            "madoguchi_probe_last_ms", "the last round's median timing of successful calls, ms", ["step"], registry=r
        )
        self.relay = Gauge(
            "madoguchi_probe_relayed",
            "1 when the last round's calls were relayed through TURN (known with --relay-only), else 0",
            registry=r,
        )
        self.rounds = 0
        for result in ("ok", "failed"):
            self.calls.labels(result=result)

    def observe(self, results: Sequence[CallResult], *, now: float) -> None:
        """One round's calls."""
        self.rounds += 1
        ok = [r for r in results if r.ok]
        self.up.set(1 if results and len(ok) == len(results) else 0)
        self.last_run.set(now)
        self.calls.labels(result="ok").inc(len(ok))
        self.calls.labels(result="failed").inc(len(results) - len(ok))
        for step in TIMINGS:
            values = sorted(v for r in ok if (v := getattr(r, step)) is not None)
            if values:
                self.timing.labels(step=step).set(values[len(values) // 2])
            elif (step,) in self._timing_labels():
                self.timing.remove(step)  # no successful call this round: no stale number
        relayed = [r.relay for r in results if r.relay is not None]
        if relayed:
            self.relay.set(1 if all(relayed) else 0)

    def _timing_labels(self) -> set[tuple[str, ...]]:
        return {tuple(s.labels.values()) for metric in self.timing.collect() for s in metric.samples}

    def render(self) -> bytes:
        return generate_latest(self.registry)


async def serve_metrics(monitor: ProbeMonitor, host: str, port: int) -> web.AppRunner:
    """``GET /metrics`` on ``host:port`` until the returned runner is cleaned up."""

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=monitor.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
