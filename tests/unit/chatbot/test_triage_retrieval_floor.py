"""Regression floor on the sample town's knowledge base, with a slice of the labelled set held out from tuning.

bench/data/triage_eval.jsonl was written independently of the knowledge base; every fifth line (index % 5 == 4)
was never looked at while tuning the engine. If a change to the engine or the knowledge base drops these
scores below the floor, the test fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.chatbot.engine import TriageEngine
from madoguchi.chatbot.evaluation import evaluate, read_labelled
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base

EVAL = Path(__file__).resolve().parents[3] / "bench" / "data" / "triage_eval.jsonl"


@pytest.fixture(scope="module")
def engine() -> TriageEngine:
    return TriageEngine(load_knowledge_base(bundled_kb_dir()))


def test_held_out_slice_scores_above_the_floor(engine: TriageEngine) -> None:
    rows = [row for index, row in enumerate(read_labelled(EVAL)) if index % 5 == 4]
    assert len(rows) >= 60
    report = evaluate(engine.triage, rows)
    assert report.route_accuracy >= 0.85, report.route_errors
    assert report.urgent_recall == 1.0, report.missed_urgent
    assert report.handoff_recall is not None and report.handoff_recall >= 0.9


def test_whole_eval_set_never_misses_urgent(engine: TriageEngine) -> None:
    report = evaluate(engine.triage, read_labelled(EVAL))
    assert report.urgent_recall == 1.0, report.missed_urgent
    assert report.route_accuracy >= 0.88
    assert report.handoff_recall is not None and report.handoff_recall >= 0.95
