"""Time the reports KPIs over the schema ``generate.py`` filled: the query + KPI function, and the HTTP API.

Usage: python bench/reports/run.py [--schema bench_reports] [--reps 5] [--json results.json]

For a 30-day range (the last 30 whole days) and the whole year (365 days), each timed ``--reps`` times after
one warm-up: row by row (the path before rollups, still used by filtered reports): ``read_columns`` (the SQL
and its transfer) and ``compute`` (the KPIs) separately, with this process's CPU time and PostgreSQL's own
execution time (EXPLAIN ANALYZE) beside the wall clock, because a shared machine inflates the wall clock; then
the daily rollups: the first build of the year (``refresh``, once), ``report_summary`` + ``finish`` over the
stored days, the same after one new case today (its day rebuilt), and ``GET /api/reports/kpis`` on a real
server (create_app, a logged-in supervisor, aiohttp client) end to end, which reads the rollups.
Prints medians and writes every sample to ``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from madoguchi.app import create_app
from madoguchi.reports.kpis import JST, KpiSettings, compute, day_bounds, finish
from madoguchi.reports.query import ReportFilter, columns_query, read_columns
from madoguchi.reports.rollups import refresh, report_summary
from madoguchi.settings import Settings
from madoguchi.storage.db import Database
from madoguchi.storage.records import ConsultationRecords, NewConsultation

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench-password-long"


async def time_function(db: Database, first: date, last: date, reps: int) -> dict[str, Any]:
    since, until = day_bounds(first, last, JST)
    where = ReportFilter(since, until, ["shiomi"])
    samples: list[dict[str, float]] = []
    rows_read = 0
    for rep in range(reps + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        columns = await read_columns(db, where)
        t1, c1 = time.perf_counter(), time.process_time()
        compute(columns, KpiSettings())
        t2, c2 = time.perf_counter(), time.process_time()
        rows_read = len(columns.route)
        if rep > 0:
            samples.append(
                {
                    "query_s": t1 - t0,
                    "kpis_s": t2 - t1,
                    "total_s": t2 - t0,
                    "cpu_query_s": c1 - c0,
                    "cpu_kpis_s": c2 - c1,
                }
            )
    async with db.engine.connect() as connection:
        sql = columns_query(where, db.dialect).compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = (await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar_one()
    return {
        "rows": rows_read,
        "median_query_s": statistics.median(s["query_s"] for s in samples),
        "median_kpis_s": statistics.median(s["kpis_s"] for s in samples),
        "median_total_s": statistics.median(s["total_s"] for s in samples),
        "median_cpu_s": statistics.median(s["cpu_query_s"] + s["cpu_kpis_s"] for s in samples),
        "server_execution_s": plan[0]["Execution Time"] / 1000,
        "samples": samples,
    }


async def time_rollups(db: Database, ranges: dict[str, tuple[date, date]], reps: int) -> dict[str, Any]:
    settings = KpiSettings()
    year_first = min(first for first, _ in ranges.values())
    year_last = max(last for _, last in ranges.values())
    t0, c0 = time.perf_counter(), time.process_time()
    rebuilt = await refresh(db, ["shiomi"], year_first, year_last, settings)
    build = {"days": rebuilt, "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
    results: dict[str, Any] = {"first_build": build}
    for name, (first, last) in ranges.items():
        samples, cpu = [], []
        for rep in range(reps + 1):
            t0, c0 = time.perf_counter(), time.process_time()
            figures = finish(await report_summary(db, ["shiomi"], first, last, settings), settings)
            if rep > 0:
                samples.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        results[name] = {
            "volume": figures["volume"],
            "median_s": statistics.median(samples),
            "median_cpu_s": statistics.median(cpu),
            "samples": samples,
        }
    # one new case on the last day of the ranges: that day is rebuilt from its rows, the others are reused
    records = ConsultationRecords(db)
    samples = []
    first, last = ranges["30 days"]
    for rep in range(reps):
        at = datetime.combine(last, datetime.min.time(), JST) + timedelta(hours=10, seconds=rep)
        await records.create(
            NewConsultation(
                id=f"bench-new-{os.getpid()}-{rep}",
                municipality_id="shiomi",
                channel="chat",
                route="tax",
                language="ja",
                state="triage",
                requested_at=at,
            )
        )
        t0 = time.perf_counter()
        finish(await report_summary(db, ["shiomi"], first, last, settings), settings)
        samples.append(time.perf_counter() - t0)
    results["30 days after a new case"] = {"median_s": statistics.median(samples), "samples": samples}
    return results


async def time_api(settings: Settings, ranges: dict[str, tuple[date, date]], reps: int) -> dict[str, Any]:
    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    results: dict[str, Any] = {}
    try:
        from madoguchi import keys

        accounts = app[keys.ACCOUNTS]
        username = f"bench-sv-{os.getpid()}"
        await accounts.add_user(
            username, PASSWORD, role="supervisor", municipality_ids=["shiomi"], routes=["*"], languages=["ja"]
        )
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.post(f"{base}/api/login", json={"username": username, "password": PASSWORD}) as r:
                assert r.status == 200, await r.text()
            for name, (first, last) in ranges.items():
                samples = []
                for rep in range(reps + 1):
                    t0 = time.perf_counter()
                    async with http.get(f"{base}/api/reports/kpis?from={first}&to={last}") as response:
                        body = await response.json()
                        assert response.status == 200, body
                    if rep > 0:
                        samples.append(time.perf_counter() - t0)
                results[name] = {"volume": body["volume"], "median_s": statistics.median(samples), "samples": samples}
    finally:
        await runner.cleanup()
    return results


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    url = f"{args.url}?search_path={args.schema}"
    today = datetime.now(JST).date()
    ranges = {
        "30 days": (today - timedelta(days=30), today - timedelta(days=1)),
        "365 days": (today - timedelta(days=365), today - timedelta(days=1)),
    }
    db = Database(url)
    try:
        functions = (
            {} if args.skip_rows else {name: await time_function(db, *span, args.reps) for name, span in ranges.items()}
        )
        rollups = await time_rollups(db, ranges, args.reps)
    finally:
        await db.close()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), database_url=url, log_level="WARNING")
        api = await time_api(settings, ranges, args.reps)
    return {
        "at": datetime.now(JST).isoformat(timespec="seconds"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}",
        "python": platform.python_version(),
        "reps": args.reps,
        "function": functions,
        "rollups": rollups,
        "api": api,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--schema", default="bench_reports")
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--skip-rows", action="store_true", help="time only the rollups and the API")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{result['at']}  {result['machine']}")
    for name, figures in result["function"].items():
        print(
            f"function {name:>8}: {figures['rows']:>9,} rows  query {figures['median_query_s'] * 1000:8.0f} ms  "
            f"KPIs {figures['median_kpis_s'] * 1000:8.0f} ms  total {figures['median_total_s'] * 1000:8.0f} ms  "
            f"(our CPU {figures['median_cpu_s'] * 1000:.0f} ms, "
            f"PostgreSQL executing {figures['server_execution_s'] * 1000:.0f} ms)"
        )
    build = result["rollups"]["first_build"]
    print(f"rollups first build: {build['days']} days in {build['wall_s']:.1f} s (our CPU {build['cpu_s']:.1f} s)")
    for name, figures in result["rollups"].items():
        if name != "first_build":
            print(f"rollups  {name:>8}: median {figures['median_s'] * 1000:8.0f} ms")
    for name, figures in result["api"].items():
        print(f"API      {name:>8}: volume {figures['volume']:>9,}  median {figures['median_s'] * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
