"""Answers: is the bot's answer the right knowledge-base entry, on questions written by someone else?

Scores ``bench/data/kb_questions/dev_a.jsonl`` (one resident question per entry by a writer who saw only the entry
ids and titles, plus questions no entry answers) with the engine a server builds (trained model included), and
reports the whole set and its two halves by entry: half A is the one whose lines were read while tuning, half B
was only scored (a fix found on A is checked on B). The halves are fixed by a hash of the entry id (of the text for
``entry: null`` lines), so they never depend on what was read.

    .venv/bin/python bench/triage/kb_answers.py [--file PATH] [--errors]   # --errors: half A's wrong lines only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

from madoguchi.chatbot.evaluation import LabelledUtterance, format_entry_lines, read_labelled, score
from madoguchi.chatbot.service import build_engine

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "bench" / "data" / "kb_questions" / "dev_a.jsonl"


def half(row: LabelledUtterance) -> str:
    """ "A" (read while tuning) or "B" (only scored): by the entry, so one entry's line is never on both sides."""
    key = row.entry if row.entry is not None else "null:" + row.text
    return "AB"[hashlib.sha256(key.encode()).digest()[0] % 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEV)
    parser.add_argument("--errors", action="store_true", help="print half A's lines that did not get their entry")
    args = parser.parse_args()
    engine = build_engine()
    rows = read_labelled(args.file)
    results, latencies = [], []
    for row in rows:
        started = time.process_time()
        results.append(engine.triage(row.text))
        latencies.append(1000 * (time.process_time() - started))
    for name, keep in (("all", "AB"), ("half A (read)", "A"), ("half B (not read)", "B")):
        chosen = [i for i, row in enumerate(rows) if half(row) in keep]
        report = score([rows[i] for i in chosen], [results[i] for i in chosen], [latencies[i] for i in chosen])
        print(f"## {name}: {len(chosen)} lines, route accuracy {report.route_accuracy:.3f}")
        print("\n".join(format_entry_lines(report)))
        print()
    if args.errors:
        for row, result in zip(rows, results, strict=True):
            if half(row) != "A":
                continue
            got = result.entry_ids[0] if result.entry_ids else None
            if got != row.entry:
                shown = {"want": row.entry, "got": got, "action": result.action}
                shown["suggested"] = [s.entry_id for s in result.suggestions]
                print(json.dumps({"text": row.text, **shown}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
