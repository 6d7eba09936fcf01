"""Safety first: a weak danger signal makes the bot ask one direct question (with the hotlines) instead of
answering; "yes" makes the case urgent, "no" answers the original question. Also the learned model's danger
scorer, the conversation's current need, schedule entries, easy Japanese and links."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from madoguchi.chatbot.calibration import flag_thresholds
from madoguchi.chatbot.engine import TriageEngine, Turn
from madoguchi.chatbot.knowledge import KnowledgeBase, load_knowledge_base
from madoguchi.chatbot.model import (
    Example,
    FastScorer,
    FlagModel,
    ModelConfig,
    _folds,
    fold_for_model,
    train,
)
from madoguchi.domain.routes import RouteId

QUESTION_JA = "いま、あなたや だれかが 危ない 状態ですか？"


def asked(engine: TriageEngine, text: str) -> list[Turn]:
    result = engine.triage(text)
    return [
        Turn(sender="resident", text=result.masked_text),
        Turn(sender="bot", text=result.answer or "", action=result.action),
    ]


def test_a_weak_danger_signal_asks_the_question_with_the_hotlines(tiny_engine: TriageEngine) -> None:
    result = tiny_engine.triage("母が朝から電話に出ないんです")
    assert result.action == "safety_check" and result.safety_check
    assert not result.urgent and not result.handoff
    assert result.answer == QUESTION_JA and result.entry_ids == ()
    assert [h.number for h in result.hotlines][:2] == ["110", "119"]
    assert any(r.startswith("safety:") for r in result.reasons)
    english = tiny_engine.triage("My father is not answering his phone since this morning")
    assert english.safety_check and english.answer == "Are you or is someone in danger right now?"
    plain = tiny_engine.triage("住民票がほしい")
    assert not plain.safety_check and plain.action == "answer"


@pytest.mark.parametrize("reply", ["はい", "はい、危ないです", "yes"])
def test_yes_makes_the_case_urgent(tiny_engine: TriageEngine, reply: str) -> None:
    history = asked(tiny_engine, "母が朝から電話に出ないんです")
    result = tiny_engine.triage(reply, history=history)
    assert result.urgent and result.handoff and result.action == "handoff" and not result.safety_check
    assert any(r.startswith("urgent:safety_yes") for r in result.reasons)
    assert [h.number for h in result.hotlines][:2] == ["110", "119"]
    summary = tiny_engine.summarise([*history, Turn(sender="resident", text=reply)], result)
    assert "緊急" in summary.flags and "電話に出ない" in summary.need


def test_no_answers_the_original_question(tiny_engine: TriageEngine) -> None:
    history = asked(tiny_engine, "となりの人が電話に出ない。ごみの日はいつ？")
    assert history[1].action == "safety_check"
    result = tiny_engine.triage("いいえ、大丈夫です", history=history)
    assert not result.urgent and not result.safety_check
    assert result.route == RouteId.WASTE_ENVIRONMENT and result.entry_ids == ("gomi-day",)
    # without the question before it, 「いいえ」 is just an unclear line
    assert not tiny_engine.triage("いいえ、大丈夫です").entry_ids


def synthetic_corpus() -> list[Example]:
    danger = ["うちの子が何日も食べていない", "川の水が家の前まで来た", "父と連絡が取れない、倒れているかも"]
    calm = ["住民票がほしい", "ごみの日はいつですか", "役場は何時まで", "転出届を出したい", "粗大ごみを出したい"]
    rows: list[Example] = []
    for i in range(6):
        rows += [Example(text=f"{t}{'!' * i}", route="child_family", urgent=True, handoff=True) for t in danger]
        rows += [Example(text=f"{t}{'?' * i}", route="resident_records", urgent=False, handoff=False) for t in calm]
    return rows


def test_the_learned_danger_score_decides_urgent_question_or_nothing(tiny_kb: KnowledgeBase) -> None:
    model = train(synthetic_corpus(), tiny_kb, ModelConfig(folds=3))
    assert model.urgent is not None and model.urgent.low <= model.urgent.high
    probabilities = model.route_probabilities(model.features("じゅうみんひょう"))
    assert abs(sum(probabilities.values()) - 1.0) < 1e-6
    text = "川の水が家の前まで来たよ"
    score = model.urgent.score(model.features(text))
    for low, high, expected in (
        (score - 1, score - 0.5, "urgent"),
        (score - 1, score + 1, "ask"),
        (score + 1, score + 2, "none"),
    ):
        scorer = FlagModel(model.urgent.classifier, low, high)
        engine = TriageEngine(tiny_kb, model=model.__class__(**{**model.__dict__, "urgent": scorer}))
        result = engine.triage(text)
        got = "urgent" if result.urgent else "ask" if result.safety_check else "none"
        assert got == expected, (low, high, score, result.reasons)


def test_the_summary_names_the_current_need_and_lists_the_rest(tiny_engine: TriageEngine) -> None:
    transcript: list[Turn] = []
    for text in ("燃えるごみは何曜日？", "それと住民票を1枚とりたい"):
        result = tiny_engine.triage(text, history=transcript)
        transcript += [
            Turn(sender="resident", text=result.masked_text),
            Turn(sender="bot", text=result.answer or "", action=result.action, entry_ids=result.entry_ids),
        ]
    transcript.append(Turn(sender="resident", text="人と話したい"))
    result = tiny_engine.triage("人と話したい", history=transcript[:-1])
    assert result.handoff and result.route == RouteId.RESIDENT_RECORDS  # the last clear question wins
    summary = tiny_engine.summarise(transcript, result)
    assert summary.need.startswith("「住民票の写し」について") and "住民票" in summary.need
    assert len(summary.also_asked) == 1 and "燃えるごみ" in summary.also_asked[0]
    need = tiny_engine.current_need(transcript)
    assert need is not None and need.route == RouteId.RESIDENT_RECORDS


FERRY = """
    route: transport_ferry
    entries:
      - id: ferry-fare
        title: {ja: フェリーの運賃と割引, en: Ferry fares}
        answer: {ja: 大人片道1200円です。島民割引があります。}
        keywords: [フェリー, 運賃, 料金, 割引, 時間]
        examples: [フェリーの料金はいくら, フェリーは何時間かかる]
      - id: ferry-timetable
        title: {ja: フェリーの時刻表, en: Ferry timetable}
        answer: {ja: 汐見港発 7時、12時、17時です。}
        keywords: [時刻表, 出航]
        examples: [時刻表を見たい]
        schedule: true
        links:
          - title: {ja: 時刻表（PDF）}
            url: https://town.example/ferry.pdf
