"""Dev measurements by writer on the corpus TRAINING split only (never the test split).

For every writer, a model is trained on the other writers' training lines plus the knowledge base and scored
on the held-out writer's training lines; each model is cached under ``--cache`` by a tag, so engine-side
changes (gates, calibration) are measured without training again. ``--dump`` writes one JSON line per
held-out line (text, labels, the engine's verdict, the danger score) for studying misses by category.

    .venv/bin/python bench/triage/dev_writers.py --tag base [--writers batch_4 batch_5] [--dump out.jsonl]
        [--set language_lows=true] [--engine past_event_needs_model=true] [--no-lows]

``--engine`` sets :class:`EngineConfig` fields (measured on the same cached models); ``--no-lows`` scores a
model trained with ``language_lows`` as if it had one question threshold for all languages; ``--highs`` scores a
model trained without ``language_highs`` with the per-language urgent thresholds it computed anyway.
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from sklearn.model_selection import GroupKFold

from madoguchi.chatbot.engine import EngineConfig, TriageEngine, TriageResult
from madoguchi.chatbot.knowledge import KnowledgeBase, bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.model import Example, FastScorer, ModelConfig, TriageModel, fold_for_model, train
from madoguchi.chatbot.model_store import TRAIN_FILE, read_examples
from madoguchi.chatbot.normalise import normalise_sentences
from madoguchi.chatbot.rules import apply_rules
from madoguchi.chatbot.training import writer_splits
from madoguchi.domain.privacy import mask_pii, without_mask_tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tag", required=True)
    parser.add_argument("--writers", nargs="*")
    parser.add_argument(
        "--groups",
        type=int,
        default=0,
        help="grouped k-fold by writer: K models, each trained without a K-th of the writers and scored on them "
        "(the writers are dealt to the folds in a fixed order, GroupKFold); 0 = leave one writer out",
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/madoguchi-dev-models"))
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--set", nargs="*", default=[], help="ModelConfig fields, e.g. language_balance=0.5")
    parser.add_argument("--engine", nargs="*", default=[], help="EngineConfig fields, e.g. title_score=8")
    parser.add_argument("--no-lows", action="store_true", help="ignore the model's per-language question thresholds")
    parser.add_argument("--no-highs", action="store_true", help="ignore the model's per-language urgent thresholds")
    parser.add_argument(
        "--highs",
        action="store_true",
        help="use the per-language urgent thresholds the model computed but was not told to use",
    )
    parser.add_argument(
        "--unkept-lows",
        action="store_true",
        help="with language_low_keep: use the per-language thresholds computed without the urgent-line guard",
    )
    args = parser.parse_args()
    kb = load_knowledge_base(bundled_kb_dir())
    config = replace(ModelConfig(), **_overrides(ModelConfig(), args.set))
    engine_config = replace(EngineConfig(), **_overrides(EngineConfig(), args.engine))
    totals: Counter[str] = Counter()
    by_writer: dict[str, Counter[str]] = {}
    by_lang: dict[str, Counter[str]] = {}
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    examples = read_examples(TRAIN_FILE)
    splits = grouped_splits(examples, args.groups) if args.groups else writer_splits(examples)
    for fold, fit, held in splits:
        if args.writers and fold not in args.writers:
            continue
        model = fold_model(args.cache, args.tag, fold, fit, kb, config)
        if args.no_highs and model.urgent is not None:
            model = replace(model, urgent=replace(model.urgent, highs={}))
        if args.highs and model.urgent is not None:
            candidate = {k: float(v) for k, v in model.info.get("urgent_language_highs_candidate", {}).items()}
            model = replace(model, urgent=replace(model.urgent, highs=candidate))
        if args.no_lows and model.urgent is not None:
            model = replace(model, urgent=replace(model.urgent, lows={}))
        if args.unkept_lows and model.urgent is not None:
            unkept = {k: float(v) for k, v in model.info.get("urgent_language_lows_unkept", {}).items()}
            model = replace(model, urgent=replace(model.urgent, lows=unkept))
        engine = TriageEngine(kb, engine_config, model=model)
        scorer = FastScorer(model)
        for e in held:
            writer = e.writer
            r = engine.triage(e.text)
            c: Counter[str] = Counter()
            c["n"] += 1
            c["route_ok"] += r.route.value == e.route
            if e.handoff:
                c["handoff"] += 1
                c["handoff_caught"] += r.handoff
                c["handoff_after"] += r.handoff or (r.safety_check and (bool(e.urgent) or r.handoff_after_question))
            else:
                c["no_handoff"] += 1
                c["false_handoff"] += r.handoff
            count_urgency(c, e, r)
            totals.update(c)
            by_lang.setdefault(e.lang, Counter()).update(c)
            by_writer.setdefault(writer, Counter()).update(c)
            if dump:
                hits = apply_rules(normalise_sentences(without_mask_tokens(mask_pii(e.text).text)))
                urgent_model = model.urgent
                row = {
                    "writer": writer,
                    "fold": fold,
                    "lang": e.lang,
                    "text": e.text,
                    "route": e.route,
                    "urgent": e.urgent,
                    "handoff": e.handoff,
                    "got_route": r.route.value,
                    "got_urgent": r.urgent,
                    "asked": r.safety_check,
                    "got_handoff": r.handoff,
                    "handoff_after_question": r.handoff_after_question,
                    "handoff_score": scorer.score(fold_for_model(e.text)).handoff,
                    "handoff_threshold": model.handoff.high if model.handoff else None,
                    "confidence": r.confidence,
                    "score": scorer.score(fold_for_model(e.text)).urgent,
                    "thresholds": model.info.get("urgent_thresholds"),
                    "low": urgent_model.low_for(e.lang) if urgent_model else None,
                    "high": urgent_model.high_for(e.lang) if urgent_model else None,
                    "rule_kinds": list(hits.urgent_kinds),
                    "weak": hits.weak_danger,
                    "past_event": hits.past_event,
                    "calm_context": hits.calm_context,
                    "reasons": list(r.reasons),
                }
                dump.write(json.dumps(row, ensure_ascii=False) + "\n")

    def line(name: str, c: Counter[str]) -> str:
        return (
            f"{name:8} n={c['n']:5} route={c['route_ok'] / max(c['n'], 1):.3f} caught={c['caught']}/{c['urgent']} "
            f"at_once={c['at_once']} false_urgent={c['false_urgent']}/{c['calm']} "
            f"({100 * c['false_urgent'] / max(c['calm'], 1):.1f}%) asked={c['asked']} "
            f"({100 * c['asked'] / max(c['calm'], 1):.1f}%) "
            f"handoff={c['handoff_caught']}/{c['handoff']} ({c['handoff_caught'] / max(c['handoff'], 1):.3f}) "
            f"after_question={c['handoff_after'] / max(c['handoff'], 1):.3f} "
            f"false_handoff={c['false_handoff']}/{c['no_handoff']} "
            f"({100 * c['false_handoff'] / max(c['no_handoff'], 1):.1f}%)"
        )

    print(line(args.tag, totals))
    for lang in sorted(by_lang):
        print(line(lang, by_lang[lang]))
    for name in sorted(by_writer):
        print(line(name, by_writer[name]))
    return 0


def fold_model(
    cache: Path, tag: str, fold: str, fit: list[Example], kb: KnowledgeBase, config: ModelConfig
) -> TriageModel:
    """The fold's model from ``cache`` (``{tag}-{fold}.pickle``), or trained on ``fit`` now and saved there; a model
    pickled before a field existed gets that field's empty default."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{tag}-{fold}.pickle"
    if path.is_file():
        model: TriageModel = pickle.loads(path.read_bytes())
    else:
        started = time.perf_counter()
        model = train(fit, kb, config)
        print(f"{fold}: trained in {time.perf_counter() - started:.0f} s", flush=True)
        path.write_bytes(pickle.dumps(model))
    if model.urgent is not None and not hasattr(model.urgent, "lows"):
        object.__setattr__(model.urgent, "lows", {})
    if model.urgent is not None and not hasattr(model.urgent, "highs"):
        object.__setattr__(model.urgent, "highs", {})
    for flag in (model.urgent, model.handoff):
        if flag is not None and not hasattr(flag, "own_cues"):
            object.__setattr__(flag, "own_cues", {})
    return model


