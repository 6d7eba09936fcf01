"""CLI subcommands of this package (registered by madoguchi.cli): ``madoguchi triage``.

``madoguchi triage`` reads one utterance a line (plain text, or JSON lines with a ``text`` field and an
optional ``lang``) and prints one JSON decision a line; ``--eval FILE.jsonl`` scores a labelled file instead.
``madoguchi triage train`` builds the route and danger model from the corpus training split and the knowledge
base into the data directory (``serve`` does the same on first start when it is missing); ``--validate``
first reports its scores on a validation part of the training split. The LLM is used only when
``MADOGUCHI_LLM_BASE_URL`` is set.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from madoguchi.chatbot.evaluation import format_report, read_labelled, report_json, score
from madoguchi.chatbot.knowledge import DEFAULT_MUNICIPALITY, bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.llm import LlmBackend, Triage
from madoguchi.chatbot.model import ModelConfig
from madoguchi.chatbot.model_store import TRAIN_FILE, load_or_train, model_key, model_path, read_examples
from madoguchi.chatbot.service import build_triage, model_cache
from madoguchi.chatbot.training import validate, validation_split
from madoguchi.chatbot.yaml_source import KnowledgeBaseError
from madoguchi.settings import Settings

LlmFactory = Callable[[Settings], LlmBackend | None]


def register(subparsers: Any, *, llm: LlmFactory) -> None:
    """Add this package's subcommands to ``madoguchi``; ``llm`` builds the LLM backend from the settings (the
    composition root passes the aiohttp one, so this package imports no network library)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "triage",
        help="triage resident utterances from stdin (one a line, or JSON lines with 'text'), or --eval a file",
        description="Triage resident utterances: one JSON decision per input line.",
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=("train",),
        help="train: build (or check) the trained model for this knowledge base in the data directory",
    )
    parser.add_argument("--force", action="store_true", help="train: train again even if an up-to-date model exists")
    parser.add_argument(
        "--validate", action="store_true", help="train: first score a model on a validation part of the training split"
    )
    parser.add_argument(
        "--eval",
        dest="eval_file",
        type=Path,
        metavar="FILE.jsonl",
        help="score a labelled file (text, route, handoff, urgent, lang a line; with entry: the answers too)",
    )
    parser.add_argument(
        "--format",
        choices=("json", "text"),
        default="json",
        help="--eval output: JSON summary (table on stderr) or the table only",
    )
    parser.add_argument("--municipality", default=DEFAULT_MUNICIPALITY, help="bundled knowledge base to use")
    parser.add_argument("--kb-dir", type=Path, help="a knowledge-base directory (municipality.yaml + kb/)")
    parser.add_argument("--lang", help="answer language for every line (default: detected)")
    parser.add_argument("--errors", action="store_true", help="--eval: include every route error in the JSON")
    parser.set_defaults(handler=functools.partial(run_triage, llm=llm))


async def run_triage(args: argparse.Namespace, settings: Settings, *, llm: LlmFactory) -> int:
    if args.command == "train":
        return await asyncio.to_thread(_train, args, settings)
    try:
        triage = build_triage(
            args.kb_dir, municipality=args.municipality, llm=llm(settings), model_cache=model_cache(settings)
        )
    except (KnowledgeBaseError, ValueError) as exc:
        print(f"madoguchi triage: {exc}", file=sys.stderr)
        return 2
    try:
        if args.eval_file is not None:
            return await _evaluate(triage, args)
        return await _stream(triage, args)
    finally:
        await triage.aclose()


def _train(args: argparse.Namespace, settings: Settings) -> int:
    directory = args.kb_dir or bundled_kb_dir(args.municipality)
    try:
        kb = load_knowledge_base(directory)
        examples = read_examples(TRAIN_FILE)
    except (KnowledgeBaseError, ValueError, OSError) as exc:
        print(f"madoguchi triage train: {exc}", file=sys.stderr)
        return 2
    out: dict[str, Any] = {"corpus": str(TRAIN_FILE), "corpus_lines": len(examples), "kb_entries": len(kb.entries)}
    if args.validate:
        fit, held = validation_split(examples)
        checked = validate(fit, held, kb)
        report = checked.report
        out["validation"] = {
            "fit": len(fit),
            "held_out": len(held),
            "route_accuracy": report.route_accuracy,
            "urgent_recall_with_question": report.safety_recall,
            "urgent_recall": report.urgent_recall,
            "false_urgent": report.false_urgent,
            "safety_questions": report.safety_checks,
            "non_urgent": report.non_urgent,
            "handoff_recall": report.handoff_recall,
            "train_seconds": round(checked.train_seconds, 2),
        }
        print(format_report(report), file=sys.stderr)
    cache = model_cache(settings)
    key = model_key(directory, kb, TRAIN_FILE, ModelConfig())
    if args.force:
        model_path(cache, key).unlink(missing_ok=True)
    existed = model_path(cache, key).is_file()
    started = time.perf_counter()
    model = load_or_train(kb, kb_dir=directory, cache_dir=cache)
    out |= {
        "model": str(model_path(cache, key)),
        "seconds": round(time.perf_counter() - started, 2),
        **model.info,
        "trained_now": not existed,
    }
    print(json.dumps(out, ensure_ascii=False))
    return 0


async def _stream(triage: Triage, args: argparse.Namespace) -> int:
    status = 0
    loop = asyncio.get_running_loop()
    for number, raw in enumerate(iter(sys.stdin.readline, ""), start=1):
        line = raw.strip()
        if not line:
            continue
        text, lang = line, args.lang
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                print(f"line {number}: not valid JSON: {exc.msg}", file=sys.stderr)
                status = 1
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str) or not obj["text"].strip():
                print(f"line {number}: a JSON line needs a non-empty string 'text'", file=sys.stderr)
                status = 1
                continue
            text = obj["text"]
            lang = obj.get("lang") if isinstance(obj.get("lang"), str) else lang
        result = await triage.triage(text, lang=lang)
        await loop.run_in_executor(None, functools.partial(print, result.model_dump_json(), flush=True))
    return status


async def _evaluate(triage: Triage, args: argparse.Namespace) -> int:
    try:
        rows = read_labelled(args.eval_file)
    except (OSError, ValueError) as exc:
        print(f"madoguchi triage: {exc}", file=sys.stderr)
        return 2
    if not rows:
        print(f"madoguchi triage: {args.eval_file}: no labelled lines", file=sys.stderr)
        return 2
    results = []
    latencies = []
    for row in rows:
        started = time.perf_counter()
        results.append(await triage.triage(row.text))
        latencies.append((time.perf_counter() - started) * 1000)
    report = score(rows, results, latencies)
    if args.format == "text":
        print(format_report(report))
    else:
        print(report_json(report, with_errors=args.errors))
        print(format_report(report), file=sys.stderr)
    return 0
