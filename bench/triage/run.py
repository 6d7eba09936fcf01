"""Triage benchmark: route accuracy, urgent and handoff recall, false alarms, the danger-question rate,
latency and model cost, without an LLM.

Sets: the corpus test split (``bench/data/triage_corpus/test.jsonl``, written by three independent writers,
never used for tuning), leave-one-writer-out over the whole corpus (train on two writers' lines, test on the
third: the harder, honest number), the project's own set (``bench/data/triage_eval.jsonl``) and, when
present, the shared dev sample (read at run time, evaluation only, never copied into the repo). Engines:
"before" (the engine at ``--before`` commit, run from a ``git archive`` copy), "lexicons + retrieval" (this
engine without the trained model) and "trained model" (the default). Writes bench/triage/RESULTS.md.

    .venv/bin/python bench/triage/run.py [--dev ../shared/triage_dev.jsonl] [--before ee4029f] [--no-write]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from madoguchi.chatbot.engine import TriageEngine
from madoguchi.chatbot.evaluation import EvalReport, LabelledUtterance, evaluate, format_report, read_labelled
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.model import Example, train
from madoguchi.chatbot.model_store import TRAIN_FILE, read_examples

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "bench" / "data" / "triage_eval.jsonl"
TEST = ROOT / "bench" / "data" / "triage_corpus" / "test.jsonl"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

# Run inside a copy of the old tree: prints one JSON line of predictions per input line.
_BEFORE_SCRIPT = """
import json, sys
from madoguchi.chatbot.engine import TriageEngine
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
engine = TriageEngine(load_knowledge_base(bundled_kb_dir()))
for line in sys.stdin:
    r = engine.triage(json.loads(line)["text"])
    print(json.dumps({"route": r.route.value, "urgent": r.urgent, "handoff": r.handoff}))
