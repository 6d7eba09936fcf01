"""End to end: a change at the counter reaching a supervisor's page, and what that page costs the signaling relay.

Usage (repository root, the project's venv; Redis 127.0.0.1:6379, PostgreSQL 127.0.0.1:5432, /usr/bin/chromium):

    python bench/supervisor/e2e.py                  # 200 agents, 2,000 waiting, hard cap 8 minutes
    python bench/supervisor/e2e.py --waiting 200 --agents 20 --changes 10 --no-write   # a quick look

What runs, all on 127.0.0.1: two ``madoguchi serve`` processes on one Redis (live state, Socket.IO between them)
and a fresh PostgreSQL schema. Process A holds the booths, process B the agents and the supervisor. 200 agents
sign in on B (real ``/agent`` sockets): 16 of them (``--pairs``, in ``bench/load/clients.py`` processes) each
accept one booth's case and stay in the call, the others step away; then 2,000 booths (real ``/booth`` sockets,
in this process) ask for a person over six routes and four languages, so 2,000 cases wait, and those no agent on
duty may take are stranded (alarms). A headless Chromium opens ``/supervisor`` on B as a signed-in supervisor.

1. **Update latency.** One more booth, on A, alternately asks for a person (a case appears) and cancels (it goes);
   the page itself notes, in a MutationObserver and the animation frame after it, when that case's row appears or
   disappears in ``#sv-queue-list``; latency = that moment - the moment before the booth's event was sent (same
   machine, same wall clock). The snapshot is built on A (where the change ran), crosses Redis to B and reaches
   the page over Socket.IO.
2. **Relay comparison.** Windows alternate with the supervisor page open and closed (about:blank: no watcher
   anywhere), the same change every second in both: booth-agent pairs (booth on A, agent on B, so every message
   crosses Redis) send ``signal`` messages at a light fixed rate (latency p50/p95) and as fast as a window of 8
   allows (messages/s). The issue's bound: the page open slows the relay by at most 10 %.

Everything is bounded (budget, per-step timeouts) and every process started here is stopped by its own pid.
Results: ``e2e_results.json`` beside this file; RESULTS.md is written by hand from it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "load"))
import run as load  # noqa: E402  (bench/load/run.py: servers, fixtures, client workers, relay windows)
from wire import Connection  # noqa: E402

ROUTES = ("tax", "insurance_pension", "resident_records", "child_family", "transport_ferry", "general_inquiry")
LANGUAGES = ("ja", "en", "vi", "zh")
WIDE = {"width": 1920, "height": 1080}
CHROMIUM = os.environ.get("MADOGUCHI_CHROMIUM", "/usr/bin/chromium")

WATCH_JS = """() => {
  // the figure 「いま 待っている方」 (every waiting case of the town, from the snapshot): when it shows the
  // expected number, note the time in the animation frame after the change (the moment it can be painted)
  window.__seen = {};
  window.__watch = (key, text) => { window.__wanted = { key, text }; };
  const figure = document.getElementById('sv-today-waiting');
  new MutationObserver(() => {
    const w = window.__wanted;
    if (!w || figure.textContent !== w.text) return;
    window.__wanted = null;
    requestAnimationFrame(() => { window.__seen[w.key] = performance.timeOrigin + performance.now(); });
  }).observe(figure, { childList: true, characterData: true, subtree: true });
}"""


def say(text: str) -> None:
    load.say(text)


async def supervisor_cookie(database_url: str) -> str:
    from madoguchi.storage.accounts import Accounts
    from madoguchi.storage.db import open_database
    from madoguchi.storage.testing import fast_password_hasher

    db = await open_database(database_url)
    try:
        accounts = Accounts(db, hasher=fast_password_hasher())
        staff = await accounts.add_user(
            f"bench-sv-{secrets.token_hex(3)}",
            secrets.token_urlsafe(16),
            role="supervisor",
            municipality_ids=[load.MUNICIPALITY],
            routes=["*"],
            languages=["ja"],
            display_name="ベンチ監督者",
        )
        token, _csrf = await accounts.create_session(staff.id, ttl_s=3 * 3600, now=dt.datetime.now(dt.UTC))
        return token
    finally:
        await db.close()


async def open_booth(http: aiohttp.ClientSession, url: str, token: str) -> Connection:
    booth = Connection("/booth")
    await booth.open(http, url, auth={"token": token})
    await booth.wait_for("booth.state")
    return booth


async def fill_queue(http: aiohttp.ClientSession, url: str, tokens: list[str], batch: int = 5) -> list[Connection]:
    """Each booth asks for a person on its route and language, ``batch`` at a time, each retried twice if its socket
    drops."""
    booths: list[Connection] = []

    async def one(n: int, token: str) -> None:
        for attempt in range(3):  # a loaded server (or Redis dropping a subscriber) may close a socket: again
            booth = Connection("/booth")
            try:
                await booth.open(http, url, auth={"token": token})
                await booth.wait_for("booth.state")
                ack = await booth.call(
                    "consultation.request",
                    {"route": ROUTES[n % len(ROUTES)], "language": LANGUAGES[n % len(LANGUAGES)]},
                    within_s=60,
                )
                refused = isinstance(ack, dict) and ack.get("error", {}).get("code")
                if refused != "limit_reached" and not (isinstance(ack, dict) and ack.get("ok")):
                    raise RuntimeError(f"request refused: {ack}")
                booths.append(booth)  # limit_reached: the first try's request got through before its socket closed
                return
            except Exception as exc:
                await booth.close(within_s=1.0)
                if attempt == 2:
                    raise
                say(f"  booth {n} failed ({type(exc).__name__}: {exc}); again")
                await asyncio.sleep(1.0)

    for start in range(0, len(tokens), batch):
        t0 = time.monotonic()
        await asyncio.gather(*(one(start + i, t) for i, t in enumerate(tokens[start : start + batch])))
        if start % 100 < batch:
            say(f"  {start + batch} waiting ({time.monotonic() - t0:.2f} s for the last {batch})")
    return booths


async def agents_away(http: aiohttp.ClientSession, url: str, cookies: list[str]) -> list[Connection]:
    """Agents who are signed in but away: on the supervisor's list, not on duty (5 at a time)."""
    agents: list[Connection] = []

    async def one(cookie: str) -> None:
        for attempt in range(3):  # a loaded server may close a handshake; try again (bounded)
            agent = Connection("/agent")
            try:
                await agent.open(http, url, headers={"Cookie": f"madoguchi_session={cookie}"})
                await agent.wait_for("agent.state")
                break
            except Exception as exc:
                await agent.close(within_s=1.0)
                if attempt == 2:
                    raise
                say(f"  agent connect failed ({type(exc).__name__}: {exc}); again")
                await asyncio.sleep(1.0)
        ack = await agent.call("agent.status", {"status": "away"}, within_s=60)
        if not (isinstance(ack, dict) and ack.get("ok")):
            raise RuntimeError(f"agent.status refused: {ack}")
        agents.append(agent)

    for start in range(0, len(cookies), 5):
        await asyncio.gather(*(one(c) for c in cookies[start : start + 5]))
    return agents


