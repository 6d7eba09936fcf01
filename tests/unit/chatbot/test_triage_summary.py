"""The handoff summary names what the resident asked: an entry's title only when the knowledge base really
matched the line, else the route and the resident's own words (never a neighbouring entry's title)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from madoguchi.chatbot.engine import TriageEngine, Turn
from madoguchi.chatbot.knowledge import load_knowledge_base
from madoguchi.chatbot.model import ModelScores
from madoguchi.chatbot.retrieval import ScoredEntry
from madoguchi.chatbot.summary import JA_LANGUAGE_NAMES, matched_title
from madoguchi.domain.routes import RouteId

TAX = """
    route: tax
    entries:
      - id: kakutei
        title: {ja: 確定申告を手伝ってほしい, en: Help with the tax return}
        answer: {ja: 2月から3月に申告相談会があります。}
        keywords: [確定申告, 申告相談, tax return, 세금 신고, khai thuế, declaração de imposto, 报税]
        examples: [確定申告を手伝ってほしい, 確定申告の書き方がわからない, help me file my tax return]
"""
WATER = """
    route: water_sewer
    entries:
      - id: water-bill
        title: {ja: 水道料金, en: Water bill}
        answer: {ja: 水道料金は2か月ごとに請求します。}
        keywords: [水道料金, 水道代, water bill, 수도요금 고지서, hóa đơn tiền nước, conta de água, 水费账单]
        examples: [水道代の請求書が高い, my water bill is too high]
