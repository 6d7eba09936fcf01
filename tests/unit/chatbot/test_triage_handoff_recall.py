"""Handoff on other people's words (issue #10, session 15): a plain request for a staff member who speaks one's
language is a request for a person in every language; a handoff line the bot first meets with the danger question is
scored as handed off after it; the handoff threshold can count residents' lines only and drop its floor."""

from __future__ import annotations

import numpy as np
import pytest

from madoguchi.chatbot.engine import TriageEngine
from madoguchi.chatbot.evaluation import LabelledUtterance, score
from madoguchi.chatbot.knowledge import KnowledgeBase
from madoguchi.chatbot.model import Example, ModelConfig, train
from madoguchi.domain.routes import RouteId

SPEAKS = [
    "Is there a staff member who speaks English?",
    "Hi, is there someone who speaks Tagalog? I would rather explain by talking",
    "英語が話せる職員さんはいますか",
    "えいご が はなせる ひと は いますか",
    "有会说中文的工作人员吗？",
    "한국어 할 수 있는 직원 있어요?",
    "Có người nói tiếng Việt không ạ?",
    "Tem alguém que fale português?",
    "May staff ba na marunong mag-Tagalog?",
    "नेपाली बोल्ने कर्मचारी हुनुहुन्छ?",
]


@pytest.mark.parametrize("text", SPEAKS)
def test_a_staff_member_who_speaks_a_language_is_a_request_for_a_person(tiny_engine: TriageEngine, text: str) -> None:
    result = tiny_engine.triage(text)
    assert result.handoff and result.action == "handoff", result.reasons
    assert any(r.startswith("handoff:asks_person") for r in result.reasons)


@pytest.mark.parametrize("text", ["通訳サービスはありますか", "Is there an interpreting service?", "Tem intérprete?"])
def test_a_question_about_interpreting_alone_is_no_request_for_a_person(tiny_engine: TriageEngine, text: str) -> None:
    assert not any(r.startswith("handoff:asks_person") for r in tiny_engine.triage(text).reasons)


def test_handoff_recall_counts_a_handoff_met_first_with_the_danger_question(tiny_engine: TriageEngine) -> None:
    asked = tiny_engine.triage("母が朝から電話に出ないんです。職員さんと話したい")
    assert asked.safety_check and not asked.handoff and asked.handoff_after_question
    plain = tiny_engine.triage("住民票がほしい")
    rows = [
        LabelledUtterance(text="a", route=RouteId.ELDERLY_CARE, handoff=True, urgent=False),
        LabelledUtterance(text="b", route=RouteId.RESIDENT_RECORDS, handoff=True, urgent=False),
    ]
    report = score(rows, [asked, plain], [1.0, 1.0])
    assert report.handoff_recall == 0.0 and report.handoff_recall_after_question == 0.5
    assert report.handoff_asked_first == 1
    # an urgent line met with the question is handed off by the resident's "yes"; a calm one only if "no" hands off
    silent = tiny_engine.triage("母が朝から電話に出ないんです")
    assert silent.safety_check and not silent.handoff_after_question
    urgent = LabelledUtterance(text="c", route=RouteId.ELDERLY_CARE, handoff=True, urgent=True)
    calm = LabelledUtterance(text="d", route=RouteId.ELDERLY_CARE, handoff=True, urgent=False)
    assert score([urgent], [silent], [1.0]).handoff_recall_after_question == 1.0
    assert score([calm], [silent], [1.0]).handoff_recall_after_question == 0.0


def test_the_json_contract_is_unchanged(tiny_engine: TriageEngine) -> None:
    dumped = tiny_engine.triage("母が朝から電話に出ないんです。職員さんと話したい").model_dump(mode="json")
    assert "handoff_after_question" not in dumped
    assert {"route", "confidence", "handoff", "urgent", "safety_check"} <= set(dumped)


def _corpus() -> list[Example]:
    asks = [f"My application number {i} was refused, could someone explain why" for i in range(12)]
    plain = [f"What day is garbage collection in district {i}?" for i in range(24)]
    return [
        *(Example(text=t, route="tax", handoff=True, urgent=False, lang="en", writer="a") for t in asks),
        *(
            Example(text=t, route="waste_environment", handoff=False, urgent=False, lang="en", writer="a")
            for t in plain
        ),
    ]


def test_the_handoff_threshold_may_count_residents_lines_only_and_go_below_zero(tiny_kb: KnowledgeBase) -> None:
    base = ModelConfig(ja_words=False, folds=3, max_false_handoff=0.3, handoff_floor=None, handoff_budget_corpus=True)
    floored = train(_corpus(), tiny_kb, ModelConfig(**{**base.__dict__, "handoff_floor": 0.0}))
    free = train(_corpus(), tiny_kb, ModelConfig(**{**base.__dict__, "handoff_budget_corpus": False}))
    corpus_only = train(_corpus(), tiny_kb, base)  # the defaults: residents' lines only, no floor
    assert floored.handoff is not None and free.handoff is not None and corpus_only.handoff is not None
    assert floored.handoff.high >= 0.0
    assert free.handoff.high < 0.0  # the budget alone: 30 % of the no-handoff lines may score above it
    assert not np.isclose(corpus_only.handoff.high, free.handoff.high)  # the knowledge base's phrasings not counted
