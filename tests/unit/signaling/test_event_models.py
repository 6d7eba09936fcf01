"""The socket event models: the edge refuses anything unexpected so the core can trust what it gets."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from madoguchi.domain.languages import LANGUAGE_CODES
from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.signaling import events
from madoguchi.signaling.events import (
    AgentStatusChange,
    BookedVideo,
    CallbackRef,
    CallbackRequest,
    CallQuality,
    ChatSend,
    ConsultationRef,
    ConsultationRequest,
    DeclineInterpreter,
    Event,
    HoursRequest,
    IceCandidate,
    InviteInterpreter,
    JitterSummary,
    JoinCall,
    LossSummary,
    MediaState,
    OfferAccept,
    PersonRequest,
    QuestionAnswered,
    ResidentSay,
    RingingOffer,
    RttSummary,
    Satisfaction,
    SelfTestEcho,
    SelfTestReport,
    SelfTestRequest,
    SessionDescription,
    Signal,
    StepSeconds,
    SuggestionChoice,
    SupervisorAssign,
    SupervisorBooths,
    SupervisorMoveRoute,
    SupervisorResync,
    SupervisorSetAway,
    Transfer,
    TriagePreview,
    WrapUp,
)

VALID: dict[type[BaseModel], dict[str, Any]] = {
    ConsultationRequest: {"route": "tax"},
    BookedVideo: {"booking": "12345674", "language": "ja"},
    TriagePreview: {"text": "住民票がほしい"},
    QuestionAnswered: {"route": "resident_records"},
    ResidentSay: {"text": "住民票がほしい", "client_id": "m1"},
    SuggestionChoice: {"consultation_id": "c1", "entry_id": "resident-records-copy"},
    ConsultationRef: {"consultation_id": "c-1"},
    PersonRequest: {"consultation_id": "c-1", "language": "vi"},
    ChatSend: {"consultation_id": "c1", "text": "こんにちは", "client_id": "m1"},
    SessionDescription: {"type": "offer", "sdp": "v=0"},
    IceCandidate: {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"},
    MediaState: {"muted": True},
    Satisfaction: {"consultation_id": "c1", "answer": "good"},
    CallbackRequest: {"consultation_id": "c1", "phone": "090-1234-5678"},
    CallbackRef: {"callback_id": "cb_0123456789abcdef"},
    Signal: {"consultation_id": "c1", "description": {"type": "answer", "sdp": "v=0"}},
    AgentStatusChange: {"status": "available"},
    WrapUp: {"consultation_id": "c1", "disposition": "resolved"},
    Transfer: {"consultation_id": "c1", "route": "housing_roads"},
    JoinCall: {"consultation_id": "c1", "role": "interpreter"},
    InviteInterpreter: {"consultation_id": "c1", "staff_id": "s_1"},
    DeclineInterpreter: {"consultation_id": "c1"},
    SupervisorAssign: {"consultation_id": "c1", "agent_id": "s_1"},
    SupervisorMoveRoute: {"consultation_id": "c1", "route": "tax"},
    SupervisorSetAway: {"agent_id": "s_1"},
    SupervisorResync: {"municipality_id": "shiomi"},
    SupervisorBooths: {"municipality_id": "shiomi", "offset": 60, "limit": 100},
    SelfTestRequest: {},
    SelfTestEcho: {"sdp": "v=0\r\n"},
    OfferAccept: {"consultation_id": "c1", "description": {"type": "offer", "sdp": "v=0\r\n"}},
    RingingOffer: {"consultation_id": "c1", "description": {"type": "offer", "sdp": "v=0\r\n"}},
    SelfTestReport: {
        "state": "warn",
        "items": ["network"],
        "relay": True,
        "rtt_ms": 320,
        "loss_pct": 10,
        "audio": True,
    },
    HoursRequest: {},
    RttSummary: {"min": 12, "median": 40.5, "max": 900},
    LossSummary: {"median": 0.5, "max": 12.5},
    JitterSummary: {"median": 8},
    StepSeconds: {"video": 30.2, "low_video": 4, "audio": 60, "chat": 0},
    CallQuality: {
        "consultation_id": "c1",
        "samples": 40,
        "rtt_ms": {"min": 12, "median": 40, "max": None},
        "loss_pct": {"median": 0.5, "max": 12.5},
        "jitter_ms": {"median": None},
        "freezes": 2,
        "worst_step": "audio",
        "seconds": {"video": 30.2, "low_video": 4, "audio": 60, "chat": 0},
    },
}


def test_the_self_test_request_has_nothing_to_change() -> None:
    event = SelfTestRequest.model_validate({})
    with pytest.raises(ValidationError) as raised:
        event.__setattr__("anything", 1)
    assert raised.value.errors()[0]["type"] == "frozen_instance"


@pytest.mark.parametrize(
    "change",
    [
        {"worst_step": "fax"},
        {"samples": -1},
        {"loss_pct": {"median": 0.5, "max": 101}},
        {"rtt_ms": {"min": -5}},
        {"seconds": {"video": 90_000}},
        {"concealment_pct": 120},
        {"final": "perhaps"},
    ],
)
def test_a_quality_summary_out_of_range_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CallQuality.model_validate({**VALID[CallQuality], **change})


def test_every_event_model_has_a_valid_example_here() -> None:
    defined = {
        obj for obj in vars(events).values() if isinstance(obj, type) and issubclass(obj, Event) and obj is not Event
    }
    assert defined == set(VALID)


@pytest.mark.parametrize("model", list(VALID), ids=lambda m: m.__name__)
def test_extra_fields_are_refused(model: type[BaseModel]) -> None:
    model.model_validate(VALID[model])
    with pytest.raises(ValidationError) as raised:
        model.model_validate({**VALID[model], "surprise": 1})
    assert raised.value.errors()[0]["type"] == "extra_forbidden"


@pytest.mark.parametrize("model", [m for m in VALID if VALID[m]], ids=lambda m: m.__name__)
def test_events_are_frozen(model: type[BaseModel]) -> None:
    event = model.model_validate(VALID[model])
    field = next(iter(VALID[model]))
    with pytest.raises(ValidationError) as raised:
        setattr(event, field, getattr(event, field))
    assert raised.value.errors()[0]["type"] == "frozen_instance"


def test_a_ringing_offer_is_an_offer() -> None:
    with pytest.raises(ValidationError):
        RingingOffer.model_validate({"consultation_id": "c1", "description": {"type": "answer", "sdp": "v=0"}})


def test_signal_carries_exactly_one_of_description_or_candidate() -> None:
    Signal.model_validate({"consultation_id": "c1", "candidate": VALID[IceCandidate]})
    for bad in (
        {"consultation_id": "c1"},
        {
            "consultation_id": "c1",
            "description": VALID[SessionDescription],
            "candidate": VALID[IceCandidate],
        },
    ):
        with pytest.raises(ValidationError, match="exactly one of description or candidate"):
            Signal.model_validate(bad)


def test_signal_may_carry_a_media_mode_alone() -> None:
    signal = Signal.model_validate({"consultation_id": "c1", "mode": "audio", "forced": True})
    assert signal.model_dump(exclude_none=True) == {"consultation_id": "c1", "mode": "audio", "forced": True}
    for step in ("video", "low-video", "chat"):
        assert Signal.model_validate({"consultation_id": "c1", "mode": step}).mode == step
    for bad, message in (
        ({"consultation_id": "c1", "mode": "hd"}, "literal_error"),
        ({"consultation_id": "c1", "mode": "audio", "candidate": VALID[IceCandidate]}, "exactly one of"),
        ({"consultation_id": "c1", "forced": True, "candidate": VALID[IceCandidate]}, "forced goes with mode"),
    ):
        with pytest.raises(ValidationError) as raised:
            Signal.model_validate(bad)
        assert message in str(raised.value) or raised.value.errors()[0]["type"] == message


def test_session_description_type_is_limited_to_webrtc_types() -> None:
    with pytest.raises(ValidationError):
        SessionDescription.model_validate({"type": "offerx", "sdp": ""})
    with pytest.raises(ValidationError):
        SessionDescription.model_validate({"type": "offer", "sdp": "x" * 60_001})


@pytest.mark.parametrize(
    ("model", "field"),
    [(ChatSend, "text"), (TriagePreview, "text"), (ResidentSay, "text"), (ConsultationRequest, "question")],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_resident_and_chat_text_is_stripped_and_limited(model: type[BaseModel], field: str) -> None:
    base = VALID[model]
    assert getattr(model.model_validate({**base, field: "  はい  "}), field) == "はい"
    assert len(getattr(model.model_validate({**base, field: "あ" * 1000}), field)) == 1000
    for bad in ("", "   ", "あ" * 1001):
        with pytest.raises(ValidationError):
            model.model_validate({**base, field: bad})


def test_suggestion_entry_ids_are_plain() -> None:
    for bad in ("", "Entry", "a b", "x" * 101, "../etc"):
        with pytest.raises(ValidationError):
            SuggestionChoice.model_validate({"consultation_id": "c1", "entry_id": bad})


def test_wrap_up_note_limit_and_disposition_list() -> None:
    base = VALID[WrapUp]
    WrapUp.model_validate({**base, "note": "n" * 2000})
    with pytest.raises(ValidationError):
        WrapUp.model_validate({**base, "note": "n" * 2001})
    with pytest.raises(ValidationError):
        WrapUp.model_validate({**base, "disposition": "made_up"})


@pytest.mark.parametrize("route", ROUTE_IDS)
def test_every_one_of_the_sixteen_routes_is_accepted(route: str) -> None:
    assert ConsultationRequest.model_validate({"route": route}).route == route
    assert Transfer.model_validate({"consultation_id": "c1", "route": route}).route == route


@pytest.mark.parametrize("route", ["", "TAX", "tax ", "taxes", "*", "general"])
def test_any_other_route_is_refused(route: str) -> None:
    assert len(ROUTE_IDS) == 16
    for model, payload in ((ConsultationRequest, {}), (Transfer, {"consultation_id": "c1"})):
        with pytest.raises(ValidationError):
            model.model_validate({**payload, "route": route})


@pytest.mark.parametrize("consultation_id", ["", "a" * 65, "c 1", "c/1", "c1;drop", "ｃ1"])
def test_consultation_ids_are_plain_and_short(consultation_id: str) -> None:
    with pytest.raises(ValidationError):
        ConsultationRef.model_validate({"consultation_id": consultation_id})


def test_language_is_a_short_tag() -> None:
    assert ConsultationRequest.model_validate({"route": "tax"}).language == "ja"
    assert ConsultationRequest.model_validate({"route": "tax", "language": "zh-hant"}).language == "zh-hant"
    # every language of the table, easy Japanese too (the language picker offers it)
    for code in LANGUAGE_CODES:
        assert ConsultationRequest.model_validate({"route": "tax", "language": code}).language == code
        assert ResidentSay.model_validate({"text": "x", "client_id": "c1", "language": code}).language == code
    for bad in ("JA", "japanese", "j", "ja_JP", ""):
        with pytest.raises(ValidationError):
            ConsultationRequest.model_validate({"route": "tax", "language": bad})


def test_agent_status_is_available_or_away() -> None:
    with pytest.raises(ValidationError):
        AgentStatusChange.model_validate({"status": "busy"})


def test_ice_candidate_index_bounds() -> None:
    ok = IceCandidate.model_validate({**VALID[IceCandidate], "sdpMLineIndex": 0, "sdpMid": "0"})
    assert ok.sdpMLineIndex == 0
    for index in (-1, 65):
        with pytest.raises(ValidationError):
            IceCandidate.model_validate({**VALID[IceCandidate], "sdpMLineIndex": index})


# Protocol text relayed between the two peers of a call (or given to the server's echo peer) and never stored,
# logged or sent on: masking would break it (an SDP's session id and ports are long digit runs).
NOT_FREE_TEXT = {
    (SessionDescription, "sdp"),
    (SelfTestEcho, "sdp"),
    (IceCandidate, "candidate"),
    (IceCandidate, "sdpMid"),
    (IceCandidate, "usernameFragment"),
}
PERSONAL = "マイナンバーは 1234 5678 9018、電話 ０９０（１２３４）５６７８"


def _accepts_any_text(model: type[BaseModel], field: str) -> bool:
    try:
        model.model_validate({**VALID[model], field: PERSONAL})
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("model", list(VALID), ids=lambda m: m.__name__)
def test_every_free_text_field_is_masked_while_parsing(model: type[BaseModel]) -> None:
    for field in model.model_fields:
        if (model, field) in NOT_FREE_TEXT or not _accepts_any_text(model, field):
            continue
        event = model.model_validate({**VALID[model], field: PERSONAL})
        value = getattr(event, field)
        assert "1234" not in value and "１２３４" not in value, (model.__name__, field, value)
        assert isinstance(event, Event) and event.masked_count == 2


def test_the_free_text_fields_are_the_ones_people_type() -> None:
    free = {(m, f) for m in VALID for f in m.model_fields if (m, f) not in NOT_FREE_TEXT and _accepts_any_text(m, f)}
    assert free == {
        (ConsultationRequest, "question"),
        (TriagePreview, "text"),
        (ResidentSay, "text"),
        (ChatSend, "text"),
        (WrapUp, "note"),
        (Transfer, "note"),
    }


def test_an_event_without_numbers_masked_says_so() -> None:
    assert ChatSend.model_validate(VALID[ChatSend]).masked_count == 0
    assert WrapUp.model_validate(VALID[WrapUp]).masked_count == 0
    assert ChatSend.model_validate({**VALID[ChatSend], "text": "2024/12/03 に 12,000円"}).masked_count == 0


def test_a_mute_state_travels_alone_in_a_signal() -> None:
    signal = Signal.model_validate({"consultation_id": "c1", "media_state": {"muted": True}})
    assert signal.media_state == MediaState(muted=True)
    with pytest.raises(ValidationError, match="exactly one of description or candidate"):
        Signal.model_validate(
            {"consultation_id": "c1", "media_state": {"muted": True}, "candidate": VALID[IceCandidate]}
        )
    with pytest.raises(ValidationError):
        Signal.model_validate({"consultation_id": "c1", "media_state": {"muted": "loud"}})


@pytest.mark.parametrize(
    "change",
    [{"state": "fine"}, {"items": ["toaster"]}, {"items": ["camera"] * 6}, {"loss_pct": 101}, {"rtt_ms": -1}],
)
def test_a_self_test_report_out_of_range_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SelfTestReport.model_validate({**VALID[SelfTestReport], **change})


def test_an_echo_offer_must_be_there_and_not_huge() -> None:
    for sdp in ("", "x" * 60_001):
        with pytest.raises(ValidationError):
            SelfTestEcho.model_validate({"sdp": sdp})


@pytest.mark.parametrize("code", ["123456789012", "12345674"])
def test_a_booking_code_of_twelve_digits_or_of_eight_from_before_is_taken(code: str) -> None:
    assert BookedVideo.model_validate({"booking": code}).booking == code


@pytest.mark.parametrize(
    "code", ["1234567", "1234567890", "12345678901", "1234567890123", "1234 5678", "１２３４５６７８"]
)
def test_a_booking_code_of_another_shape_is_refused(code: str) -> None:
    with pytest.raises(ValidationError):
        BookedVideo.model_validate({"booking": code})
