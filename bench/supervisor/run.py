"""Time one supervisor update for a big counter: 200 agents (all in calls) and 2,000 waiting cases.

Usage: python bench/supervisor/run.py [--agents 200] [--waiting 2000] [--reps 50]

What one update of the ``/supervisor`` view costs the process that sends it, measured on the pure parts: the
view of the whole town with its alarms (``supervisor_view``: queue with positions, every agent, booths, alarms
incl. stranded checks against every agent) and its JSON for the socket. The live store read from Redis, the
Socket.IO emit, the browser and the relay comparison are in ``e2e.py`` beside this file (see RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from madoguchi.domain.opening_hours import HoursSpec, hours_of
from madoguchi.signaling.consultation import Channel
from madoguchi.signaling.counter import AgentStatus, Counter, CounterConfig, CounterState
from madoguchi.signaling.supervision import BoothInfo, SupervisionRules, TodayFigures, supervisor_view

TOWN = "shiomi"
ROUTES = ("tax", "pension", "residence", "welfare", "transport_ferry", "general_inquiry")


def build(agents: int, waiting: int) -> Counter:
    counter = Counter(CounterState(), CounterConfig(offer_timeout_s=20.0, grace_period_s=30.0))
    now = 1_800_000_000.0
    for i in range(agents):
        agent_id = f"a{i:03d}"
        routes = ("*",) if i % 4 else (ROUTES[i % len(ROUTES)],)
        counter.agent_online(
            agent_id=agent_id,
            display_name=f"職員{i}",
            municipality_ids=(TOWN,),
            routes=routes,
            languages=("ja",),
            now=now,
        )
        counter.set_status(agent_id, AgentStatus.AVAILABLE, now=now)
        cid = f"busy{i}"
        counter.open(
            consultation_id=cid,
            municipality_id=TOWN,
            channel=Channel.BOOTH,
            resident=f"booth:{cid}",
            booth_id=cid,
            route=routes[0] if routes[0] != "*" else "tax",
            language="ja",
            urgent=False,
            to_person=True,
            now=now,
        )
        holder = counter.state.consultations[cid].agent_id
        if holder is not None:
            counter.accept(holder, cid, now=now)
    for n in range(waiting):
        cid = f"w{n}"
        counter.open(
            consultation_id=cid,
            municipality_id=TOWN,
            channel=Channel.BOOTH if n % 3 else Channel.CHAT,
            resident=f"booth:{cid}" if n % 3 else f"resident:{cid}",
            booth_id=cid if n % 3 else None,
            route=ROUTES[n % len(ROUTES)],
            language=("ja", "en", "vi", "zh")[n % 4],
            urgent=n % 50 == 0,
            to_person=True,
            now=now + n * 0.5,
        )
    counter.effects.clear()
    return counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--waiting", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args()
    counter = build(args.agents, args.waiting)
    queued = sum(1 for c in counter.queue() if c.municipality_id == TOWN)
    booths = [BoothInfo(f"b{i}", f"ブース{i}", "郵便局") for i in range(20)]
    spec = HoursSpec(weekly=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "00:00-24:00"))
    rules = SupervisionRules(hours=hours_of(spec))
    now = 1_800_000_000.0 + args.waiting * 0.5 + 30
    view_s, json_s, sizes = [], [], []
    for rep in range(args.reps + 1):
        t0 = time.perf_counter()
        snapshot = supervisor_view(counter, TOWN, now + rep, booths=booths, today=TodayFigures(), rules=rules)
        t1 = time.perf_counter()
        body = snapshot.model_dump_json()
        t2 = time.perf_counter()
        if rep:
            view_s.append(t1 - t0)
            json_s.append(t2 - t1)
            sizes.append(len(body))
    total = sorted(v + j for v, j in zip(view_s, json_s, strict=True))
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}",
        "agents": args.agents,
        "waiting": queued,
        "alerts": len(snapshot.alerts),
        "reps": args.reps,
        "view_median_ms": statistics.median(view_s) * 1000,
        "json_median_ms": statistics.median(json_s) * 1000,
        "total_p50_ms": statistics.median(total) * 1000,
        "total_p95_ms": total[max(0, int(0.95 * len(total)) - 1)] * 1000,
        "snapshot_kb": statistics.median(sizes) / 1024,
    }
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
