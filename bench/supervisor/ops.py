"""What one counter operation costs the server processes with 200 agents connected, by the number of waiting cases:
the in-process part of the end-to-end run (``e2e.py``), without sockets, browsers or a shared database.

Usage (repository root, the project's venv; Redis 127.0.0.1:6379):

    python bench/supervisor/ops.py [--waiting 500 2000] [--reps 5] [--out ops_results.json --label after]

The counter is the end-to-end run's: 200 agents of one town (every route, Japanese), 16 of them in calls and the
others away but connected, and N waiting booth cases over six routes and four languages. Then, ``--reps`` times,
the change the supervisor's page is timed on in ``e2e.py`` (a Japanese booth case appears, then is cancelled), each
as :meth:`SignalingService.run` does it: the store's transaction (``txn``: the operation, ``queue_places`` before
it, and finding what to write), a read, the facts read for the views (``facts``: booth names, counted as database
queries), and :func:`dispatch.view_events` (``views``). ``agent_bytes`` is what the deliveries write to agents'
sockets: each event's JSON times the agents it reaches (one event to a group of agents is written to each);
``resident_bytes`` the same for residents. A ``tick`` step: every waiting case past its overflow time in one
moment, as the timers run it. ``cpu`` is this process's CPU time (``time.process_time``), so it holds on a busy
machine; the same script runs against older code with ``PYTHONPATH`` set to an export of it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from madoguchi.settings import Settings
from madoguchi.signaling import dispatch
from madoguchi.signaling import redis_store as rs
from madoguchi.signaling.consultation import Channel
from madoguchi.signaling.counter import AgentStatus, Counter, CounterConfig
from madoguchi.signaling.lookups import DatabaseHealth, Lookups
from madoguchi.signaling.redis_store import RedisStore, connect_redis, delete_prefix
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.storage.booths import BoothRecord

TOWN = "shiomi"
ROUTES = ("tax", "insurance_pension", "resident_records", "child_family", "transport_ferry", "general_inquiry")
LANGUAGES = ("ja", "en", "vi", "zh")
REDIS = os.environ.get("MADOGUCHI_REDIS_URL", "redis://127.0.0.1:6379/0")
T0 = 1_800_000_000.0


class CountedBooths:
    """A booth directory that answers from memory and counts the queries a database would have answered."""

    def __init__(self) -> None:
        self.queries = 0

    def _record(self, booth_id: str) -> BoothRecord:
        import datetime as dt

        return BoothRecord(
            booth_id, TOWN, None, "郵便局", f"ブース {booth_id}", "", dt.datetime.now(dt.UTC), None, {"ja": "郵便局"}
        )

    async def get(self, booth_id: str) -> BoothRecord | None:
        self.queries += 1
        return self._record(booth_id)

    async def many(self, booth_ids: Any) -> dict[str, BoothRecord]:
        self.queries += 1
        return {b: self._record(b) for b in booth_ids}


class Nothing:
    async def get(self, _id: str) -> None:
        return None

    async def chat(self, _id: str) -> list[Any]:
        return []

    async def spec(self, _id: str) -> None:
        return None


def _size(event: Any) -> int:
    return len(event.model_dump_json())


def _reach(audience: Any) -> int:
    ids = getattr(audience, "agent_ids", None)
    return len(ids) if ids is not None else 1


def _is_agent(audience: Any) -> bool:
    return hasattr(audience, "agent_ids") or str(audience).startswith("agent:")


def _open(counter: Counter, cid: str, n: int, now: float, language: str | None = None) -> None:
    counter.open(
        consultation_id=cid,
        municipality_id=TOWN,
        channel=Channel.BOOTH,
        resident=f"booth:{cid}",
        booth_id=cid,
        route=ROUTES[n % len(ROUTES)],
        language=language or LANGUAGES[n % len(LANGUAGES)],
        to_person=True,
        now=now,
    )


async def measure(waiting: int, reps: int, agents: int, in_calls: int, settings: Settings) -> dict[str, Any]:
    prefix = f"bench-ops-{secrets.token_hex(4)}"
    client = connect_redis(REDIS)
    config = CounterConfig(offer_timeout_s=20.0, grace_period_s=30.0, interpreter_after_s=600.0)
    store = RedisStore(client, config, prefix=prefix)
    turn = TurnIssuer(settings)
    booths = CountedBooths()
    nothing = Nothing()
    lookups = Lookups(
        records=nothing,  # type: ignore[arg-type]
        chat_log=nothing,  # type: ignore[arg-type]
        booths=booths,  # type: ignore[arg-type]
        turn=turn,
        health=DatabaseHealth(),
    )
    now = T0
    timed: dict[str, float] = {}

    def timer(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            t = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                timed[name] = timed.get(name, 0.0) + time.process_time() - t

        return wrapped

    rs.entry_texts = timer("entry_texts", rs.entry_texts)  # type: ignore[assignment]
    places = timer("queue_places", dispatch.queue_places)

    def fill(counter: Counter) -> None:
        for i in range(agents):
            aid = f"a{i:03d}"
            counter.agent_online(
                agent_id=aid,
                display_name=f"職員{i}",
                municipality_ids=(TOWN,),
                routes=("*",),
                languages=("ja",),
                now=now,
            )
            counter.connection_opened(f"agent:{aid}", f"conn-{aid}", process_id="bench", now=now)
            counter.set_status(aid, AgentStatus.AVAILABLE, now=now)
        for i in range(in_calls):
            cid = f"busy{i}"
            _open(counter, cid, 0, now, language="ja")
            holder = counter.state.consultations[cid].agent_id
            assert holder is not None
            counter.accept(holder, cid, now=now)
        for agent in list(counter.state.agents.values()):
            if agent.consultation_id is None:
                counter.set_status(agent.id, AgentStatus.AWAY, now=now)
        for n in range(waiting):
            _open(counter, f"w{n:05d}", n, now - (waiting - n) * 0.5)
        counter.discard_records([r.key for r in counter.state.outbox])

    try:
        await store.transact(fill)
        await store.read()
        steps: dict[str, list[dict[str, float]]] = {"new": [], "cancel": [], "tick": []}
        reuse = hasattr(dispatch, "queue_changed")
        kept_places: list[Any] = [None, None]

        async def step(name: str, operation: Callable[[Counter], Any]) -> None:
            timed.clear()
            queries = booths.queries
            cpu = time.process_time()

            def apply(counter: Counter) -> Any:
                kept_version, kept = kept_places
                before = (
                    kept if kept is not None and kept_version == getattr(store, "version", None) else places(counter)
                )
                operation(counter)
                counter.discard_records([r.key for r in counter.state.outbox])
                return before

            before, effects = await store.transact(apply)
            txn = time.process_time() - cpu
            counter = await store.read()
            t = time.process_time()
            facts = await lookups.facts(counter, now=now)
            t_facts = time.process_time() - t
            t = time.process_time()
            if reuse:  # as SignalingService.run does since session 11: the places after, kept for the next operation
                after = dispatch.queue_places(counter) if dispatch.queue_changed(effects) else None
                kept_places[:] = [store.version, after]
                out = dispatch.view_events(effects, counter, facts, before=before, after=after)
            else:
                out = dispatch.view_events(effects, counter, facts, before=before)
            t_views = time.process_time() - t
            t = time.process_time()
            agent_bytes = sum(_size(e) * _reach(a) for a, e in out if _is_agent(a))
            resident_bytes = sum(_size(e) for a, e in out if not _is_agent(a))
            steps[name].append(
                {
                    "cpu_ms": (time.process_time() - cpu - (time.process_time() - t)) * 1000,
                    "txn_ms": txn * 1000,
                    "entry_texts_ms": timed.get("entry_texts", 0.0) * 1000,
                    "queue_places_ms": timed.get("queue_places", 0.0) * 1000,
                    "facts_ms": t_facts * 1000,
                    "views_ms": t_views * 1000,
                    "booth_queries": booths.queries - queries,
                    "agent_events": sum(_reach(a) for a, _e in out if _is_agent(a)),
                    "agent_bytes": agent_bytes,
                    "resident_bytes": resident_bytes,
                }
            )

        booths.queries = 0
        await lookups.facts(await store.read(), now=now)  # the process's first look: every booth once
        first_queries = booths.queries
        for r in range(reps):
            now += 1.0
            cid = f"n{r:05d}"
            await step("new", lambda c, cid=cid, at=now: _open(c, cid, 0, at, language="ja"))
            now += 1.0
            await step("cancel", lambda c, cid=cid, at=now: c.cancel(cid, resident=f"booth:{cid}", now=at))
        # the overflow moment of every waiting case passed: the timers' one tick
        now = T0 + 601.0
        await step("tick", lambda c: c.tick(now))
        return {
            "waiting": waiting,
            "agents": agents,
            "in_calls": in_calls,
            "reps": reps,
            "first_facts_booth_queries": first_queries,
            "steps": {
                name: {key: statistics.median(s[key] for s in rows) for key in rows[0]}
                for name, rows in steps.items()
                if rows
            },
        }
    finally:
        await store.close()
        await delete_prefix(REDIS, prefix)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--waiting", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--in-calls", type=int, default=16)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    settings = Settings(database_url="sqlite+aiosqlite:///:memory:")
    runs = []
    for waiting in args.waiting:
        load_before = os.getloadavg()[0]
        result = await measure(waiting, args.reps, args.agents, args.in_calls, settings)
        result["load_avg"] = [load_before, os.getloadavg()[0]]
        runs.append(result)
        print(f"{args.label} waiting={waiting} load={load_before:.1f}->{os.getloadavg()[0]:.1f}", file=sys.stderr)
        print(f"  first facts: {result['first_facts_booth_queries']} booth queries", file=sys.stderr)
        for name, s in result["steps"].items():
            print(
                f"  {name:7} cpu {s['cpu_ms']:7.1f} ms (txn {s['txn_ms']:6.1f}, entry_texts {s['entry_texts_ms']:5.1f},"
                f" places {s['queue_places_ms']:5.1f}, facts {s['facts_ms']:5.1f}, views {s['views_ms']:6.1f})"
                f"  booth q {s['booth_queries']:4.0f}  to agents {s['agent_events']:4.0f} ev"
                f" {s['agent_bytes'] / 1024:9.1f} KB  to residents {s['resident_bytes'] / 1024:7.1f} KB",
                file=sys.stderr,
            )
    if args.out is not None:
        existing = json.loads(args.out.read_text()) if args.out.exists() else []
        existing.append({"label": args.label, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": runs})
        args.out.write_text(json.dumps(existing, indent=1) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
