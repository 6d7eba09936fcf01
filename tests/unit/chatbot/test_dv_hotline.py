"""DV words in every language bring the DV hotline (municipality.yaml hotlines[].topics: [dv]), whatever made the
line urgent or worth the danger question: a lexicon kind, the learned score, or a "yes" to the question."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from madoguchi.chatbot.engine import TriageEngine, Turn
from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.lexicon import bundled_lexicon
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.rules import apply_rules, topic_kinds
from madoguchi.domain.languages import LANGUAGE_CODES, PAGE_LANGUAGES

AFRAID_OF_A_PARTNER = [
    ("ja", "夫が最近こわくて、家に帰りたくないです"),
    ("en", "My husband scares me lately, I do not want to go home"),
    ("vi", "Chồng tôi dạo này rất đáng sợ, tôi không muốn về nhà"),
    ("zh", "我丈夫最近很可怕，我不想回家"),
    ("ko", "남편이 요즘 무서워서 집에 가고 싶지 않아요"),
    ("pt", "Meu marido anda me assustando, não quero voltar para casa"),
    ("tl", "Natatakot ako sa asawa ko, ayaw kong umuwi"),
    ("ne", "मेरो श्रीमान देखि डर लाग्छ, घर जान मन छैन"),
]


@pytest.mark.parametrize(("lang", "text"), AFRAID_OF_A_PARTNER)
def test_fear_of_a_partner_names_the_dv_topic_in_every_language(lang: str, text: str) -> None:
    assert topic_kinds(normalise(text), bundled_lexicon()) == ("dv",), lang


@pytest.mark.parametrize(("lang", "text"), AFRAID_OF_A_PARTNER)
def test_fear_of_a_partner_shows_the_dv_hotline(tiny_engine: TriageEngine, lang: str, text: str) -> None:
    result = tiny_engine.triage(text, lang=lang)
    assert result.urgent or result.safety_check, lang
    assert "#8008" in [h.number for h in result.hotlines], (lang, result.reasons)


def test_not_wanting_to_go_home_because_of_a_husband_is_dv_not_child_abuse() -> None:
    hits = apply_rules(normalise("夫が最近こわくて、家に帰りたくないです"))
    assert hits.urgent_kinds == ("dv",)
    child = apply_rules(normalise("子どもが 家に帰りたくないと 言っています"))
    assert child.urgent_kinds == ("child_abuse",) and child.topics == ()


def test_a_yes_to_the_danger_question_keeps_the_dv_hotline(tiny_engine: TriageEngine) -> None:
    first = tiny_engine.triage("My husband scares me lately", lang="en")
    history = [
        Turn(sender="resident", text=first.masked_text),
        Turn(sender="bot", text=first.answer or "", action=first.action),
    ]
    result = tiny_engine.triage("yes", history=history, lang="en")
    assert result.urgent and "#8008" in [h.number for h in result.hotlines]


def test_a_partner_without_danger_is_no_dv_topic() -> None:
    assert topic_kinds(normalise("夫の 転入届を 出したいです"), bundled_lexicon()) == ()
    assert topic_kinds(normalise("My wife needs a residence certificate"), bundled_lexicon()) == ()


CATALOGS = Path(__file__).resolve().parents[3] / "madoguchi" / "static" / "i18n"


def test_110_119_and_the_dv_line_are_named_in_every_residents_language() -> None:
    english = json.loads((CATALOGS / "en.json").read_text(encoding="utf-8"))
    town = load_knowledge_base(bundled_kb_dir()).municipality
    for lang in [code for code in LANGUAGE_CODES if code not in ("ja", "easy-ja", "en")]:
        catalog = json.loads((CATALOGS / f"{lang}.json").read_text(encoding="utf-8"))
        for key in ("resident.hotline.police", "resident.hotline.fire"):
            assert catalog[key].strip() and catalog[key] != english[key], (lang, key)
        for number in ("110", "119", "#8008"):
            hotline = next(h for h in town.hotlines if h.number == number)
            assert hotline.name.has(lang), (lang, number)  # not the English fallback


def test_every_hotline_carries_its_name_and_when_in_every_page_language(tiny_engine: TriageEngine) -> None:
    """The page names the numbers again in the language the resident switches to (hotlines.js reads ``names``)."""
    result = tiny_engine.triage("夫が最近こわくて、家に帰りたくないです", lang="ja")
    town = tiny_engine.kb.municipality
    assert result.hotlines
    for info in result.hotlines:
        assert set(info.names) == set(PAGE_LANGUAGES), info.number
        hotline = next((h for h in town.hotlines if h.number == info.number), None)
        if hotline is None:
            continue
        assert info.names["ne"] == hotline.name.in_language("ne")
        assert info.whens["vi"] == hotline.when_text("vi") and info.name == info.names["ja"]
