"""Load benchmark: madoguchi's Socket.IO server next to a bare python-socketio relay, on loopback, in one run.

Run from the repository root with the project's venv (needs Redis at 127.0.0.1:6379 and PostgreSQL at
127.0.0.1:5432 for the two-process part; ``--skip-redis`` leaves that part out):

    python bench/load/run.py              # full run, about 6-8 minutes (hard cap 10), writes RESULTS.md/results.json
    python bench/load/run.py --quick      # smaller and shorter (hard cap 2 minutes), still writes the files
    python bench/load/run.py --quick --no-write

What it measures, madoguchi and the bare reference (``bare_server.py``) side by side:

1. **Memory per connection.** A fresh server process; RSS (``/proc/<pid>/status``) after a small warm-up, then
   again after N idle authenticated connections (half booths with real device tokens made by the storage API,
   half residents on ``/resident``); (after - before) / N in KB. Also how fast the connections were accepted
   (per tenth of N, to show whether accepting gets slower as the server fills) and the server's CPU while the
   N connections sit idle.
2. **Relayed messages per second.** Pairs in ACTIVE consultations, made through the real protocol (agent goes
   available, booth requests, agent accepts the offer); both sides send ``signal`` ICE candidates as fast as
   acks allow, each sender with a bounded window of messages not yet acknowledged and delivered (delivery too, so
   that a slow pub/sub path cannot queue up an unbounded backlog behind quick acks). Counted at the receivers during a
   fixed interval after a warm-up. The rate limit is raised for this (``MADOGUCHI_EVENTS_PER_SECOND`` and
   ``MADOGUCHI_EVENT_BURST``), otherwise it, not the server, would be measured.
3. **Event latency** of a relayed signal (send timestamp in the payload, taken again at the receiver; both ends
   live in the same client process) at a light fixed rate, p50/p95/p99.
4. The same relay and latency with **two processes on Redis** (PostgreSQL schema and Redis prefix made for the
   run and removed after): booths on one process, agents on the other, so every message crosses processes;
   the bare reference uses python-socketio's ``AsyncRedisManager`` the same way.
5. **Ordering**: every message carries a sequence number per sender; receivers count out-of-order and missing
   messages (acknowledged as relayed, never received) in every window.

Madoguchi and the bare server run at the same time and their windows alternate, so both see the same machine
(this machine is shared; its load moves). Each measured figure is the median over the repetitions. Clients are
raw Engine.IO/Socket.IO WebSocket clients (``wire.py``) in several processes (``clients.py``), so that the
load generator is not the bottleneck; the servers' CPU use during each window is recorded to show it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import profiling  # beside this file
import report

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PYTHON = sys.executable
MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))
REDIS_URL = os.environ.get("MADOGUCHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MUNICIPALITY = "benchtown"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

TARGET_KB_PER_CONNECTION = 40.0
TARGET_THROUGHPUT_RATIO = 0.70
TARGET_CROSS_PROCESS_P95_MS = 1.5


@dataclass(frozen=True)
class Plan:
    budget_s: float
    idle_connections: int
    memory_reps: int
    relay_reps: int
    pairs: int
    window: int
    warmup_s: float
    measure_s: float
    latency_pairs: int
    latency_rate: float  # messages per second per sender
    latency_s: float
    workers: int
    connect_concurrency: int
    settle_s: float  # after the last connection, before the RSS is read
    idle_cpu_s: float  # how long the server's CPU is watched with every connection idle (first repetition)


FULL = Plan(
    budget_s=600,
    idle_connections=5000,
    memory_reps=3,
    relay_reps=3,
    pairs=32,
    window=8,
    warmup_s=1.0,
    measure_s=5.0,
    latency_pairs=4,
    latency_rate=20.0,
    latency_s=4.0,
    workers=4,
    connect_concurrency=32,
    settle_s=3.0,
    idle_cpu_s=26.0,  # one full Engine.IO ping cycle (25 s): every idle connection is pinged once in it
)
QUICK = Plan(
    budget_s=120,
    idle_connections=500,
    memory_reps=1,
    relay_reps=1,
    pairs=8,
    window=8,
    warmup_s=0.5,
    measure_s=2.0,
    latency_pairs=4,
    latency_rate=20.0,
    latency_s=2.0,
    workers=2,
    connect_concurrency=32,
    settle_s=1.5,
    idle_cpu_s=0.0,  # too short to include a ping cycle: not measured
)


T0 = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - T0:6.1f} s] {text}", flush=True)


class Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.skipped: list[str] = []

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def allows(self, needed_s: float, what: str) -> bool:
        if self.left() >= needed_s:
            return True
        self.skipped.append(f"{what} (needed ~{needed_s:.0f} s, {max(0.0, self.left()):.0f} s left)")
        return False


# --- processes -----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


class CpuMeter:
    """CPU used by some processes over an interval, as a percentage of one core."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.start = time.monotonic()
        self.before = {name: cpu_seconds(pid) for name, pid in pids.items()}

    def seconds(self) -> dict[str, float]:
        return {name: cpu_seconds(pid) - self.before[name] for name, pid in self.pids.items()}

    def percent(self) -> dict[str, float]:
        elapsed = max(1e-6, time.monotonic() - self.start)
        return {name: round(100.0 * used / elapsed, 1) for name, used in self.seconds().items()}


