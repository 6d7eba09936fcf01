"""One frozen pydantic model per client → server socket event: the edge validates once, the core trusts.

``docs/protocol.md`` explains these for client authors; this module is the source of truth.

Every free-text field is :data:`FreeText` (or :data:`Note`): personal numbers are masked while the payload is
parsed, so whatever a handler stores, logs, queues or sends on has been masked by construction, whoever typed
it (resident, booth, agent, supervisor). The model remembers how many numbers it masked (``masked_count``), so
the ack can tell the writer what was not kept.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from madoguchi.domain.participant import Participant
from madoguchi.domain.pii_fields import MY_NUMBER_REFUSAL, holds_my_number
from madoguchi.domain.privacy import PERSONAL_NUMBER_REFUSAL, holds_personal_number, mask_pii
from madoguchi.domain.routes import RouteId
from madoguchi.domain.safe_text import find_unsafe, unsafe_message
from madoguchi.signaling.consultation import Disposition

ConsultationId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
# A language code such as "ja", "en", "pt-br" or "easy-ja" (the table of madoguchi.domain.languages).
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,4}(-[a-z]{2,4})?$")]


class Masked(str):
    """Free text after masking, remembering how many personal numbers were replaced by a token."""

    masked_count: int
    kinds: tuple[str, ...]

    def __new__(cls, text: str, masked_count: int, kinds: tuple[str, ...] = ()) -> Masked:
        value = super().__new__(cls, text)
        value.masked_count = masked_count
        value.kinds = kinds
        return value


def _mask(text: str) -> str:
    result = mask_pii(text)
    return Masked(result.text, result.masked_count, result.kinds)


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: object) -> object:
        """Every text of every event, whatever its field: no NUL or other control character, no lone surrogate
        (:mod:`madoguchi.domain.safe_text`); refused before any field is read, naming the field."""
        found = find_unsafe(data) if isinstance(data, dict) else None
        if found is not None:
            raise PydanticCustomError("control_character", unsafe_message(*found))
        return data

    @property
    def masked_count(self) -> int:
        """How many personal numbers the free-text fields of this event had masked."""
        return sum(v.masked_count for v in self.__dict__.values() if isinstance(v, Masked))

    @property
    def masked_kinds(self) -> frozenset[str]:
        """What the masked numbers were (``my_number``, ``phone`` …)."""
        return frozenset(k for v in self.__dict__.values() if isinstance(v, Masked) for k in v.kinds)


FreeText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), AfterValidator(_mask)
]
Note = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_mask)]
_GENERATED_KEY = re.compile(r"(?=.*[a-f])[0-9a-f]{16,64}")


def _no_personal_number(client_id: str) -> str:
    """A client id holding a 個人番号 is refused (session 11: ``123456789018`` was stored as one), except a random
    key of 16 or more lowercase hex digits with a letter (what the pages and ``media/peer.py`` make): one in a
    thousand such keys holds twelve digits with a right check digit by chance, and refusing it would lose a
    resident's line."""
    if not _GENERATED_KEY.fullmatch(client_id) and holds_my_number(client_id):
        raise ValueError(MY_NUMBER_REFUSAL)
    return client_id


ClientId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$"),
    AfterValidator(_no_personal_number),
]


BookingCode = Annotated[str, StringConstraints(pattern=r"^(?:[0-9]{12}|[0-9]{8})$")]  # 8: given before session 13


SafetyAnswer = Literal["yes", "no"]
"""はい / いいえ to the danger question (「いま、あなたや だれかが 危ない 状態ですか？」)."""


class ConsultationRequest(Event):
    route: RouteId | None = None
    language: Language = "ja"
    question: FreeText | None = None  # free text typed at the booth; the server triages it
    booking: BookingCode | None = None  # a booking code: the server checks it in and takes the route from it
    language_chosen: bool = False  # the resident picked ``language`` on the kiosk: it wins over the booking's own
    resume: ConsultationId | None = None  # the booth's case its lost link ended: the new one goes ahead of walk-ins
    # the resident's answer to the danger question the kiosk asked about ``question`` (triage.preview's
    # safety_check): "yes" makes the case urgent, ahead of the line, with 110/119 and the hotlines
    safety_answer: SafetyAnswer | None = None

    @model_validator(mode="after")
    def _route_or_booking(self) -> Self:
        if self.route is None and self.booking is None:
            raise ValueError("a route or a booking code is required")
        if self.safety_answer is not None and self.question is None:
            raise ValueError("an answer to the danger question comes with the question it was asked about")
        return self


class BookedVideo(Event):
    """A resident at home starts the video call they booked (``mode`` video) with its code."""

    booking: BookingCode
    language: Language = "ja"


class TriagePreview(Event):
    """The kiosk's typed question. ``language``: the page's language (the resident's choice); between ordinary and
    easy Japanese it decides, never the way the words were typed (chatbot.normalise.answer_language)."""

    text: FreeText
    language: Language | None = None
    # the answer to the danger question the preview of ``text`` asked: "no" gives the topics (or the answer) as
    # the resident chat does after いいえ, "yes" the urgent result with its hotlines
    safety_answer: SafetyAnswer | None = None