class Changer:
    """The one booth whose case appears and goes, on process A."""

    def __init__(self, booth: Connection) -> None:
        self.booth = booth
        self.case: str | None = None
        self.n = 0
        self.sent = 0.0
        """Wall-clock ms just before the last change's event was sent."""

    async def change(self) -> tuple[str, bool, float]:
        """Make one change; returns (case id, whether it is now in the queue, wall-clock ms before sending)."""
        self.n += 1
        if self.case is None:
            sent = self.sent = time.time() * 1000
            ack = await self.booth.call("consultation.request", {"route": "tax", "language": "ja"}, within_s=20)
            if not (isinstance(ack, dict) and ack.get("ok")):
                raise RuntimeError(f"request refused: {ack}")
            self.case = str(ack["consultation_id"])
            return self.case, True, sent
        case, self.case = self.case, None
        sent = self.sent = time.time() * 1000
        ack = await self.booth.call("consultation.cancel", {"consultation_id": case}, within_s=20)
        if not (isinstance(ack, dict) and ack.get("ok")):
            raise RuntimeError(f"cancel refused: {ack}")
        return case, False, sent


FRAMES_JS = """() => {
  // when each supervisor frame reaches the page's WebSocket (before socket.io and the page see it), with the waiting
  // figure it carries: the part of an update's latency spent before the page (building, Redis, Socket.IO, network)
  window.__frames = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (typeof e.data !== 'string' || !e.data.startsWith('42/supervisor,')) return;
        const at = performance.timeOrigin + performance.now();
        const m = /"waiting":(\\d+)/.exec(e.data);
        window.__frames.push([at, m ? Number(m[1]) : null]);
      });
    }
  };
}"""