"""


def _f(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _pct(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.1f} %)" if whole else "n/a"


def _row(name: str, engine: str, r: EvalReport, latency: bool = True) -> str:
    lat = f"{r.latency_ms_p50:.2f} | {r.latency_ms_p95:.2f}" if latency else "– | –"
    return (
        f"| {name} | {engine} | {r.n} | {_f(r.route_accuracy)} | {_f(r.safety_recall)} | {_f(r.urgent_recall)} | "
        f"{_pct(r.false_urgent, r.non_urgent)} | {_pct(r.safety_checks, r.non_urgent)} | {_f(r.handoff_recall)} | "
        f"{_f(r.handoff_precision)} | {lat} |"
    )


def _before_row(name: str, rows: Sequence[LabelledUtterance], predictions: list[dict[str, object]]) -> str:
    n = len(rows)
    urgent = [p for r, p in zip(rows, predictions, strict=True) if r.urgent]
    calm = [p for r, p in zip(rows, predictions, strict=True) if not r.urgent]
    handoff = [p for r, p in zip(rows, predictions, strict=True) if r.handoff]
    flagged = [(r, p) for r, p in zip(rows, predictions, strict=True) if p["handoff"]]
    acc = sum(p["route"] == r.route.value for r, p in zip(rows, predictions, strict=True)) / n
    u_recall = sum(bool(p["urgent"]) for p in urgent) / len(urgent) if urgent else None
    false = sum(bool(p["urgent"]) for p in calm)
    h_recall = sum(bool(p["handoff"]) for p in handoff) / len(handoff) if handoff else None
    h_precision = sum(r.handoff for r, _p in flagged) / len(flagged) if flagged else None
    return (
        f"| {name} | before | {n} | {_f(acc)} | {_f(u_recall)} | {_f(u_recall)} | {_pct(false, len(calm))} | "
        f"0 (0.0 %) | {_f(h_recall)} | {_f(h_precision)} | – | – |"
    )


def _run_before(commit: str, sets: dict[str, list[LabelledUtterance]]) -> dict[str, list[dict[str, object]]]:
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "madoguchi"], check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        out: dict[str, list[dict[str, object]]] = {}
        for name, rows in sets.items():
            done = subprocess.run(
                [sys.executable, "-c", _BEFORE_SCRIPT],
                input="\n".join(json.dumps({"text": r.text}, ensure_ascii=False) for r in rows) + "\n",
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": tmp},
                cwd=tmp,
            )
            out[name] = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return out


def _examples(rows: Sequence[dict[str, object]]) -> list[Example]:
    return [
        Example(
            text=str(r["text"]),
            route=str(r["route"]),
            urgent=bool(r["urgent"]),
            handoff=bool(r["handoff"]),
            lang=str(r["lang"]),
        )
        for r in rows
    ]


def _labelled(rows: Sequence[dict[str, object]]) -> list[LabelledUtterance]:
    return [LabelledUtterance.model_validate(r) for r in rows]


def _warm(engine: TriageEngine, rows: Sequence[LabelledUtterance]) -> None:
    for row in rows[:30]:
        engine.triage(row.text)
    gc.collect()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=ROOT.parent.parent / "shared" / "triage_dev.jsonl")
    parser.add_argument("--before", default="ee4029f", help="commit of the engine to compare with ('' = skip)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not args.dev.is_file():
        args.dev = Path("/work/shared/triage_dev.jsonl")

    started = time.perf_counter()
    kb = load_knowledge_base(bundled_kb_dir())
    kb_seconds = time.perf_counter() - started
    sets: dict[str, list[LabelledUtterance]] = {
        "corpus test split": read_labelled(TEST),
        "own eval set": read_labelled(EVAL),
    }
    if args.dev.is_file():
        sets["shared dev sample"] = read_labelled(args.dev)

    started = time.perf_counter()
    model = train(read_examples(TRAIN_FILE), kb)
    train_seconds = time.perf_counter() - started
    blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    started = time.perf_counter()
    pickle.loads(blob)
    load_seconds = time.perf_counter() - started

    engines = {"lexicons + retrieval": TriageEngine(kb), "trained model": TriageEngine(kb, model=model)}
    started = time.perf_counter()
    TriageEngine(kb, model=pickle.loads(blob))
    engine_seconds = time.perf_counter() - started
    # CPU time per utterance: what the engine costs, apart from other jobs on this shared machine.
    cpu: dict[str, EvalReport] = {}
    for engine_name, engine in engines.items():
        _warm(engine, sets["corpus test split"])
        cpu[engine_name] = evaluate(engine.triage, sets["corpus test split"], clock=time.process_time)
    reports: dict[tuple[str, str], EvalReport] = {}
    for engine_name, engine in engines.items():
        for set_name, rows in sets.items():
            _warm(engine, rows)
            reports[(set_name, engine_name)] = evaluate(engine.triage, rows)
            print(f"{set_name} / {engine_name}: {reports[(set_name, engine_name)].route_accuracy}", file=sys.stderr)

    before = _run_before(args.before, sets) if args.before else {}

    # Leave one writer out: the whole corpus (both splits), one writer held out at a time.
    corpus_rows = [
        json.loads(line)
        for path in (TRAIN_FILE, TEST)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    writers = sorted({str(r["writer"]) for r in corpus_rows})
    lowo: list[tuple[str, EvalReport, EvalReport]] = []
    for writer in writers:
        held = [r for r in corpus_rows if r["writer"] == writer]
        fitted = train(_examples([r for r in corpus_rows if r["writer"] != writer]), kb)
        rows = _labelled(held)
        lowo.append(
            (
                writer,
                evaluate(TriageEngine(kb, model=fitted).triage, rows),
                evaluate(engines["lexicons + retrieval"].triage, rows),
            )
        )
        print(f"leave out {writer}: {lowo[-1][1].route_accuracy}", file=sys.stderr)

    header = (
        "| set | engine | n | route acc | urgent recall (with question) | urgent at once | false urgent "
        "| question on non-urgent | handoff recall | handoff precision | p50 ms | p95 ms |"
    )
    text = [
        "# Triage benchmark",
        "",
        "Written by `bench/triage/run.py` (no LLM). Knowledge base: `madoguchi/chatbot/data/shiomi`, "
        f"{len(kb.entries)} entries, loaded and validated in {kb_seconds * 1000:.0f} ms. "
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs, "
        f"Python {platform.python_version()}.",
        "",
        f"Trained model: {model.info['corpus_examples']} corpus training lines + "
        f"{model.info['examples'] - model.info['corpus_examples']} knowledge-base phrasings, "
        f"{model.info['features']} features; trained in {train_seconds:.1f} s, loaded from its cache file in "
        f"{load_seconds * 1000:.0f} ms ({len(blob) / 1e6:.1f} MB); an engine with it starts in "
        f"{engine_seconds * 1000:.0f} ms (loading and compiling the weights). Danger thresholds (SVM margin) "
        f"{model.info.get('urgent_thresholds')}, handoff threshold {model.info.get('handoff_threshold')}.",
        "",
        "*urgent recall (with question)* counts an urgent line as caught when the bot made it urgent or asked the "
        "danger question (the target is 1.0); *urgent at once* only the first. *false urgent* and *question on "
        "non-urgent* are counted over the non-urgent lines (targets ≤ 3 % and ≤ 5 %). Latency is per utterance "
        "through the whole `TriageEngine.triage` on a shared, busy machine.",
        "",
        "CPU time per utterance on the corpus test split (the engine's own cost, without waiting for the "
        "other jobs on this machine): "
        + "; ".join(f"{name} p50 {r.latency_ms_p50:.2f} ms, p95 {r.latency_ms_p95:.2f} ms" for name, r in cpu.items())
        + ". The wall-clock columns below include that waiting. Model selection (on a validation part of the "
        "training split, never the test split): `bench/triage/SELECTION.md`.",
        "",
        header,
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for set_name, rows in sets.items():
        if set_name in before:
            text.append(_before_row(set_name, rows, before[set_name]))
        for engine_name in engines:
            text.append(_row(set_name, engine_name, reports[(set_name, engine_name)]))
    text += [
        "",
        "## Leave one writer out",
        "",
        "The model trained on two writers' lines (both splits) plus the knowledge base, tested on all lines of the "
        'third writer; "lexicons + retrieval" has no training and is shown for the same lines. The writers '
        "covered different languages: batch_1 ja/easy-ja/en, batch_2 ja/easy-ja/ko, batch_3 ja/en/zh/vi/pt/tl/ne, "
        "so holding out batch_3 also tests languages with no training line at all (tl and ne have no "
        "knowledge-base phrasing either): the lower bound of what the model does with a new language.",
        "",
        header,
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for writer, trained, plain in lowo:
        text.append(_row(f"held out: {writer}", "trained model", trained, latency=False))
        text.append(_row(f"held out: {writer}", "lexicons + retrieval", plain, latency=False))
    text += ["", "## Per language (trained model)", ""]
    languages = sorted({lang for (s, e), r in reports.items() if e == "trained model" for lang in r.per_language_n})
    text.append("| set | " + " | ".join(languages) + " |")
    text.append("|---|" + "---|" * len(languages))
    for (set_name, engine_name), report in reports.items():
        if engine_name != "trained model":
            continue
        cells = [
            f"{report.per_language_accuracy[lang]:.3f} (n={report.per_language_n[lang]}, "
            f"fu={report.per_language_false_urgent[lang]})"
            if lang in report.per_language_n
            else "–"
            for lang in languages
        ]
        text.append(f"| {set_name} | " + " | ".join(cells) + " |")
    text.append("")
    text.append("route accuracy (n = lines, fu = false urgent).")
    text.append("")
    for set_name in sets:
        if set_name == "shared dev sample":
            continue  # its lines stay out of the repository (format_report quotes missed urgent lines)
        report = reports[(set_name, "trained model")]
        text += [f"## {set_name} — trained model", "", "```", format_report(report), "```", ""]
    output = "\n".join(text)
    print(output)
    if not args.no_write:
        RESULTS.write_text(output, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
