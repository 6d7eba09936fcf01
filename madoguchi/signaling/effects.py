"""What a counter operation changed, as values: the edges turn these into database records and socket events.

The counter records effects instead of acting on them so that it stays pure and can be re-run by a store; the
dispatch (:mod:`madoguchi.signaling.dispatch`) decides who hears of each, the records table
(:mod:`madoguchi.signaling.recording`) what the database keeps. A new effect is a new class here plus a case in
each of those two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from madoguchi.signaling.consultation import Consultation, Role, State, Trigger


@dataclass(frozen=True)
class Transitioned:
    """A consultation changed state. Its durable record is queued in the same transaction
    (:attr:`CounterState.outbox`), so nobody is told of a change whose record could be lost."""

    consultation: Consultation
    previous: State | None
    trigger: Trigger
    at: float
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class OfferMade:
    agent_id: str
    consultation_id: str
    expires_at: float


@dataclass(frozen=True)
class OfferWithdrawn:
    """An offer stopped ringing. ``cooldown_s``: the case will not ring this agent again for that long;
    ``away``: the agent was set away because of it (an offer that ran out), so their screen must say so."""

    agent_id: str
    consultation_id: str
    reason: str
    cooldown_s: float | None = None
    away: bool = False


@dataclass(frozen=True)
class CallStarted:
    consultation_id: str
    resident: str
    agent_id: str


@dataclass(frozen=True)
class CallEnded:
    consultation_id: str
    resident: str
    agent_id: str
    reason: str


@dataclass(frozen=True)
class ResidentReleased:
    """The resident's part is over (thank-you screen); the case itself may still be in wrap-up. ``rate``: the
    resident is asked how it went — after a call or chat with a person, or a chat the bot alone finished; never
    after a call-back request or a wait that reached nobody (nothing to rate)."""

    consultation_id: str
    resident: str
    reason: str
    rate: bool = False


@dataclass(frozen=True)
class NextStepTold:
    """The agent filed a wrap-up whose outcome the resident should hear (a follow-up, a booking, another desk):
    the booth's thank-you, still on screen, says it in plain words (ux14: it said nothing of what comes next)."""

    consultation_id: str
    resident: str
    disposition: str


@dataclass(frozen=True)
class PeerLink:
    consultation_id: str
    notify: str
    connected: bool


@dataclass(frozen=True)
class AgentChanged:
    agent_id: str


@dataclass(frozen=True)
class ParticipantJoined:
    """A member of staff joined a running call in ``role`` (observer, interpreter)."""

    consultation_id: str
    participant: str
    role: Role


@dataclass(frozen=True)
class InterpreterInvited:
    """The call's agent or a supervisor (``by``, a staff id) invited a member of staff to interpret the call."""

    consultation_id: str
    staff_id: str
    by: str
    expires_at: float


@dataclass(frozen=True)
class InterpreterDeclined:
    """The member of staff ``staff_id`` declined the invitation to interpret the call (ことわる); ``by`` invited
    them (None for an invitation stored before inviters were kept); ``still_until``: when the last invitation
    still open for this call expires (None: no other is open)."""

    consultation_id: str
    staff_id: str
    by: str | None = None
    still_until: float | None = None


@dataclass(frozen=True)
class InterpreterWithdrawn:
    """An invitation to interpret ended with the call it was for (``trigger``: ``transfer``, ``end``, back in line
    …; :data:`~madoguchi.signaling.consultation.CALL_BOUNDARIES`) before its invitee joined: their console stops
    offering 参加する and says why; the resident's side stops saying one is being called."""

    consultation_id: str
    staff_id: str
    resident: str
    trigger: Trigger
    by: str | None = None


@dataclass(frozen=True)
class ParticipantLeft:
    """A participant who had joined a call is out of it: they left, or the call ended under them."""

    consultation_id: str
    participant: str
    reason: str


@dataclass(frozen=True)
class CaseMoved:
    """A waiting case changed route without changing state (a supervisor moved it)."""

    consultation_id: str
    from_route: str
    route: str


@dataclass(frozen=True)
class VideoInvited:
    """The agent invites the resident chatting from home to switch to video."""

    consultation_id: str
    resident: str


@dataclass(frozen=True)
class VideoAnswered:
    """The resident answered the invitation: the agent is told; accepted, the call starts again with media."""

    consultation_id: str
    agent_id: str
    accepted: bool


@dataclass(frozen=True)
class InterpreterDue:
    """A waiting case has waited ``interpreter_after_s`` for a speaker: agents of its route who do not speak its
    language may take it now (their queue lists are sent again; a free one is rung by the same tick)."""

    consultation_id: str


@dataclass(frozen=True)
class BookingsDue:
    """The bookings due soon in a municipality changed: its waiting residents' estimates are told again."""

    municipality_id: str


Effect = (
    Transitioned
    | OfferMade
    | OfferWithdrawn
    | CallStarted
    | CallEnded
    | ResidentReleased
    | NextStepTold
    | PeerLink
    | AgentChanged
    | ParticipantJoined
    | InterpreterInvited
    | InterpreterDeclined
    | InterpreterWithdrawn
    | ParticipantLeft
    | CaseMoved
    | InterpreterDue
    | BookingsDue
    | VideoInvited
    | VideoAnswered
)
