"""The bot offers the booking page when a resident asks about booking, in every language, with the topic the
conversation named chosen there; never for an urgent line, never in a town that takes no bookings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from madoguchi.chatbot.engine import BookingOffer, TriageEngine, Turn
from madoguchi.chatbot.knowledge import load_knowledge_base
from madoguchi.domain.routes import RouteId
from tests.bookings_support import ASKS

PLAN = """
booking:
  desks:
    - id: video
      mode: video
      routes: {routes}
      days: [mon, tue, wed, thu, fri]
      hours: ["9:00-12:00"]
      slot_minutes: 30
      capacity: 1
"""

BOOKING_ENTRY = """
          - id: booking
            title: {ja: 窓口の予約, en: Booking an appointment}
            answer: {ja: 予約をすると待たずに話せます。, en: Booking means no waiting.}
            keywords: [予約, よやく, appointment, booking]
            examples: [予約したい, I want to book an appointment]
            booking: true
"""


@pytest.fixture
def engine_for(
    tmp_path: Path, kb_writer: Callable[..., Path], kb_files: dict[str, str], municipality_yaml: str
) -> Callable[..., TriageEngine]:
    def make(routes: str | None = '["*"]') -> TriageEngine:
        files = {**kb_files, "general_inquiry": kb_files["general_inquiry"].rstrip() + BOOKING_ENTRY}
        town = municipality_yaml + ("" if routes is None else PLAN.format(routes=routes))
        root = kb_writer(tmp_path / f"town-{routes}", files, town)
        return TriageEngine(load_knowledge_base(root))

    return make


@pytest.mark.parametrize("language", sorted(ASKS))
def test_asking_to_book_in_any_language_offers_the_booking_page(
    engine_for: Callable[..., TriageEngine], language: str
) -> None:
    result = engine_for().triage(ASKS[language])
    assert result.booking == BookingOffer(route=None), (language, result.action, result.reasons)


def test_the_topic_named_with_the_booking_is_chosen(engine_for: Callable[..., TriageEngine]) -> None:
    result = engine_for().triage("住民票のことで予約したい")
    assert result.booking == BookingOffer(route=RouteId.RESIDENT_RECORDS)


def test_the_topic_of_an_earlier_question_is_chosen(engine_for: Callable[..., TriageEngine]) -> None:
    history = [
        Turn(sender="resident", text="住民票がほしい"),
        Turn(sender="bot", text="住民票は町民課でとれます。", action="answer", entry_ids=("juminhyo",)),
    ]
    result = engine_for().triage("予約したい", history=history)
    assert result.booking == BookingOffer(route=RouteId.RESIDENT_RECORDS)


def test_the_line_after_the_offer_names_the_topic(engine_for: Callable[..., TriageEngine]) -> None:
    engine = engine_for()
    asked = [Turn(sender="resident", text="予約したい")]
    offered = [*asked, Turn(sender="bot", text="予約をすると…", action="answer", entry_ids=("booking",), booking=True)]
    assert engine.triage("タンスを捨てたい", history=offered).booking == BookingOffer(route=RouteId.WASTE_ENVIRONMENT)
    not_offered = [*asked, Turn(sender="bot", text="どの手続きですか", action="clarify")]
    assert engine.triage("タンスを捨てたい", history=not_offered).booking is None


def test_a_question_without_booking_offers_nothing(engine_for: Callable[..., TriageEngine]) -> None:
    assert engine_for().triage("住民票がほしい").booking is None


def test_a_topic_the_plan_does_not_book_is_left_to_the_resident(engine_for: Callable[..., TriageEngine]) -> None:
    result = engine_for(routes="[tax]").triage("住民票のことで予約したい")
    assert result.booking == BookingOffer(route=None)


def test_a_town_without_bookings_offers_nothing(engine_for: Callable[..., TriageEngine]) -> None:
    assert engine_for(routes=None).triage("予約したい").booking is None


def test_an_urgent_line_offers_no_booking(engine_for: Callable[..., TriageEngine]) -> None:
    result = engine_for().triage("夫に殴られて家に帰れない。予約したい")
    assert result.urgent and result.booking is None


def test_a_chosen_booking_suggestion_offers_the_page_with_the_earlier_topic(
    engine_for: Callable[..., TriageEngine],
) -> None:
    engine = engine_for()
    history = [Turn(sender="resident", text="住民票がほしい")]
    assert engine.booking_for("", engine.kb.entry("booking"), history) == BookingOffer(route=RouteId.RESIDENT_RECORDS)
    assert engine.booking_for("", engine.kb.entry("juminhyo"), history) is None


def test_a_handoff_still_offers_the_booking_page(engine_for: Callable[..., TriageEngine]) -> None:
    result = engine_for().triage("職員と話したい。住民票のことで予約したい")
    assert result.action == "handoff" and result.booking == BookingOffer(route=RouteId.RESIDENT_RECORDS)
