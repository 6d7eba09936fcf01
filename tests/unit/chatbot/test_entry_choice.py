"""Which entry answers (kb15). An outside tester's 「介護保険の申請」 got the entry about re-issuing a *lost* care
insurance card: the route was right and the lost-card entry was the route's best match, because its title and
keywords repeat 介護保険(証) — the lost facet (kb14) kept neighbours from answering a lost-card question, but not the
other way round. Now an entry *about* a facet answers only a question that names it; two entries of the route that
score alike, or a far better entry on another route, are offered instead of one of them given as a sure answer; and
the index meets residents' spelling: Japanese phrasings in their kana reading, simplified Chinese in Japanese forms."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.knowledge import KnowledgeBase, bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.retrieval import Bm25Retriever, FieldWeights, ScoredEntry, features, kana_reading

CARE = """
    route: elderly_care
    entries:
      - id: care-overview
        title: {ja: 介護保険と保険料, en: Care insurance and premiums}
        answer: {ja: 40歳以上の人は介護保険料を払います。}
        keywords: [介護保険, 介護保険料]
        examples: [介護保険料はいくらですか, 介護保険って何]
      - id: care-card-lost
        title: {ja: 介護保険証をなくした, en: Lost care insurance card}
        answer: {ja: 介護保険証を再交付します。}
        keywords: [介護保険証, 介護保険証 紛失, 介護保険証 再交付]
        examples: [介護保険証をなくした, 介護保険証を紛失した, 介護保険証が見当たらない, I lost my care insurance card]
