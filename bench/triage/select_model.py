"""Model selection on a validation part carved from the corpus TRAINING split (never the test split).

Trains each candidate on 80 % of ``madoguchi/chatbot/data/corpus/train.jsonl`` plus the knowledge base and
scores it on the other 20 %; prints a Markdown table for bench/triage/RESULTS.md.

    python bench/triage/select_model.py [--only NAME ...]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from madoguchi.chatbot.engine import EngineConfig
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.model import ModelConfig
from madoguchi.chatbot.model_store import TRAIN_FILE, read_examples
from madoguchi.chatbot.training import validate, validation_split

BASE = ModelConfig()
ENGINE = EngineConfig()
CANDIDATES: dict[str, tuple[ModelConfig, EngineConfig]] = {
    "default": (BASE, ENGINE),
    "chars 1-3": (replace(BASE, char_ngrams=(1, 3)), ENGINE),
    "chars 2-5": (replace(BASE, char_ngrams=(2, 5)), ENGINE),
    "no latin words": (replace(BASE, word_ngrams=None), ENGINE),
    "route C 0.2": (replace(BASE, route_c=0.2), ENGINE),
    "route C 1.0": (replace(BASE, route_c=1.0), ENGINE),
    "kb weight 1.0": (replace(BASE, kb_weight=1.0), ENGINE),
    "kb weight 0.2": (replace(BASE, kb_weight=0.2), ENGINE),
    "model weight 0.5": (BASE, replace(ENGINE, model_weight=0.5)),
    "model weight 0.9": (BASE, replace(ENGINE, model_weight=0.9)),
    "temperature 0.15": (replace(BASE, route_temperature=0.15), ENGINE),
    "temperature 0.6": (replace(BASE, route_temperature=0.6), ENGINE),
    "flag C 0.1": (replace(BASE, flag_c=0.1), ENGINE),
    "flag C 1.0": (replace(BASE, flag_c=1.0), ENGINE),
    "sudachi words": (replace(BASE, ja_words=True), ENGINE),
    "C 1.0, weight 0.9": (replace(BASE, route_c=1.0), replace(ENGINE, model_weight=0.9)),
    "C 1.0, weight 0.9, T 0.15": (
        replace(BASE, route_c=1.0, route_temperature=0.15),
        replace(ENGINE, model_weight=0.9),
    ),
    "C 1.0, weight 0.9, sudachi": (replace(BASE, route_c=1.0, ja_words=True), replace(ENGINE, model_weight=0.9)),
    "safety rate 0.05": (replace(BASE, max_safety_rate=0.05), ENGINE),
    "flag C 0.1 (round 2)": (replace(BASE, flag_c=0.1), ENGINE),
    "flag C 1.0 (round 2)": (replace(BASE, flag_c=1.0), ENGINE),
    "chars 1-3 (round 2)": (replace(BASE, char_ngrams=(1, 3)), ENGINE),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    kb = load_knowledge_base(bundled_kb_dir())
    fit, held = validation_split(read_examples(TRAIN_FILE))
    print(f"fit {len(fit)} + {len(kb.entries)} KB entries' phrasings; validation {len(held)}")
    print(
        "| candidate | route acc | urgent recall (with question) | urgent at once | false urgent "
        "| question on non-urgent | handoff recall | handoff precision | train s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (model_config, engine_config) in CANDIDATES.items():
        if args.only and name not in args.only:
            continue
        v = validate(fit, held, kb, model_config, engine_config)
        r = v.report
        print(
            f"| {name} | {r.route_accuracy:.3f} | {r.safety_recall:.3f} | {r.urgent_recall:.3f} | "
            f"{r.false_urgent}/{r.non_urgent} | {r.safety_checks}/{r.non_urgent} | {r.handoff_recall:.3f} | "
            f"{r.handoff_precision:.3f} | {v.train_seconds:.1f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