frame_kinds: dict[str, int] = {}  # supervisor frames by event name (snapshot: a whole view; delta: what changed)


def note_frame(frame: Any, sizes: list[int]) -> None:
    """A supervisor update's size, as the page received it."""
    if isinstance(frame, str) and "supervisor." in frame[:40]:
        sizes.append(len(frame))
        name = frame.split('"', 2)[1] if frame.count('"') >= 2 else "?"
        frame_kinds[name] = frame_kinds.get(name, 0) + 1


def server_parts(sent: list[tuple[float, int]], arrivals: list[tuple[float, int | None]]) -> list[float | None]:
    """For each change (wall ms sent, waiting count expected): ms until the first frame with that count reached the
    browser's socket (None: none seen)."""
    out: list[float | None] = []
    for at, expected in sent:
        seen = [t for t, w in arrivals if t >= at and w == expected]
        out.append(round(min(seen) - at, 1) if seen else None)
    return out


async def measure_updates(
    page: Any, changer: Changer, waiting: int, count: int, gap_s: float
) -> tuple[list[float], list[tuple[float, int]]]:
    """``count`` changes; for each, ms from just before the booth's event to the page showing the new number of
    waiting cases (the snapshot lists only the head of a long queue, so the figure is what every change moves);
    also each change's (wall ms sent, waiting count expected)."""
    latencies: list[float] = []
    sent_at: list[tuple[float, int]] = []
    for n in range(count):
        shown = await page.evaluate("() => document.getElementById('sv-today-waiting').textContent")
        now_waiting = int(shown) if shown.isdigit() else waiting  # a dropped booth's case may have left meanwhile
        expected = str(now_waiting + (-1 if changer.case is not None else 1))
        key = f"{n}:{expected}"
        await page.evaluate("([k, t]) => window.__watch(k, t)", [key, expected])
        await changer.change()
        sent_at.append((changer.sent, int(expected)))
        seen = None
        deadline = time.monotonic() + 15
        while seen is None and time.monotonic() < deadline:
            seen = await page.evaluate("(k) => window.__seen[k] ?? null", key)
            if seen is None:
                await asyncio.sleep(0.02)
        latencies.append(float("inf") if seen is None else seen - changer.sent)
        await asyncio.sleep(gap_s)
    return latencies, sent_at


