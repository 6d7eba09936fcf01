"""Bookings benchmark: slot search and booking latency on PostgreSQL with a year of bookings.

Run from the repository root with the project's venv (PostgreSQL at MADOGUCHI_TEST_POSTGRES_URL, default
postgresql+asyncpg://postgres@127.0.0.1:5432/test):

    python bench/booking/run.py                 # writes RESULTS.md and results.json here
    python bench/booking/run.py --searches 500 --bookings 200 --no-write

What it does, in one run:

1. creates a fresh PostgreSQL schema and a knowledge-base folder whose municipality file has 20 places and a
   booking plan of 16 desks (one per route) at every place: weekdays 9:00-12:00 and 13:00-17:00, 30-minute
   slots, capacity 2;
2. fills a year of bookings (the 335 days before today and the 30-day horizon after it) straight into the
   database: every slot gets 0, 1 or 2 bookings at random (seeded), with its ``booking_slots`` counter;
3. starts one ``madoguchi serve`` process on 127.0.0.1 against that schema and waits for ``/healthz``;
4. 50 concurrent clients search slots (``GET /api/slots`` for a random route, place and open day in the
   horizon), then 50 concurrent clients book (``POST /api/bookings``, each a free slot its own search found;
   a 409 because another client took the last place first is counted and timed like the rest);
5. reports p50/p95/max per operation against the targets (p95 ≤ 50 ms search, ≤ 100 ms booking).

Client and server share this machine's cores (and other people's jobs), so the numbers include that.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from sqlalchemy import text

from madoguchi.bookings.codes import damm
from madoguchi.bookings.plan import JST, BookingPlan
from madoguchi.bookings.slots import BookingRefused, day_slots
from madoguchi.chatbot.knowledge import Municipality, bundled_kb_dir, load_municipality
from madoguchi.domain.opening_hours import OFFICE_HOURS, OpeningHours, hours_of
from madoguchi.storage.db import Database, migrate, open_database
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.testing import temporary_database_url

HERE = Path(__file__).resolve().parent
MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))
LISTENING = re.compile(r"madoguchi listening on (http://[0-9.]+:\d+)")
PLACES = 20
CLIENTS = 50
TARGET_SEARCH_P95_MS = 50.0
TARGET_BOOKING_P95_MS = 100.0
COMPARE_SECTION = "<!-- compare:begin -->"
KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモ"


def server_env(root: Path, database_url: str, kb_root: Path, secret: str) -> dict[str, str]:
    """The served process's environment: this machine's, without its MADOGUCHI_ settings, plus the benchmark's
    (every request limit out of the way: all clients come from one address)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")}
    env.update(
        MADOGUCHI_DATA_DIR=str(root / "data"),
        MADOGUCHI_DATABASE_URL=database_url,
        MADOGUCHI_KB_DIR=str(kb_root),
        MADOGUCHI_SECRET_KEY=secret,
        MADOGUCHI_BOOKING_REQUESTS_PER_MINUTE="1000000",
        MADOGUCHI_BOOKING_LOOKUPS_PER_MINUTE="1000000",
        MADOGUCHI_BOOKING_CREATES_PER_ADDRESS_PER_DAY="1000000",  # one address books for 50 clients
        MADOGUCHI_BOOKING_CREATES_PER_HOUR="1000000",
        MADOGUCHI_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def weekdays_open(plan: BookingPlan, hours: OpeningHours) -> list[str]:
    """The weekdays of the next 30 days the town's calendar opens: the days the clients ask about."""
    today = dt.datetime.now(JST).date()
    days = (today + dt.timedelta(days=n) for n in range(1, 31))
    return [d.isoformat() for d in days if d.weekday() < 5 and not plan.is_closed(d, hours=hours)]


def town_calendar(town: Municipality) -> OpeningHours:
    """The town's hours as the server reads them when none are stored (its file's, else office hours): the one
    calendar that closes booking days too (年末年始, closed dates), so the benchmark asks only for open days."""
    return OFFICE_HOURS if town.opening_hours is None else hours_of(town.opening_hours)


def write_town(root: Path) -> tuple[Path, list[str], list[str]]:
    target = root / "kb" / "shiomi"
    shutil.rmtree(target, ignore_errors=True)  # --fresh over an earlier run's town
    shutil.copytree(bundled_kb_dir(), target)
    path = target / "municipality.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    places = [f"place-{n:02d}" for n in range(1, PLACES + 1)]
    routes = list(data["routes"])
    data["places"] = [
        {"id": p, "kind": "post_office", "name": {"ja": f"場所{n}", "en": f"Place {n}"}, "booth": True}
        for n, p in enumerate(places, 1)
    ]
    data["booking"] = {
        "horizon_days": 30,
        "min_notice_minutes": 60,
        "desks": [
            {
                "id": f"desk-{route.replace('_', '-')}",
                "mode": "booth",
                "places": list(places),  # a copy each: YAML aliases are refused in these files
                "routes": [route],
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "hours": ["9:00-12:00", "13:00-17:00"],
                "slot_minutes": 30,
                "capacity": 2,
            }
            for route in routes
        ],
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    load_municipality(path)  # the server must accept it
    return target.parent, places, routes


def code_for(n: int) -> str:
    body = f"{n:07d}"
    return body + str(damm(body))


async def fill_year(
    database_url: str, plan: BookingPlan, places: list[str], routes: list[str], seed: int, revision: str = "head"
) -> int:
    """A year of bookings into the schema at ``database_url``, migrated first to ``revision`` (``compare.py``
    fills at the older code's revision so both versions can start on a copy)."""
    rng = random.Random(seed)
    today = dt.datetime.now(JST).date()
    days = [today + dt.timedelta(days=n) for n in range(-335, 31)]
    db = Database(database_url)
    await migrate(db.engine, revision)
    now = dt.datetime.now(dt.UTC)
    written = 0
    try:
        await Municipalities(db).ensure_municipality("shiomi", name_ja="汐見町", name_en="Shiomi Town")
        for day in days:
            bookings: list[dict[str, Any]] = []
            counters: list[dict[str, Any]] = []
            for route in routes:
                try:
                    slots = day_slots(plan, route, day)
                except BookingRefused:
                    continue
                for slot in slots:
                    taken = rng.choice((0, 1, 2))
                    if not taken:
                        continue
                    start = slot.start.astimezone(dt.UTC)
                    counters.append(
                        {
                            "municipality_id": "shiomi",
                            "desk": slot.desk,
                            "place": slot.place,
                            "start_at": start,
                            "taken": taken,
                        }
                    )
                    for _ in range(taken):
                        written += 1
                        status = (
                            "booked" if day >= today else rng.choice(("done", "done", "done", "no_show", "cancelled"))
                        )
                        bookings.append(
                            {
                                "code": code_for(written),
                                "municipality_id": "shiomi",
                                "route": route,
                                "mode": "booth",
                                "desk": slot.desk,
                                "place": slot.place,
                                "start_at": start,
                                "end_at": slot.end.astimezone(dt.UTC),
                                "name_kana": "ヤマダ",
                                "language": "ja",
                                "status": status,
                                "booked_by": "resident",
                                "created_at": now,
                                "updated_at": now,
                            }
                        )
            if counters:
                async with db.transaction() as session:
                    connection = await session.connection()
                    raw = (await connection.get_raw_connection()).driver_connection
                    assert raw is not None
                    for table, rows in (("booking_slots", counters), ("bookings", bookings)):
                        columns = list(rows[0])
                        await raw.copy_records_to_table(
                            table, records=[tuple(r[c] for c in columns) for r in rows], columns=columns
                        )
        async with db.transaction() as session:
            await session.execute(text("ANALYZE"))
    finally:
        await db.close()
    return written


async def start_server(
    root: Path, env: dict[str, str], command: tuple[str, ...] = (MADOGUCHI,)
) -> tuple[asyncio.subprocess.Process, str]:
    """``command serve`` on a free port, its log in ``root/server.log``; returns the process and its URL."""
    log_path = root / "server.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            *command, "serve", "--host", "127.0.0.1", "--port", "0",
            stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=asyncio.subprocess.STDOUT, env=env, cwd=root,
        )  # fmt: skip
    # the first start for this town trains its triage model (minutes on a loaded 2-core machine; cached after)
    deadline = time.monotonic() + 900
    while (found := LISTENING.search(log_path.read_text(errors="replace"))) is None:
        if process.returncode is not None or time.monotonic() > deadline:
            raise SystemExit(f"the server did not start:\n{log_path.read_text(errors='replace')}")
        await asyncio.sleep(0.1)
    return process, found.group(1)


def summary(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731 - nearest rank
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 2),
        "p95": round(pick(0.95), 2),
        "max": round(ordered[-1], 2),
    }