"""


class RouteOnlyScorer:
    """Stands in for a trained model that is sure of the route and says nothing about danger or handoff."""

    def __init__(self, route: str) -> None:
        self.route = route

    def score(self, folded: str) -> ModelScores:
        return ModelScores(routes={self.route: 0.95}, urgent=None, handoff=None)


@pytest.fixture
def engine(tmp_path: Path, kb_writer: Callable[..., Path], kb_files: dict[str, str]) -> TriageEngine:
    kb = load_knowledge_base(kb_writer(tmp_path / "town", {**kb_files, "tax": TAX, "water_sewer": WATER}))
    engine = TriageEngine(kb)
    # the learned model decides the route (tax); it has no danger or handoff scorer
    engine.model = SimpleNamespace(urgent=None, handoff=None)  # type: ignore[assignment]
    engine._scorer = RouteOnlyScorer("tax")  # type: ignore[assignment]
    return engine


@pytest.mark.parametrize(
    "text",
    [
        "talk to a person about my tax bill",
        "税金の請求書のことで担当の人と話したい",
        "세금 고지서 때문에 직원이랑 얘기하고 싶어요",
        "tôi muốn nói chuyện với nhân viên về hóa đơn thuế",
        "Quero falar com uma pessoa sobre a conta do imposto",
        "我想跟工作人员谈一下税单的事",
    ],
)
def test_a_weak_entry_match_is_not_named_the_route_and_the_words_are(engine: TriageEngine, text: str) -> None:
    result = engine.triage(text)
    assert result.route == RouteId.TAX and result.handoff
    summary = engine.summarise([Turn(sender="resident", text=text)], result)
    route_name = engine.kb.municipality.route_name(RouteId.TAX)
    written = JA_LANGUAGE_NAMES.get(summary.language)  # other languages: 「中国語で 書かれています」 too
    assert summary.need.startswith(
        f"「{route_name}」について" + (f"（{written}で 書かれています）" if written else "") + ": "
    )
    assert "確定申告" not in summary.need and "水道" not in summary.need
    assert text.split()[0] in summary.need  # the resident's own words


def test_a_strong_entry_match_is_still_named(engine: TriageEngine) -> None:
    text = "確定申告を手伝ってほしいので人と話したい"
    result = engine.triage(text)
    summary = engine.summarise([Turn(sender="resident", text=text)], result)
    assert summary.need.startswith("「確定申告を手伝ってほしい」について: ")


def test_an_earlier_question_is_listed_under_its_route_when_its_match_was_weak(engine: TriageEngine) -> None:
    transcript = [Turn(sender="resident", text="my tax bill is strange"), Turn(sender="bot", text="?")]
    result = engine.triage("確定申告を手伝ってほしい", history=transcript)
    transcript.append(Turn(sender="resident", text="確定申告を手伝ってほしい"))
    summary = engine.summarise(transcript, result)
    assert summary.need.startswith("「確定申告を手伝ってほしい」について")
    route_name = engine.kb.municipality.route_name(RouteId.TAX)
    assert summary.also_asked == (f"{route_name}: my tax bill is strange",)


def test_matched_title_needs_the_score_and_retrievals_own_route(engine: TriageEngine) -> None:
    ranked = engine.retriever.search("about my tax bill", limit=12)
    assert [item.entry.id for item in ranked][:2] == ["water-bill", "kakutei"]  # "bill" outweighs "tax"
    assert matched_title(ranked, "kakutei", strong_score=0.0) is None  # retrieval's own route is water
    assert matched_title(ranked, "water-bill", strong_score=0.0) == "水道料金"
    strong = engine.retriever.search("確定申告を手伝ってほしい", limit=12)
    assert matched_title(strong, "kakutei", strong_score=10.0) == "確定申告を手伝ってほしい"
    assert matched_title(strong, "kakutei", strong_score=strong[0].score + 1) is None
    assert matched_title([], "kakutei", strong_score=0.0) is None


def test_the_summary_takes_each_lines_title_from_its_triage_without_searching_again(
    engine: TriageEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    transcript = [Turn(sender="resident", text="確定申告を手伝ってほしい"), Turn(sender="bot", text="?")]
    result = engine.triage("my tax bill is strange", history=transcript)
    assert engine.triage("確定申告を手伝ってほしい").title == "確定申告を手伝ってほしい"
    assert "title" not in json.loads(result.model_dump_json())  # the CLI's JSON keeps its keys
    searches: list[str] = []
    search = engine.retriever.search

    def counted(text: str, limit: int) -> list[ScoredEntry]:
        searches.append(text)
        return search(text, limit=limit)

    monkeypatch.setattr(engine.retriever, "search", counted)
    summary = engine.summarise([*transcript, Turn(sender="resident", text="my tax bill is strange")], result)
    # the one earlier line, triaged once (no second search for its title), and, the case being written in English,
    # the current line's nearest entries for the Japanese gist
    assert len(searches) == 2 and summary.gist
    japanese = engine.triage("確定申告を手伝ってほしい")
    searches.clear()
    engine.summarise([Turn(sender="resident", text="確定申告を手伝ってほしい")], japanese)
    assert searches == []  # a case in Japanese needs no gist


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("मलाई करको बिलको बारेमा कर्मचारीसँग कुरा गर्न मन छ, tax return", "ネパール語"),
        ("tôi muốn nói chuyện với nhân viên về khai thuế", "ベトナム語"),
    ],
)
def test_a_case_in_another_language_has_a_japanese_gist_labelled_as_a_guess(
    engine: TriageEngine, text: str, language: str
) -> None:
    """A Japanese-only agent read only the resident's Nepali words: the gist names the route in Japanese, the
    entries the knowledge base found nearest, and the flags (the language is in the flags already)."""
    result = engine.triage(text)
    summary = engine.summarise([Turn(sender="resident", text=text)], result)
    route_name = engine.kb.municipality.route_name(RouteId.TAX)
    assert summary.gist.startswith(f"「{route_name}」の 用件。近い 案内: 確定申告を手伝ってほしい")
    assert "水道" not in summary.gist  # only entries on the case's route
    assert f"言語: {language}" in summary.flags and "言語" not in summary.gist
    assert text.split()[0] in summary.need  # the resident's own words stay