async def relay_windows(
    workers: Any,
    servers: dict[str, int],
    page: Any,
    sv_url: str,
    changer: Changer,
    reps: int,
    budget: Any,
    waiting: int,
) -> dict[str, list[dict[str, Any]]]:
    plan = SimpleNamespace(latency_pairs=16, latency_s=5.0, window=8, latency_rate=20.0, warmup_s=1.0, measure_s=5.0)
    out: dict[str, list[dict[str, Any]]] = {"open": [], "closed": []}
    for rep in range(reps):
        for mode in ("open", "closed") if rep % 2 == 0 else ("closed", "open"):
            if not budget.allows(25, f"relay rep {rep + 1} {mode}"):
                continue
            if mode == "open":
                await page.goto(sv_url)
                await waiting_shown(page, waiting // 2, within_s=60, at_least=True)
            else:
                await page.goto("about:blank")
            await asyncio.sleep(1.0)
            stop = asyncio.Event()

            async def keep_changing(stop: asyncio.Event = stop) -> None:
                while not stop.is_set():
                    with contextlib.suppress(Exception):
                        await changer.change()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), 1.0)

            changing = asyncio.create_task(keep_changing())
            try:
                lat = await load.relay_window(plan, workers, "sv", servers, latency=True)
                thr = await load.relay_window(plan, workers, "sv", servers, latency=False)
            finally:
                stop.set()
                await changing
            out[mode].append({"latency": lat, "throughput": thr})
            say(
                f"  relay {mode}: latency p50/p95 {lat['latency_ms']['p50']}/{lat['latency_ms']['p95']} ms, "
                f"{thr['messages_per_s']:.0f} msg/s, server cpu {thr['server_cpu_us_per_message']} µs/msg"
            )
    return out


async def waiting_shown(page: Any, count: int, *, within_s: float, at_least: bool = False) -> None:
    """Poll (the page's CSP forbids wait_for_function's string evaluation) until the page's waiting figure shows
    ``count`` (or more)."""
    deadline = time.monotonic() + within_s
    text = ""
    while time.monotonic() < deadline:
        text = await page.evaluate("() => document.getElementById('sv-today-waiting')?.textContent ?? ''")
        if text.isdigit() and (int(text) >= count if at_least else int(text) == count):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the supervisor page did not show {count} waiting within {within_s:g} s (it shows {text!r})")


async def live_truth(prefix: str) -> str:
    """What the live state itself holds (read from Redis), to tell a page that shows the wrong count from cases that
    really left the queue (session 13's 2,000 run: 1,840 closed as resident_link_lost, the page right with 160)."""
    from redis.asyncio import Redis

    from madoguchi.signaling.redis_store import stored_state

    client = Redis.from_url(load.REDIS_URL)
    try:
        state = await stored_state(client, prefix)
    finally:
        await client.aclose()
    cases = state.get("consultations", {}).values()
    queued = sum(1 for c in cases if c.get("state") in ("waiting", "offered"))
    reasons: dict[str, int] = {}
    for c in cases:
        if c.get("state") not in ("waiting", "offered"):
            reasons[str(c.get("state"))] = reasons.get(str(c.get("state")), 0) + 1
    # closed cases leave the live state (their records go to the database): count the queue against the page's
    return f"the live state holds {queued} queued case(s); its other open cases: {reasons or 'none'}"


ROWS_JS = "() => document.querySelectorAll('[data-testid=sv-case]').length"
ALERTS_JS = "() => document.querySelectorAll('[data-testid=sv-alert]').length"


