"""One frozen pydantic model per client → server socket event: the edge validates once, the core trusts.

``docs/protocol.md`` explains these for client authors; this module is the source of truth.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from madoguchi.domain.participant import Participant
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


class Signal(Event):
    """``to`` names the receiver; without it the signal goes to the one other participant (refused when more than
    two take part)."""

    consultation_id: ConsultationId
    to: Participant | None = None
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.description is None) == (self.candidate is None):
            raise ValueError("a signal carries exactly one of description or candidate")
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


class JoinCall(Event):
    """A member of staff joins a running call as a further participant (not offered in the console yet)."""

    consultation_id: ConsultationId
    role: Literal["observer", "interpreter"]


StaffId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


class SupervisorAssign(Event):
    """A supervisor offers a waiting case to a named agent (who still accepts)."""

    consultation_id: ConsultationId
    agent_id: StaffId


class SupervisorMoveRoute(Event):
    consultation_id: ConsultationId
    route: RouteId


class SupervisorSetAway(Event):
    agent_id: StaffId
