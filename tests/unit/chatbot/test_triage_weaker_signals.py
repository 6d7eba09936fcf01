"""Session 14's two safety levers and the paperwork list (issue #10), chosen by grouped cross-validation by writer
on the training split (bench/triage/RESULTS.md, session 14):

- the danger question on weaker signals: a learned danger score a little below the question threshold still asks,
  unless the line is told calmly (past, plan, story, over, paperwork);
- a lexicon verdict of an event kind (a fire, a collapse, a missing person, an eviction, a household danger) whose
  learned score lies far below the question threshold asks instead of being urgent at once; violence, abuse and
  suicidal words keep their verdict whatever the score.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.knowledge import KnowledgeBase
from madoguchi.chatbot.lexicon import LexiconName, bundled_lexicon
from madoguchi.chatbot.model import FlagModel, ModelConfig, TriageModel, fold_for_model, train
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.rules import apply_rules
from tests.unit.chatbot.test_triage_safety import synthetic_corpus


@pytest.fixture
def model(tiny_kb: KnowledgeBase) -> TriageModel:
    return train(synthetic_corpus(), tiny_kb, ModelConfig(folds=3))


def decision(kb: KnowledgeBase, model: TriageModel, text: str, low_above: float, config: EngineConfig) -> str:
    """The engine's verdict on ``text`` with the question threshold ``low_above`` above the line's own danger score
    (negative: below it) and "urgent at once" far above."""
    assert model.urgent is not None
    score = model.urgent.score(model.features(fold_for_model(text)))
    scorer = FlagModel(model.urgent.classifier, score + low_above, score + 5.0)
    result = TriageEngine(kb, config, model=replace(model, urgent=scorer)).triage(text)
    return "urgent" if result.urgent else "ask" if result.safety_check else "none"


def test_a_score_just_below_the_question_asks_with_the_band(tiny_kb: KnowledgeBase, model: TriageModel) -> None:
    text = "川の水が家の前まで来たよ"
    assert decision(tiny_kb, model, text, 0.03, EngineConfig(question_band=0.0)) == "none"
    assert decision(tiny_kb, model, text, 0.03, EngineConfig()) == "ask"  # the default band, 0.05
    assert decision(tiny_kb, model, text, 0.08, EngineConfig(question_band=0.05)) == "none"  # below the band


@pytest.mark.parametrize(
    "text",
    [
        "先週、川の水が家の前まで来たよ",  # the past
        "罹災証明書がほしい。川の水が家の前まで来たよ",  # paperwork
        "I need the certificate: the river water came up to our door",
    ],
)
def test_a_line_told_calmly_is_not_asked_in_the_band(tiny_kb: KnowledgeBase, model: TriageModel, text: str) -> None:
    assert apply_rules(normalise(text)).quiet
    assert decision(tiny_kb, model, text, 0.03, EngineConfig(question_band=0.05)) == "none"
    assert decision(tiny_kb, model, text, -0.01, EngineConfig(question_band=0.05)) == "ask"  # at the threshold


@pytest.mark.parametrize("text", ["隣の家が燃えている", "母が倒れて動かない"])
def test_an_event_word_with_a_calm_danger_score_asks(tiny_kb: KnowledgeBase, model: TriageModel, text: str) -> None:
    assert apply_rules(normalise(text)).urgent
    assert decision(tiny_kb, model, text, 1.0, EngineConfig(rule_event_floor=None)) == "urgent"  # the lexicon alone
    assert decision(tiny_kb, model, text, 1.0, EngineConfig()) == "ask"  # the default floor, 0.3
    assert decision(tiny_kb, model, text, 0.2, EngineConfig(rule_event_floor=0.3)) == "urgent"  # not far enough


@pytest.mark.parametrize("text", ["もう死にたい", "夫に殴られている", "My husband hits me"])
def test_violence_and_suicidal_words_stay_urgent_whatever_the_score(
    tiny_kb: KnowledgeBase, model: TriageModel, text: str
) -> None:
    assert decision(tiny_kb, model, text, 3.0, EngineConfig(rule_event_floor=0.0)) == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "罹災証明書の申請はどこですか",
        "しょうめいしょ が ほしい",
        "How do I get a death certificate?",
        "去年洪水的证明怎么申请",
        "사망신고 서류는 어디에 내나요",
        "Tôi muốn làm đơn xin trợ cấp",
        "Como peço a certidão de óbito?",
        "Paano kumuha ng sertipiko?",
        "मृत्यु दर्ता प्रमाणपत्र कहाँ पाइन्छ?",
    ],
)
def test_paperwork_words_are_found_in_every_language(text: str) -> None:
    assert bundled_lexicon().search(LexiconName.PROCEDURE, normalise(text))


@pytest.mark.parametrize("text", ["母が倒れて動かない", "My mother collapsed and is not moving", "夫に殴られている"])
def test_a_danger_line_has_no_paperwork_word(text: str) -> None:
    assert not bundled_lexicon().search(LexiconName.PROCEDURE, normalise(text))