def pct(values: list[float], q: float) -> float:
    return load.percentile(values, q)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    budget = load.Budget(args.budget_s)
    result: dict[str, Any] = {"machine": load.machine(), "revision": load.git_revision(), "args": vars(args) | {}}
    result["args"].pop("json", None)
    result["load_before"] = os.getloadavg()
    servers: list[Any] = []
    workers = load.Workers()
    booths: list[Connection] = []
    with tempfile.TemporaryDirectory(prefix="madoguchi-sv-") as tmp:
        tmpdir = Path(tmp)
        log_dir = tmpdir / "logs"
        log_dir.mkdir()
        async with load.redis_deployment(tmpdir) as (database_url, prefix):
            say(f"fixtures: {args.waiting + args.agents + 1} booths, {args.agents} agents, one supervisor")
            fixtures = await load.make_fixtures(database_url, booths=args.waiting + args.agents + 1, agents=args.agents)
            cookie = await supervisor_cookie(database_url)
            settings = {"redis_url": load.REDIS_URL, "redis_prefix": prefix, "database_url": database_url}
            if args.server_pythonpath:  # another checkout's madoguchi (e.g. the code before a change), same venv
                os.environ["PYTHONPATH"] = str(args.server_pythonpath)
            for side in ("a", "b"):
                (tmpdir / side).mkdir()
            try:
                a = load.start_madoguchi(tmpdir / "a", log_dir, **settings)
                servers.append(a)
                await a.healthy(args.healthz_s)
                b = load.start_madoguchi(tmpdir / "b", log_dir, **settings)
                servers.append(b)
                await b.healthy(args.healthz_s)
                await workers.start(2)
                say(f"{args.pairs} agents on B take one booth's case each (booths on A)")
                pair_fixtures = load.Fixtures(fixtures.booth_tokens[: args.pairs], fixtures.agent_cookies)
                await load.make_pairs(
                    workers, "sv", "madoguchi", args.pairs, booth_url=a.url, agent_url=b.url, fixtures=pair_fixtures
                )
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
                    say(f"{args.agents - args.pairs} more agents on B sign in and step away (離席中)")
                    booths += await agents_away(http, b.url, fixtures.agent_cookies[args.pairs : args.agents])
                    say(f"{args.waiting} booths on A ask for a person")
                    t0 = time.monotonic()
                    booths += await fill_queue(
                        http, a.url, fixtures.booth_tokens[args.agents : args.agents + args.waiting], args.fill_batch
                    )
                    result["fill_s"] = round(time.monotonic() - t0, 1)
                    changer = Changer(await open_booth(http, a.url, fixtures.booth_tokens[-1]))
                    booths.append(changer.booth)
                    async with async_playwright() as pw:
                        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                        try:
                            context = await browser.new_context(viewport=WIDE, locale="ja-JP")
                            await context.add_cookies([{"name": "madoguchi_session", "value": cookie, "url": b.url}])
                            page = await context.new_page()
                            frames: list[int] = []  # sizes of the supervisor.snapshot frames the page receives
                            page.on("websocket", lambda ws: ws.on("framereceived", lambda f: note_frame(f, frames)))
                            await page.add_init_script(f"({FRAMES_JS})()")
                            sv_url = f"{b.url}/supervisor"
                            t0 = time.monotonic()
                            await page.goto(sv_url)
                            # a booth whose socket dropped during the fill may have left the queue meanwhile
                            try:
                                await waiting_shown(page, int(args.waiting * 0.97), within_s=120, at_least=True)
                            except TimeoutError as exc:  # the page, or the live state? (session 13: the state)
                                raise TimeoutError(f"{exc}; {await live_truth(prefix)}") from exc
                            result["first_paint_s"] = round(time.monotonic() - t0, 2)
                            shown = await page.evaluate("() => document.getElementById('sv-today-waiting').textContent")
                            result["waiting_shown"] = int(shown) if shown.isdigit() else None
                            result["rows"] = await page.evaluate(ROWS_JS)
                            result["alerts"] = await page.evaluate(ALERTS_JS)
                            result["dom_nodes"] = await page.evaluate("() => document.getElementsByTagName('*').length")
                            await page.evaluate(WATCH_JS)
                            say(f"page shows {result['rows']} cases, {result['alerts']} alarms; {args.changes} changes")
                            pids = {"server_a": a.pid, "server_b": b.pid}
                            cpu = load.CpuMeter(pids)
                            await page.evaluate("() => { window.__frames = []; }")
                            latencies, sent_at = await measure_updates(
                                page, changer, args.waiting, args.changes, args.gap_s
                            )
                            arrivals = [(float(t), w) for t, w in await page.evaluate("() => window.__frames")]
                            result["update_server_ms"] = server_parts(sent_at, arrivals)
                            finite_server = [x for x in result["update_server_ms"] if x is not None]
                            result["update_server_median_ms"] = (
                                round(statistics.median(finite_server), 1) if finite_server else None
                            )
                            result["update_cpu_pct"] = cpu.percent()
                            result["snapshot_frames"] = len(frames)
                            result["snapshot_kb_median"] = (
                                round(statistics.median(frames) / 1024, 1) if frames else None
                            )
                            # since session 12 a page gets the whole view once (on joining) and deltas after it:
                            # the first frame is the whole view, the median the deltas
                            result["frame_kb_first"] = round(frames[0] / 1024, 1) if frames else None
                            result["frame_kb_max"] = round(max(frames) / 1024, 1) if frames else None
                            result["frame_kinds"] = dict(sorted(frame_kinds.items()))
                            result["update_ms"] = [round(x, 1) for x in latencies]
                            finite = [x for x in latencies if x != float("inf")]
                            result["update_median_ms"] = round(statistics.median(finite), 1) if finite else None
                            result["update_p95_ms"] = round(pct(latencies, 0.95), 1)
                            result["update_missed"] = len(latencies) - len(finite)
                            say(f"update median {result['update_median_ms']} ms, p95 {result['update_p95_ms']} ms")
                            for size in ((1920, 1080), (1366, 768), (1080, 1920), (390, 844)) if args.shots else ():
                                await page.set_viewport_size({"width": size[0], "height": size[1]})
                                await page.screenshot(path=str(args.shots / f"supervisor-busy-{size[0]}x{size[1]}.png"))
                            await page.set_viewport_size({"width": 1920, "height": 1080})
                            result["relay"] = await relay_windows(
                                workers, pids, page, sv_url, changer, args.relay_reps, budget, args.waiting
                            )
                        finally:
                            await browser.close()
            finally:
                for booth in booths:
                    with contextlib.suppress(Exception):
                        await booth.close(within_s=1.0)
                await workers.stop()
                for server in servers:
                    if args.keep_logs:
                        say(f"{server.name} {server.port} log tail:\n{server.tail(30)}")
                    await server.stop(graceful=True)
                    if args.log_dir is not None:  # the whole log, kept past the run's temporary folder
                        args.log_dir.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(server.log_path, args.log_dir / server.log_path.name)
    result["load_after"] = os.getloadavg()
    result["skipped"] = budget.skipped
    relay = result.get("relay", {})
    summary: dict[str, Any] = {}
    for mode, runs in relay.items():
        if runs:
            summary[mode] = {
                "latency_p50_ms": statistics.median(r["latency"]["latency_ms"]["p50"] for r in runs),
                "latency_p95_ms": statistics.median(r["latency"]["latency_ms"]["p95"] for r in runs),
                "messages_per_s": statistics.median(r["throughput"]["messages_per_s"] for r in runs),
                "server_cpu_us_per_message": statistics.median(
                    r["throughput"]["server_cpu_us_per_message"] or 0 for r in runs
                ),
            }
    result["relay_summary"] = summary
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--pairs", type=int, default=16, help="of the agents, how many are in calls (the relay)")
    parser.add_argument("--waiting", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument("--fill-batch", type=int, default=5, help="booths asking for a person at once while filling")
    parser.add_argument("--gap-s", type=float, default=1.0, help="pause between two measured changes")
    parser.add_argument("--relay-reps", type=int, default=2)
    parser.add_argument("--budget-s", type=float, default=480.0)
    parser.add_argument("--shots", type=Path, default=None, help="folder for screenshots of the busy page")
    parser.add_argument("--json", type=Path, default=HERE / "e2e_results.json")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--server-pythonpath", type=Path, default=None, help="run the servers from this checkout")
    parser.add_argument("--keep-logs", action="store_true", help="print the servers' log tails at the end")
    parser.add_argument("--healthz-s", type=float, default=60.0, help="how long a server may take to start")
    parser.add_argument("--log-dir", type=Path, default=None, help="copy the servers' whole logs into this folder")
    args = parser.parse_args()
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(asyncio.wait_for(main_async(args), args.budget_s + 240))
    text = json.dumps(result, indent=1, default=str)
    if not args.no_write:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k not in ("update_ms", "relay")}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
