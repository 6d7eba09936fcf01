"""Triage benchmark: route accuracy, urgent/handoff recall and latency, without an LLM.

Scores every retrieval option on the project's own labelled set (bench/data/triage_eval.jsonl) and, when
present, on the shared dev sample (read at run time, never copied into the repo), then writes
bench/triage/RESULTS.md. A held-out check: the eval set was written independently of the knowledge base.

    /work/venv/bin/python bench/triage/run.py [--dev ../shared/triage_dev.jsonl] [--no-write]
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.evaluation import EvalReport, evaluate, format_report, read_labelled
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.retrieval import RETRIEVERS

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "bench" / "data" / "triage_eval.jsonl"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _row(name: str, option: str, report: EvalReport) -> str:
    def f(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    return (
        f"| {name} | {option} | {report.n} | {f(report.route_accuracy)} | {f(report.urgent_recall)} | "
        f"{f(report.handoff_recall)} | {f(report.handoff_precision)} | {report.latency_ms_p50:.2f} | "
        f"{report.latency_ms_p95:.2f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "triage_dev.jsonl")
    parser.add_argument("--kb-dir", type=Path, default=bundled_kb_dir())
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    kb = load_knowledge_base(args.kb_dir)
    load_s = time.perf_counter() - started
    sets = [("own eval set", read_labelled(EVAL))]
    if args.dev.is_file():
        sets.append(("shared dev sample", read_labelled(args.dev)))

    rows: list[str] = []
    chosen_reports: list[tuple[str, EvalReport]] = []
    default = EngineConfig()
    for option in RETRIEVERS:
        built = time.perf_counter()
        engine = TriageEngine(kb, replace(default, retriever=option))
        build_ms = (time.perf_counter() - built) * 1000
        for name, data in sets:
            for row in data[:20]:  # warm-up
                engine.triage(row.text)
            gc.collect()
            report = evaluate(engine.triage, data)
            rows.append(_row(name, option, report))
            if option == default.retriever:
                chosen_reports.append((name, report))
        print(f"{option}: index built in {build_ms:.0f} ms", file=sys.stderr)

    text = [
        "# Triage benchmark",
        "",
        "Written by `bench/triage/run.py` (no LLM). Knowledge base: "
        f"`{args.kb_dir.relative_to(ROOT) if args.kb_dir.is_relative_to(ROOT) else args.kb_dir}`, "
        f"{len(kb.entries)} entries, loaded and validated in {load_s * 1000:.0f} ms. "
        f"Machine: {platform.machine()}, Python {platform.python_version()}.",
        "",
        "Latency is per utterance through the whole `TriageEngine.triage` (masking, normalisation, rules, "
        "retrieval, decision).",
        "",
        "| set | retriever | n | route acc | urgent recall | handoff recall | handoff precision | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Default retriever: `{default.retriever}`.",
        "",
    ]
    for name, report in chosen_reports:
        text += [f"## {name} — `{default.retriever}`", "", "```", format_report(report), "```", ""]
    output = "\n".join(text)
    print(output)
    if not args.no_write:
        RESULTS.write_text(output, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
