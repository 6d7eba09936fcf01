"""CLI subcommands of this package (registered by madoguchi.cli): ``madoguchi probe``.

The probe is both a test tool and a synthetic monitor for real deployments: run it from cron against a
dedicated probe booth and probe agent, read one JSON line per call, alert on a non-zero exit status.
Exit status: 0 every call succeeded, 1 at least one call failed, 2 bad arguments (from argparse).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from madoguchi.cli_types import whole_number_within
from madoguchi.settings import Settings

if TYPE_CHECKING:
    from madoguchi.media.probe import CallResult, ProbeTarget


_positive_int = whole_number_within(1, 10_000, what="a whole number", wanted="between 1 and 10000")


def _number_of_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    return value


def _seconds_within(fits: Callable[[float], bool], wanted: str) -> Callable[[str], float]:
    """An argparse type for a number of seconds that ``fits``; ``wanted`` says the range in the error."""

    def parse(text: str) -> float:
        value = _number_of_seconds(text)
        if not fits(value):
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text}")
        return value

    return parse


_seconds = _seconds_within(lambda v: 0 < v <= 600, "more than 0 and at most 600 seconds")
_hold_seconds = _seconds_within(lambda v: 0 <= v <= 60, "between 0 and 60 seconds")
_period = _seconds_within(lambda v: 10 <= v <= 86_400, "between 10 and 86400 seconds")


_port = whole_number_within(1, 65_535, what="a port number", wanted="a port between 1 and 65535")


def _server_url(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"must start with http:// or https://, got {text!r}")
    return text.rstrip("/")


def register(subparsers: Any) -> None:
    """Add this package's subcommands to ``madoguchi``."""
    probe = subparsers.add_parser(
        "probe",
        help="run full synthetic booth → agent video calls and report their timings",
        description=(
            "Runs COUNT complete calls one after another: a headless booth requests a consultation, "
            "a headless agent accepts it, audio and video flow both ways, the agent ends the call and "
            "submits a wrap-up. Prints one line per call; exits 1 if any call failed."
        ),
    )
    probe.add_argument("--server", required=True, type=_server_url, help="base URL, e.g. https://madoguchi.example")
    probe.add_argument("--booth-server", type=_server_url, help="base URL for the booth side (default: --server)")
    probe.add_argument("--agent-server", type=_server_url, help="base URL for the agent side (default: --server)")
    probe.add_argument("--booth-token", required=True, help="device token of a booth kept for probing")
    probe.add_argument("--agent-user", required=True, help="user name of an agent account kept for probing")
    probe.add_argument("--agent-password", required=True, help="that agent's password")
    probe.add_argument("--route", default="general_inquiry", help="route to request (default: general_inquiry)")
    probe.add_argument("--language", default="ja", help="language to request (default: ja)")
    probe.add_argument("--count", type=_positive_int, default=1, help="number of calls (default: 1)")
    probe.add_argument("--timeout", type=_seconds, default=15.0, help="seconds allowed per step (default: 15)")
    probe.add_argument(
        "--hold",
        type=_hold_seconds,
        default=0.5,
        help="seconds to keep each call up after media flows (default: 0.5)",
    )
    probe.add_argument(
        "--compare-direct",
        action="store_true",
        help="pair each call with a call between two local peers (no server) and report both",
    )
    probe.add_argument(
        "--relay-only",
        action="store_true",
        help='use only TURN candidates (checks the TURN server); each call reports "relay": true when relayed',
    )
    probe.add_argument("--json", action="store_true", help="print one JSON object per call (for machines)")
    probe.add_argument(
        "--every",
        type=_period,
        metavar="SECONDS",
        help="keep running: a round of --count calls every SECONDS (10-86400), until stopped",
    )
    probe.add_argument(
        "--metrics-port",
        type=_port,
        metavar="PORT",
        help="with --every: serve the last round's results as Prometheus metrics on http://HOST:PORT/metrics",
    )
    probe.add_argument("--metrics-host", default="127.0.0.1", help="address for --metrics-port (default: 127.0.0.1)")
    probe.set_defaults(handler=probe_command)


def _human_line(index: int, result: CallResult) -> str:
    if not result.ok:
        return f"call {index}: FAILED: {result.error}"
    frames = ", ".join(
        f"{side} got {counts.get('audio', 0)} audio / {counts.get('video', 0)} video frames"
        for side, counts in result.frames_received.items()
    )
    line = (
        f"call {index}: ok  signaling {result.signaling_ms} ms, connected {result.connected_ms} ms, "
        f"first video frame {result.first_frame_ms} ms ({frames})"
    )
    if result.relay is not None:
        line += "; relayed through TURN" if result.relay else "; not relayed"
    if result.direct is not None:
        line += f"; direct, no server: first video frame {result.direct['first_frame_ms']} ms"
    return line


async def probe_command(args: argparse.Namespace, settings: Settings) -> int:
    """``madoguchi probe``: run the calls, print them, and fail if any failed (with ``--every``: keep going)."""
    from madoguchi.media.probe import ProbeTarget  # aiortc is slow to import: only for probe

    if args.metrics_port is not None and args.every is None:
        print("--metrics-port needs --every (a probe that keeps running)", file=sys.stderr)
        return 2
    target = ProbeTarget(
        booth_server=args.booth_server or args.server,
        agent_server=args.agent_server or args.server,
        booth_token=args.booth_token,
        agent_user=args.agent_user,
        agent_password=args.agent_password,
        route=args.route,
        language=args.language,
        relay_only=args.relay_only,
    )
    if args.every is not None:
        return await _keep_probing(target, args)
    results = await _round(target, args, first_index=1)
    failures = sum(0 if result.ok else 1 for result in results)
    if failures and not args.json:
        print(f"{failures} of {len(results)} calls failed", file=sys.stderr)
    return 1 if failures else 0


async def _round(target: ProbeTarget, args: argparse.Namespace, *, first_index: int) -> list[CallResult]:
    """``--count`` calls, each printed as it ends."""
    from madoguchi.media.probe import run_probe

    results = []
    async for result in run_probe(
        target, args.count, timeout_s=args.timeout, hold_s=args.hold, compare_direct=args.compare_direct
    ):
        results.append(result)
        index = first_index + len(results) - 1
        line = json.dumps(result.to_json(), ensure_ascii=False) if args.json else _human_line(index, result)
        print(line, flush=True)
    return results


async def _keep_probing(target: ProbeTarget, args: argparse.Namespace) -> int:
    """A round every ``--every`` seconds until stopped; the last round's results on ``--metrics-port``."""
    from madoguchi.media.monitor import ProbeMonitor, serve_metrics

    monitor = ProbeMonitor()
    runner = None
    if args.metrics_port is not None:
        try:
            runner = await serve_metrics(monitor, args.metrics_host, args.metrics_port)
        except OSError as exc:
            print(f"cannot serve metrics on {args.metrics_host}:{args.metrics_port}: {exc}", file=sys.stderr)
            return 2
    loop = asyncio.get_running_loop()
    index = 1
    try:
        while True:
            began = loop.time()
            results = await _round(target, args, first_index=index)
            index += len(results)
            monitor.observe(results, now=time.time())
            failures = sum(0 if result.ok else 1 for result in results)
            if failures and not args.json:
                print(f"{failures} of {len(results)} calls failed", file=sys.stderr, flush=True)
            await asyncio.sleep(max(0.0, args.every - (loop.time() - began)))
    finally:
        if runner is not None:
            await runner.cleanup()