async def drive(
    url: str,
    places: list[str],
    routes: list[str],
    open_days: list[str],
    searches: int,
    bookings: int,
    seed: int,
    think_s: float,
    clients: int = CLIENTS,
) -> dict[str, Any]:
    """``clients`` clients, each pausing a random time of mean ``think_s`` between its requests (0: none)."""
    rng = random.Random(seed + int(think_s * 1000))
    search_ms: list[float] = []
    booking_ms: list[float] = []
    outcomes: dict[str, int] = {}
    found: list[dict[str, Any]] = []
    connector = aiohttp.TCPConnector(limit=0)

    async def pause() -> None:
        if think_s > 0:
            await asyncio.sleep(rng.expovariate(1 / think_s))

    async with aiohttp.ClientSession(connector=connector) as http:
        search_queue = asyncio.Queue[tuple[str, str, str]]()
        for _ in range(searches):
            search_queue.put_nowait((rng.choice(routes), rng.choice(places), rng.choice(open_days)))

        async def searcher() -> None:
            await pause()
            while not search_queue.empty():
                route, place, day = search_queue.get_nowait()
                began = time.perf_counter()
                async with http.get(f"{url}/api/slots", params={"route": route, "date": day, "place": place}) as resp:
                    body = await resp.json()
                search_ms.append((time.perf_counter() - began) * 1000)
                assert resp.status == 200, body
                free = [s for s in body if s["free"] > 0]
                if free:
                    found.append({"route": route, **rng.choice(free)})
                await pause()

        began_all = time.perf_counter()
        await asyncio.gather(*(searcher() for _ in range(clients)))
        search_rate = len(search_ms) / (time.perf_counter() - began_all)
        rng.shuffle(found)
        booking_queue = asyncio.Queue[dict[str, Any]]()
        for n, slot in enumerate(found[:bookings]):
            booking_queue.put_nowait({**slot, "n": n + int(think_s * 100000)})

        async def booker() -> None:
            await pause()
            while not booking_queue.empty():
                slot = booking_queue.get_nowait()
                body = {
                    "route": slot["route"],
                    "place": slot["place"],
                    "start": slot["start"],
                    "name_kana": KANA[slot["n"] % len(KANA)] + KANA[(slot["n"] // len(KANA)) % len(KANA)],
                }
                began = time.perf_counter()
                async with http.post(f"{url}/api/bookings", json=body) as resp:
                    answer = await resp.json()
                booking_ms.append((time.perf_counter() - began) * 1000)
                key = str(resp.status) if resp.status == 201 else f"{resp.status} {answer['error']['code']}"
                outcomes[key] = outcomes.get(key, 0) + 1
                await pause()

        began_all = time.perf_counter()
        await asyncio.gather(*(booker() for _ in range(clients)))
        booking_rate = len(booking_ms) / (time.perf_counter() - began_all)
    return {
        "think_s": think_s,
        "clients": clients,
        "search": {**summary(search_ms), "per_s": round(search_rate, 1)},
        "booking": {**summary(booking_ms), "per_s": round(booking_rate, 1)},
        "booking_outcomes": outcomes,
    }


def write_results(result: dict[str, Any]) -> None:
    (HERE / "results.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    def verdict(p95: float, target: float) -> str:
        return "meets" if p95 <= target else "**misses**"

    rows: list[str] = []
    for run in result["runs"]:
        clients = run.get("clients", CLIENTS)
        pause = f"{run['think_s']:g} s mean pause" if run["think_s"] else "no pause"
        label = f"{clients} client{'s' if clients > 1 else ''}, {pause}"
        for name, title, target in (
            ("search", "slot search `GET /api/slots`", TARGET_SEARCH_P95_MS),
            ("booking", "booking `POST /api/bookings`", TARGET_BOOKING_P95_MS),
        ):
            r = run[name]
            rows.append(
                f"| {label} | {title} | {r['n']} | {r['per_s']} | {r['p50']} | {r['p95']} | {r['max']} | "
                f"≤ {target:.0f} {verdict(r['p95'], target)} |"
            )
    lines = [
        "# Bookings benchmark: results",
        "",
        f"Latest run: {result['at']}, {platform.processor() or platform.machine()} ({os.cpu_count()} cores), "
        f"Python {platform.python_version()}, PostgreSQL {result['postgres']}; load average (1/5/15 min) before "
        f"{result['load_before']}, after {result['load_after']}. The machine is shared with other jobs, and the "
        "clients run on it too.",
        "Reproduce with `python bench/booking/run.py` (raw numbers in `results.json`).",
        "",
        f"Data: {result['places']} places × {result['routes']} routes (one desk per route at every place, capacity "
        f"2, 30-minute slots, weekdays 9-12 and 13-17) and a year of bookings: **{result['bookings_in_db']:,}** "
        "rows in `bookings` (335 days back, 30 ahead), each slot's count in `booking_slots`. One `madoguchi serve` "
        "process on PostgreSQL.",
        "",
        "| load | operation | n | per s | p50 ms | p95 ms | max ms | target p95 |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Booking answers: "
        + "; ".join(
            f"{run.get('clients', CLIENTS)} × {run['think_s']:g} s pause: "
            + ", ".join(f"{k}: {v}" for k, v in sorted(run["booking_outcomes"].items()))
            for run in result["runs"]
        )
        + " (a 409 `full` is a client that saw the slot free and lost the last place to another: the correct "
        "answer, timed like the rest).",
        "",
        "What the numbers mean, and what would change them: [notes.md](notes.md). Two versions measured side by "
        "side on the same data (`compare.py`): the section below.",
        "",
    ]
    path = HERE / "RESULTS.md"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    kept = old[old.index(COMPARE_SECTION) :] if COMPARE_SECTION in old else ""  # compare.py's section stays
    path.write_text("\n".join(lines) + ("\n" + kept if kept else ""), encoding="utf-8")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=2000)
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument(
        "--think",
        type=float,
        action="append",
        help="mean pause between a client's requests, s (repeatable; default: 1 and 0)",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--report-only", action="store_true", help="rewrite RESULTS.md from results.json")
    args = parser.parse_args()
    if args.report_only:
        write_results(json.loads((HERE / "results.json").read_text(encoding="utf-8")))
        return
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-booking-") as tmp:
        root = Path(tmp)
        kb_root, places, routes = write_town(root)
        town = load_municipality(kb_root / "shiomi" / "municipality.yaml")
        plan = town.booking
        town_hours = town_calendar(town)
        assert plan is not None
        async with temporary_database_url("postgresql", root) as database_url:
            db = await open_database(database_url)  # migrate before filling
            async with db.read() as session:
                postgres = str((await session.execute(text("SHOW server_version"))).scalar())
            await db.close()
            began = time.perf_counter()
            written = await fill_year(database_url, plan, places, routes, args.seed)
            print(f"filled {written:,} bookings in {time.perf_counter() - began:.0f} s", file=sys.stderr)
            env = server_env(root, database_url, kb_root, secrets.token_hex(16))
            process, url = await start_server(root, env)
            try:
                open_days = weekdays_open(plan, town_hours)
                # one client alone first: the cost of a request without queueing behind others
                runs = [await drive(url, places, routes, open_days, 200, 100, args.seed + 7, 0.0, clients=1)]
                runs += [
                    await drive(url, places, routes, open_days, args.searches, args.bookings, args.seed, think)
                    for think in (args.think or [1.0, 0.0])
                ]
            finally:
                process.terminate()
                await process.wait()
    result: dict[str, Any] = dict(
        runs=runs,
        at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        postgres=postgres,
        places=PLACES,
        routes=len(routes),
        bookings_in_db=written,
        load_before=load_before,
        load_after=" ".join(f"{x:.2f}" for x in os.getloadavg()),
    )
    print(json.dumps(result, indent=1, ensure_ascii=False))
    if not args.no_write:
        write_results(result)


if __name__ == "__main__":
    asyncio.run(main())
