"""Bookings benchmark, before and after: two versions of the code, alternating runs on copies of the same data.

Why this exists: the machine the benchmark runs on is shared (2 cores, other people's tests), so one run's
absolute numbers follow the load as much as the code. Running the older checkout and this one in turn, round
after round, on identical data, gives each a fair share of the same load; the ratio of their medians is the
number to trust. Run from the repository root with the project's venv:

    git worktree add /work/wt/book4-base aece808        # the version to compare against
    python bench/booking/compare.py --base /work/wt/book4-base --rounds 3

It fills one year of bookings (as ``run.py`` does) into a schema at ``--base-revision`` (the older code's
newest migration), copies that schema with ``pg_dump`` so both versions start from the same rows, then for each
round starts one ``madoguchi serve`` of each version (PYTHONPATH picks the checkout; the newer one migrates
its copy on start) and drives it like ``run.py``: one client alone, then 50 clients with a 1 s mean pause, then
50 with none. The schemas are kept between invocations (``--fresh`` refills). Results: ``compare.json`` and
the "Before and after" section of ``RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run

from madoguchi.chatbot.knowledge import load_municipality
from madoguchi.storage.db import parse_database_url
from madoguchi.storage.testing import POSTGRES_TEST_URL

REPO = run.HERE.parents[1]
SCHEMAS = {"base": "bench_cmp_base", "head": "bench_cmp_head"}
MARK_BEGIN, MARK_END = "<!-- compare:begin -->", "<!-- compare:end -->"


def psql_url() -> str:
    return parse_database_url(POSTGRES_TEST_URL).set(drivername="postgresql").render_as_string(hide_password=False)


def schema_url(schema: str) -> str:
    server = parse_database_url(POSTGRES_TEST_URL)
    return server.update_query_dict({"search_path": schema}).render_as_string(hide_password=False)


async def rows_in(schema: str) -> int:
    engine = create_async_engine(parse_database_url(POSTGRES_TEST_URL))
    try:
        async with engine.connect() as connection:
            exists = (
                await connection.execute(
                    text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND table_name = 'bookings'"),
                    {"s": schema},
                )
            ).scalar()
            if not exists:
                return 0
            return int((await connection.execute(text(f'SELECT count(*) FROM "{schema}".bookings'))).scalar() or 0)
    finally:
        await engine.dispose()


async def prepare(work: Path, revision: str, seed: int, fresh: bool) -> tuple[Path, list[str], list[str], int]:
    kb_root, places, routes = run.write_town(work) if fresh or not (work / "kb").exists() else _town(work)
    plan = load_municipality(kb_root / "shiomi" / "municipality.yaml").booking
    assert plan is not None
    written = await rows_in(SCHEMAS["head"])
    if fresh or not written:
        engine = create_async_engine(parse_database_url(POSTGRES_TEST_URL))
        async with engine.begin() as connection:
            for schema in SCHEMAS.values():
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await connection.execute(text(f'CREATE SCHEMA "{SCHEMAS["base"]}"'))
        await engine.dispose()
        written = await run.fill_year(schema_url(SCHEMAS["base"]), plan, places, routes, seed, revision=revision)
        await asyncio.to_thread(copy_schema, SCHEMAS["base"], SCHEMAS["head"])
    return kb_root, places, routes, written


def copy_schema(source: str, target: str) -> None:
    """``pg_dump`` of ``source`` restored as ``target`` (the names are ours and appear in no row)."""
    dump = subprocess.run(["pg_dump", "--no-owner", "-n", source, psql_url()], check=True, capture_output=True)
    copy = dump.stdout.decode().replace(f"{source}.", f"{target}.").replace(f"SCHEMA {source}", f"SCHEMA {target}")
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", psql_url()], input=copy.encode(), check=True)


def _town(work: Path) -> tuple[Path, list[str], list[str]]:
    data = load_municipality(work / "kb" / "shiomi" / "municipality.yaml")
    return work / "kb", [p.id for p in data.places], [str(r) for r in data.routes]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def one_run(
    variant: str, checkout: Path, work: Path, kb_root: Path, places: list[str], routes: list[str], args: Any
) -> dict[str, Any]:
    root = work / variant
    root.mkdir(exist_ok=True)
    env = run.server_env(root, schema_url(SCHEMAS[variant]), kb_root, "0" * 32)
    env["PYTHONPATH"] = str(checkout)
    command = (sys.executable, "-c", "from madoguchi.cli import main; main()")
    process, url = await run.start_server(root, env, command)
    town = load_municipality(kb_root / "shiomi" / "municipality.yaml")
    plan = town.booking
    town_hours = run.town_calendar(town)
    assert plan is not None
    open_days = run.weekdays_open(plan, town_hours)
    before = load()
    try:
        runs = [await run.drive(url, places, routes, open_days, 200, 100, args.seed + 7, 0.0, clients=1)]
        for think in (1.0, 0.0):
            runs.append(await run.drive(url, places, routes, open_days, args.searches, args.bookings, args.seed, think))
    finally:
        process.terminate()
        await process.wait()
    return {"variant": variant, "commit": commit(checkout), "load_before": before, "load_after": load(), "runs": runs}


def label(run_: dict[str, Any]) -> str:
    pause = f"{run_['think_s']:g} s pause" if run_["think_s"] else "no pause"
    return f"{run_['clients']} client{'s' if run_['clients'] > 1 else ''}, {pause}"


def write_section(result: dict[str, Any]) -> None:
    rounds = result["rounds"]
    lines = [
        MARK_BEGIN,
        "## Before and after (alternating runs, same data)",
        "",
        f"Run {result['at']} by `bench/booking/compare.py`: base = `{result['base_commit']}` (main before this "
        f"branch), head = `{result['head_commit']}` (this branch). {len(rounds) // 2} rounds, each starting a "
        "fresh `madoguchi serve` of one version, then of the other (the order alternates), on two copies of "
        f"one year of data ({result['bookings_in_db']:,} bookings). Per run: 1 client (200 searches, 100 "
        f"bookings), 50 clients with a 1 s mean pause and 50 with none ({result['searches']} searches, "
        f"{result['bookings']} bookings each). Each cell is the median over the rounds of that run's p50 / p95, "
        "in ms; the ratio is head / base of those medians (below 1: head is faster). Requests per second (median) say "
        "how much work each version got through; with no pause that is its throughput.",
        "",
        "| load | operation | base p50 | base p95 | head p50 | head p95 | ratio p50 | ratio p95 | base / head per s "
        "| target p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, first in enumerate(rounds[0]["runs"]):
        for op, target in (("search", run.TARGET_SEARCH_P95_MS), ("booking", run.TARGET_BOOKING_P95_MS)):
            cells: dict[str, dict[str, float]] = {}
            for variant in ("base", "head"):
                mine = [r["runs"][i][op] for r in rounds if r["variant"] == variant]
                cells[variant] = {q: statistics.median(m[q] for m in mine) for q in ("p50", "p95", "per_s")}
            b, h = cells["base"], cells["head"]
            verdict = "meets" if h["p95"] <= target else "**misses**"
            lines.append(
                f"| {label(first)} | {op} | {b['p50']:.1f} | {b['p95']:.1f} | {h['p50']:.1f} | {h['p95']:.1f} | "
                f"{h['p50'] / b['p50']:.2f} | {h['p95'] / b['p95']:.2f} | {b['per_s']:.0f} / {h['per_s']:.0f} | "
                f"≤ {target:.0f}: head {verdict} |"
            )
    lines += ["", "Every run, in order (p50 / p95 ms; load average 1/5/15 min before → after):", ""]
    lines += ["| # | version | load before → after | " + " | ".join(
        f"{label(r)} {op}" for r in rounds[0]["runs"] for op in ("search", "booking")
    ) + " |", "|---|---|---|" + "---|" * (2 * len(rounds[0]["runs"]))]  # fmt: skip
    for n, r in enumerate(rounds, 1):
        cells_ = [f"{x[op]['p50']:.0f} / {x[op]['p95']:.0f}" for x in r["runs"] for op in ("search", "booking")]
        version = f"{r['variant']} `{r['commit']}`" if "commit" in r else r["variant"]
        lines.append(f"| {n} | {version} | {r['load_before']} → {r['load_after']} | " + " | ".join(cells_) + " |")
    lines += ["", MARK_END]
    path = run.HERE / "RESULTS.md"
    current = path.read_text(encoding="utf-8")
    if MARK_BEGIN in current:
        head, _, rest = current.partition(MARK_BEGIN)
        _, _, tail = rest.partition(MARK_END)
        current = head.rstrip("\n") + "\n\n" + "\n".join(lines) + tail
    else:
        current = current.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    path.write_text(current, encoding="utf-8")


def commit(checkout: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="checkout of the version to compare against")
    parser.add_argument("--base-revision", default="0011_link_quality", help="the base's newest migration")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--searches", type=int, default=600)
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--work", type=Path, default=Path("/tmp/madoguchi-bench-compare"))
    parser.add_argument("--fresh", action="store_true", help="refill the data even if the schemas exist")
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--report-only", action="store_true", help="rewrite RESULTS.md from compare.json")
    parser.add_argument("--more", action="store_true", help="add the rounds to those in compare.json")
    args = parser.parse_args()
    if args.report_only:
        write_section(json.loads((run.HERE / "compare.json").read_text(encoding="utf-8")))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    kb_root, places, routes, written = await prepare(args.work, args.base_revision, args.seed, args.fresh)
    print(f"{written:,} bookings ready", file=sys.stderr)
    if args.prepare_only:
        return
    earlier = json.loads((run.HERE / "compare.json").read_text(encoding="utf-8")) if args.more else None
    rounds: list[dict[str, Any]] = earlier["rounds"] if earlier else []
    checkouts = {"base": args.base.resolve(), "head": REPO}
    for n in range(len(rounds) // 2, len(rounds) // 2 + args.rounds):
        for variant in ("base", "head") if n % 2 == 0 else ("head", "base"):
            result = await one_run(variant, checkouts[variant], args.work, kb_root, places, routes, args)
            print(json.dumps(result), file=sys.stderr)
            rounds.append(result)
    out = {
        "at": (earlier["at"].split(" to ")[0] + " to " if earlier else "")
        + dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "base_commit": commit(checkouts["base"]),
        "head_commit": commit(REPO),
        "bookings_in_db": written,
        "searches": args.searches,
        "bookings": args.bookings,
        "rounds": rounds,
    }
    (run.HERE / "compare.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    write_section(out)


if __name__ == "__main__":
    asyncio.run(main())
