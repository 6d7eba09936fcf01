"""Fill a PostgreSQL schema of its own with a year of consultations for the reports benchmark.

Usage: python bench/reports/generate.py [--rows 1000000] [--schema bench_reports] [--url postgresql://...]

The schema is dropped and created again, migrated with Madoguchi's own migrations, and filled with one town
(5 booths in 3 places, 20 agents) and ``--rows`` consultations spread over the 365 days before today (Japan
time): weekdays busier than weekends, office hours busier than the night, 60 % booth requests and 40 % web
chats (half of those finished by the bot). Each handed-over chat also gets its ``handoff`` event, which the
report query reads; other event rows are not generated (the query never reads them, and the handoff lookup is
an index probe by consultation id). Rows go in with COPY, in batches of 50,000, day by day in time order, as a
real counter appends them (a table filled in random order would scatter each range over the whole heap).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.storage.db import open_database

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
JST = ZoneInfo("Asia/Tokyo")
BATCH = 50_000
HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 1, 2, 6, 12, 14, 13, 8, 11, 13, 12, 9, 5, 3, 2, 2, 1, 1, 0]
DAY_WEIGHTS = [10, 9, 9, 9, 10, 3, 1]  # Monday first
CONSULTATION_COLUMNS = [
    "id", "municipality_id", "channel", "booth_id", "resident_ref", "route", "language", "urgent", "state",
    "agent_id", "requested_at", "offered_at", "answered_at", "ended_at", "wrapped_up_at", "closed_at",
    "end_reason", "disposition", "note", "triage", "summary", "updated_at",
]  # fmt: skip
EVENT_COLUMNS = ["consultation_id", "at", "kind", "state", "detail", "record_key"]


def cumulative(weights: list[int]) -> list[int]:
    total, out = 0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


HOURS = cumulative(HOUR_WEIGHTS)


def one_case(n: int, rng: random.Random, requested: datetime, booths: list[str], agents: list[str]) -> tuple[Any, Any]:
    chat = rng.random() < 0.4
    route = rng.choice(ROUTE_IDS)
    cid = f"c{n:08d}"
    row: dict[str, Any] = dict.fromkeys(CONSULTATION_COLUMNS)
    row.update(
        id=cid,
        municipality_id="shiomi",
        channel="chat" if chat else "booth",
        booth_id=None if chat else rng.choice(booths),
        resident_ref=f"resident:{cid}" if chat else None,
        route=route,
        language="ja",
        urgent=rng.random() < 0.02,
        requested_at=requested,
    )
    event = None
    queued = requested
    if chat:
        if rng.random() < 0.5:  # the bot finished it
            gone = requested + timedelta(seconds=rng.uniform(30, 600))
            row.update(state="abandoned", closed_at=gone, end_reason="cancelled", updated_at=gone)
            return row, None
        queued = requested + timedelta(seconds=rng.uniform(30, 600))
        event = (cid, queued, "handoff", "waiting", json.dumps({"route": route}), f"{cid}:1")
    outcome = rng.random()
    wait = rng.expovariate(1 / 90)
    if outcome < 0.12:  # left while waiting (a fifth of them within 10 s)
        gone = queued + timedelta(seconds=rng.uniform(0, 10) if rng.random() < 0.2 else wait)
        row.update(state="abandoned", closed_at=gone, end_reason="cancelled", updated_at=gone)
        return row, event
    answered = queued + timedelta(seconds=wait)
    ended = answered + timedelta(seconds=rng.uniform(120, 900))
    agent = rng.choice(agents)
    row.update(agent_id=agent, offered_at=answered, answered_at=answered, ended_at=ended, end_reason="hangup")
    if outcome < 0.13:
        row.update(state="interrupted", closed_at=ended, end_reason="interrupted", updated_at=ended)
        return row, event
    done = ended + timedelta(seconds=rng.uniform(20, 240))
    row.update(state="closed", wrapped_up_at=done, closed_at=done, disposition="resolved", note="", updated_at=done)
    return row, event


async def prepare_schema(url: str, schema: str) -> tuple[list[str], list[str]]:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
    finally:
        await connection.close()
    db = await open_database(f"postgresql+asyncpg://{url.split('://', 1)[1]}?search_path={schema}")
    await db.close()
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    now = datetime.now(UTC)
    try:
        await connection.execute(
            "INSERT INTO municipalities VALUES ('shiomi', '汐見町', 'Shiomi Town');"
            "INSERT INTO places VALUES ('honcho', 'shiomi', '本庁', 'main_office'),"
            " ('post', 'shiomi', '汐見郵便局', 'post_office'), ('nagi', 'shiomi', '凪島公民館', 'community_centre')"
        )
        booths = [f"b_bench{i}" for i in range(5)]
        for i, booth in enumerate(booths):
            await connection.execute(
                "INSERT INTO booths (id, municipality_id, place_id, name, location, token_hash, created_at)"
                " VALUES ($1, 'shiomi', $2, $3, '', $4, $5)",
                booth,
                ("post", "nagi", "post", "nagi", "honcho")[i],
                f"ブース{i + 1}",
                f"{i:064d}",
                now,
            )
        agents = [f"u_bench{i:02d}" for i in range(20)]
        for agent in agents:
            await connection.execute(
                "INSERT INTO staff (id, username, display_name, password_hash, role, routes, languages, created_at,"
                " disabled) VALUES ($1, $1, $1, 'x', 'agent', '[\"*\"]', '[\"ja\"]', $2, false)",
                agent,
                now,
            )
            await connection.execute("INSERT INTO staff_municipalities VALUES ($1, 'shiomi')", agent)
    finally:
        await connection.close()
    return booths, agents


async def fill(url: str, schema: str, rows: int, seed: int) -> None:
    started = time.perf_counter()
    booths, agents = await prepare_schema(url, schema)
    rng = random.Random(seed)
    today = datetime.now(JST).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=365)
    connection = await asyncpg.connect(url, server_settings={"search_path": schema})
    generating = copying = 0.0
    weights = [DAY_WEIGHTS[(start + timedelta(days=d)).weekday()] for d in range(365)]
    per_day = [rows * w // sum(weights) for w in weights]
    per_day[-1] += rows - sum(per_day)
    pending: list[tuple[Any, Any]] = []
    written = 0

    async def flush() -> None:
        nonlocal copying, written
        t1 = time.perf_counter()
        records = [tuple(row[c] for c in CONSULTATION_COLUMNS) for row, _ in pending]
        events = [event for _, event in pending if event is not None]
        await connection.copy_records_to_table("consultations", records=records, columns=CONSULTATION_COLUMNS)
        await connection.copy_records_to_table("consultation_events", records=events, columns=EVENT_COLUMNS)
        copying += time.perf_counter() - t1
        written += len(records)
        pending.clear()
        print(f"  {written:>9,} rows ({time.perf_counter() - started:.0f} s)", flush=True)

    try:
        for day, count in enumerate(per_day):
            t0 = time.perf_counter()
            # a day's requests in time order, as a real counter appends them
            moments = sorted(
                start
                + timedelta(days=day, hours=rng.choices(range(24), cum_weights=HOURS)[0], seconds=rng.uniform(0, 3600))
                for _ in range(count)
            )
            first = written + len(pending)
            pending.extend(one_case(first + i, rng, moment, booths, agents) for i, moment in enumerate(moments))
            generating += time.perf_counter() - t0
            if len(pending) >= BATCH:
                await flush()
        if pending:
            await flush()
        await connection.execute("ANALYZE")
        count = await connection.fetchval("SELECT count(*) FROM consultations")
        events_count = await connection.fetchval("SELECT count(*) FROM consultation_events")
    finally:
        await connection.close()
    total = time.perf_counter() - started
    print(
        f"{count:,} consultations and {events_count:,} handoff events in schema {schema}: {total:.0f} s "
        f"(generating {generating:.0f} s, COPY {copying:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--schema", default="bench_reports")
    parser.add_argument("--url", default=DEFAULT_URL, help="PostgreSQL server (asyncpg form)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    asyncio.run(fill(args.url, args.schema, args.rows, args.seed))


if __name__ == "__main__":
    main()
