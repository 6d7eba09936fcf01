"""One frozen pydantic model per client → server socket event: the edge validates once, the core trusts.

``docs/protocol.md`` explains these for client authors; this module is the source of truth.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from madoguchi.domain.routes import RouteId
from madoguchi.signaling.consultation import Disposition

ConsultationId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[a-z]{2,4})?$")]


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


Utterance = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
ClientId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


class ConsultationRequest(Event):
    route: RouteId
    language: Language = "ja"
    question: Utterance | None = None  # free text typed at the booth; the server triages and masks it


class TriagePreview(Event):
    text: Utterance


class ResidentSay(Event):
    text: Utterance
    client_id: ClientId
    language: Language = "ja"


class SuggestionChoice(Event):
    consultation_id: ConsultationId
    entry_id: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[a-z0-9\-]+$")]


class ConsultationRef(Event):
    consultation_id: ConsultationId


class ChatSend(Event):
    consultation_id: ConsultationId
    text: Utterance
    client_id: ClientId


class SessionDescription(Event):
    type: Literal["offer", "answer", "rollback", "pranswer"]
    sdp: Annotated[str, StringConstraints(max_length=60_000)] = ""


class IceCandidate(Event):
    candidate: Annotated[str, StringConstraints(max_length=1_000)]
    sdpMid: Annotated[str, StringConstraints(max_length=64)] | None = None
    sdpMLineIndex: Annotated[int, Field(ge=0, le=64)] | None = None
    usernameFragment: Annotated[str, StringConstraints(max_length=256)] | None = None


MediaStep = Literal["video", "low-video", "audio", "chat"]
"""The step-down ladder's steps, best first (``static/js/ladder.js``)."""


class Signal(Event):
    """Relayed as is to the other participant: a session description, an ICE candidate, or the sender's step on
    the media ladder (``mode``, with ``forced`` when the agent chose it rather than the link)."""

    consultation_id: ConsultationId
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None
    mode: MediaStep | None = None
    forced: bool | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if sum(part is not None for part in (self.description, self.candidate, self.mode)) != 1:
            raise ValueError("a signal carries exactly one of description or candidate (or a media mode)")
        if self.forced is not None and self.mode is None:
            raise ValueError("forced goes with mode")
        return self


class AgentStatusChange(Event):
    status: Literal["available", "away"]


class WrapUp(Event):
    consultation_id: ConsultationId
    disposition: Disposition
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class Transfer(Event):
    consultation_id: ConsultationId
    route: RouteId