class Server:
    """A server subprocess (madoguchi or the bare relay) that answers /healthz at ``url``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log_dir: Path) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_dir / f"{name}-{port}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def healthy(self, within_s: float = 60.0) -> None:
        deadline = time.monotonic() + within_s
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited ({self.proc.returncode}); see {self.log_path}:\n{self.tail()}"
                    )
                with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                    async with http.get(self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer /healthz within {within_s:g} s")

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def stop(self, *, graceful: bool, within_s: float = 15.0) -> None:
        """SIGTERM and wait (graceful), or SIGKILL at once. Only ever this server's own pid."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
            deadline = time.monotonic() + within_s
            while self.proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110 - bounded poll
                await asyncio.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


def madoguchi_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")}
    env.update(
        MADOGUCHI_DATA_DIR=str(data_dir),
        MADOGUCHI_LOG_LEVEL="WARNING",
        # the per-connection token bucket (30/s, burst 60 by default) would otherwise be what the relay test measures
        MADOGUCHI_EVENTS_PER_SECOND="1000000",
        MADOGUCHI_EVENT_BURST="1000000",
        # every client here is 127.0.0.1: the per-address limits on connects (120 a minute, since 9c1fae5) and on
        # sessions in no namespace would refuse the 200 agents and 2,000 booths of one address
        MADOGUCHI_SOCKET_CONNECTS_PER_ADDRESS_PER_MINUTE="1000000",
        MADOGUCHI_SOCKET_UNJOINED_PER_ADDRESS="100000",
        # on a loaded machine (load 12-17, session 12) a server took more than the default 10 s to let a new socket
        # into its namespace, closed it, and the fill gave up: the bench measures the updates, not that guard
        MADOGUCHI_SOCKET_JOIN_TIMEOUT_S="120",
        PYTHONUNBUFFERED="1",
    )
    env.update({f"MADOGUCHI_{k.upper()}": v for k, v in settings.items()})
    return env


def start_madoguchi(data_dir: Path, log_dir: Path, **settings: str) -> Server:
    port = free_port()
    argv = [MADOGUCHI, "serve", "--host", "127.0.0.1", "--port", str(port)]
    return Server("madoguchi", argv, madoguchi_env(data_dir, **settings), port, log_dir)


def start_bare(log_dir: Path, *, redis_url: str | None = None, channel: str = "") -> Server:
    port = free_port()
    argv = [PYTHON, str(HERE / "bare_server.py"), "--port", str(port)]
    if redis_url:
        argv += ["--redis-url", redis_url, "--channel", channel]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return Server("bare", argv, env, port, log_dir)


# --- load-generator processes --------------------------------------------------------------------------------


