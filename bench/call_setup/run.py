"""Call setup benchmark: accept → first video frame, through the real server vs two aiortc peers directly.

Run from the repository root with the project's venv:

    python bench/call_setup/run.py            # 50 + 50 calls, writes RESULTS.md and results.json here
    python bench/call_setup/run.py --calls 10 --no-write

What it does, in one run:

1. makes a temporary data dir, creates a municipality, a booth and an agent with the real CLI
   (``madoguchi municipality add``, ``madoguchi booth add NAME --json``,
   ``madoguchi user add U --role agent --password-stdin --routes all``);
2. starts ``madoguchi serve`` on 127.0.0.1 as a subprocess and waits for ``GET /healthz``;
3. runs ``madoguchi probe --count N --compare-direct --hold 0 --json`` as a subprocess: every call through
   the server is paired with a direct call between two aiortc peers in the probe's own process, no server
   (:func:`madoguchi.media.probe.run_direct_call`), alternately just before and just after it, so each pair is
   measured under the same machine conditions (this machine is shared; its load moves during a run);
4. reports median and p95 of accept → first frame for both, their ratio (target ≤ 1.25), and the other
   phases (signaling, connected) to show where any difference lies.

The server path is measured from the moment the agent sends ``offer.accept`` (its round trip included); the
direct path from the start of negotiation. Both use the same media sessions and synthetic sources.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# The console script installed beside this interpreter (``pip install -e .`` puts it there).
MADOGUCHI = [str(Path(sys.executable).with_name("madoguchi"))]
TARGET_RATIO = 1.25
AGENT_USER = "bench-agent"
AGENT_PASSWORD = "bench-agent-password-1"


def _cli(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        [*MADOGUCHI, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"madoguchi {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(url: str, server: subprocess.Popen[bytes], within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"madoguchi serve exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"madoguchi serve did not answer /healthz within {within_s:g} s")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * (len(ordered) - 1))))
    return ordered[rank]


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in results if r["ok"]]
    summary: dict[str, Any] = {"calls": len(results), "ok": len(ok)}
    for key in ("signaling_ms", "connected_ms", "first_frame_ms"):
        values = [float(r[key]) for r in ok if r[key] is not None]
        if values:
            summary[key] = {
                "median": round(statistics.median(values), 1),
                "p95": round(_percentile(values, 0.95), 1),
                "min": round(min(values), 1),
                "max": round(max(values), 1),
            }
    phases: dict[str, list[float]] = {}
    for r in ok:
        for name, ms in (r.get("phases_ms") or {}).items():
            phases.setdefault(name, []).append(float(ms))
    if phases:
        medians = {name: round(statistics.median(v), 1) for name, v in phases.items()}
        summary["phase_medians_ms"] = dict(sorted(medians.items(), key=lambda item: item[1]))
    return summary


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "aiortc": version("aiortc"),
        "aioice": version("aioice"),
        "python-socketio": version("python-socketio"),
    }


def _probe(base_url: str, token: str, count: int, env: dict[str, str]) -> list[dict[str, Any]]:
    args = ["probe", "--server", base_url, "--booth-token", token, "--agent-user", AGENT_USER]
    args += ["--agent-password", AGENT_PASSWORD, "--count", str(count), "--hold", "0", "--compare-direct", "--json"]
    done = subprocess.run(
        [*MADOGUCHI, *args], env=env, capture_output=True, text=True, timeout=60 + 30 * count, check=False
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if len(lines) != count:
        raise SystemExit(f"probe printed {len(lines)} of {count} lines; stderr: {done.stderr.strip()[-2000:]}")
    return lines


def run(calls: int) -> dict[str, Any]:
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-") as data_dir:
        env = {**os.environ, "MADOGUCHI_DATA_DIR": data_dir, "MADOGUCHI_LOG_LEVEL": "WARNING"}
        env.pop("MADOGUCHI_DATABASE_URL", None)
        env.pop("MADOGUCHI_REDIS_URL", None)
        _cli(["municipality", "add", "bench", "--name-ja", "ベンチ町", "--name-en", "Bench Town"], env)
        booth = json.loads(_cli(["booth", "add", "ベンチ郵便局", "--json"], env))
        _cli(
            ["user", "add", AGENT_USER, "--role", "agent", "--password-stdin", "--routes", "all"],
            env,
            AGENT_PASSWORD + "\n",
        )
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [*MADOGUCHI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_healthy(base_url, server)
            lines = _probe(base_url, booth["token"], calls, env)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)
    through_server = [{k: v for k, v in line.items() if k != "direct"} for line in lines]
    direct = [{"ok": line["direct"] is not None, **(line["direct"] or {})} for line in lines]
    server_summary = _summary(through_server)
    direct_summary = _summary(direct)
    ratio = None
    if "first_frame_ms" in server_summary and "first_frame_ms" in direct_summary:
        ratio = round(server_summary["first_frame_ms"]["median"] / direct_summary["first_frame_ms"]["median"], 3)
    pair_ratios = [
        float(s["first_frame_ms"]) / float(d["first_frame_ms"])
        for s, d in zip(through_server, direct, strict=True)
        if s["ok"] and d["ok"] and s["first_frame_ms"] and d["first_frame_ms"]
    ]
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "calls_each": calls,
        "load_average": {"before": load_before, "after": _load()},
        "through_server": server_summary,
        "direct": direct_summary,
        "median_ratio": ratio,
        "median_pair_ratio": round(statistics.median(pair_ratios), 3) if pair_ratios else None,
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio is not None and ratio <= TARGET_RATIO,
        "server_calls": through_server,
        "direct_calls": direct,
    }


def _row(name: str, summary: dict[str, Any]) -> str:
    cells = [name, f"{summary['ok']}/{summary['calls']}"]
    for key in ("first_frame_ms", "connected_ms", "signaling_ms"):
        stats = summary.get(key)
        cells.append(f"{stats['median']} / {stats['p95']}" if stats else "–")
    return "| " + " | ".join(cells) + " |"


def _phase_table(phases: dict[str, float]) -> str:
    rows = ["| step | median ms |", "|---|---|"]
    rows += [f"| {name.replace('_', ' ')} | {ms} |" for name, ms in phases.items()]
    return "\n".join(rows)


def write_results(report: dict[str, Any]) -> None:
    slim = {k: v for k, v in report.items() if k not in ("server_calls", "direct_calls")}
    (HERE / "results.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    machine = report["machine"]
    verdict = "meets" if report["meets_target"] else "MISSES"
    table = "\n".join(
        [
            "| path | ok | accept → first video frame (median / p95 ms) | → connected | → remote SDP applied |",
            "|---|---|---|---|---|",
            _row("through the server (`madoguchi probe`)", report["through_server"]),
            _row("direct, in one process, no server", report["direct"]),
        ]
    )
    notes = (HERE / "notes.md").read_text() if (HERE / "notes.md").exists() else ""
    text = f"""# Call setup benchmark: results

