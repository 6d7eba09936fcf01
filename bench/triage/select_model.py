"""Model selection on a validation part carved from the corpus TRAINING split (never the test split).

Trains each candidate on 80 % of ``madoguchi/chatbot/data/corpus/train.jsonl`` plus the knowledge base and
scores it on the other 20 %; prints a Markdown table for bench/triage/SELECTION.md. With ``--by-writer`` each
candidate is instead trained on all writers' training lines but one and scored on that writer's training
lines, writer by writer (the validation that resembles residents the project never saw); the table then
shows the pooled counts over all held-out writers.

    python bench/triage/select_model.py [--only NAME ...] [--by-writer]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from madoguchi.chatbot.engine import EngineConfig
from madoguchi.chatbot.evaluation import EvalReport
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.model import Example, FastScorer, ModelConfig, fold_for_model, train
from madoguchi.chatbot.model_store import TRAIN_FILE, read_examples
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.rules import apply_rules
from madoguchi.chatbot.training import validate, validation_split, writer_splits
from madoguchi.domain.privacy import mask_pii

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
    "flag C 0.1 (round 2)": (replace(BASE, flag_c=0.1), ENGINE),
    "flag C 1.0 (round 2)": (replace(BASE, flag_c=1.0), ENGINE),
    "chars 1-3 (round 2)": (replace(BASE, char_ngrams=(1, 3)), ENGINE),
    # round 4 (by writer): language-independent lexicon cues, thresholds from out-of-writer scores
    "no cues": (replace(BASE, cues=False), ENGINE),
    "writer folds, rules budget 2 % / 4 %": (
        replace(BASE, writer_folds=True, rules_budget=True, max_false_urgent=0.02),
        ENGINE,
    ),
    "flag C 0.1 (round 4)": (replace(BASE, flag_c=0.1), ENGINE),
    "flag C 1.0 (round 4)": (replace(BASE, flag_c=1.0), ENGINE),
    "false urgent 0.02": (replace(BASE, max_false_urgent=0.02), ENGINE),
    "safety rate 0.03": (replace(BASE, max_safety_rate=0.03), ENGINE),
    "cues 0.5": (replace(BASE, cue_weight=0.5), ENGINE),
    "cues 2.0": (replace(BASE, cue_weight=2.0), ENGINE),
    "lexicon examples 0.5": (replace(BASE, lexicon_weight=0.5), ENGINE),
    "lexicon examples 1.0": (replace(BASE, lexicon_weight=1.0), ENGINE),
    "writer folds only": (replace(BASE, writer_folds=True), ENGINE),
    "rules budget 2 % / 3 %": (replace(BASE, rules_budget=True, max_false_urgent=0.02, max_safety_rate=0.03), ENGINE),
    "safety rate 0.05 (round 4)": (replace(BASE, max_safety_rate=0.05), ENGINE),
}


def recall_at(
    fit: list[Example], held: list[Example], kb: object, model_config: ModelConfig, budget: float = 0.05
) -> tuple[int, int]:
    """How well the danger stage separates, apart from where its thresholds sit: the urgent lines caught
    (a lexicon rule, a weak rule or the learned score) when the score's threshold lets at most ``budget`` of
    the held-out writer's non-urgent lines be flagged (urgent or asked)."""
    model = train(fit, kb, model_config)  # type: ignore[arg-type]
    scorer = FastScorer(model)
    rows = []
    for e in held:
        hits = apply_rules(normalise(mask_pii(e.text).text))
        score = scorer.score(fold_for_model(e.text)).urgent or 0.0
        rows.append((bool(e.urgent), hits.urgent or hits.weak_danger, score))
    calm = np.array([s for u, r, s in rows if not u and not r])
    ruled_calm = sum(1 for u, r, _s in rows if not u and r)
    allowed = int(budget * sum(1 for u, _r, _s in rows if not u)) - ruled_calm
    threshold = np.sort(calm)[::-1][max(allowed, 0)] if allowed < len(calm) else -np.inf
    caught = sum(1 for u, r, s in rows if u and (r or s > threshold))
    return caught, sum(1 for u, _r, _s in rows if u)


def _pooled(reports: list[EvalReport]) -> str:
    """Counts over all held-out writers: urgent caught (with question), at once, false urgent, questions."""
    n = sum(r.n for r in reports)
    acc = sum(r.route_accuracy * r.n for r in reports) / n
    urgent = [r.n - r.non_urgent for r in reports]
    caught = sum(round((r.safety_recall or 0) * u) for r, u in zip(reports, urgent, strict=True))
    at_once = sum(round((r.urgent_recall or 0) * u) for r, u in zip(reports, urgent, strict=True))
    calm = sum(r.non_urgent for r in reports)
    per_writer = " / ".join(f"{r.safety_recall or 0:.2f}" for r in reports)
    return (
        f"{acc:.3f} | {caught}/{sum(urgent)} ({per_writer}) | {at_once}/{sum(urgent)} | "
        f"{sum(r.false_urgent for r in reports)}/{calm} | {sum(r.safety_checks for r in reports)}/{calm} | "
        f"{sum((r.handoff_recall or 0) for r in reports) / len(reports):.3f} | "
        f"{sum((r.handoff_precision or 0) for r in reports) / len(reports):.3f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--by-writer", action="store_true", help="hold out one writer at a time")
    parser.add_argument("--writers", nargs="*", help="with --by-writer: hold out only these writers")
    parser.add_argument(
        "--separation",
        action="store_true",
        help="with --by-writer: urgent caught when 5 %% of the held-out non-urgent lines may be flagged",
    )
    args = parser.parse_args()
    kb = load_knowledge_base(bundled_kb_dir())
    examples = read_examples(TRAIN_FILE)
    if args.by_writer:
        splits = [s for s in writer_splits(examples) if not args.writers or s[0] in args.writers]
        print(f"held-out writers: {', '.join(w for w, _f, _h in splits)} (training split only)")
        print(
            "| candidate | route acc | urgent caught (with question; per writer) | urgent at once | false urgent "
            "| question on non-urgent | handoff recall (mean) | handoff precision (mean) | train s |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for name, (model_config, engine_config) in CANDIDATES.items():
            if args.only and name not in args.only:
                continue
            if args.separation:
                counts = [recall_at(fit, held, kb, model_config) for _w, fit, held in splits]
                caught, total = sum(c for c, _t in counts), sum(t for _c, t in counts)
                per = " / ".join(f"{c / t:.2f}" for c, t in counts)
                print(f"| {name} | {caught}/{total} = {caught / total:.3f} ({per}) |", flush=True)
                continue
            runs = [validate(fit, held, kb, model_config, engine_config) for _w, fit, held in splits]
            seconds = sum(v.train_seconds for v in runs)
            print(f"| {name} | {_pooled([v.report for v in runs])} | {seconds:.1f} |", flush=True)
        return 0
    fit, held = validation_split(examples)
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
