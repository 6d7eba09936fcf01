"""Lost cards and handbooks (outside tester): 「国民健康保険の保険証をなくしました」 got nhi-withdraw (leaving NHI)
and "I lost my residence card" got the moving-in registration — a neighbour entry that says nothing of losing
anything, given as a sure answer. The sample town now has entries for them in every language, and a question
with a word of the lexicons' ``lost`` list is answered only by an entry about losing something: without one near
enough, the bot offers topics instead of a neighbour's answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.knowledge import KnowledgeBase, bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.lexicon import LexiconName, bundled_lexicon
from madoguchi.chatbot.normalise import normalise

NEW_ENTRIES = (
    "late-elderly-card-lost",
    "residence-card-lost",
    "boshi-techo-lost",
    "disability-handbook-lost",
    "care-insurance-card-lost",
)
TITLE_LANGUAGES = ("ja", "en", "zh", "ko", "vi", "pt", "tl", "ne")  # as every entry's title
ANSWER_LANGUAGES = (*TITLE_LANGUAGES, "easy-ja")


@pytest.fixture(scope="module")
def sample_kb() -> KnowledgeBase:
    return load_knowledge_base(bundled_kb_dir())


@pytest.fixture(scope="module")
def sample_engine(sample_kb: KnowledgeBase) -> TriageEngine:
    return TriageEngine(sample_kb)  # retrieval and lexicons only: no trained model in unit tests


@pytest.mark.parametrize("entry_id", NEW_ENTRIES)
def test_the_new_entries_speak_every_language(sample_kb: KnowledgeBase, entry_id: str) -> None:
    entry = sample_kb.entry(entry_id)
    assert [lang for lang in TITLE_LANGUAGES if not entry.title.has(lang)] == []
    assert [lang for lang in ANSWER_LANGUAGES if not entry.answer.has(lang)] == []
    assert len(entry.examples) >= 10 and entry.keywords


def test_the_residence_card_entry_sends_to_the_police_and_immigration_not_to_an_invented_office(
    sample_kb: KnowledgeBase,
) -> None:
    answer = sample_kb.entry("residence-card-lost").answer
    assert "14日以内" in answer.ja and "遺失届" in answer.ja and "地方出入国在留管理局" in answer.ja
    assert "regional immigration bureau" in answer.in_language("en")


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("国民健康保険の保険証をなくしました", "insurance-card-eligibility"),
        ("I lost my residence card", "residence-card-lost"),
        ("在留カードを落としてしまいました", "residence-card-lost"),
        ("Tôi làm mất thẻ cư trú rồi", "residence-card-lost"),
        ("Perdi meu cartão de residência ontem", "residence-card-lost"),
        ("Nawala ko ang zairyu card ko", "residence-card-lost"),
        ("在留卡丢了怎么办", "residence-card-lost"),
        ("재류카드를 잃어버렸는데 어떻게 하죠", "residence-card-lost"),
        ("後期高齢者医療の資格確認書をなくした", "late-elderly-card-lost"),
        ("母子手帳を紛失しました", "boshi-techo-lost"),
        ("Perdi a caderneta materno-infantil do meu filho", "boshi-techo-lost"),
        ("身体障害者手帳をなくしてしまいました", "disability-handbook-lost"),
        ("I lost my disability handbook", "disability-handbook-lost"),
        ("介護保険証が見当たらない", "care-insurance-card-lost"),
        ("印鑑登録証をなくしました", "inkan-card-lost"),
        ("マイナンバーカードをなくしました", "mnc-lost"),
    ],
)
def test_a_lost_card_question_gets_the_entry_about_it(
    sample_engine: TriageEngine, question: str, entry_id: str
) -> None:
    result = sample_engine.triage(question)
    assert result.entry_ids == (entry_id,), (result.action, result.entry_ids, result.reasons)


def test_every_new_entry_names_the_lost_facet(sample_engine: TriageEngine) -> None:
    lexicon = bundled_lexicon()
    for entry_id in NEW_ENTRIES:
        texts = [*sample_engine.kb.entry(entry_id).examples]
        assert any(lexicon.hits(LexiconName.LOST, normalise(t)) for t in texts), entry_id


KbWriter = Callable[..., Path]
INKAN = """
    route: resident_records
    entries:
      - id: inkan-register
        title: {ja: 印鑑登録をする, en: Registering a seal}
        answer: {ja: 印鑑登録は町民課で。登録すると印鑑登録証のカードをお渡しします。}
        keywords: [印鑑登録, 印鑑登録証, いんかんとうろく, 実印, seal registration card]
        examples: [印鑑登録をしたい, 実印を登録したい, 印鑑登録証のカードがほしい, I want a seal registration card]
      - id: inkan-card-lost
        title: {ja: 印鑑登録証をなくした, en: Lost seal card}
        answer: {ja: すぐに町民課に電話してください。登録を止めます。}
        keywords: [紛失]
        examples: [ハンコのカードをなくした, I lost my seal card]
"""


def test_a_lost_question_prefers_the_entry_about_losing_over_a_higher_scoring_neighbour(
    tmp_path: Path, kb_writer: KbWriter, kb_files: dict[str, str]
) -> None:
    kb = load_knowledge_base(kb_writer(tmp_path / "town", {**kb_files, "resident_records": INKAN}))
    question = "印鑑登録証のカードをなくしました"
    without = TriageEngine(kb, EngineConfig(facets=(), entry_margin=None))  # nor the margin: the neighbour answers
    ranked = without.retriever.search(normalise(question))
    assert ranked[0].entry.id == "inkan-register"  # the neighbour that shares the most words
    assert without.triage(question).entry_ids == ("inkan-register",)
    result = TriageEngine(kb).triage(question)
    assert result.entry_ids == ("inkan-card-lost",)
    assert any("names 'lost'" in reason for reason in result.reasons)


def test_losing_a_job_is_no_lost_thing(tiny_engine: TriageEngine) -> None:
    # "lost" without a thing (a card, a certificate, a handbook) is another sense: the entry is chosen as before
    assert tiny_engine.triage("仕事をなくしたので住民票がほしい").entry_ids == ("juminhyo",)


def test_without_an_entry_about_losing_the_bot_offers_topics_instead_of_a_neighbour(tiny_engine: TriageEngine) -> None:
    asked = tiny_engine.triage("I need a residence certificate")
    assert asked.entry_ids == ("juminhyo",)  # the question without a lost word is answered as before
    result = tiny_engine.triage("I lost my residence certificate")
    assert result.action == "clarify" and result.entry_ids == () and result.answer is None
    assert "juminhyo" in [s.entry_id for s in result.suggestions]
    assert any("none names 'lost'" in reason for reason in result.reasons)
