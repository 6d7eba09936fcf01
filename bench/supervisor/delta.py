"""What one supervisor update costs the process that sends it, whole view against delta (session 12).

Usage: python bench/supervisor/delta.py [--agents 200] [--waiting 2000] [--booths 2201] [--reps 30]

The town of ``e2e.py`` at 2,000 waiting, in process: 200 agents (in calls), 2,000 waiting cases, 2,201 booths all
connected. Between two updates one case comes or goes (the e2e change). Per update, on the pure parts:

- **whole** (sessions ≤ 11): the view listing every booth (``BOOTH_ROWS`` lifted) and its JSON, sent each time;
- **delta** (session 12): the view with the booth list cut (``BOOTH_ROWS``), the delta from the view sent before
  (``supervisor_delta``) and the delta's JSON.

The live store's read, the database parts (kept and re-read behind), Socket.IO and the page are in ``e2e.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from run import TOWN, build  # bench/supervisor/run.py: the same counter

import madoguchi.signaling.supervision as supervision
from madoguchi.domain.opening_hours import HoursSpec, hours_of
from madoguchi.signaling.consultation import Channel
from madoguchi.signaling.supervision import BoothInfo, SupervisionRules, TodayFigures, supervisor_view
from madoguchi.signaling.supervisor_delta import supervisor_delta

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--waiting", type=int, default=2000)
    parser.add_argument("--booths", type=int, default=2201)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--json", type=Path, default=HERE / "delta_results.json")
    args = parser.parse_args()
    counter = build(args.agents, args.waiting)
    booths = [BoothInfo(f"b{i}", f"ブース{i}", f"郵便局{i % 40}") for i in range(args.booths)]
    for b in booths:
        counter.connection_opened(f"booth:{b.id}", f"p:{b.id}", process_id="p", now=1_800_000_000.0)
    spec = HoursSpec(weekly=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "00:00-24:00"))
    rules = SupervisionRules(hours=hours_of(spec))
    now = 1_800_000_000.0 + args.waiting * 0.5 + 30

    def change(prefix: str, rep: int) -> None:  # one case comes (odd reps) or goes (even reps), as e2e's changer does
        cid = f"{prefix}{(rep - 1) // 2}"
        if rep % 2 == 1:
            counter.open(
                consultation_id=cid,
                municipality_id=TOWN,
                channel=Channel.BOOTH,
                resident=f"booth:{cid}",
                booth_id=cid,
                route="transport_ferry",
                language="ja",
                urgent=False,
                to_person=True,
                now=now + rep,
            )
        else:
            counter.cancel(cid, resident=f"booth:{cid}", now=now + rep)
        counter.effects.clear()

    def view(rep: int) -> supervision.SupervisorSnapshot:
        return supervisor_view(counter, TOWN, now + rep, booths=booths, today=TodayFigures(), rules=rules)

    rows = supervision.BOOTH_ROWS
    times: dict[str, list[float]] = {"whole": [], "delta": []}
    sizes: dict[str, list[int]] = {"whole": [], "delta": []}
    sent = view(0)
    for rep in range(1, args.reps + 1):
        change("c", rep)
        # both ways on the same counter, in turns (the shared machine's load moves by the minute)
        for mode in ("whole", "delta") if rep % 2 else ("delta", "whole"):
            supervision.BOOTH_ROWS = rows if mode == "delta" else 10**9
            t0 = time.perf_counter()
            built = view(rep)
            if mode == "whole":
                body = built.model_dump_json()
            else:
                delta = supervisor_delta(sent, built, base=rep, version=rep + 1)
                body = "" if delta is None else delta.model_dump_json(exclude_unset=True)
                sent = built
            times[mode].append(time.perf_counter() - t0)
            sizes[mode].append(len(body.encode()))
    supervision.BOOTH_ROWS = rows
    results = {}
    for mode, spent in times.items():
        spent.sort()
        results[mode] = {
            "update_p50_ms": round(statistics.median(spent) * 1000, 1),
            "update_p95_ms": round(spent[max(0, int(0.95 * len(spent)) - 1)] * 1000, 1),
            "sent_kb_median": round(statistics.median(sizes[mode]) / 1024, 2),
        }
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}",
        "agents": args.agents,
        "waiting": args.waiting,
        "booths": args.booths,
        "reps": args.reps,
        **results,
    }
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
