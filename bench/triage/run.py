"""Triage benchmark: route accuracy, urgent and handoff recall, false alarms, the danger-question rate,
latency and model cost, without an LLM.

Sets: the corpus test split (``bench/data/triage_corpus/test.jsonl``, written by independent writers, never
used for tuning; also shown writer by writer), leave-one-writer-out over the whole corpus (train on the other
writers' lines, test on one: the harder number), the project's own set (``bench/data/triage_eval.jsonl``) and, when
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

from madoguchi.chatbot.engine import TriageEngine, TriageResult
from madoguchi.chatbot.evaluation import EvalReport, LabelledUtterance, format_report, read_labelled, score
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.model import Example, train
from madoguchi.chatbot.model_store import TRAIN_FILE, read_examples
from madoguchi.domain.routes import RouteId

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "bench" / "data" / "triage_eval.jsonl"
TEST = ROOT / "bench" / "data" / "triage_corpus" / "test.jsonl"
# Written before any failure was seen, but its misses were read and fixed since (bot3): not independent.
PROBE = ROOT / "bench" / "data" / "triage_probe" / "probe.jsonl"
PROBE_NAME = "probe set (seen, not independent)"
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


def _triage_all(engine: TriageEngine, rows: Sequence[LabelledUtterance]) -> tuple[list[TriageResult], list[float]]:
    """Every row through the engine; latency is CPU time (this process's own work on a shared machine)."""
    results: list[TriageResult] = []
    latencies: list[float] = []
    for row in rows:
        started = time.process_time()
        results.append(engine.triage(row.text))
        latencies.append((time.process_time() - started) * 1000)
    return results, latencies


def _language_rows(
    name: str, rows: Sequence[LabelledUtterance], results: Sequence[TriageResult], languages: Sequence[str]
) -> list[str]:
    """One table row per language: route accuracy, urgent caught (with the question) / urgent lines, false
    urgent and questions over the non-urgent lines."""
    out: list[str] = []
    for lang in languages:
        pairs = [(r, x) for r, x in zip(rows, results, strict=True) if r.lang == lang]
        if not pairs:
            continue
        sub = score([r for r, _x in pairs], [x for _r, x in pairs], [])
        urgent = sum(r.urgent for r, _x in pairs)
        caught = sum(r.urgent and (x.urgent or x.safety_check) for r, x in pairs)
        out.append(
            f"| {name} | {lang} | {sub.n} | {sub.route_accuracy:.3f} | {caught}/{urgent} | "
            f"{_pct(sub.false_urgent, sub.non_urgent)} | {_pct(sub.safety_checks, sub.non_urgent)} | "
            f"{_f(sub.handoff_recall)} |"
        )
    return out


LANGUAGE_HEADER = [
    "| set | language | n | route acc | urgent caught (with question) | false urgent | question on non-urgent "
    "| handoff recall |",
    "|---|---|---|---|---|---|---|---|",
]
LANGUAGE_ORDER = ("ja", "easy-ja", "en", "zh", "ko", "vi", "pt", "tl", "ne")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=ROOT.parent.parent / "shared" / "triage_dev.jsonl")
    parser.add_argument("--before", default="ee4029f", help="commit of the engine to compare with ('' = skip)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--no-lowo",
        action="store_true",
        help="skip leave-one-writer-out (one training per writer: most of the run's time); RESULTS.md keeps its "
        "previous leave-one-writer-out sections",
    )
    args = parser.parse_args()
    if not args.dev.is_file():
        args.dev = Path("/work/shared/triage_dev.jsonl")

    started = time.perf_counter()
    kb = load_knowledge_base(bundled_kb_dir())
    kb_seconds = time.perf_counter() - started
    sets: dict[str, list[LabelledUtterance]] = {
        "corpus test split": read_labelled(TEST),
        "own eval set": read_labelled(EVAL),
        PROBE_NAME: read_labelled(PROBE),
    }
    if args.dev.is_file():
        sets["shared dev sample"] = read_labelled(args.dev)
    training_rows = [
        LabelledUtterance(
            text=e.text, route=RouteId(e.route), urgent=bool(e.urgent), handoff=bool(e.handoff), lang=e.lang
        )
        for e in read_examples(TRAIN_FILE)
    ]

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
    reports: dict[tuple[str, str], EvalReport] = {}
    outcomes: dict[str, list[TriageResult]] = {}
    for engine_name, engine in engines.items():
        for set_name, rows in sets.items():
            _warm(engine, rows)
            results, latencies = _triage_all(engine, rows)
            reports[(set_name, engine_name)] = score(rows, results, latencies)
            if engine_name == "trained model":
                outcomes[set_name] = results
            print(f"{set_name} / {engine_name}: {reports[(set_name, engine_name)].route_accuracy}", file=sys.stderr)
    # The training split itself (what the model was fitted on: an upper bound, not a score).
    train_results, _lat = _triage_all(engines["trained model"], training_rows)
    train_report = score(training_rows, train_results, [])

    before = _run_before(args.before, sets) if args.before else {}

    # Leave one writer out: the whole corpus (both splits), one writer held out at a time.
    corpus_rows = [
        json.loads(line)
        for path in (TRAIN_FILE, TEST)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    writers = sorted({str(r["writer"]) for r in corpus_rows})
    lowo: list[tuple[str, EvalReport, EvalReport, dict[str, object]]] = []
    pooled_rows: list[LabelledUtterance] = []
    pooled_results: list[TriageResult] = []
    for writer in [] if args.no_lowo else writers:
        held = [r for r in corpus_rows if r["writer"] == writer]
        fitted = train(_examples([r for r in corpus_rows if r["writer"] != writer]), kb)
        rows = _labelled(held)
        results, _lat = _triage_all(TriageEngine(kb, model=fitted), rows)
        without, _lat = _triage_all(engines["lexicons + retrieval"], rows)
        pooled_rows += rows
        pooled_results += results
        lowo.append((writer, score(rows, results, []), score(rows, without, []), fitted.info))
        print(f"leave out {writer}: {lowo[-1][1].route_accuracy}", file=sys.stderr)
    pooled = score(pooled_rows, pooled_results, []) if pooled_rows else None

    header = (
        "| set | engine | n | route acc | urgent recall (with question) | urgent at once | false urgent "
        "| question on non-urgent | handoff recall | handoff precision | p50 ms | p95 ms |"
    )
    writer_languages = {
        w: ", ".join(sorted({str(r["lang"]) for r in corpus_rows if r["writer"] == w})) for w in writers
    }
    text = [
        "# Triage benchmark",
        "",
        "Written by `bench/triage/run.py` (no LLM). Knowledge base: `madoguchi/chatbot/data/shiomi`, "
        f"{len(kb.entries)} entries, loaded and validated in {kb_seconds * 1000:.0f} ms. "
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs, "
        f"Python {platform.python_version()}.",
        "",
        f"Corpus: {len(corpus_rows)} lines by {len(writers)} independent writers "
        "(`madoguchi/chatbot/data/corpus/README.md`); training split "
        f"{len(training_rows)} lines, test split {len(sets['corpus test split'])} lines (never used for tuning).",
        "",
        f"Trained model: {model.info['corpus_examples']} corpus training lines + "
        f"{model.info['examples'] - model.info['corpus_examples'] - model.info.get('lexicon_examples', 0)} "
        f"knowledge-base phrasings + {model.info.get('lexicon_examples', 0)} lexicon phrases, "
        f"{model.info['features']} features; trained in {train_seconds:.1f} s wall-clock; loaded from its cache "
        f"file in {load_seconds * 1000:.0f} ms ({len(blob) / 1e6:.1f} MB); an engine with it starts in "
        f"{engine_seconds * 1000:.0f} ms (building the weight tables). Danger thresholds (SVM margin, low = ask, "
        f"high = urgent) {model.info.get('urgent_thresholds')}, per-language question thresholds "
        f"{model.info.get('urgent_language_lows') or 'none'}, handoff threshold {model.info.get('handoff_threshold')}.",
        "",
        "*urgent recall (with question)* counts an urgent line as caught when the bot made it urgent or asked the "
        "danger question (the target is 1.0); *urgent at once* only the first. *false urgent* and *question on "
        "non-urgent* are counted over the non-urgent lines (targets ≤ 3 % and ≤ 5 %). Latency is CPU time per "
        "utterance through the whole `TriageEngine.triage` (lexicons, retrieval, model), measured with "
        "`time.process_time` because the machine's two cores are shared with other jobs. Model selection (on "
        "the training split only, never the test split): `bench/triage/SELECTION.md`.",
        "",
        header,
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for set_name, rows in sets.items():
        if set_name in before:
            text.append(_before_row(set_name, rows, before[set_name]))
        for engine_name in engines:
            text.append(_row(set_name, engine_name, reports[(set_name, engine_name)]))
    test_writers = [
        str(json.loads(line).get("writer", ""))
        for line in TEST.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for writer in sorted(set(test_writers)):
        index = [i for i, w in enumerate(test_writers) if w == writer]
        rows = [sets["corpus test split"][i] for i in index]
        sub = score(rows, [outcomes["corpus test split"][i] for i in index], [])
        text.append(_row(f"corpus test split: {writer}", "trained model", sub, latency=False))
    text.append(_row("corpus training split (fitted on it)", "trained model", train_report, latency=False))
    if pooled is not None:
        text += [
            "",
            "## Leave one writer out",
            "",
            f"The model trained on the other {len(writers) - 1} writers' lines (both splits) plus the knowledge base "
            "and the lexicons, with its thresholds chosen on those lines alone, tested on all lines of the held-out "
            "writer; "
            '"lexicons + retrieval" has no training and is shown for the same lines. This is the closest the project '
            "gets to residents it never read. Writers' languages: "
            + "; ".join(f"{w} {langs}" for w, langs in writer_languages.items())
            + ".",
            "",
            header,
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for writer, trained, plain, _info in lowo:
            text.append(_row(f"held out: {writer}", "trained model", trained, latency=False))
            text.append(_row(f"held out: {writer}", "lexicons + retrieval", plain, latency=False))
        text.append(_row(f"all {len(writers)}, pooled", "trained model", pooled, latency=False))
        text += [
            "",
            "Thresholds each leave-one-writer-out model chose on its own training lines: "
            + "; ".join(f"{w} {info.get('urgent_thresholds')}" for w, _t, _p, info in lowo)
            + ".",
        ]
    text += [
        "",
        "## Per language (trained model)",
        "",
        *LANGUAGE_HEADER,
        *_language_rows("corpus test split", sets["corpus test split"], outcomes["corpus test split"], LANGUAGE_ORDER),
        *(
            _language_rows("leave one writer out (pooled)", pooled_rows, pooled_results, LANGUAGE_ORDER)
            if pooled_rows
            else []
        ),
        *_language_rows("own eval set", sets["own eval set"], outcomes["own eval set"], LANGUAGE_ORDER),
        *_language_rows(PROBE_NAME, sets[PROBE_NAME], outcomes[PROBE_NAME], LANGUAGE_ORDER),
    ]
    if "shared dev sample" in outcomes:
        text += _language_rows(
            "shared dev sample", sets["shared dev sample"], outcomes["shared dev sample"], LANGUAGE_ORDER
        )
    text.append("")
    for set_name in sets:
        if set_name == "shared dev sample":
            continue  # its lines stay out of the repository (format_report quotes missed urgent lines)
        report = reports[(set_name, "trained model")]
        if set_name == "corpus test split":
            report = report.model_copy(update={"missed_urgent": []})  # the corpus is read only through code
        text += [f"## {set_name} — trained model", "", "```", format_report(report), "```", ""]
    output = "\n".join(text)
    print(output)
    if not args.no_write:
        RESULTS.write_text(output, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