class Workers:
    """The client processes (``clients.py``); commands go out as JSON lines, replies come back the same way."""

    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []
        self._locks: list[asyncio.Lock] = []

    async def start(self, count: int) -> None:
        for _ in range(count):
            proc = await asyncio.create_subprocess_exec(
                PYTHON,
                str(HERE / "clients.py"),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=256 * 1024 * 1024,
                cwd=HERE,
            )
            self.procs.append(proc)
            self._locks.append(asyncio.Lock())

    @property
    def pids(self) -> dict[str, int]:
        return {f"client{i}": p.pid for i, p in enumerate(self.procs)}

    async def ask(self, index: int, command: dict[str, Any], timeout_s: float = 120.0) -> dict[str, Any]:
        proc = self.procs[index]
        assert proc.stdin is not None and proc.stdout is not None
        async with self._locks[index]:
            proc.stdin.write((json.dumps({**command, "timeout_s": timeout_s}) + "\n").encode())
            await proc.stdin.drain()
            line = await asyncio.wait_for(proc.stdout.readline(), timeout_s + 15)
        if not line:
            raise RuntimeError(f"client process {index} exited ({proc.returncode})")
        reply: dict[str, Any] = json.loads(line)
        if not reply.get("ok"):
            raise RuntimeError(f"client process {index}: {command['op']} failed: {reply.get('error')}")
        return reply

    async def ask_all(self, command: dict[str, Any], timeout_s: float = 120.0) -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(self.ask(i, command, timeout_s) for i in range(len(self.procs)))))

    async def stop(self) -> None:
        for i, proc in enumerate(self.procs):
            if proc.returncode is None:
                with contextlib.suppress(Exception):
                    await self.ask(i, {"op": "quit"}, timeout_s=20)
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError, asyncio.TimeoutError):
                await asyncio.wait_for(proc.wait(), 10)
            if proc.returncode is None:
                proc.kill()  # this worker's own pid only
                await proc.wait()


# --- fixtures through the real storage API -------------------------------------------------------------------


@dataclass
class Fixtures:
    booth_tokens: list[str]
    agent_cookies: list[str]


async def make_fixtures(database_url: str, *, booths: int, agents: int) -> Fixtures:
    """Booths with device tokens and agents with login sessions, made with madoguchi's own storage classes
    (the same code ``madoguchi booth add`` and ``POST /api/login`` use)."""
    from madoguchi.storage.accounts import Accounts
    from madoguchi.storage.booths import Booths
    from madoguchi.storage.db import open_database
    from madoguchi.storage.municipalities import Municipalities
    from madoguchi.storage.testing import fast_password_hasher

    db = await open_database(database_url)
    try:
        municipalities = Municipalities(db)
        if await municipalities.get(MUNICIPALITY) is None:
            await municipalities.add_municipality(MUNICIPALITY, name_ja="ベンチ町", name_en="Bench Town")
        registry = Booths(db)
        tokens = []
        for i in range(booths):
            _booth, token = await registry.add(f"ベンチブース{i}", municipality_id=MUNICIPALITY, location="ベンチ")
            tokens.append(token)
        accounts = Accounts(db, hasher=fast_password_hasher())  # throw-away accounts: cheap hashing is fine
        cookies = []
        now = dt.datetime.now(dt.UTC)
        for i in range(agents):
            staff = await accounts.add_user(
                f"bench-agent-{i}-{secrets.token_hex(3)}",
                secrets.token_urlsafe(16),
                role="agent",
                municipality_ids=[MUNICIPALITY],
                routes=["*"],
                languages=["ja"],
                display_name=f"ベンチ職員{i}",
            )
            session_token, _csrf = await accounts.create_session(staff.id, ttl_s=3 * 3600, now=now)
            cookies.append(session_token)
        return Fixtures(tokens, cookies)
    finally:
        await db.close()


# --- statistics ----------------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return round(statistics.median(values), 3) if values else None


# --- phases --------------------------------------------------------------------------------------------------


async def memory_phase(
    plan: Plan, workers: Workers, data_dir: Path, log_dir: Path, tokens: list[str], budget: Budget, profile: bool
) -> dict[str, list[dict[str, Any]]]:
    """Fresh server per repetition, madoguchi and bare alternately."""
    results: dict[str, list[dict[str, Any]]] = {"madoguchi": [], "bare": []}
    for rep in range(plan.memory_reps):
        order = ("madoguchi", "bare") if rep % 2 == 0 else ("bare", "madoguchi")
        for kind in order:
            # rough need: madoguchi accepts ~40-80 connections/s near 5,000 on this machine, bare several hundred
            needed = 15 + plan.idle_connections / (40 if kind == "madoguchi" else 300)
            needed += plan.idle_cpu_s if rep == 0 else 0.0
            if not budget.allows(needed, f"memory rep {rep + 1} {kind}"):
                continue
            server = start_madoguchi(data_dir, log_dir) if kind == "madoguchi" else start_bare(log_dir)
            try:
                await server.healthy()
                profile_to = log_dir / f"connect-{kind}.raw" if profile and rep == 0 else None
                idle_s = plan.idle_cpu_s if rep == 0 else 0.0
                results[kind].append(await measure_memory(plan, workers, server, tokens, profile_to, idle_s))
            finally:
                await server.stop(graceful=False)  # its state is throw-away; a graceful stop of N clients is slow
                await workers.ask_all({"op": "close_idle"}, timeout_s=60)
            say(
                f"  memory {kind} rep {rep + 1}: {results[kind][-1]['kb_per_connection']:.1f} KB/connection, "
                f"{results[kind][-1]['connections_per_s']:.0f} connections/s"
            )
    return results


