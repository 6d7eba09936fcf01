"""Before → after for one round of triage work: the engine *with its trained model* at an older commit against
the working tree, on the same labelled sets, with per-writer and per-language rows. Prints Markdown tables.

Each side runs in its own process: the old side from a ``git archive`` copy of ``madoguchi/`` at ``--before``
(its own code, corpus training split and knowledge base), the new side from this tree. Each builds its model the
way a server does (``build_engine``: the user's cache, else trained now and cached), so the old side loads the
model main already cached. The corpus test split is only *reported* here; run this once, after every choice was
made on the training split.

    .venv/bin/python bench/triage/before_after.py --before f21550a [--sets test own dev probe heldout_9 heldout_15]

A fresh writers' batch that nobody has read is scored with ``--file NAME=PATH`` (per writer and per language),
and with ``--before-only`` only the old side runs: the measurement of an unchanged model on unseen lines, taken
before the batch is appended to the corpus. Only counts are printed, never a line of the file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETS = {
    "test": ("corpus test split", ROOT / "bench" / "data" / "triage_corpus" / "test.jsonl"),
    "own": ("own eval set", ROOT / "bench" / "data" / "triage_eval.jsonl"),
    "dev": ("shared dev sample", Path("/work/shared/triage_dev.jsonl")),
    "probe": ("probe set (seen, not independent)", ROOT / "bench" / "data" / "triage_probe" / "probe.jsonl"),
    "heldout_9": ("heldout_9 (seen)", ROOT / "bench" / "data" / "triage_heldout" / "heldout_9.jsonl"),
    # Held out: only ever reported, never looked at line by line, never used for a choice.
    "heldout_15": ("heldout_15 (held out)", ROOT / "bench" / "data" / "triage_heldout" / "heldout_15.jsonl"),
    "heldout_19": ("heldout_19 (held out)", ROOT / "bench" / "data" / "triage_heldout" / "heldout_19.jsonl"),
    "heldout_20": ("heldout_20 (held out)", ROOT / "bench" / "data" / "triage_heldout" / "heldout_20.jsonl"),
    **{
        name: (f"{name} (held out)", ROOT / "bench" / "data" / "triage_heldout" / f"{name}.jsonl")
        for name in (
            "heldout_21",
            "heldout_22",
            "heldout_27",
            "heldout_28",
            "heldout_29",
            "heldout_30",
            "heldout_31",
            "heldout_32",
            "heldout_33",
            "heldout_34",
            "heldout_35",
            "heldout_36",
        )
    },
}
LANGUAGES = ("ja", "easy-ja", "en", "zh", "ko", "vi", "pt", "tl", "ne")
_SCRIPT = """
import json, sys
from madoguchi.chatbot.service import build_engine
engine = build_engine()
for line in sys.stdin:
    r = engine.triage(json.loads(line)["text"])
    after = getattr(r, "handoff_after_question", False)  # older engines have no such field
    print(json.dumps({"route": r.route.value, "urgent": r.urgent, "handoff": r.handoff, "ask": r.safety_check,
                      "after_q": after}))
"""

Row = dict[str, object]


def predict(tree: Path, rows: Sequence[Row]) -> list[Row]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        input="\n".join(json.dumps({"text": r["text"]}, ensure_ascii=False) for r in rows) + "\n",
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(tree)},
        cwd=tree,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def counts(rows: Sequence[Row], got: Sequence[Row]) -> dict[str, int]:
    c = {"n": len(rows), "route": 0, "urgent": 0, "caught": 0, "at_once": 0, "calm": 0, "false": 0, "ask": 0}
    c |= {"handoff": 0, "handoff_hit": 0, "handoff_after": 0, "no_handoff": 0, "false_handoff": 0}
    for row, out in zip(rows, got, strict=True):
        c["route"] += out["route"] == row["route"]
        if row["urgent"]:
            c["urgent"] += 1
            c["caught"] += bool(out["urgent"] or out["ask"])
            c["at_once"] += bool(out["urgent"])
        else:
            c["calm"] += 1
            c["false"] += bool(out["urgent"])
            c["ask"] += bool(out["ask"])
        if row["handoff"]:
            c["handoff"] += 1
            c["handoff_hit"] += bool(out["handoff"])
            # met with the danger question first: "yes" makes an urgent line a handoff, "no" hands off the others
            # when the engine says so (``TriageResult.handoff_after_question``)
            asked = bool(out["ask"]) and (bool(row["urgent"]) or bool(out.get("after_q")))
            c["handoff_after"] += bool(out["handoff"]) or asked
        else:
            c["no_handoff"] += 1
            c["false_handoff"] += bool(out["handoff"])
    return c


def cells(c: dict[str, int]) -> list[str]:
    def pct(part: int, whole: int) -> str:
        return f"{part} ({100 * part / whole:.1f} %)" if whole else "–"

    return [
        f"{c['route'] / c['n']:.3f}" if c["n"] else "–",
        f"{c['caught']}/{c['urgent']}",
        f"{c['at_once']}/{c['urgent']}",
        pct(c["false"], c["calm"]),
        pct(c["ask"], c["calm"]),
        f"{c['handoff_hit'] / c['handoff']:.3f}" if c["handoff"] else "–",
        f"{c['handoff_after'] / c['handoff']:.3f}" if c["handoff"] else "–",
        pct(c["false_handoff"], c["no_handoff"]),
    ]


def arrow(before: list[str], after: list[str]) -> list[str]:
    return [b if b == a else f"{b} → {a}" for b, a in zip(before, after, strict=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="commit of the engine and model to compare with")
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=list(SETS))
    parser.add_argument("--file", nargs="*", default=[], metavar="NAME=PATH", help="more labelled sets, unread")
    parser.add_argument("--before-only", action="store_true", help="score the --before side only")
    args = parser.parse_args()
    sets = {key: SETS[key] for key in args.sets}
    for spec in args.file:
        name, _, path = spec.partition("=")
        sets[f"file:{name}"] = (name, Path(path))
    header = [
        "| set | part | n | route acc | urgent caught (with question) | urgent at once | false urgent "
        "| question on non-urgent | handoff recall | handoff after the question | false handoff |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    out = list(header)
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.before, "madoguchi"], check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        for key, (name, path) in sets.items():
            if not path.is_file():
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            rows: list[Row] = [json.loads(line) for line in lines if line.strip()]
            old = predict(Path(tmp), rows)
            new = old if args.before_only else predict(ROOT, rows)
            print(f"{name}: done", file=sys.stderr)
            parts: list[tuple[str, list[int]]] = [("all", list(range(len(rows))))]
            if key == "test" or key.startswith("file:"):
                writers = sorted({str(r.get("writer", "")) for r in rows})
                parts += [(f"writer {w}", [i for i, r in enumerate(rows) if r.get("writer") == w]) for w in writers]
            parts += [(f"language {lang}", [i for i, r in enumerate(rows) if r["lang"] == lang]) for lang in LANGUAGES]
            for part, index in parts:
                if not index:
                    continue
                subset = [rows[i] for i in index]
                before = cells(counts(subset, [old[i] for i in index]))
                after = cells(counts(subset, [new[i] for i in index]))
                out.append(f"| {name} | {part} | {len(index)} | " + " | ".join(arrow(before, after)) + " |")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