def count_urgency(c: Counter[str], e: Example, r: TriageResult) -> None:
    """The urgency counts of one held-out line: caught (urgent at once or asked), at once; on a calm line the
    false urgents and the questions asked."""
    if e.urgent:
        c["urgent"] += 1
        c["caught"] += r.urgent or r.safety_check
        c["at_once"] += r.urgent
    else:
        c["calm"] += 1
        c["false_urgent"] += r.urgent
        c["asked"] += r.safety_check


def grouped_splits(examples: list[Example], k: int) -> list[tuple[str, list[Example], list[Example]]]:
    """(fold name, fit, held) for a grouped k-fold by writer: every writer's lines are held out in exactly one
    fold, and no fold's model read a line of the writers it is scored on."""
    writers = [e.writer for e in examples]
    out = []
    for i, (fit, held) in enumerate(GroupKFold(n_splits=k).split(examples, groups=writers)):
        out.append((f"g{k}-{i}", [examples[j] for j in fit], [examples[j] for j in held]))
    return out


def _overrides(defaults: Any, items: list[str]) -> dict[str, Any]:
    """``name=value`` pairs typed like the default's field (``true``/``false`` for booleans)."""
    out: dict[str, Any] = {}
    for name, value in (item.split("=", 1) for item in items):
        default = getattr(defaults, name)
        kind = float if default is None else type(default)  # an option off by default (None) takes a number
        out[name] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
