"""The consultation lifecycle: one resident's case from first question to wrap-up.

Everything that can happen to a consultation is a :class:`Trigger`; :data:`TRANSITIONS` says, for each state,
which triggers are allowed and where they lead. Anything not in the table is refused with
:class:`TransitionError`, so a stale click (accepting an offer that just timed out) can never corrupt a case.

Transition table (state --trigger--> next state)::

    (new)     --open_chat-----------> triage      resident at home starts with the bot
    (new)     --request-------------> waiting     a booth asks for a person directly
    triage    --handoff-------------> waiting     the bot hands the resident to a person
    triage    --cancel--------------> abandoned   resident left before a person was asked for
    triage    --resident_gone-------> abandoned   resident's link stayed down past the grace period
    waiting   --offer---------------> offered     routing picked the longest-idle matching agent
    waiting   --cancel--------------> abandoned   resident gave up waiting
    waiting   --resident_gone-------> abandoned
    offered   --accept--------------> active      the agent took it; media and chat start
    offered   --decline-------------> waiting     same place in the queue, offered to someone else
    offered   --offer_timeout-------> waiting     agent did not answer; they are set away
    offered   --agent_gone----------> waiting     agent's link dropped while ringing
    offered   --cancel--------------> abandoned
    offered   --resident_gone-------> abandoned
    active    --end-----------------> wrap_up     either side hung up
    active    --resident_gone-------> wrap_up     resident's link stayed down past the grace period
    active    --agent_gone----------> waiting     agent's link stayed down: back to the queue, same place
    active    --transfer------------> waiting     agent sent it to another route
    waiting   --move----------------> waiting     a supervisor moved it to another route (same place in time)
    wrap_up   --wrap_up-------------> closed      agent filed disposition and note
    wrap_up   --wrap_up_timeout-----> closed      agent stayed offline past the wrap-up timeout; closed as ``other``
    active    --interrupt-----------> interrupted the whole server went down mid-call; nobody can rejoin it
    active    --join----------------> active      a member of staff joins the call (observer, interpreter)
    active    --leave---------------> active      a participant who joined leaves; the call goes on

After a full restart, waiting residents keep their place (their booths reconnect within the grace period),
ringing offers go back to the queue and wrap-ups stay with their agent; only running calls are interrupted.
A wrap-up whose agent's link stays down past the grace period waits for them ``wrap_up_timeout_s`` (counted from
the moment the link went down, ``wrap_up_expires_at``) and is then closed by ``wrap_up_timeout``, so an agent who
never comes back cannot leave a case open for ever; an agent who is connected is never cut off.
``closed``, ``abandoned`` and ``interrupted`` are terminal. A link that drops does not change the state by
itself: it starts a grace period (``resident_lost_at`` / ``agent_lost_at``) and only when that runs out does
``resident_gone`` or ``agent_gone`` fire. This module is pure: no I/O, and time is always passed in.

Who takes part is :attr:`Consultation.participants`: one :class:`Party` per participant and stint (role,
participant, joined and left times). The resident's side is there from the start; the agent joins when they
accept (an offer only rings: :attr:`Consultation.offered_to`) and leaves when the case goes back to the queue;
further members of staff (an observer, an interpreter) join and leave a running call; an interpreter who is not a
supervisor comes only by invitation (:attr:`Consultation.interpreter_invites`). ``join`` and ``leave`` are
triggers like the others so that each is recorded once, with its own key, but they do not move the state.
Documents stored before participants existed (``resident`` and ``agent_id`` fields) are upgraded on reading by
:func:`upgrade_consultation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from madoguchi.domain.participant import Participant


class State(StrEnum):
    TRIAGE = "triage"
    WAITING = "waiting"
    OFFERED = "offered"
    ACTIVE = "active"
    WRAP_UP = "wrap_up"
    CLOSED = "closed"
    ABANDONED = "abandoned"
    INTERRUPTED = "interrupted"


class Trigger(StrEnum):
    OPEN_CHAT = "open_chat"
    REQUEST = "request"
    HANDOFF = "handoff"
    OFFER = "offer"
    ACCEPT = "accept"
    DECLINE = "decline"
    OFFER_TIMEOUT = "offer_timeout"
    CANCEL = "cancel"
    RESIDENT_GONE = "resident_gone"
    AGENT_GONE = "agent_gone"
    END = "end"
    TRANSFER = "transfer"
    WRAP_UP = "wrap_up"
    WRAP_UP_TIMEOUT = "wrap_up_timeout"
    INTERRUPT = "interrupt"
    JOIN = "join"
    LEAVE = "leave"
    MOVE = "move"


class Role(StrEnum):
    """What a participant is in one consultation (their kind says what connects: a booth, a browser, staff)."""

    RESIDENT = "resident"
    AGENT = "agent"
    OBSERVER = "observer"
    INTERPRETER = "interpreter"


JOINING_ROLES = frozenset({Role.OBSERVER, Role.INTERPRETER})
"""Roles a member of staff may join a running call in (the resident and the agent arrive by the queue)."""


@dataclass(frozen=True)
class StaffRights:
    """What a member of staff's account lets them be in a case, as it is now: the towns they serve and whether they
    supervise (a supervisor or an admin). Read from the session on every connect, so a changed account is judged
    by its new rights (its sessions end with the change)."""

    municipality_ids: frozenset[str]
    supervises: bool


NEEDS_SUPERVISING: dict[Role, bool] = {Role.AGENT: False, Role.OBSERVER: True, Role.INTERPRETER: False}
"""The parts a member of staff can hold in a case, and whether each needs a supervising account. Every part needs
the case's town among theirs. (An interpreter who is not a supervisor also needed an invitation to join, used up
by the join: nothing to re-check afterwards.)"""


def may_hold(rights: StaffRights | None, municipality_id: str, role: Role) -> bool:
    """Whether an account with ``rights`` (None: none at all, e.g. disabled) may hold ``role`` in a case of
    ``municipality_id``: the one rule a join is judged by and every part already held is re-checked by."""
    if rights is None or role not in NEEDS_SUPERVISING:
        return False
    return municipality_id in rights.municipality_ids and (rights.supervises or not NEEDS_SUPERVISING[role])


class Channel(StrEnum):
    BOOTH = "booth"
    CHAT = "chat"


class Disposition(StrEnum):
    RESOLVED = "resolved"
    REFERRED = "referred"
    FOLLOW_UP = "follow_up"
    BOOKED = "booked"
    DROPPED = "dropped"
    OTHER = "other"


TERMINAL_STATES = frozenset({State.CLOSED, State.ABANDONED, State.INTERRUPTED})
QUEUED_STATES = frozenset({State.WAITING, State.OFFERED})

TRANSITIONS: dict[State, dict[Trigger, State]] = {
    State.TRIAGE: {
        Trigger.HANDOFF: State.WAITING,
        Trigger.CANCEL: State.ABANDONED,
        Trigger.RESIDENT_GONE: State.ABANDONED,
    },
    State.WAITING: {
        Trigger.OFFER: State.OFFERED,
        Trigger.MOVE: State.WAITING,
        Trigger.CANCEL: State.ABANDONED,
        Trigger.RESIDENT_GONE: State.ABANDONED,
    },
    State.OFFERED: {
        Trigger.ACCEPT: State.ACTIVE,
        Trigger.DECLINE: State.WAITING,
        Trigger.OFFER_TIMEOUT: State.WAITING,
        Trigger.AGENT_GONE: State.WAITING,
        Trigger.CANCEL: State.ABANDONED,
        Trigger.RESIDENT_GONE: State.ABANDONED,
    },
    State.ACTIVE: {
        Trigger.END: State.WRAP_UP,
        Trigger.RESIDENT_GONE: State.WRAP_UP,
        Trigger.AGENT_GONE: State.WAITING,
        Trigger.TRANSFER: State.WAITING,
        Trigger.INTERRUPT: State.INTERRUPTED,
        Trigger.JOIN: State.ACTIVE,
        Trigger.LEAVE: State.ACTIVE,
    },
    State.WRAP_UP: {
        Trigger.WRAP_UP: State.CLOSED,
        Trigger.WRAP_UP_TIMEOUT: State.CLOSED,
    },
    State.CLOSED: {},
    State.ABANDONED: {},
    State.INTERRUPTED: {},
}

INITIAL: dict[Trigger, State] = {Trigger.OPEN_CHAT: State.TRIAGE, Trigger.REQUEST: State.WAITING}

CALL_BOUNDARIES: frozenset[tuple[State, Trigger]] = frozenset(
    (state, trigger)
    for state, moves in TRANSITIONS.items()
    for trigger, to in moves.items()
    if (state == State.ACTIVE) != (to == State.ACTIVE)
)
"""Every transition that starts a call (``accept``) or ends one (``end``, ``transfer``, back in line, the resident
gone, ``interrupt``), read off :data:`TRANSITIONS`: at each the case's per-call grants (:data:`CALL_GRANTS`) end, so
whatever one call's agent gave or was given is never carried into another agent's call."""

CALL_GRANTS: dict[str, Any] = {
    "interpreter_invites": {},
    "video_invited": False,
    "video_by_invite": False,
}
"""What the agent of one call grants in it, and its value when no call holds it: invitations to interpret (each
names its invitee, :class:`InterpreterInvite`), the unanswered invitation to video and the video it turned the
chat into. Cleared at every :data:`CALL_BOUNDARIES` transition by :meth:`Consultation.end_call_grants`; a joined
interpreter or observer leaves at the end of a call as well (``_extras_leave``). Not per-call, and kept: ``video``
of a booked video call (the resident booked a video call, whoever answers it), the transfer note (it spans two
calls: see :data:`HAND_OVER`), ``not_back_to`` and ``declined_until`` (per agent, about offers)."""

HAND_OVER: dict[str, None] = {"transfer_note": None, "transferred_by": None, "transferred_by_id": None}
"""A transfer's hand-over: who sent the case and their note, for the agent who takes it next. It lives from the
transfer until the call of the agent who answered it ends (their offer and their call show it); then
:meth:`Consultation.end_hand_over` clears it, so the wrap-up, a later transfer or a third agent (after that call was
cut) never show a note that was written for someone else. The record keeps it (the transfer event's detail)."""


class TransitionError(Exception):
    """A trigger that the consultation's current state does not allow."""

    def __init__(self, consultation_id: str, state: State, trigger: Trigger) -> None:
        super().__init__(f"consultation {consultation_id} is {state.value}; cannot {trigger.value}")
        self.consultation_id = consultation_id
        self.state = state
        self.trigger = trigger


class Party(BaseModel):
    """One participant's part in a consultation: from ``joined_at`` until ``left_at`` (``None``: still in)."""

    model_config = ConfigDict(extra="allow")  # stored: see STORED_EXTRA in state.py

    participant: Participant
    role: Role
    joined_at: float
    left_at: float | None = None

    @property
    def present(self) -> bool:
        return self.left_at is None


class InterpreterInvite(BaseModel):
    """One open invitation to interpret a call: until when it runs and who sent it (one record, so the time and
    the sender cannot drift apart as two parallel dicts did)."""

    model_config = ConfigDict(extra="allow", frozen=True)  # stored: see STORED_EXTRA in state.py

    expires_at: float
    by: str | None = Field(default=None, description="the staff id who sent it (None: stored before senders were)")
    call: float | None = Field(
        default=None,
        description="the call it is for: that call's answered_at (None: stored before invitations named their "
        "call; such an invitation is refused, as one for another call)",
    )


def _upgrade_invites(doc: dict[str, Any]) -> dict[str, Any]:
    """Until session 12 an invitation was two parallel dicts, ``interpreter_invites`` (staff id: expiry) and
    ``interpreter_inviters`` (staff id: sender); a stored case in that shape becomes one record per invitation
    (an expiry without a sender has ``by`` None)."""
    if "interpreter_inviters" not in doc and not any(
        isinstance(v, int | float) for v in (doc.get("interpreter_invites") or {}).values()
    ):
        return doc
    doc = dict(doc)
    inviters = doc.pop("interpreter_inviters", None) or {}
    doc["interpreter_invites"] = {
        staff_id: {"expires_at": value, "by": inviters.get(staff_id)} if isinstance(value, int | float) else value
        for staff_id, value in (doc.get("interpreter_invites") or {}).items()
    }
    return doc


def upgrade_consultation(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored consultation in today's shape. Before participants existed a case named its ``resident`` and its
    ``agent_id`` (ringing or holding the case); both become :attr:`Consultation.participants` /
    :attr:`Consultation.offered_to`. Also lets code and tests build a case with ``resident=...``. Invitations to
    interpret stored as two dicts become one (:func:`_upgrade_invites`)."""
    doc = _upgrade_invites(doc)
    if "resident" not in doc and "agent_id" not in doc:
        return doc
    doc = dict(doc)
    resident = doc.pop("resident", None)
    agent_id = doc.pop("agent_id", None)
    parties: list[Any] = list(doc.get("participants") or [])
    created = doc.get("created_at", 0.0)
    if resident is not None:
        parties.insert(0, {"participant": resident, "role": Role.RESIDENT.value, "joined_at": created})
    if agent_id is not None:
        if doc.get("state") == State.OFFERED.value:
            doc["offered_to"] = agent_id
        else:
            joined = doc.get("answered_at")
            parties.append(
                {
                    "participant": str(Participant.agent(agent_id)),
                    "role": Role.AGENT.value,
                    "joined_at": created if joined is None else joined,
                }
            )
    doc["participants"] = parties
    return doc


class Consultation(BaseModel):
    """The live part of a consultation: what routing and the grace timers need, nothing more.

    The durable record (transcript, timestamps, wrap-up) lives in storage; this object is small so that the
    whole counter can be copied and stored atomically.
    """

    model_config = ConfigDict(extra="allow", validate_assignment=False)  # stored: see STORED_EXTRA in state.py

    id: str
    municipality_id: str
    channel: Channel
    participants: list[Party] = Field(
        min_length=1, description="everyone who takes or took part, the resident's side first; see Party"
    )
    booth_id: str | None = None
    route: str
    language: str = "ja"
    urgent: bool = False
    no_topic: bool = Field(
        default=False,
        description="the resident asked for a person with nothing to route by (no question yet, or only "
        "「その他・わからない」): any agent of its town may take it (:meth:`Agent.takes_no_topic`)",
    )
    urgent_demoted: bool = Field(
        default=False,
        description="urgent, but another urgent case from the same anonymous source was first: not put ahead",
    )
    source: str | None = Field(default=None, description="an anonymous resident's client address (web chat)")
    browser: str | None = Field(
        default=None,
        description="the browser an anonymous resident chats from (a keyed hash of the chat page's signed id, never "
        "the id; or address:<source>)",
    )
    source_count: int = Field(default=1, description="open cases from the same source when this one started")
    resident_active_at: float | None = Field(
        default=None,
        description="an anonymous resident's last line to the bot (kept at most every CHAT_TOUCH_S; None: since "
        "created_at): a bot-only chat idle the longest is the first a new chat may take the place of",
    )
    danger: bool = Field(
        default=False,
        description="an anonymous chat whose resident's line touched danger with the bot (the safety question "
        "pending, a hotline, an urgent or danger reason): never ended to make room in a flood (chat_pool)",
    )
    priority: int = 0
    booking: str | None = Field(default=None, description="the booking code a checked-in resident came with")
    video: bool = Field(
        default=False, description="a resident at home talks by video (accepted the agent's invitation)"
    )
    video_invited: bool = Field(default=False, description="the agent invited the resident to video; unanswered")
    video_by_invite: bool = Field(
        default=False,
        description="on video because the resident accepted this call's agent's invitation (not a booked video "
        "call): the next call starts as text again",
    )
    interpreter_invites: dict[str, InterpreterInvite] = Field(
        default_factory=dict,
        description="staff ids the call's agent or a supervisor invited to interpret this call, each with when the "
        "invitation expires and who sent it (told when the invitee declines, even a supervisor who is not in the "
        "call); a join uses its invitation up (one invitation, one call, one join)",
    )
    interpreter_due: bool = Field(
        default=False,
        description="waiting, it has waited interpreter_after_s for a speaker: agents of its route who do not speak "
        "its language may take it now (set by the timer tick, so their queue lists are sent again)",
    )
    state: State
    created_at: float
    enqueued_at: float = Field(description="queue order; kept when a case returns to the queue")
    offered_to: str | None = Field(default=None, description="the agent an offer rings (state offered only)")
    offer_expires_at: float | None = None
    declined_until: dict[str, float] = Field(default_factory=dict)
    answered_at: float | None = None
    talked_before_s: float = Field(
        default=0.0,
        description="seconds of the earlier calls of this case (a transfer, or a call cut and answered again): "
        "answered_at is the current call's start, so the resident's wait is (answered_at - queued) minus this, "
        "and the handling time is (ended_at - answered_at) plus this",
    )
    ended_at: float | None = None
    resident_lost_at: float | None = None
    agent_lost_at: float | None = None
    wrap_up_expires_at: float | None = Field(
        default=None, description="set only while the agent of a wrap-up is offline past their grace period"
    )
    end_reason: str | None = None
    resumed_by: str | None = Field(
        default=None,
        description="the case its booth opened to take this one up again after the link was lost (resume): one "
        "resume per lost case, set in the same operation that opens the new one",
    )
    resumed: str | None = Field(
        default=None,
        description="how this case took up its booth's case a lost link ended (a ResumeKind: call, place, passed); "
        "None for any other case",
    )
    passed_over: bool = Field(
        default=False,
        description="waiting with its resident's link down, an agent who could have taken it was given a case behind "
        "it (its turn came meanwhile): if the link stays down past the grace period, the booth back on line goes to "
        "the head of the line, not only to its own place (LostPlace)",
    )
    transfer_note: str | None = Field(
        default=None,
        description="the note of the agent who transferred the case, for the next one (masked); until that one's "
        "call ends (HAND_OVER)",
    )
    transferred_by: str | None = Field(default=None, description="the display name of that agent")
    call_lost: bool = Field(
        default=False, description="back in line because the agent's link stayed down during the call; until answered"
    )
    transferred_by_id: str | None = Field(default=None, description="that agent's id (the offer says 'you sent it')")
    moved_by_staff: bool = Field(
        default=False,
        description="a supervisor moved the waiting case to another route; until answered (the "
        "resident's screen says staff changed the desk, not just a new route name)",
    )
    not_back_to: list[str] = Field(
        default_factory=list,
        description="agents who transferred the case away: it is not offered to them again by itself (a supervisor "
        "still may); one who was told nobody else can take it and sent it anyway is not listed",
    )
    transitions: int = Field(
        default=0, description="state changes so far; with the id it names each change's durable record, once"
    )

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        return upgrade_consultation(data) if isinstance(data, dict) else data

    @property
    def waiting_from(self) -> float:
        """When the resident's waiting counts from, as shown and alarmed on: the queue time less the earlier calls'
        talk (a transferred case waited since its first request minus the time it was being helped; ux16: both
        consoles showed 「2:35 待ち」 for a case that had talked two of those minutes). Queue order stays
        ``enqueued_at``."""
        return self.enqueued_at + self.talked_before_s

    @property
    def resident(self) -> Participant:
        """The resident's side (a booth or a resident at home); always the first party."""
        return self.participants[0].participant

    @property
    def agent_id(self) -> str | None:
        """The agent holding the case (in the call or its wrap-up), else the one an offer rings, else ``None``."""
        for party in reversed(self.participants):
            if party.role == Role.AGENT and party.present:
                return party.participant.id
        return self.offered_to

    def present(self) -> list[Party]:
        return [p for p in self.participants if p.present]

    def party_of(self, participant: str) -> Party | None:
        """The participant's current part in the case, if they are in it."""
        for party in reversed(self.participants):
            if party.participant == participant and party.present:
                return party
        return None

    def join(self, participant: Participant, role: Role, now: float) -> Party:
        party = Party(participant=participant, role=role, joined_at=now)
        self.participants.append(party)
        return party

    def leave(self, participant: str, now: float) -> Party | None:
        """Mark the participant's current part as over; returns it (``None`` if they were not in)."""
        party = self.party_of(participant)
        if party is not None:
            party.left_at = now
        return party

    @property
    def is_open(self) -> bool:
        return self.state not in TERMINAL_STATES

    @property
    def prioritised(self) -> bool:
        """Urgent and put ahead: the first urgent case from its source (a booth is always its own source)."""
        return self.urgent and not self.urgent_demoted

    def queue_key(self) -> tuple[bool, bool, int, float, str]:
        """The queue's order, in three bands, each by priority and then first come first served:

        1. urgent cases at a booth;
        2. booth residents, residents at home waiting on video (:attr:`video`: a booked video call), and urgent
           web chats (:attr:`prioritised`: only the first from its client address), together in order of arrival:
           an urgent chat goes ahead of every later booth resident but does not push back one who was already
           waiting;
        3. the other web chats (a second urgent chat from the same address waits here).

        A booth resident is never starved by web chat volume: at most the prioritised chats that arrived before
        them (one per address) go first."""
        booth = self.channel == Channel.BOOTH
        seated = booth or self.video or self.prioritised
        return (not (booth and self.urgent), not seated, -self.priority, self.enqueued_at, self.id)

    def end_call_grants(self, now: float) -> dict[str, InterpreterInvite]:
        """A call starts or ends (:data:`CALL_BOUNDARIES`): every per-call grant (:data:`CALL_GRANTS`) ends; a
        video the resident accepted by invitation goes back to text. Returns the invitations to interpret that
        were still open (their invitees are told they are withdrawn)."""
        still_open = {k: v for k, v in self.interpreter_invites.items() if v.expires_at > now}
        if self.video_by_invite:
            self.video = False
        for name, cleared in CALL_GRANTS.items():
            setattr(self, name, type(cleared)(cleared))
        return still_open

    def end_hand_over(self) -> None:
        """The call that answered a transfer ended (or the case was transferred again): :data:`HAND_OVER` is over."""
        for name, cleared in HAND_OVER.items():
            setattr(self, name, cleared)

    def fire(self, trigger: Trigger) -> State:
        """Move to the state the table gives for ``trigger`` and return the previous state."""
        allowed = TRANSITIONS[self.state]
        if trigger not in allowed:
            raise TransitionError(self.id, self.state, trigger)
        previous = self.state
        self.state = allowed[trigger]
        self.transitions += 1
        return previous
