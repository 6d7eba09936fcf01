"""Leave-one-writer-out cross-validation of the entry choice over the town's labelled questions.

Each ``questions/*.jsonl`` file of the sample town is one writer. Its lines are answered by an engine whose knowledge
base holds every *other* writer's questions (never its own), with the trained model of the server (whose route and
danger parts never learn from the questions). Variants differ in how the questions are used; ``--dev`` also adds
``bench/data/kb_questions/dev_a.jsonl`` to every fold's questions. Never run on ``heldout_b``.

    .venv/bin/python bench/triage/kb_writer_cv.py [--dev]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.entry_model import EntryModelConfig, LearnedRetriever, train_entries
from madoguchi.chatbot.evaluation import answered_entry, offered_entries
from madoguchi.chatbot.knowledge import KbQuestion, bundled_kb_dir, load_question_file
from madoguchi.chatbot.retrieval import RETRIEVERS, FieldWeights
from madoguchi.chatbot.service import build_engine

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "bench" / "data" / "kb_questions" / "dev_a.jsonl"


@dataclass(frozen=True)
class Variant:
    questions: float = 1.0  # the questions' weight in retrieval (0: not matched as phrasings)
    learned: float | None = None  # the entry model's weight (None: no entry model)
    temperature: float = 0.3
    config: EngineConfig = EngineConfig()  # noqa: RUF009 - frozen
    model: EntryModelConfig = EntryModelConfig()  # noqa: RUF009 - frozen


VARIANTS: dict[str, Variant] = {
    "no questions (kb15)": Variant(questions=0.0),
    "questions x1": Variant(),
    "entry model w1 T.1": Variant(learned=1.0, temperature=0.1),
    "entry model w1 T.1 noq": Variant(questions=0.0, learned=1.0, temperature=0.1),
    "entry model w2 T.1 noq": Variant(questions=0.0, learned=2.0, temperature=0.1),
    "entry model w1 T.3 noq": Variant(questions=0.0, learned=1.0),
    "entry model w.5 T.3 noq": Variant(questions=0.0, learned=0.5),
}


def fold_scores(engine: TriageEngine, rows: list[KbQuestion]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in rows:
        result = engine.triage(row.text)
        answered = answered_entry(result)
        if row.entry is None:
            counts["null"] += 1
            counts["null_answered"] += answered is not None
            continue
        counts["n"] += 1
        counts["right"] += answered == row.entry
        counts["offered"] += row.entry in offered_entries(result)[:3]
        counts["wrong"] += answered is not None and answered != row.entry
        counts["handoff"] += result.handoff
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", action="store_true", help="add dev_a's questions to every fold")
    parser.add_argument("--variant", action="append", help="only these variants")
    args = parser.parse_args()
    base = build_engine()
    kb = base.kb
    folder = bundled_kb_dir() / "questions"
    ids = frozenset(e.id for e in kb.entries)
    files = sorted(folder.glob("*.jsonl"))
    by_file = {p.name: load_question_file(p, ids) for p in files}
    dev = load_question_file(DEV, ids) if args.dev else []
    readings = base.model.readings if base.model else None
    for name, variant in VARIANTS.items():
        if args.variant and name not in args.variant:
            continue
        total: Counter[str] = Counter()
        for held, rows in by_file.items():
            others = [q for n, qs in by_file.items() if n != held for q in qs] + dev
            fold_kb = dataclasses.replace(kb, questions=tuple(others))
            weights = FieldWeights(questions=variant.questions)
            retriever = RETRIEVERS["hybrid"](fold_kb, weights=weights, readings=readings)
            started = time.perf_counter()
            if variant.learned is not None:
                model = train_entries(fold_kb, readings, variant.model)
                assert model is not None
                retriever = LearnedRetriever(
                    retriever, fold_kb, model, weight=variant.learned, temperature=variant.temperature
                )
            fit = time.perf_counter() - started
            engine = TriageEngine(fold_kb, variant.config, retriever, model=base.model)
            counts = fold_scores(engine, rows)
            total.update(counts)
            print(f"  {name:24s} {held}: {_line(counts)} (fit {fit:.1f} s)", flush=True)
        print(f"{name:26s} ALL: {_line(total)}", flush=True)
    return 0


def _line(c: Counter[str]) -> str:
    n = c["n"] or 1
    return (
        f"n={c['n']} right {c['right']} ({c['right'] / n:.1%}) offered {c['offered']} ({c['offered'] / n:.1%}) "
        f"wrong {c['wrong']} ({c['wrong'] / n:.1%}) handoff {c['handoff']} "
        f"| null answered {c['null_answered']}/{c['null']}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
