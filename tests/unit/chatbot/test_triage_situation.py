"""The danger stage's situation layer (issue #10, session 15): who is at risk × what state × when, read from every
language's cue lists, so what one language's writers taught carries over to the others; a lexicon's weak danger
signal that the layer reads as calm is not asked about (bench/triage/SELECTION.md, round 13)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.knowledge import KnowledgeBase
from madoguchi.chatbot.lexicon import bundled_lexicon
from madoguchi.chatbot.model import Example, FlagModel, ModelConfig, TriageModel, fold_for_model, train
from madoguchi.chatbot.situation import SituationModel, situation_features, slots
from tests.unit.chatbot.test_triage_safety import synthetic_corpus

UNREACHABLE_FATHER = [
    "父が朝から電話に出ません",
    "My father has not answered the phone since this morning",
    "아버지가 아침부터 전화를 안 받아요",
    "我爸爸从早上开始不接电话",
    "Hindi sumasagot sa telepono ang tatay ko mula kaninang umaga",
]


@pytest.mark.parametrize("text", UNREACHABLE_FATHER)
def test_one_situation_has_the_same_slots_in_every_language(text: str) -> None:
    found = slots(fold_for_model(text), bundled_lexicon())
    assert "elder" in found.who
    assert "no_contact" in found.state
    assert "duration" in found.now
    assert not found.calm


def test_the_past_is_a_calm_when_and_a_duration_is_now() -> None:
    lexicon = bundled_lexicon()
    over = slots(fold_for_model("先週、父と連絡が取れなかった"), lexicon)
    assert over.calm == ("past",) and not over.now
    features = situation_features(over, -1.0)
    assert "when:calm" in features and "band+when:lo+calm" in features
    now = situation_features(slots(fold_for_model(UNREACHABLE_FATHER[1]), lexicon), 0.2)
    assert {"who+state:elder+no_contact", "state+when:no_contact+now", "band+when:hi+now"} <= set(now)


def test_a_weight_learned_for_a_situation_holds_in_every_language() -> None:
    """A cross learned from one language's lines (an old parent unreachable) scores another language's line that
    names the same concepts in other words the same: the table has no word of any language."""
    model = SituationModel({"who+state:elder+no_contact": 4.0}, score_weight=0.0, intercept=-2.0, calm_below=0.1)
    lexicon = bundled_lexicon()
    probabilities = {round(model.probability(slots(fold_for_model(t), lexicon), 0.0), 6) for t in UNREACHABLE_FATHER}
    assert probabilities == {round(1 / (1 + 2.718281828459045**-2.0), 6)}
    calm = model.probability(slots(fold_for_model("ごみの日はいつですか"), lexicon), 0.0)
    assert calm < 0.2


@pytest.fixture
def model(tiny_kb: KnowledgeBase) -> TriageModel:
    return train(synthetic_corpus(), tiny_kb, ModelConfig(folds=3))


def verdict(kb: KnowledgeBase, model: TriageModel, text: str, situation: SituationModel | None, **config: bool) -> str:
    """The engine's verdict with the question threshold far above the line's danger score (the score never asks)."""
    assert model.urgent is not None
    score = model.urgent.score(model.features(fold_for_model(text)))
    scorer = FlagModel(model.urgent.classifier, score + 1.0, score + 5.0)
    engine = TriageEngine(kb, EngineConfig(**config), model=replace(model, urgent=scorer, situation=situation))
    result = engine.triage(text)
    return "urgent" if result.urgent else "ask" if result.safety_check else "none"


CALM = SituationModel({}, score_weight=0.0, intercept=-10.0, calm_below=0.1)  # every situation reads calm
AT_RISK = SituationModel({}, score_weight=0.0, intercept=10.0, calm_below=0.1)


def test_a_weak_signal_in_a_calm_situation_is_not_asked(tiny_kb: KnowledgeBase, model: TriageModel) -> None:
    text = "父が朝から電話に出ません"
    assert verdict(tiny_kb, model, text, None) == "ask"  # the lexicon's weak signal alone
    assert verdict(tiny_kb, model, text, AT_RISK, situation_calms=True) == "ask"
    assert verdict(tiny_kb, model, text, CALM, situation_calms=True) == "none"
    assert verdict(tiny_kb, model, text, CALM) == "ask"  # off by default: a learned calm never silences a question


@pytest.mark.parametrize("text", ["今までありがとうございました。猫をよろしくお願いします"])
def test_a_farewell_is_asked_whatever_the_situation(tiny_kb: KnowledgeBase, model: TriageModel, text: str) -> None:
    assert verdict(tiny_kb, model, text, CALM, situation_calms=True) == "ask"


def test_training_with_writers_builds_the_layer(tiny_kb: KnowledgeBase) -> None:
    corpus = [replace(e, writer=f"w{i % 3}") for i, e in enumerate(synthetic_corpus())]
    corpus += [Example(text="先週、父と連絡が取れなかった", route="elderly_care", urgent=False, writer="w1")]
    fitted = train(corpus, tiny_kb, ModelConfig(folds=3, situation=True))
    assert fitted.situation is not None and fitted.situation.weights
    assert "situation" in fitted.info
    assert train(corpus, tiny_kb, ModelConfig(folds=3)).situation is None
