"""Before → after of the situation round on grouped folds by writer, from one model per fold (training split only).

Each fold's model (``dev_writers.fold_model``: cached, trained when missing) is scored on its held-out writers'
training lines twice: with session 14's engine decisions (question band 0.05, no situation layer) and with this
round's (band 0.10, a weak signal in a calm situation not asked). The linear model is the same on both sides, so the
difference is the engine's use of the situation layer. Counts only, never a line's text.

    .venv/bin/python bench/triage/situation_folds.py --folds g5-0 g5-4 g5-3 [--tag s13]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.model import ModelConfig
from madoguchi.chatbot.model_store import TRAIN_FILE, read_examples

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dev_writers import count_urgency, fold_model, grouped_splits

SIDES = {"before": EngineConfig(question_band=0.05, situation_calms=False), "after": EngineConfig(situation_calms=True)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", nargs="+", required=True)
    parser.add_argument("--tag", default="s13")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/madoguchi-dev-models"))
    args = parser.parse_args()
    kb = load_knowledge_base(bundled_kb_dir())
    for fold, fit, held in grouped_splits(read_examples(TRAIN_FILE), 5):
        if fold not in args.folds:
            continue
        model = fold_model(args.cache, args.tag, fold, fit, kb, ModelConfig(situation=True))  # not trained by default
        for side, config in SIDES.items():
            engine = TriageEngine(kb, config, model=model)
            counts: dict[str, Counter[str]] = {}
            for e in held:
                r = engine.triage(e.text)
                for key in ("all", f"lang {e.lang}", f"writer {e.writer}"):
                    count_urgency(counts.setdefault(key, Counter()), e, r)
            for key, c in sorted(counts.items()):
                print(
                    f"{fold}\t{side}\t{key}\t{c['urgent']}\t{c['caught']}\t{c['at_once']}\t{c['calm']}\t"
                    f"{c['false_urgent']}\t{c['asked']}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
