"""Latency and start-up of the triage engine with its trained model, in CPU time (the machine's two cores are
shared, so wall-clock measures the other jobs): imports, the model from its cache (trained now when there is
none), the engine built; then ``TriageEngine.triage`` over the own eval set and the shared dev sample, twice.

    .venv/bin/python bench/triage/latency.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETS = (ROOT / "bench" / "data" / "triage_eval.jsonl", Path("/work/shared/triage_dev.jsonl"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    cpu, wall = time.process_time(), time.perf_counter()
    from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
    from madoguchi.chatbot.model_store import load_or_train
    from madoguchi.chatbot.service import build_engine

    imported = time.process_time()
    kb = load_knowledge_base(bundled_kb_dir())
    load_cpu, load_wall = time.process_time(), time.perf_counter()
    model = load_or_train(kb, kb_dir=bundled_kb_dir(), cache_dir=None)
    model_cpu, model_wall = time.process_time() - load_cpu, time.perf_counter() - load_wall
    engine = build_engine()  # the model again from this process's memory; the retrieval index and weight tables
    started_cpu, started_wall = time.process_time() - cpu, time.perf_counter() - wall
    texts = [
        json.loads(line)["text"]
        for path in SETS
        if path.is_file()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    times: list[float] = []
    for _ in range(args.rounds):
        for text in texts:
            before = time.process_time()
            engine.triage(text)
            times.append(1000 * (time.process_time() - before))
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(
        f"model {model.info.get('corpus_examples')} corpus lines, version in cache key; "
        f"imports {1000 * (imported - cpu):.0f} ms CPU; model from cache (or trained) {1000 * model_cpu:.0f} ms CPU, "
        f"{1000 * model_wall:.0f} ms wall; engine started in {started_cpu:.1f} s CPU, {started_wall:.1f} s wall"
    )
    median = statistics.median(times)
    print(f"{len(times)} triages: p50 {median:.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.2f} ms (CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