Latest run: {report["date"]}, {report["calls_each"]} calls each way, on {machine["cpu"]} ({machine["cores"]} cores),
{machine["os"]}, Python {machine["python"]}, aiortc {machine["aiortc"]}, aioice {machine["aioice"]},
python-socketio {machine["python-socketio"]}; load average (1/5/15 min) {report["load_average"]["before"]} before,
{report["load_average"]["after"]} after (the machine is shared, so compare the two paths, not runs).
Reproduce with `python bench/call_setup/run.py` (the full per-call data is in `results.json`).

{table}

**Median ratio (server / direct): {report["median_ratio"]}** — target ≤ {report["target_ratio"]}: {verdict}.
Median of the per-pair ratios (each server call over its paired direct call): {report["median_pair_ratio"]}.

Measured from the agent's accept: for the server path the moment the agent sends `offer.accept` (the server's
handling of it, both `call.start` deliveries, offer and answer relays included); for the direct path the start
of negotiation.
Both paths use the same `MediaSession` and synthetic sources (48 kHz tone, 320x240 30 fps pattern, VP8).

Where the time goes on the server path (median ms after the accept, from `phases_ms`; all marks are taken in
the probe process, where both peers live):

{_phase_table(report["through_server"].get("phase_medians_ms", {}))}

```json
{json.dumps(slim, ensure_ascii=False, indent=2)}
```
{notes}"""
    (HERE / "RESULTS.md").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=50, help="calls through the server and direct (default 50)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not update RESULTS.md")
    args = parser.parse_args()
    if not 1 <= args.calls <= 1000:
        parser.error("--calls must be between 1 and 1000")
    report = run(args.calls)
    slim = {k: v for k, v in report.items() if k not in ("server_calls", "direct_calls")}
    print(json.dumps(slim, ensure_ascii=False, indent=2))
    if not args.no_write:
        write_results(report)
    sys.exit(0 if report["meets_target"] else 1)


if __name__ == "__main__":
    main()