async def measure_memory(
    plan: Plan,
    workers: Workers,
    server: Server,
    tokens: list[str],
    profile_to: Path | None = None,
    idle_cpu_s: float = 0.0,
) -> dict[str, Any]:
    n = plan.idle_connections
    mixed: list[dict[str, Any]] = []  # booths and residents alternately, every booth with its own token
    for i in range(n):
        if i % 2 == 0 and i // 2 < len(tokens):
            mixed.append({"namespace": "/booth", "auth": {"token": tokens[i // 2]}})
        else:
            mixed.append({"namespace": "/resident", "auth": {}})
    # warm-up: a few connections so imports, caches and pools are in place before the baseline
    warm = [{"namespace": "/resident", "auth": {}} for _ in range(20)]
    await workers.ask(0, {"op": "idle", "url": server.url, "clients": warm, "concurrency": 8})
    await workers.ask(0, {"op": "close_idle"})
    await asyncio.sleep(1.5)
    before = rss_kb(server.pid)
    chunks = 10
    per_chunk = [mixed[i * n // chunks : (i + 1) * n // chunks] for i in range(chunks)]
    connected = failed = 0
    errors: list[str] = []
    chunk_rates: list[float] = []
    cpu = CpuMeter({"server": server.pid})
    started = time.monotonic()
    recording = None
    for index, chunk in enumerate(per_chunk):
        if profile_to is not None and index == chunks // 2:
            recording = profiling.Recording(server.pid, profile_to)
            await recording.start()
        t0 = time.monotonic()
        parts = [chunk[i :: len(workers.procs)] for i in range(len(workers.procs))]
        replies = await asyncio.gather(
            *(
                workers.ask(
                    i,
                    {"op": "idle", "url": server.url, "clients": part, "concurrency": plan.connect_concurrency},
                    timeout_s=150,
                )
                for i, part in enumerate(parts)
            )
        )
        elapsed = time.monotonic() - t0
        chunk_rates.append(round(len(chunk) / elapsed, 1))
        for r in replies:
            connected += r["connected"]
            failed += r["failed"]
            errors += r["errors"]
    connect_s = time.monotonic() - started
    profile = await recording.stop() if recording is not None else None
    connect_cpu = cpu.percent()["server"]
    await asyncio.sleep(plan.settle_s)
    after = rss_kb(server.pid)
    idle_cpu = None
    if idle_cpu_s > 0:
        idle = CpuMeter({"server": server.pid})
        await asyncio.sleep(idle_cpu_s)
        idle_cpu = idle.percent()["server"]
    after_idle = rss_kb(server.pid)
    return {
        "connections": connected,
        "failed": failed,
        "errors": errors[:3],
        "rss_before_kb": before,
        "rss_after_kb": after,
        "rss_after_idle_kb": after_idle,
        "kb_per_connection": round((after - before) / max(1, connected), 2),
        "connect_s": round(connect_s, 2),
        "connections_per_s": round(connected / connect_s, 1),
        "connections_per_s_by_tenth": chunk_rates,
        "server_cpu_while_connecting_pct": connect_cpu,
        "server_cpu_idle_pct": idle_cpu,
        **({"profile_second_half_of_connects": profile} if profile else {}),
    }


async def make_pairs(
    workers: Workers, group: str, kind: str, count: int, *, booth_url: str, agent_url: str, fixtures: Fixtures | None
) -> list[str]:
    """One after another: on madoguchi an offer goes to whichever agent is available, so exactly one is."""
    ids = []
    for i in range(count):
        spec: dict[str, Any] = {
            "op": "pair",
            "group": group,
            "kind": kind,
            "booth_url": booth_url,
            "agent_url": agent_url,
        }
        if kind == "madoguchi":
            assert fixtures is not None
            spec.update(token=fixtures.booth_tokens[i], cookie=fixtures.agent_cookies[i])
        else:
            spec.update(pair_id=f"{group}-{i}")
        reply = await workers.ask(i % len(workers.procs), spec, timeout_s=30)
        ids.append(reply["consultation_id"])
    return ids


async def relay_window(
    plan: Plan, workers: Workers, group: str, servers: dict[str, int], *, latency: bool
) -> dict[str, Any]:
    if latency:
        per_worker = max(1, plan.latency_pairs // len(workers.procs))
        args: dict[str, Any] = {
            "warmup_s": 0.5,
            "measure_s": plan.latency_s,
            "window": plan.window,
            "rate_per_sender": plan.latency_rate,
            "pairs": per_worker,
        }
    else:
        args = {"warmup_s": plan.warmup_s, "measure_s": plan.measure_s, "window": plan.window, "rate_per_sender": None}
    cpu = CpuMeter({**servers, **workers.pids})
    replies = await workers.ask_all({"op": "relay", "group": group, **args}, timeout_s=60)
    usage = cpu.percent()
    server_cpu_s = sum(v for k, v in cpu.seconds().items() if k in servers)
    relayed = sum(r["acked_ok"] for r in replies)
    latencies = [x for r in replies for x in r["latencies_ms"]]
    received = sum(r["received"] for r in replies)
    result = {
        "pairs": sum(r["pairs"] for r in replies),
        "messages_per_s": round(received / args["measure_s"], 1),
        "received": received,
        "sent": sum(r["sent"] for r in replies),
        "acked_ok": sum(r["acked_ok"] for r in replies),
        "ack_errors": sum(r["ack_errors"] for r in replies),
        "error_sample": [e for r in replies for e in r["error_sample"]][:3],
        "out_of_order": sum(r["out_of_order"] for r in replies),
        "missing_total": sum(r["missing_total"] for r in replies),
        "latency_ms": {
            "samples": len(latencies),
            "p50": round(percentile(latencies, 0.50), 3),
            "p95": round(percentile(latencies, 0.95), 3),
            "p99": round(percentile(latencies, 0.99), 3),
            "max": round(max(latencies, default=float("nan")), 3),
        },
        "cpu_pct": usage,
        # server CPU per relayed message (all server processes, whole window): robust against a shared machine
        "server_cpu_us_per_message": round(1e6 * server_cpu_s / relayed, 1) if relayed else None,
    }
    if latency:
        result["rate_per_sender"] = plan.latency_rate
    return result


async def relay_phase(
    plan: Plan, workers: Workers, groups: dict[str, dict[str, int]], budget: Budget, label: str
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Alternate madoguchi and bare windows; each repetition = one throughput and one latency window each."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {g: {"throughput": [], "latency": []} for g in groups}
    names = list(groups)
    window_s = plan.warmup_s + plan.measure_s + plan.latency_s + 8
    for rep in range(plan.relay_reps):
        order = names if rep % 2 == 0 else names[::-1]
        for group in order:
            if not budget.allows(window_s, f"{label} rep {rep + 1} {group}"):
                continue
            t = await relay_window(plan, workers, group, groups[group], latency=False)
            out[group]["throughput"].append(t)
            lat = await relay_window(plan, workers, group, groups[group], latency=True)
            out[group]["latency"].append(lat)
            say(
                f"  {label} {group} rep {rep + 1}: {t['messages_per_s']:.0f} msg/s "
                f"(server cpu {sum(v for k, v in t['cpu_pct'].items() if not k.startswith('client')):.0f}%), "
                f"latency p50/p95/p99 {lat['latency_ms']['p50']}/{lat['latency_ms']['p95']}/"
                f"{lat['latency_ms']['p99']} ms, out of order {t['out_of_order'] + lat['out_of_order']}, "
                f"missing {lat['missing_total']}; cpu % {t['cpu_pct']}"
            )
    return out


@contextlib.asynccontextmanager
async def redis_deployment(data_dir: Path) -> AsyncIterator[tuple[str, str]]:
    """A fresh PostgreSQL schema and Redis prefix; both removed afterwards, whatever happens."""
    from madoguchi.signaling.redis_store import delete_prefix
    from madoguchi.storage.testing import temporary_database_url

    prefix = f"mdbench:{secrets.token_hex(6)}"
    try:
        async with temporary_database_url("postgresql", data_dir) as database_url:
            yield database_url, prefix
    finally:
        await delete_prefix(REDIS_URL, prefix)


def summarise_relay(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    thr, lat = runs["throughput"], runs["latency"]
    return {
        "repetitions": len(thr),
        "messages_per_s": median_of(thr, "messages_per_s"),
        "server_cpu_us_per_message": median_of(thr, "server_cpu_us_per_message"),
        "latency_under_saturation_ms": {q: median_of([r["latency_ms"] for r in thr], q) for q in ("p50", "p95", "p99")},
        "latency_ms": {q: median_of([r["latency_ms"] for r in lat], q) for q in ("p50", "p95", "p99")},
        "out_of_order": sum(r["out_of_order"] for r in thr + lat),
        "missing": max((r["missing_total"] for r in thr + lat), default=0),
        "ack_errors": sum(r["ack_errors"] for r in thr + lat),
    }


# --- the run -------------------------------------------------------------------------------------------------


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine() -> dict[str, str]:
    from importlib.metadata import version

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "python-socketio": version("python-socketio"),
        "python-engineio": version("python-engineio"),
        "aiohttp": version("aiohttp"),
        "redis-py": version("redis"),
    }


def git_revision() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "madoguchi"], cwd=REPO, capture_output=True, text=True
    )
    return done.stdout.strip() + (" (madoguchi/ has uncommitted changes)" if dirty.stdout.strip() else "")


async def run(plan: Plan, *, skip_redis: bool, mode: str, profile: bool) -> dict[str, Any]:
    budget = Budget(plan.budget_s - 15)  # leave room for cleanup
    started = time.monotonic()
    result: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "mode": mode,
        "machine": machine(),
        "revision": git_revision(),  # checked again at the end: other people commit on this machine
        "plan": plan.__dict__,
        "load_average": {"before": load_average()},
    }
    workers = Workers()
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="madoguchi-load-") as tmp:
        tmpdir = Path(tmp)
        data_dir = tmpdir / "data"
        data_dir.mkdir()
        log_dir = tmpdir / "logs"
        log_dir.mkdir()
        try:
            await workers.start(plan.workers)
            say(f"fixtures: {plan.idle_connections // 2} booths + {plan.pairs} pairs (SQLite)")
            t0 = time.monotonic()
            sqlite_url = f"sqlite+aiosqlite:///{(data_dir / 'madoguchi.db').resolve()}"
            booths_needed = max(plan.idle_connections // 2, plan.pairs)
            local = await make_fixtures(sqlite_url, booths=booths_needed, agents=plan.pairs)
            result["fixtures_s"] = round(time.monotonic() - t0, 1)

            say("relay, one process each")
            mado = start_madoguchi(data_dir, log_dir)
            bare = start_bare(log_dir)
            servers += [mado, bare]
            await asyncio.gather(mado.healthy(), bare.healthy())
            await make_pairs(
                workers, "m1", "madoguchi", plan.pairs, booth_url=mado.url, agent_url=mado.url, fixtures=local
            )
            await make_pairs(workers, "b1", "bare", plan.pairs, booth_url=bare.url, agent_url=bare.url, fixtures=None)
            one = await relay_phase(
                plan, workers, {"m1": {"server": mado.pid}, "b1": {"server": bare.pid}}, budget, "1 process"
            )
            result["one_process_runs"] = {"madoguchi": one["m1"], "bare": one["b1"]}
            if profile and budget.allows(2 * (plan.warmup_s + plan.measure_s) + 10, "profiled relay windows"):
                result["relay_profiles"] = {}
                for group, kind, server in (("m1", "madoguchi", mado), ("b1", "bare", bare)):
                    recording = profiling.Recording(server.pid, log_dir / f"relay-{kind}.raw")
                    await recording.start()
                    window = await relay_window(plan, workers, group, {"server": server.pid}, latency=False)
                    result["relay_profiles"][kind] = {
                        "window": {k: window[k] for k in ("messages_per_s", "server_cpu_us_per_message")},
                        "profile": await recording.stop(),
                    }
            await workers.ask_all({"op": "close_pairs"})
            await asyncio.gather(*(s.stop(graceful=True) for s in servers))
            servers.clear()

            if skip_redis:
                result["two_process_runs"] = None
            elif budget.allows(40, "two processes on Redis"):
                say("relay, two processes on Redis (booths on A, agents on B)")
                async with redis_deployment(tmpdir) as (database_url, prefix):
                    shared = await make_fixtures(database_url, booths=plan.pairs, agents=plan.pairs)
                    settings = {"redis_url": REDIS_URL, "redis_prefix": prefix, "database_url": database_url}
                    for side in ("a", "b"):
                        (data_dir / side).mkdir(exist_ok=True)
                    mado_a = start_madoguchi(data_dir / "a", log_dir, **settings)
                    await mado_a.healthy()  # one at a time: the first runs the migrations (already done) and recovery
                    mado_b = start_madoguchi(data_dir / "b", log_dir, **settings)
                    bare_a = start_bare(log_dir, redis_url=REDIS_URL, channel=f"{prefix}:bare")
                    bare_b = start_bare(log_dir, redis_url=REDIS_URL, channel=f"{prefix}:bare")
                    servers += [mado_a, mado_b, bare_a, bare_b]
                    await asyncio.gather(mado_b.healthy(), bare_a.healthy(), bare_b.healthy())
                    await asyncio.sleep(0.5)  # the bare managers subscribe in the background
                    await make_pairs(
                        workers,
                        "m2",
                        "madoguchi",
                        plan.pairs,
                        booth_url=mado_a.url,
                        agent_url=mado_b.url,
                        fixtures=shared,
                    )
                    await make_pairs(
                        workers, "b2", "bare", plan.pairs, booth_url=bare_a.url, agent_url=bare_b.url, fixtures=None
                    )
                    two = await relay_phase(
                        plan,
                        workers,
                        {
                            "m2": {"server_a": mado_a.pid, "server_b": mado_b.pid},
                            "b2": {"server_a": bare_a.pid, "server_b": bare_b.pid},
                        },
                        budget,
                        "2 processes",
                    )
                    result["two_process_runs"] = {"madoguchi": two["m2"], "bare": two["b2"]}
                    if profile and budget.allows(2 * (plan.warmup_s + plan.measure_s) + 10, "profiled windows"):
                        profiles = result.setdefault("relay_profiles", {})
                        for group, kind, a, b in (("m2", "madoguchi", mado_a, mado_b), ("b2", "bare", bare_a, bare_b)):
                            pids = {"server_a": a.pid, "server_b": b.pid}
                            recordings = {
                                side: profiling.Recording(pid, log_dir / f"relay2-{kind}-{side}.raw")
                                for side, pid in pids.items()
                            }
                            for recording in recordings.values():
                                await recording.start()
                            window = await relay_window(plan, workers, group, pids, latency=False)
                            for side, recording in recordings.items():
                                where = "booths" if side == "server_a" else "agents"
                                profiles[f"{kind}, two processes, {side[-1].upper()} ({where})"] = {
                                    "window": {k: window[k] for k in ("messages_per_s", "server_cpu_us_per_message")},
                                    "profile": await recording.stop(),
                                }
                    await workers.ask_all({"op": "close_pairs"})
                    await asyncio.gather(*(s.stop(graceful=True) for s in servers))
                    servers.clear()

            # last: the slowest part (madoguchi accepts connections ever more slowly as it fills up)
            say(f"memory: {plan.idle_connections} idle connections x {plan.memory_reps}")
            memory = await memory_phase(plan, workers, data_dir, log_dir, local.booth_tokens, budget, profile)
            result["memory_runs"] = memory
        finally:
            for s in servers:
                with contextlib.suppress(Exception):
                    await s.stop(graceful=False)
            await workers.stop()
    result["load_average"]["after"] = load_average()
    result["revision_at_end"] = git_revision()
    result["skipped"] = budget.skipped
    result["elapsed_s"] = round(time.monotonic() - started, 1)
    result["summary"] = summarise(result)
    return result


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    memory = result.get("memory_runs") or {}
    summary: dict[str, Any] = {"memory": {}, "one_process": {}, "two_processes": {}}
    for kind in ("madoguchi", "bare"):
        runs = memory.get(kind, [])
        summary["memory"][kind] = {
            "repetitions": len(runs),
            "connections": median_of(runs, "connections"),
            "kb_per_connection": median_of(runs, "kb_per_connection"),
            "connections_per_s": median_of(runs, "connections_per_s"),
            "server_cpu_idle_pct": median_of(runs, "server_cpu_idle_pct"),
        }
        if result.get("one_process_runs"):
            summary["one_process"][kind] = summarise_relay(result["one_process_runs"][kind])
        if result.get("two_process_runs"):
            summary["two_processes"][kind] = summarise_relay(result["two_process_runs"][kind])
    targets: dict[str, Any] = {}
    kb = summary["memory"]["madoguchi"]["kb_per_connection"]
    conns = summary["memory"]["madoguchi"]["connections"]
    targets["memory"] = {
        "target": f"{5000} connections on one process at <= {TARGET_KB_PER_CONNECTION:g} KB each",
        "measured": kb,
        "connections": conns,
        "met": kb is not None and kb <= TARGET_KB_PER_CONNECTION and (conns or 0) >= 5000,
    }
    one = summary["one_process"]
    if one:
        ratio = None
        if one["madoguchi"]["messages_per_s"] and one["bare"]["messages_per_s"]:
            ratio = round(one["madoguchi"]["messages_per_s"] / one["bare"]["messages_per_s"], 3)
        cost_ratio = None
        if one["madoguchi"]["server_cpu_us_per_message"] and one["bare"]["server_cpu_us_per_message"]:
            cost_ratio = round(
                one["bare"]["server_cpu_us_per_message"] / one["madoguchi"]["server_cpu_us_per_message"], 3
            )
        targets["throughput"] = {
            "target": f">= {TARGET_THROUGHPUT_RATIO:.0%} of bare (one process)",
            "measured_ratio": ratio,
            "cpu_cost_ratio": cost_ratio,
            "met": ratio is not None
            and ratio >= TARGET_THROUGHPUT_RATIO
            and cost_ratio is not None
            and cost_ratio >= TARGET_THROUGHPUT_RATIO,
        }
    two = summary["two_processes"]
    if two:
        p95 = two["madoguchi"]["latency_ms"]["p95"]
        targets["cross_process_latency"] = {
            "target": f"p95 <= {TARGET_CROSS_PROCESS_P95_MS:g} ms",
            "measured_p95_ms": p95,
            "met": p95 is not None and p95 <= TARGET_CROSS_PROCESS_P95_MS,
        }
        if two["madoguchi"]["messages_per_s"] and two["bare"]["messages_per_s"]:
            two["throughput_ratio"] = round(two["madoguchi"]["messages_per_s"] / two["bare"]["messages_per_s"], 3)
    disorder = [
        (name, s[k]["out_of_order"], s[k]["missing"])
        for name, s in (("one", one), ("two", two))
        if s
        for k in ("madoguchi",)
    ]
    targets["ordering"] = {
        "target": "zero reordering (and nothing missing), madoguchi",
        "out_of_order": sum(d[1] for d in disorder),
        "missing": sum(d[2] for d in disorder),
        "met": bool(disorder) and all(d[1] == 0 and d[2] == 0 for d in disorder),
    }
    summary["targets"] = targets
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller and shorter (hard cap 2 minutes)")
    parser.add_argument("--skip-redis", action="store_true", help="leave out the two-process part")
    parser.add_argument("--no-write", action="store_true", help="print the results, do not write the files")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also sample madoguchi and bare with py-spy (accepting connections, relaying)",
    )
    parser.add_argument("--connections", type=int, help="idle connections for the memory test (max 5000)")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite RESULTS.md from results.json (e.g. after editing analysis.md)",
    )
    args = parser.parse_args()
    if args.report_only:
        (HERE / "RESULTS.md").write_text(report.markdown(json.loads((HERE / "results.json").read_text())))
        return 0
    plan = QUICK if args.quick else FULL
    if args.connections is not None:
        if not 10 <= args.connections <= 5000:
            parser.error("--connections must be between 10 and 5000")
        plan = Plan(**{**plan.__dict__, "idle_connections": args.connections})
    try:
        result = asyncio.run(
            asyncio.wait_for(
                run(
                    plan,
                    skip_redis=args.skip_redis,
                    mode="quick" if args.quick else "full",
                    profile=args.profile and profiling.available(),
                ),
                plan.budget_s,
            )
        )
    except TimeoutError:
        print(f"gave up: the run went over its {plan.budget_s:g} s cap", file=sys.stderr)
        return 2
    text = report.markdown(result)
    print(text)
    if not args.no_write:
        (HERE / "results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        (HERE / "RESULTS.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