class QuestionAnswered(Event):
    """The resident read the bot's answer at the kiosk and tapped 「わかりました（おわる）」: done without a person.
    Nothing is stored; the ack counts it (``madoguchi_socket_events{event="question.answered"}``)."""

    route: RouteId


class ResidentSay(Event):
    text: FreeText
    client_id: ClientId
    language: Language = "ja"


class SuggestionChoice(Event):
    """One of the bot's suggestion buttons on the phone chat. ``language``: the page's language now, as for
    :class:`PersonRequest` (a resident who switched since their last line is answered in it); optional for a page
    loaded before it was sent."""

    consultation_id: ConsultationId
    entry_id: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9\-]+$")]
    language: Language | None = None


class ConsultationRef(Event):
    consultation_id: ConsultationId


class PersonRequest(Event):
    """「職員と話す」 on the phone chat. ``language``: the page's language now (the resident may have switched since
    the chat opened); the case reaches staff in it unless the resident writes in another (ux14 item 1)."""

    consultation_id: ConsultationId
    language: Language | None = None


class ChatSend(Event):
    consultation_id: ConsultationId
    text: FreeText
    client_id: ClientId


class SessionDescription(Event):
    type: Literal["offer", "answer", "rollback", "pranswer"]
    sdp: Annotated[str, StringConstraints(max_length=60_000)] = ""


class OfferAccept(Event):
    """The agent answers an offer; ``description``: what the console made while it rang. Its WebRTC offer (a call
    from home) goes on to the resident's side right after ``call.start``; its answer to the booth's
    :class:`RingingOffer` goes in the booth's ``call.start`` (``answer``)."""

    consultation_id: ConsultationId
    description: SessionDescription | None = None

    @model_validator(mode="after")
    def _offer_or_answer(self) -> Self:
        if self.description is not None and self.description.type not in ("offer", "answer"):
            raise ValueError("the accept carries an offer or an answer")
        return self


class RingingOffer(Event):
    """The booth's WebRTC offer, made while an agent's console rings with its case (its ICE candidates inside):
    relayed to that console alone, which answers while it rings; the answer rides on the accept. Refused once the
    case no longer rings; then the booth sends its offer after ``call.start`` as before."""

    consultation_id: ConsultationId
    description: SessionDescription

    @model_validator(mode="after")
    def _an_offer(self) -> Self:
        if self.description.type != "offer":
            raise ValueError("a ringing offer is an offer")
        return self


class IceCandidate(Event):
    candidate: Annotated[str, StringConstraints(max_length=1_000)]
    sdpMid: Annotated[str, StringConstraints(max_length=64)] | None = None
    sdpMLineIndex: Annotated[int, Field(ge=0, le=64)] | None = None
    usernameFragment: Annotated[str, StringConstraints(max_length=256)] | None = None


MediaStep = Literal["video", "low-video", "audio", "chat"]
"""The step-down ladder's steps, best first (``static/js/ladder.js``)."""


class MediaState(Event):
    """What one side of a call does with its own media, for the others to show (the agent sees the resident
    muted)."""

    muted: bool


class Signal(Event):
    """Relayed as is: a session description, an ICE candidate, the sender's step on the media ladder (``mode``,
    with ``forced`` when the agent chose it rather than the link), or its media state (muted). ``to`` names the
    receiver; without it the signal goes to the one other participant (refused when more than two take part) —
    except ``media_state``, which goes to everyone else in the call."""

    consultation_id: ConsultationId
    to: Participant | None = None
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None
    mode: MediaStep | None = None
    forced: bool | None = None
    media_state: MediaState | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if sum(part is not None for part in (self.description, self.candidate, self.mode, self.media_state)) != 1:
            raise ValueError(
                "a signal carries exactly one of description or candidate, or a media mode, or a media_state alone"
            )
        if self.forced is not None and self.mode is None:
            raise ValueError("forced goes with mode")
        return self


class Satisfaction(Event):
    """The resident's one-tap answer after the call or chat (``skip``: they chose not to answer)."""

    consultation_id: ConsultationId
    answer: Literal["good", "ok", "bad", "skip"]


def _phone(text: str) -> str:
    """A phone number as people write it (hyphens, spaces, brackets, full-width digits) → its digits. A 個人番号 is
    refused first, with a sentence that names no digit (code ``personal_number``, see ``sockets.py``)."""
    if holds_personal_number(text):
        raise PydanticCustomError(PERSONAL_NUMBER, PERSONAL_NUMBER_REFUSAL)
    digits = unicodedata.normalize("NFKC", text).strip()
    digits = re.sub(r"[\s\-‐－()（）]", "", digits)
    if not re.fullmatch(r"0[0-9]{9,10}|\+[0-9]{10,15}", digits):
        raise ValueError("write a phone number of 10 or 11 digits, such as 090-1234-5678")
    return digits


PERSONAL_NUMBER = "personal_number"
"""The error code (and pydantic error type) of a phone number that is a 個人番号."""
PhoneNumber = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(_phone)]


