"""CLI subcommands of this package (registered by madoguchi.cli): ``madoguchi triage``.

``madoguchi triage`` reads one utterance a line (plain text, or JSON lines with a ``text`` field and an
optional ``lang``) and prints one JSON decision a line; ``--eval FILE.jsonl`` scores a labelled file instead.
The LLM is used only when ``MADOGUCHI_LLM_BASE_URL`` is set.
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
from madoguchi.chatbot.knowledge import DEFAULT_MUNICIPALITY, KnowledgeBaseError
from madoguchi.chatbot.llm import LlmBackend, Triage
from madoguchi.chatbot.service import build_triage
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
        "--eval",
        dest="eval_file",
        type=Path,
        metavar="FILE.jsonl",
        help="score a labelled file (text, route, handoff, urgent, lang per line)",
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
    try:
        triage = build_triage(args.kb_dir, municipality=args.municipality, llm=llm(settings))
    except (KnowledgeBaseError, ValueError) as exc:
        print(f"madoguchi triage: {exc}", file=sys.stderr)
        return 2
    try:
        if args.eval_file is not None:
            return await _evaluate(triage, args)
        return await _stream(triage, args)
    finally:
        await triage.aclose()


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
