"""The chat answers what the bot knows: a learned guess that a person is needed never hides a sure answer."""

from __future__ import annotations

import pytest

from madoguchi.chatbot.engine import LinkInfo, Suggestion, TriageResult
from madoguchi.domain.routes import RouteId
from madoguchi.resident_chat.conversation import answer_before_handoff, answer_first, touched_danger


def result(
    *reasons: str, answer: str | None = "300円です。本人確認書類を持って来てください。", **extra: object
) -> TriageResult:
    fields: dict[str, object] = {
        "route": RouteId("resident_records"),
        "confidence": 0.98,
        "handoff": True,
        "urgent": False,
        "masked_text": "住民票が ほしい",
        "language": "ja",
        "action": "handoff",
        "answer": answer,
        "entry_ids": ("juminhyo-copy",) if answer else (),
        "links": (LinkInfo(title="住民票の写しの請求", url="https://town.example/juminhyo"),),
        "suggestions": (Suggestion(entry_id="juminhyo-copy", route=RouteId("resident_records"), title="住民票"),),
        "reasons": ("route:resident_records (0.99; best entry juminhyo-copy)", *reasons),
    }
    fields.update(extra)
    return TriageResult.model_validate(fields)


def test_a_learned_guess_alone_gives_the_answer_and_queues_nobody() -> None:
    chosen = answer_first(result("handoff:learned (score 0.11)"))
    assert chosen.action == "answer" and not chosen.handoff
    assert chosen.answer and "300円" in chosen.answer
    assert chosen.suggestions == () and chosen.links  # no pale choice buttons under a sure answer


@pytest.mark.parametrize(
    "reasons",
    [
        ("handoff:asks_person (職員と話したい)",),  # the resident asked for a person
        ("handoff:entry (juminhyo-copy always needs a person)",),  # the town's rule
        ("handoff:repeated_failure (2 unhelpful turns)",),
        ("handoff:learned (score 0.4)", "handoff:complaint (ひどい)"),  # a guess beside a wish
    ],
)
def test_a_wish_or_a_rule_still_hands_over(reasons: tuple[str, ...]) -> None:
    assert answer_first(result(*reasons)).action == "handoff"


def test_no_answer_or_urgent_stays_a_handoff() -> None:
    assert answer_first(result("handoff:learned (score 0.4)", answer=None)).action == "handoff"
    urgent = result("handoff:learned (score 0.4)", "urgent:dv (なぐられた)", urgent=True)
    assert answer_first(urgent).action == "handoff"
    answered = result(action="answer", handoff=False)
    assert answer_first(answered) is answered


def test_only_a_topic_the_town_marked_handoff_says_its_answer_before_the_queue() -> None:
    assert answer_before_handoff(result("handoff:entry (juminhyo-copy always needs a person)"))
    assert not answer_before_handoff(result("handoff:asks_person (話したい)"))  # they asked for a person
    assert not answer_before_handoff(result("handoff:entry (x)", answer=None))
    assert not answer_before_handoff(result("handoff:entry (x)", "urgent:dv (なぐられた)", urgent=True))


@pytest.mark.parametrize(
    "extra",
    [
        {"reasons": ("handoff:learned (score 0.2)", "safety:general dv (not urgent)")},
        {"reasons": ("handoff:learned (score 0.2)", "calm:past event (danger score 0.01)")},
        {"reasons": ("handoff:learned (score 0.2)",), "safety_check": True},
    ],
)
def test_a_line_that_touched_danger_keeps_its_person(extra: dict[str, object]) -> None:
    reasons = extra.pop("reasons")
    assert isinstance(reasons, tuple)
    assert answer_first(result(*reasons, **extra)).action == "handoff"  # session 10's review
    assert touched_danger(result(*reasons, **extra))  # and its chat is never ended to make room in a flood


def test_a_plain_line_did_not_touch_danger() -> None:
    assert not touched_danger(result("handoff:learned (score 0.11)"))
    assert touched_danger(result(urgent=True))
