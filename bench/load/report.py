"""RESULTS.md from one run's result dict (``run.py``), with the hand-written analysis (``analysis.md``) after it.

The numbers come only from the run; the analysis explains them and is kept beside this file so that a new run
refreshes the tables without losing the explanation (re-read it after a run: it quotes figures).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _met(flag: bool | None) -> str:
    return "**met**" if flag else "**not met**"


def markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    m = result["machine"]
    plan = result["plan"]
    out: list[str] = []
    w = out.append
    w("# Load benchmark: results\n")
    w(
        f"Run: {result['date']} ({result['mode']} mode, {result['elapsed_s']:.0f} s), revision {result['revision']}, "
        f"on {m['cpu']} ({m['cores']} cores), {m['os']}, Python {m['python']}, python-socketio "
        f"{m['python-socketio']}, python-engineio {m['python-engineio']}, aiohttp {m['aiohttp']}, redis-py "
        f"{m['redis-py']}. Load average (1/5/15 min) {result['load_average']['before']} before, "
        f"{result['load_average']['after']} after: the machine is shared with other work, so compare madoguchi "
        "with the bare server of the same run (their windows alternate), not runs with each other.\n"
    )
    w(
        "Reproduce: `python bench/load/run.py` (full, hard cap 10 min) or `--quick` (hard cap 2 min); add "
        "`--profile` for the py-spy tables. Everything per repetition is in `results.json`.\n"
    )
    w(
        "Settings changed for the benchmark: `MADOGUCHI_EVENTS_PER_SECOND=1000000` and `MADOGUCHI_EVENT_BURST=1000000` "
        "(the per-connection token bucket, 30/s with a burst of 60 by default, would otherwise be what the relay test "
        "measures); `MADOGUCHI_LOG_LEVEL=WARNING`. The bare reference is `bare_server.py`: python-socketio on "
        "aiohttp with the same `async_handlers=False` and payload limit, relaying `signal` to a room.\n"
    )

    if result["mode"] == "quick":
        w("**Quick mode**: smaller N and one repetition; a smoke test of the benchmark, not a verdict.\n")
    w("## Targets\n")
    w("| target | measured | |")
    w("|---|---|---|")
    t = s["targets"]
    mem = t["memory"]
    mado_runs = (result.get("memory_runs") or {}).get("madoguchi", [])
    held = " / ".join(f"{r['connections']}" for r in mado_runs) or "—"
    failed = sum(r["failed"] for r in mado_runs)
    w(
        f"| 5,000 connections on one process at ≤ 40 KB each | {_f(mem['measured'])} KB each (bare: "
        f"{_f(s['memory']['bare']['kb_per_connection'])} KB); connections held per repetition: {held}"
        + (f" ({failed} handshakes failed, see `errors` in results.json)" if failed else "")
        + f" | {_met(mem['met'])} |"
    )
    if "throughput" in t:
        thr = t["throughput"]
        w(
            f"| relayed messages/s ≥ 70% of bare (one process) | {_f(thr['measured_ratio'], 2)} by messages/s; "
            f"{_f(thr['cpu_cost_ratio'], 2)} by server CPU per message | {_met(thr['met'])} |"
        )
    if "cross_process_latency" in t:
        lat = t["cross_process_latency"]
        bare_p95 = s["two_processes"]["bare"]["latency_ms"]["p95"]
        w(
            f"| cross-process signaling latency p95 ≤ 1.5 ms | {_f(lat['measured_p95_ms'], 2)} ms "
            f"(bare Redis manager: {_f(bare_p95, 2)} ms) | {_met(lat['met'])} |"
        )
    else:
        w("| cross-process signaling latency p95 ≤ 1.5 ms | not measured in this run | **not met** |")
    order = t["ordering"]
    w(
        f"| zero reordering | {order['out_of_order']} out of order, {order['missing']} missing "
        f"(madoguchi, all windows) | {_met(order['met'])} |"
    )
    w("")

    w("## Memory per connection (one process, in-memory live state, SQLite)\n")
    w(
        f"{plan['idle_connections']} idle connections per repetition (half booths with their own device token, half "
        f"residents), {plan['workers']} client processes, {plan['connect_concurrency']} connects at a time per client "
        f"process; RSS from `/proc/<pid>/status` after a 20-connection warm-up and again {plan['settle_s']:g} s after "
        "the last connection. Fresh server process per repetition; median of the repetitions.\n"
    )
    w(
        "| server | reps | connected | KB per connection | per rep | accepted connections/s "
        "| by tenth of N (first → last) | server CPU, all idle, over one 25 s ping cycle |"
    )
    w("|---|---|---|---|---|---|---|---|")
    for kind in ("madoguchi", "bare"):
        runs = (result.get("memory_runs") or {}).get(kind, [])
        sm = s["memory"][kind]
        tenths = runs[0]["connections_per_s_by_tenth"] if runs else []
        idle = f"{sm['server_cpu_idle_pct']:.1f}%" if sm["server_cpu_idle_pct"] is not None else "—"
        w(
            f"| {kind} | {sm['repetitions']} | {_f(sm['connections'], 0)} | {_f(sm['kb_per_connection'])} | "
            f"{', '.join(_f(r['kb_per_connection']) for r in runs)} | {_f(sm['connections_per_s'], 0)} | "
            f"{' → '.join(_f(x, 0) for x in tenths)} | {idle} |"
        )
    w("")

    for key, title, note in (
        ("one_process", "Relay and latency, one process each", "in-memory live state, SQLite"),
        (
            "two_processes",
            "Relay and latency, two processes on Redis",
            "booths on process A, agents on process B, every message crosses processes through Redis; madoguchi on a "
            "fresh PostgreSQL schema and Redis prefix, bare with python-socketio's `AsyncRedisManager`",
        ),
    ):
        section = s.get(key) or {}
        if not section:
            continue
        w(f"## {title}\n")
        w(
            f"{note}. Throughput: {plan['pairs']} pairs in active consultations, both sides sending `signal` ICE "
            f"candidates as fast as the window allows (at most {plan['window']} per sender not yet both acknowledged "
            "and delivered), counted at the receivers"
            f" for {plan['measure_s']:g} s after {plan['warmup_s']:g} s of warm-up. Latency: "
            f"{plan['latency_pairs']} pairs, each side sending {plan['latency_rate']:g} messages/s (light load), "
            f"{plan['latency_s']:g} s; send timestamp in the payload, read again on arrival. Medians over the "
            "repetitions; server CPU per message is all server processes' CPU time over the messages relayed "
            "(less sensitive to the other work on this machine than messages/s).\n"
        )
        w(
            "| server | reps | messages/s | server CPU µs per message | latency p50 / p95 / p99 ms "
            "| latency under full load p50 / p95 / p99 ms | out of order | missing | error acks |"
        )
        w("|---|---|---|---|---|---|---|---|---|")
        for kind in ("madoguchi", "bare"):
            r = section.get(kind)
            if not r:
                continue
            lat, sat = r["latency_ms"], r["latency_under_saturation_ms"]
            w(
                f"| {kind} | {r['repetitions']} | {_f(r['messages_per_s'], 0)} | "
                f"{_f(r['server_cpu_us_per_message'], 0)} | "
                f"{_f(lat['p50'], 2)} / {_f(lat['p95'], 2)} / {_f(lat['p99'], 2)} | "
                f"{_f(sat['p50'], 1)} / {_f(sat['p95'], 1)} / {_f(sat['p99'], 1)} | {r['out_of_order']} | "
                f"{r['missing']} | {r['ack_errors']} |"
            )
        if section.get("throughput_ratio") is not None:
            w(f"\nmadoguchi / bare messages/s: {_f(section['throughput_ratio'], 2)}.")
        w("")

    profiles = result.get("relay_profiles") or {}
    connect_profile = next(
        (
            r.get("profile_second_half_of_connects")
            for r in (result.get("memory_runs") or {}).get("madoguchi", [])
            if r.get("profile_second_half_of_connects")
        ),
        None,
    )
    if profiles or connect_profile:
        w("## Where the server's time goes (py-spy, samples holding the GIL)\n")
        for kind, p in profiles.items():
            prof = p.get("profile")
            if prof:
                heading = (
                    f"**Relaying, {kind}** ({prof['samples']} samples; one throughput window, "
                    f"{_f(p['window']['server_cpu_us_per_message'], 0)} µs CPU per message)"
                )
                _profile_tables(w, heading, prof)
        if connect_profile:
            heading = (
                f"**Accepting connections, madoguchi** (second half of the first repetition's connects, "
                f"{connect_profile['samples']} samples)"
            )
            _profile_tables(w, heading, connect_profile)

    if result.get("skipped"):
        w("## Skipped to stay within the time cap\n")
        for item in result["skipped"]:
            w(f"- {item}")
        w("")

    analysis = HERE / "analysis.md"
    if analysis.exists():
        w(analysis.read_text().rstrip() + "\n")
    return "\n".join(out)


def _profile_tables(w: Callable[[str], None], heading: str, prof: dict[str, Any]) -> None:
    """One py-spy summary: own time by package, the top functions, and madoguchi's own functions inclusive."""
    w(
        f"{heading}. Own time by package: "
        + ", ".join(f"{row['function']} {row['share']:.0%}" for row in prof["self_by_package"][:8])
        + ".\n"
    )
    w("| function (own time) | share |")
    w("|---|---|")
    for row in prof["self"][:12]:
        w(f"| `{row['function']}` | {row['share']:.1%} |")
    w("")
    mine = [row for row in prof["inclusive"] if "madoguchi/" in row["function"]][:10]
    if mine:
        w("| madoguchi function (including what it calls) | share |")
        w("|---|---|")
        for row in mine:
            w(f"| `{row['function']}` | {row['share']:.1%} |")
        w("")
