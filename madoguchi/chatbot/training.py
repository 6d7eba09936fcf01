"""Choosing the model on the training data only: a validation part carved from the training split.

The corpus test split is for reporting; every choice (features, regularisation, how the model and retrieval
vote, the danger thresholds) is measured here, on a stratified part of the training file the candidate model
did not see. ``madoguchi triage train --validate`` and ``bench/triage/select_model.py`` use it.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.evaluation import EvalReport, LabelledUtterance, evaluate
from madoguchi.chatbot.knowledge import KnowledgeBase
from madoguchi.chatbot.model import Example, ModelConfig, train
from madoguchi.domain.routes import RouteId


def validation_split(
    examples: Sequence[Example], *, share: float = 0.2, seed: int = 7
) -> tuple[list[Example], list[Example]]:
    """(fit, validation), stratified by route and language."""
    strata: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for example in examples:
        strata[(example.route, example.lang)].append(example)
    rng = random.Random(seed)
    fit: list[Example] = []
    held: list[Example] = []
    for key in sorted(strata):
        group = list(strata[key])
        rng.shuffle(group)
        n = round(len(group) * share)
        held.extend(group[:n])
        fit.extend(group[n:])
    return fit, held


def writer_splits(examples: Sequence[Example]) -> list[tuple[str, list[Example], list[Example]]]:
    """(writer, fit, held) for every writer: the harder validation, on someone whose wording the model has
    never seen (the residents' own words will be like that)."""
    writers = sorted({e.writer for e in examples if e.writer})
    return [(w, [e for e in examples if e.writer != w], [e for e in examples if e.writer == w]) for w in writers]


def as_labelled(examples: Sequence[Example]) -> list[LabelledUtterance]:
    return [
        LabelledUtterance(
            text=e.text, route=RouteId(e.route), urgent=bool(e.urgent), handoff=bool(e.handoff), lang=e.lang
        )
        for e in examples
    ]


@dataclass(frozen=True)
class Validation:
    report: EvalReport
    train_seconds: float


def validate(
    fit: Sequence[Example],
    held: Sequence[Example],
    kb: KnowledgeBase,
    model_config: ModelConfig | None = None,
    engine_config: EngineConfig | None = None,
) -> Validation:
    started = time.perf_counter()
    model = train(fit, kb, model_config)
    seconds = time.perf_counter() - started
    engine = TriageEngine(kb, engine_config, model=model)
    return Validation(evaluate(engine.triage, as_labelled(held)), seconds)