"""


def test_a_when_question_gets_the_schedule_entry(
    tmp_path: Path, kb_files: dict[str, str], kb_writer: Callable[..., Path]
) -> None:
    engine = TriageEngine(load_knowledge_base(kb_writer(tmp_path / "a", {**kb_files, "transport_ferry": FERRY})))
    result = engine.triage("フェリーは何時に出ますか")
    assert result.entry_ids == ("ferry-timetable",)
    assert [(link.title, link.url) for link in result.links] == [("時刻表（PDF）", "https://town.example/ferry.pdf")]
    unmarked = FERRY.replace("        schedule: true\n", "")
    plain = TriageEngine(load_knowledge_base(kb_writer(tmp_path / "b", {**kb_files, "transport_ferry": unmarked})))
    assert plain.triage("フェリーは何時に出ますか").entry_ids == ("ferry-fare",)  # the neighbour, without the mark


def test_easy_japanese_is_answered_in_easy_japanese(
    tiny_engine: TriageEngine, tmp_path: Path, kb_files: dict[str, str], kb_writer: Callable[..., Path]
) -> None:
    ordinary = tiny_engine.kb.entry("sodai-gomi").answer.ja
    easy = tiny_engine.triage("おおきい ごみ そふぁ を すてたい です", lang="easy-ja")
    assert easy.entry_ids == ("sodai-gomi",) and easy.answer is not None
    assert easy.answer != ordinary and "大きい ごみ" in easy.answer  # rendered by the rule set
    written = kb_files["waste_environment"].replace(
        "answer: {ja: 粗大ごみは予約制です。, en: Large items need a booking.}",
        "answer: {ja: 粗大ごみは予約制です。, easy-ja: 大きい ごみは でんわで よやく します。}",
    )
    engine = TriageEngine(load_knowledge_base(kb_writer(tmp_path / "e", {**kb_files, "waste_environment": written})))
    assert engine.triage("そふぁ を すてたい です", lang="easy-ja").answer == "大きい ごみは でんわで よやく します。"


@pytest.mark.parametrize(
    "config",
    [ModelConfig(folds=3), ModelConfig(folds=3, cue_weight=0.5, lexicon_weight=0.5, writer_folds=False)],
    ids=["default", "scaled cues, lexicon phrases"],
)
def test_the_fast_scorer_gives_scikit_learns_numbers(tiny_kb: KnowledgeBase, config: ModelConfig) -> None:
    model = train(synthetic_corpus(), tiny_kb, config)
    fast = FastScorer(model)
    for text in ("川の水が家の前まで来たよ", "じゅうみんひょう ほしい", "I want to talk to a person", "zzz", ""):
        folded = fold_for_model(text)
        features = model.features(folded)
        got = fast.score(folded)
        expected = model.route_probabilities(features)
        assert got.routes.keys() == expected.keys()
        assert all(abs(got.routes[r] - expected[r]) < 1e-9 for r in expected)
        assert model.urgent is not None and got.urgent is not None
        assert abs(got.urgent - model.urgent.score(features)) < 1e-9


def test_out_of_fold_danger_scores_come_from_writers_the_fold_never_read() -> None:
    writers = [f"batch_{i % 4}" for i in range(40)] + [""] * 10
    labels = np.array([i % 3 == 0 for i in range(50)])
    folds = _folds(labels, writers, ModelConfig(folds=5, writer_folds=True))
    assert len(folds) == 5
    for train_index, test_index in folds:
        named_train = {writers[i] for i in train_index} - {""}
        named_test = {writers[i] for i in test_index} - {""}
        assert not named_train & named_test
    # one writer only: stratified, shuffled folds
    one_writer = _folds(labels, ["batch_1"] * 50, ModelConfig(folds=5, writer_folds=True))
    assert len(one_writer) == 5 and all(len(test) == 10 for _train, test in one_writer)


def test_the_rules_own_false_alarms_use_up_the_thresholds_budgets() -> None:
    calm = np.linspace(-2.0, 0.98, 100)  # 100 non-urgent lines, best score 0.98
    scores = np.concatenate([calm, [-1.0, 2.0]])  # one urgent line scores low: the question must reach it
    labels = np.array([False] * 100 + [True, True])
    config = ModelConfig(max_false_urgent=0.02, max_safety_rate=0.04, rules_budget=True)
    low, high = flag_thresholds(scores, labels, config)
    assert high == pytest.approx(calm[-3], abs=1e-5)  # 2 % of 100: two calm lines above it
    assert low == pytest.approx(calm[-7], abs=1e-5)  # 6 % flagged in all, urgent or asked
    ruled = np.zeros(102, dtype=bool)
    ruled[:2] = True  # the lexicons already make two calm lines urgent: the model may add none
    low_r, high_r = flag_thresholds(scores, labels, config, ruled_urgent=ruled, ruled_weak=np.zeros(102, dtype=bool))
    assert high_r == pytest.approx(calm[-1], abs=1e-5) and high_r > high
    assert low_r == pytest.approx(calm[-5], abs=1e-5) and low_r > low


def test_a_language_whose_calm_lines_score_high_is_shifted_back() -> None:
    """Per-language offsets (measured, off by default: SELECTION.md round 6): the median out-of-fold danger
    score of a language's calm lines minus that of all calm lines; a language with too few keeps the scale."""
    from madoguchi.chatbot.calibration import language_offsets

    scores = np.array([0.5, -1.0, -0.9, -0.8, -0.3, -0.2, -0.1, 0.9])
    labels = np.array([True, False, False, False, False, False, False, True])
    languages = ["ja", "ja", "ja", "ja", "vi", "vi", "vi", "vi"]
    offsets = language_offsets(scores, labels, languages, ModelConfig(language_offsets=True, min_offset_lines=3))
    assert offsets["vi"] == pytest.approx(-0.2 - (-0.55)) and offsets["ja"] == pytest.approx(-0.9 - (-0.55))
    assert language_offsets(scores, labels, languages, ModelConfig(language_offsets=True, min_offset_lines=4)) == {}
    assert language_offsets(scores, labels, languages, ModelConfig(min_offset_lines=3)) == {}  # off by default
    flag = FlagModel(classifier=None, low=0.0, high=1.0, offsets=offsets)  # type: ignore[arg-type]
    assert flag.calibrated(0.1, "vi") == pytest.approx(0.1 - offsets["vi"]) and flag.calibrated(0.1, "en") == 0.1


def test_korean_and_nepali_words_are_features_with_their_stems() -> None:
    from madoguchi.chatbot.model import script_word_tokens

    korean = script_word_tokens("주민표를 떼고 싶어요")
    assert {"k:주민표를", "ks:주민표", "ks:주민", "k:떼고"} <= set(korean) and "ks:떼" not in korean
    nepali = script_word_tokens("जन्म दर्ता प्रमाणपत्र")
    # syllables, not code points: प्र|मा|ण|प|त्र → stems of three and four syllables, pairs of syllables
    assert {"d:प्रमाणपत्र", "ds:प्रमाणप", "ds:प्रमाण", "da:पत्र", "da:प्रमा"} <= set(nepali)
    assert script_word_tokens("i want a copy 住民票") == []
