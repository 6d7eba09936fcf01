"""The agent's summary box: the urgent need wins over an earlier question (its route, its words), the urgent
flag and topic come first, and a chat in another language gets Japanese the agent can act on (route, urgent
topic, 「ベトナム語で 書かれています」) before the resident's own words; the case's language is the one they
write in."""

from __future__ import annotations

from madoguchi.chatbot.engine import TriageEngine, TriageResult, Turn
from madoguchi.chatbot.summary import written_language
from madoguchi.domain.routes import RouteId


def chat(engine: TriageEngine, *lines: str) -> tuple[list[Turn], TriageResult]:
    history: list[Turn] = []
    result: TriageResult | None = None
    for line in lines:
        result = engine.triage(line, history=history)
        history += [
            Turn(sender="resident", text=result.masked_text),
            Turn(sender="bot", text=result.answer or "", action=result.action, entry_ids=result.entry_ids),
        ]
    assert result is not None
    return history[:-1], result


def test_an_urgent_line_after_a_garbage_question_leads_route_and_summary(tiny_engine: TriageEngine) -> None:
    history, result = chat(tiny_engine, "ごみの日はいつ", "My husband hits me and I am scared")
    assert result.urgent
    assert result.route != RouteId.WASTE_ENVIRONMENT
    summary = tiny_engine.summarise(history, result)
    assert summary.need.startswith("【緊急・DV】"), summary.need
    assert "（英語で 書かれています）: My husband hits me" in summary.need
    assert "ごみ" not in summary.need.split(":")[0]
    assert summary.language == "en" and summary.flags[:2] == ("緊急", "DV")


def test_a_vietnamese_urgent_chat_gets_japanese_the_agent_can_act_on(tiny_engine: TriageEngine) -> None:
    text = "Chồng tôi đánh tôi, tôi rất sợ, xin hãy giúp"
    result = tiny_engine.triage(text)
    assert result.urgent
    summary = tiny_engine.summarise([Turn(sender="resident", text=text)], result)
    assert summary.need.startswith("【緊急・DV】「")
    assert "（ベトナム語で 書かれています）: Chồng tôi" in summary.need
    assert summary.language == "vi" and "言語: ベトナム語" in summary.flags


def test_written_language_follows_the_last_line_long_enough_to_tell() -> None:
    assert written_language(["When is the garbage day?", "ok"], "ja") == "en"
    assert written_language(["はい"], "en") == "en"  # too short: the page's language
    assert written_language(["住民票が ほしいです"], "en") == "ja"
