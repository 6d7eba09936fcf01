"""What one counter operation costs at the live store, by the number of cases waiting: CPU, wall time, Redis bytes
and the queue updates it sends to residents.

Usage (repository root, the project's venv; Redis 127.0.0.1:6379):

    python bench/counter/run.py [--waiting 100 500 2000] [--reps 10] [--out results.json]

For each size a fresh Redis prefix is filled with that many waiting booth cases (six routes, one transaction) and
an agent on route ``tax``; then, ``--reps`` times, the cycle a counter lives by: a new case (appended at the end
of the queue), the agent accepting the case offered to them (the head of ``tax``), the resident hanging up and
the agent's wrap-up (which offers the next head). Each step is what :meth:`SignalingService.run` does: the store's
transaction, a read of the state, and the deliveries of :func:`dispatch.view_events` (only the residents' queue
updates are counted). ``cpu`` is this process's CPU time (``time.process_time``), so it survives a busy machine;
``redis`` the bytes sent to and received from Redis by the commands (arguments and replies, as Python sees them).

The same script runs against older code with ``PYTHONPATH`` set to an export of it (the tables in RESULTS.md).
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
from pathlib import Path
from typing import Any

from madoguchi.settings import Settings
from madoguchi.signaling import dispatch
from madoguchi.signaling.consultation import Channel, Disposition
from madoguchi.signaling.counter import AgentStatus, Counter, CounterConfig
from madoguchi.signaling.redis_store import RedisStore, connect_redis, delete_prefix
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import Facts

TOWN = "shiomi"
ROUTES = ("tax", "insurance_pension", "resident_records", "child_family", "transport_ferry", "general_inquiry")
REDIS = os.environ.get("MADOGUCHI_REDIS_URL", "redis://127.0.0.1:6379/0")


class Bytes:
    """Counts what the store's client sends and receives (arguments and replies as Python sees them)."""

    def __init__(self, client: Any) -> None:
        self.sent = 0
        self.received = 0
        original = client.execute_command

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.sent += sum(len(a) if isinstance(a, bytes | str) else 8 for a in args)
            reply = await original(*args, **kwargs)
            self.received += _size(reply)
            return reply

        client.execute_command = counted

    @property
    def total(self) -> int:
        return self.sent + self.received


def _size(value: Any) -> int:
    if isinstance(value, bytes | str):
        return len(value)
    if isinstance(value, list | tuple):
        return sum(_size(v) for v in value)
    return 8


def _open(counter: Counter, cid: str, route: str, now: float) -> None:
    counter.open(
        consultation_id=cid,
        municipality_id=TOWN,
        channel=Channel.BOOTH,
        resident=f"booth:{cid}",
        booth_id=cid,
        route=route,
        language="ja",
        now=now,
    )


async def measure(waiting: int, reps: int, settings: Settings) -> dict[str, Any]:
    prefix = f"bench-counter-{secrets.token_hex(4)}"
    client = connect_redis(REDIS)
    store = RedisStore(client, CounterConfig(), prefix=prefix)
    meter = Bytes(client)
    turn = TurnIssuer(settings)
    now = 1_800_000_000.0
    places = getattr(dispatch, "queue_places", None)  # the incremental version: only residents whose place moved

    def fill(counter: Counter) -> None:
        counter.agent_online(
            agent_id="a1", display_name="職員", municipality_ids=(TOWN,), routes=("tax",), languages=("ja",), now=now
        )
        for i in range(waiting):
            _open(counter, f"w{i:05d}", ROUTES[i % len(ROUTES)], now - (waiting - i) * 0.01)
        counter.discard_records([r.key for r in counter.state.outbox])

    try:
        await store.transact(fill)
        steps: dict[str, list[dict[str, float]]] = {"new": [], "accept": [], "close": [], "wrap_up": []}

        async def step(name: str, operation: Any) -> None:
            nonlocal now
            now += 1.0
            sent, received = meter.sent, meter.received
            wall, cpu = time.perf_counter(), time.process_time()

            def apply(counter: Counter) -> Any:
                before = places(counter) if places is not None else None
                operation(counter)
                counter.discard_records([r.key for r in counter.state.outbox])
                return before

            before, effects = await store.transact(apply)
            counter = await store.read()
            facts = Facts(now=now, turn=turn)
            if places is not None:
                out = dispatch.view_events(effects, counter, facts, before=before)
            else:
                out = dispatch.view_events(effects, counter, facts)
            updates = sum(1 for _audience, event in out if type(event).__name__ == "QueuePosition")
            steps[name].append(
                {
                    "cpu_ms": (time.process_time() - cpu) * 1000,
                    "wall_ms": (time.perf_counter() - wall) * 1000,
                    "redis_bytes": meter.sent - sent + meter.received - received,
                    "queue_updates": updates,
                }
            )

        await step("wrap_up", lambda c: c.set_status("a1", AgentStatus.AVAILABLE, now=now))  # the first offer
        steps["wrap_up"].clear()
        for r in range(reps):
            await step("new", lambda c, r=r: _open(c, f"n{r:05d}", "tax", now))
            offered = (await store.read()).current_for_agent("a1")
            assert offered is not None, "the agent has no offer"
            await step("accept", lambda c, cid=offered.id: c.accept("a1", cid, now=now))
            await step("close", lambda c, cid=offered.id, who=offered.resident: c.end(cid, participant=who, now=now))
            await step(
                "wrap_up",
                lambda c, cid=offered.id: c.wrap_up("a1", cid, disposition=Disposition.RESOLVED, note="", now=now),
            )
        stored = await client.hgetall(f"{prefix}:counter")  # type: ignore[misc]
        size = sum(len(k) + len(v) for k, v in stored.items())
        return {
            "waiting": waiting,
            "reps": reps,
            "stored_bytes": size,
            "steps": {
                name: {key: statistics.median(s[key] for s in rows) for key in rows[0]} for name, rows in steps.items()
            },
        }
    finally:
        await store.close()
        await delete_prefix(REDIS, prefix)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    settings = Settings(database_url="sqlite+aiosqlite:///:memory:")
    runs = []
    for waiting in args.waiting:
        result = await measure(waiting, args.reps, settings)
        result["load_avg"] = os.getloadavg()[0]
        runs.append(result)
        print(f"{args.label} waiting={waiting} load={result['load_avg']:.1f}", file=sys.stderr)
        for name, s in result["steps"].items():
            print(
                f"  {name:8} cpu {s['cpu_ms']:8.1f} ms  wall {s['wall_ms']:8.1f} ms  redis {s['redis_bytes']:>10,.0f} B"
                f"  queue updates {s['queue_updates']:6.0f}",
                file=sys.stderr,
            )
    if args.out is not None:
        existing = json.loads(args.out.read_text()) if args.out.exists() else []
        existing.append({"label": args.label, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": runs})
        args.out.write_text(json.dumps(existing, indent=1) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