"""


@pytest.fixture
def care_engine(
    tmp_path: Path, kb_files: dict[str, str], kb_writer: Callable[..., Path]
) -> Callable[..., TriageEngine]:
    def build(config: EngineConfig | None = None) -> TriageEngine:
        kb = load_knowledge_base(kb_writer(tmp_path / "town", {**kb_files, "elderly_care": CARE}))
        return TriageEngine(kb, config)

    return build


def test_an_entry_about_a_lost_card_does_not_answer_a_question_that_loses_nothing(
    care_engine: Callable[..., TriageEngine],
) -> None:
    engine = care_engine()
    ranked = engine.retriever.search(normalise("介護保険証の申請"))
    assert ranked[0].entry.id == "care-card-lost"  # the lost-card entry repeats the question's words the most
    result = engine.triage("介護保険証の申請")
    assert result.entry_ids != ("care-card-lost",)
    assert engine.triage("介護保険証をなくした").entry_ids == ("care-card-lost",)  # a lost card still gets it


def test_a_side_case_of_one_example_does_not_make_an_entry_about_losing(
    care_engine: Callable[..., TriageEngine],
) -> None:
    engine = care_engine()
    assert engine._about["care-card-lost"] and not engine._about["care-overview"]
    assert not engine._about["gomi-day"]


def test_two_entries_of_the_route_that_score_alike_are_offered_not_one_answered(
    care_engine: Callable[..., TriageEngine],
) -> None:
    engine = care_engine()
    ranked = [ScoredEntry(engine.kb.entry("sodai-gomi"), 30.0), ScoredEntry(engine.kb.entry("gomi-day"), 27.0)]
    reasons: list[str] = []
    pick = engine._pick_entry(ranked, "waste_environment", "ごみ", reasons)
    assert pick.entry is None and [i.entry.id for i in pick.offer] == ["sodai-gomi", "gomi-day"]
    assert "score alike" in reasons[-1]
    far = [ScoredEntry(engine.kb.entry("sodai-gomi"), 30.0), ScoredEntry(engine.kb.entry("gomi-day"), 20.0)]
    assert engine._pick_entry(far, "waste_environment", "ごみ", []).entry == engine.kb.entry("sodai-gomi")
    off = care_engine(EngineConfig(entry_margin=None))
    assert off._pick_entry(ranked, "waste_environment", "ごみ", []).entry == engine.kb.entry("sodai-gomi")


def test_the_close_entries_come_first_among_the_suggestions(care_engine: Callable[..., TriageEngine]) -> None:
    engine = care_engine(EngineConfig(entry_margin=0.0, phrase_margin=None))  # every second entry is "close"
    result = engine.triage("粗大ごみの収集日")
    assert result.action == "clarify"
    assert {s.entry_id for s in result.suggestions[:2]} == {"sodai-gomi", "gomi-day"}


def test_a_far_better_entry_of_another_route_is_offered_beside_the_routes_best(
    care_engine: Callable[..., TriageEngine],
) -> None:
    engine = care_engine()
    ranked = [ScoredEntry(engine.kb.entry("juminhyo"), 40.0), ScoredEntry(engine.kb.entry("sodai-gomi"), 20.0)]
    reasons: list[str] = []
    pick = engine._pick_entry(ranked, "waste_environment", "x", reasons)  # the route vote said waste
    assert pick.entry is None and [i.entry.id for i in pick.offer] == ["juminhyo", "sodai-gomi"]
    near = [ScoredEntry(engine.kb.entry("juminhyo"), 25.0), ScoredEntry(engine.kb.entry("sodai-gomi"), 20.0)]
    assert engine._pick_entry(near, "waste_environment", "x", []).entry == engine.kb.entry("sodai-gomi")


def test_a_question_in_hiragana_meets_the_entry_written_in_kanji(tiny_kb: KnowledgeBase) -> None:
    assert kana_reading("燃えるごみ") == "モエルごみ" and kana_reading("そだいごみ") is None
    question = normalise("かいちょう じかんは")

    def score(weights: FieldWeights) -> dict[str, float]:
        return {i.entry.id: i.score for i in Bm25Retriever(tiny_kb, weights=weights).search(question)}

    assert "hours" not in score(FieldWeights(reading=0.0))  # 開庁時間 shares no character with かいちょうじかん
    assert next(iter(score(FieldWeights()))) == "hours"


def test_simplified_chinese_meets_the_japanese_forms() -> None:
    assert {"謄", "郵", "認", "証"} <= set(features(normalise("邮寄户籍誊本 认证")))


def test_the_booths_care_insurance_question_is_not_answered_with_the_lost_card() -> None:
    engine = TriageEngine(load_knowledge_base(bundled_kb_dir()))  # retrieval and lexicons; no trained model here
    for question in ("介護保険の申請", "介護保険の申請はどうすればいいですか"):
        result = engine.triage(question)
        assert "care-insurance-card-lost" not in result.entry_ids
        offered = (*result.entry_ids, *(s.entry_id for s in result.suggestions))
        assert offered[0] == "care-certification-consult"
    assert engine.triage("介護保険証をなくした").entry_ids == ("care-insurance-card-lost",)


LIVELIHOOD = """
    route: livelihood_support
    entries:
      - id: seikatsu-hogo
        title: {ja: 生活保護の相談, en: Public assistance}
        answer: {ja: 生活保護の相談は福祉課へ。}
        keywords: [生活保護, せいかつほご]
        examples: [生活保護を受けたい, お金がなくて生活できない]
        handoff: true
      - id: food-bank
        title: {ja: 食料の支援, en: Food support}
        answer: {ja: 食料品をお渡しします。}
        keywords: [食料支援, フードバンク]
        examples: [生活が苦しくて食べるものがない]
"""


def test_an_entry_that_always_needs_a_person_hands_over_also_when_it_is_only_offered(
    tmp_path: Path, kb_files: dict[str, str], kb_writer: Callable[..., Path]
) -> None:
    kb = load_knowledge_base(kb_writer(tmp_path / "town", {**kb_files, "livelihood_support": LIVELIHOOD}))
    result = TriageEngine(kb, EngineConfig(entry_margin=0.0, phrase_margin=None)).triage("生活保護を受けたい")
    assert result.entry_ids == () and result.suggestions[0].entry_id == "seikatsu-hogo"
    assert result.handoff and result.action == "handoff"
    assert any("handoff:entry (seikatsu-hogo" in reason for reason in result.reasons)


def test_the_kiosks_example_is_answered_although_a_neighbour_says_its_word_more_often() -> None:
    # jokyo-and-fuhyo (住民票の除票) repeats 住民票 and scores as high; juminhyo-copy holds the phrasing itself
    engine = TriageEngine(load_knowledge_base(bundled_kb_dir()))
    assert engine.triage("住民票が ほしい").entry_ids == ("juminhyo-copy",)
    assert TriageEngine(engine.kb, EngineConfig(phrase_margin=None)).triage("住民票が ほしい").entry_ids == ()
