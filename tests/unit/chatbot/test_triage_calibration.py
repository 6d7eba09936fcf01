"""The danger question's calibration: per-language question thresholds, and a past-tense event that asks only
when the learned danger score reaches the question."""

from __future__ import annotations

import numpy as np
import pytest

from madoguchi.chatbot.calibration import language_lows
from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.knowledge import KnowledgeBase
from madoguchi.chatbot.model import (
    Example,
    FastScorer,
    FlagModel,
    ModelConfig,
    fold_for_model,
    train,
)
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.rules import apply_rules

PAST_EVENT = "last month I fainted at work, what about the health check"


def test_a_language_that_would_be_asked_too_often_gets_its_own_higher_question_threshold() -> None:
    ja = np.linspace(-2.0, -0.5, 50)  # calm Japanese lines, well below the common threshold
    vi = np.linspace(-1.0, 0.45, 50)  # calm Vietnamese lines: the top ten are above it (20 %)
    scores = np.concatenate([ja, vi, [1.0, 1.0]])
    labels = np.array([False] * 100 + [True, True])
    languages = np.array(["ja"] * 50 + ["vi"] * 50 + ["ja", "vi"])
    config = ModelConfig(max_safety_rate=0.04, min_offset_lines=20)
    lows = language_lows(scores, labels, languages, 0.0, config)
    assert set(lows) == {"vi"}  # Japanese already asks less than 4 %: its threshold is not lowered
    asked = int((vi >= lows["vi"]).sum())
    assert asked == 2 and lows["vi"] > 0.0  # 4 % of 50
    assert language_lows(scores, labels, languages, 0.0, ModelConfig(min_offset_lines=51)) == {}
    flag = FlagModel(classifier=None, low=0.0, high=1.0, lows=lows)  # type: ignore[arg-type]
    assert flag.low_for("vi") == lows["vi"] and flag.low_for("ja") == 0.0 and flag.low_for("ko") == 0.0


def test_a_past_event_is_told_apart_from_other_weak_signals() -> None:
    past = apply_rules(normalise(PAST_EVENT))
    assert past.weak_danger and past.past_event
    now = apply_rules(normalise("母が朝から電話に出ない"))
    assert now.weak_danger and not now.past_event


def synthetic_corpus() -> list[Example]:
    danger = ["うちの子が何日も食べていない", "川の水が家の前まで来た", "父と連絡が取れない、倒れているかも"]
    calm = ["住民票がほしい", "ごみの日はいつですか", "役場は何時まで", "転出届を出したい", "粗大ごみを出したい"]
    rows: list[Example] = []
    for i in range(6):
        rows += [Example(text=f"{t}{'!' * i}", route="child_family", urgent=True, handoff=True) for t in danger]
        rows += [Example(text=f"{t}{'?' * i}", route="resident_records", urgent=False, handoff=False) for t in calm]
    return rows


@pytest.mark.parametrize(
    ("gate", "offset", "expected"), [(True, 1.0, "none"), (False, 1.0, "ask"), (True, -1.0, "ask")]
)
def test_a_past_event_asks_only_when_the_danger_score_reaches_the_question(
    tiny_kb: KnowledgeBase, gate: bool, offset: float, expected: str
) -> None:
    model = train(synthetic_corpus(), tiny_kb, ModelConfig(folds=3))
    assert model.urgent is not None
    score = FastScorer(model).score(fold_for_model(PAST_EVENT)).urgent
    assert score is not None
    scorer = FlagModel(model.urgent.classifier, score + offset, score + 2.0)
    engine = TriageEngine(
        tiny_kb,
        EngineConfig(past_event_needs_model=gate),
        model=model.__class__(**{**model.__dict__, "urgent": scorer}),
    )
    result = engine.triage(PAST_EVENT)
    assert not result.urgent
    assert ("ask" if result.safety_check else "none") == expected, result.reasons


def test_a_raised_question_threshold_stays_below_the_urgent_lines_only_the_model_catches() -> None:
    vi_calm = np.linspace(-1.0, 0.45, 50)  # the top ten are above the common threshold 0.0
    scores = np.concatenate([vi_calm, [0.2, 0.9, np.nan]])  # two urgent lines; a lexicon phrase has no score
    labels = np.array([False] * 50 + [True, True, False])
    languages = np.array(["vi"] * 53)
    config = ModelConfig(max_safety_rate=0.04, min_offset_lines=20)
    plain = language_lows(scores, labels, languages, 0.0, config)["vi"]
    assert plain > 0.2  # would lose the urgent line at 0.2
    needs_model = np.array([False] * 50 + [True, True, False])
    kept = language_lows(scores, labels, languages, 0.0, config, needs_model)["vi"]
    assert 0.0 < kept < 0.2  # raised, but the urgent line at 0.2 is still asked about
    ruled = np.array([False] * 50 + [False, True, False])  # the rules already catch the line at 0.2
    assert language_lows(scores, labels, languages, 0.0, config, ruled)["vi"] == plain


def test_a_language_made_urgent_too_often_gets_its_own_higher_urgent_threshold() -> None:
    from madoguchi.chatbot.calibration import language_highs

    ja = np.linspace(-2.0, 0.0, 100)  # calm Japanese lines, all below the common urgent threshold (0.5)
    en = np.linspace(-1.0, 0.9, 100)  # calm English lines: the top 21 are above it
    scores = np.concatenate([ja, en, [1.0, 1.0]])
    labels = np.array([False] * 200 + [True, True])
    languages = np.array(["ja"] * 100 + ["en"] * 100 + ["ja", "en"])
    config = ModelConfig(max_false_urgent=0.02, min_offset_lines=20)
    highs = language_highs(scores, labels, languages, 0.5, config)
    assert set(highs) == {"en"} and highs["en"] > 0.5  # only raised, and only where needed
    assert int((en >= highs["en"]).sum()) == 2  # 2 % of 100
    flag = FlagModel(classifier=None, low=0.0, high=0.5, highs=highs)  # type: ignore[arg-type]
    assert flag.high_for("en") == highs["en"] and flag.high_for("ja") == 0.5 and flag.high_for("ko") == 0.5
    assert flag.low_for("en") == 0.0  # a line between the two thresholds is asked the danger question