class CallbackRequest(Event):
    """A waiting resident nobody can answer asks the office to call back: the one number kept unmasked."""

    consultation_id: ConsultationId
    phone: PhoneNumber


class CallbackRef(Event):
    """The resident withdraws the call-back they asked for (``resident.state``'s ``callback.id``)."""

    callback_id: Annotated[str, Field(pattern=r"^cb_[0-9a-f]{16}$")]


Millis = Annotated[float, Field(ge=0, le=600_000)]
Percent = Annotated[float, Field(ge=0, le=100)]
Seconds = Annotated[float, Field(ge=0, le=86_400)]


class RttSummary(Event):
    min: Millis | None = None
    median: Millis | None = None
    max: Millis | None = None


class LossSummary(Event):
    median: Percent | None = None
    max: Percent | None = None


class JitterSummary(Event):
    median: Millis | None = None


class StepSeconds(Event):
    """Seconds the call spent at each ladder step (``low_video`` is the step ``low-video``)."""

    video: Seconds = 0.0
    low_video: Seconds = 0.0
    audio: Seconds = 0.0
    chat: Seconds = 0.0


class CallQuality(Event):
    """One side's link quality over the call so far (``static/js/quality.js``); the latest one of each side is kept
    with the consultation's record. ``concealment_pct``: audio samples the receiver made up over the call
    (``concealedSamples / totalSamplesReceived``). ``final``: the call stopped; that summary is counted once in
    the per-booth histograms of ``/metrics``."""

    consultation_id: ConsultationId
    samples: Annotated[int, Field(ge=0, le=1_000_000)]
    rtt_ms: RttSummary
    loss_pct: LossSummary
    jitter_ms: JitterSummary
    freezes: Annotated[int, Field(ge=0, le=1_000_000)]
    concealment_pct: Percent | None = None
    worst_step: MediaStep
    seconds: StepSeconds
    final: bool = False


class SelfTestRequest(Event):
    """The kiosk's self-test asks for TURN servers of its own (no consultation: the clerk's check at the booth)."""


class SelfTestEcho(Event):
    """The kiosk's self-test call: its offer, with every candidate gathered (no trickling), to the server's echo
    peer, which answers and sends back the audio and the data-channel messages it receives."""

    sdp: Annotated[str, StringConstraints(min_length=1, max_length=60_000)]


CheckName = Literal["camera", "microphone", "speaker", "sound", "network"]


class SelfTestReport(Event):
    """What the kiosk's self-test found, for the supervisors' booth list: the verdict, the checks at that verdict,
    and the network path (a relay candidate; the echo call's round trip, loss and whether its audio came back)."""

    state: Literal["ok", "warn", "fail"]
    items: Annotated[tuple[CheckName, ...], Field(max_length=5)] = ()
    relay: bool | None = None
    rtt_ms: Millis | None = None
    loss_pct: Percent | None = None
    audio: bool | None = None


class HoursRequest(Event):
    """The kiosk asks for its town's opening hours and whether it is open now (its "closed now" notice)."""


class AgentStatusChange(Event):
    status: Literal["available", "away"]


class WrapUp(Event):
    consultation_id: ConsultationId
    disposition: Disposition
    note: Note = ""


class Transfer(Event):
    """``note``: what the next agent should know (masked like every free text); they read it in the offer."""

    consultation_id: ConsultationId
    route: RouteId
    note: Note = ""
    back_to_me: bool = False
    """The agent was told nobody else can take the case on that route and sends it anyway: it may ring them again."""


class JoinCall(Event):
    """A member of staff joins a running call as a further participant (not offered in the console yet); an
    interpreter who is not a supervisor needs an :class:`InviteInterpreter` for that call first."""

    consultation_id: ConsultationId
    role: Literal["observer", "interpreter"]


StaffId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


class InviteInterpreter(Event):
    """The call's agent or a supervisor invites a member of staff (``staff_id``) to interpret one running call."""

    consultation_id: ConsultationId
    staff_id: StaffId


class DeclineInterpreter(Event):
    """The invitee declines an invitation to interpret a running call (ことわる): the invitation ends, and the
    call's agent and resident are told that nobody comes."""

    consultation_id: ConsultationId


class SupervisorAssign(Event):
    """A supervisor offers a waiting case to a named agent (who still accepts)."""

    consultation_id: ConsultationId
    agent_id: StaffId


class SupervisorMoveRoute(Event):
    consultation_id: ConsultationId
    route: RouteId


class SupervisorSetAway(Event):
    agent_id: StaffId


MunicipalityId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


class SupervisorResync(Event):
    """The page's copy of a town's view is not the version a ``supervisor.delta`` applies to (it missed one): the
    server sends that town's whole ``supervisor.snapshot`` again, to this page only."""

    municipality_id: MunicipalityId


class SupervisorBooths(Event):
    """A page of a town's booth list beyond what the view carries (the view lists those needing attention first)."""

    municipality_id: MunicipalityId
    offset: int = Field(default=0, ge=0, le=100_000)
    limit: int = Field(default=100, ge=1, le=200)
