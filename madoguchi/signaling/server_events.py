"""One frozen pydantic model per server → client socket event, as :mod:`madoguchi.signaling.events` is for the
other direction: what a client receives is declared once, here, and ``docs/protocol.md`` is checked against both
sets of models by a test.

Each event class names its Socket.IO event in ``NAME``; :meth:`ServerEvent.payload` is what goes on the wire.
Optional keys are left out unless a builder set them (a waiting resident's view has ``position``, an active one
``call``), so the wire form stays what clients have always read. Views shared by several events (what staff see
of a case, the transcript) are plain models without a name.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from madoguchi.domain.participant import Participant
from madoguchi.signaling.consultation import Role
from madoguchi.signaling.events import IceCandidate, MediaState, MediaStep, SessionDescription


class View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def payload(self) -> dict[str, JsonValue]:
        """The wire form: JSON data, keys that were not set left out."""
        data: dict[str, JsonValue] = self.model_dump(mode="json", exclude_unset=True, by_alias=True)
        return data


class ServerEvent(View):
    NAME: ClassVar[str]


# --- parts of events -------------------------------------------------------------------------------------------


class IceServerEntry(View):
    """One RTCIceServer: configured, or with TURN REST credentials for one participant of one call."""

    urls: list[str]
    username: str | None = None
    credential: str | None = None


class Peer(View):
    """Who the receiver talks with. To a resident: the agent's name, their name in Latin letters (``""`` when
    none was given) and ``interpreter``: the agent does not speak the resident's language (they write in
    Japanese; the resident's screen says so, in the resident's language)."""

    display_name: str
    latin_name: str = ""
    interpreter: bool = False


class ChatLine(ServerEvent):
    """A chat line (also echoed to its sender); bot lines carry ``bot`` (see docs/protocol.md). A staff line carries
    ``agent_id``, the member of staff who wrote it: after a transfer the receiving console labels the previous
    agent's lines as theirs, not as its own."""

    NAME = "chat.message"
    consultation_id: str
    seq: int
    sender: str
    text: str
    at: float
    bot: JsonValue = None
    agent_id: str | None = None


class RedactedLine(View):
    """One earlier chat line as it is stored now (its digits masked)."""

    seq: int
    text: str


class ChatRedacted(ServerEvent):
    """Earlier chat lines masked after they were shown: a line that completed a 個人番号 sent in pieces over several
    lines masked the pieces already stored (``domain/pii_lines.py``), and the screens that show them replace their
    text by ``lines``' (see docs/protocol.md, "Personal numbers")."""

    NAME = "chat.redact"
    consultation_id: str
    lines: tuple[RedactedLine, ...]
    summary: JsonValue = None
    """The case's handoff summary with the pieces masked in it too (it was written from the lines before they were
    masked), for the screens that show it; None when it did not change."""


class CallStart(ServerEvent):
    NAME = "call.start"
    consultation_id: str
    channel: str
    media: bool
    polite: bool
    ice_servers: list[IceServerEntry]
    peer: Peer
    answer: SessionDescription | None = None
    """The booth's only: the console's answer to the offer the booth made while the call rang (``ringing.offer``),
    carried by the accept. The booth sets it at once; without it the booth sends its offer now."""


class CaseView(View):
    """What staff see of a case in the queue, in an offer and in a call."""

    consultation_id: str
    route: str
    channel: str
    booth_name: str | None
    place: str | None
    language: str
    urgent: bool
    prioritised: bool
    booth_names: dict[str, str] = {}
    """The booth's display name in the other page languages the admin gave (``booth_name``, Japanese, stands in for
    the rest): the console shows the one of its own language."""
    source_count: int
    waited_s: float
    booking: str | None = None


class QueueItem(CaseView):
    state: str
    waiting_since: float
    resident_away: bool = False
    """The resident's page or kiosk is gone (closed, or its link dropped) and the grace period runs: the case keeps
    its place but is not offered, and leaves the queue when the grace period ends unless they come back."""


class AgentConsultation(CaseView):
    """The case an agent holds (in a call or its wrap-up), with its transcript."""

    summary: JsonValue
    state: str
    chat: list[ChatLine]
    call: CallStart | None = None
    transfer: TransferNote | None = None
    talked_s: float | None = None
    interpreter: bool = False
    """The agent does not speak the resident's language (an interpreter overflow or an urgent case): the console
    names the language plainly and offers to invite an interpreter."""
    resident_away_s: float | None = None
    """How long the resident's screen has been gone (their grace period runs), else absent: a console reloaded
    meanwhile says so at once, with the time left."""


class TownHours(View):
    """A town's opening hours as the resident's screen shows them: the admin-editable hours (the ``opening_hours``
    table, else the municipality file's), read through the one hours book every process shares."""

    weekly: dict[str, str]
    """``mon`` … ``sun`` → ``"08:30-12:00,13:00-17:15"`` or ``"closed"`` (the route's own week if it has one)."""
    open_now: bool
    closed_today: bool
    """Today is a closed date or in a yearly closed span (年末年始)."""
    staffed: bool = False
    """An agent of the town is on duty now (available, or busy with a case): outside the hours the kiosk's idle
    notice then does not say staff may not answer (ux14: it did while agent1 was 受付中). ``hours.get`` only."""
    opens_at: float | None = None
    """When the counter next opens (epoch seconds), while it is closed; None while open or never within a year."""


class ResidentConsultation(View):
    """The resident's open case, for a page or kiosk restoring its screen."""

    consultation_id: str
    state: str
    route: str
    channel: str
    urgent: bool
    chat: list[ChatLine]
    position: int | None = None
    wait_estimate_s: float | None = None
    requested_at: float | None = None
    waited_s: float | None = None
    no_answer: str | None = None
    no_answer_after_s: float | None = None
    hours: TownHours | None = None
    call_lost: bool = False
    """Back in line because the agent's link stayed down during the call (as in ``queue.position``)."""
    transferred: bool = False
    """Waiting again because an agent sent the case to another route (as in ``queue.position``)."""
    moved: bool = False
    """A supervisor moved the waiting case to another route (as in ``queue.position``)."""
    call: CallStart | None = None


# --- events ----------------------------------------------------------------------------------------------------


class TransferNote(View):
    """Why a case came back from another agent: their name and their note."""

    note: str
    by: str
    by_you: bool = False
    """It rings the agent who sent it (nobody else could take it): the console says so instead of their name."""


class TransferRoute(View):
    """One route of the transfer form (``transfer.options`` ack): the others on duty now who would be rung with the
    case there, and the staff who could ever take it (``None``: the accounts could not be read)."""

    route: str
    on_duty: int
    staff: int | None


class Offer(CaseView, ServerEvent):
    """``transfer`` and ``chat`` (the transcript so far) are set when another agent transferred the case."""

    NAME = "offer"
    summary: JsonValue
    expires_at: float | None
    transfer: TransferNote | None = None
    chat: list[ChatLine] | None = None
    interpreter: bool = False
    """The agent does not speak the resident's language (offered through the interpreter overflow, or an urgent
    case): the console says so plainly and offers to invite an interpreter once the call runs."""
    ice_servers: list[IceServerEntry] | None = None
    """A booth call's TURN servers already while it rings: the console prepares its connection (camera, TURN
    allocation) before the accept, so the call starts sooner (the same servers come again with ``call.start``)."""


class OfferWithdrawn(ServerEvent):
    """The offer stopped ringing, and why (``timeout``, ``declined``, ``cancelled``, …): the console says what
    happened. ``cooldown_s``: this case will not ring the agent again for that long; ``away``: the agent was
    set away because of it."""

    NAME = "offer.withdrawn"
    consultation_id: str
    reason: str
    cooldown_s: float | None = None
    away: bool = False


class CallComing(ServerEvent):
    """To the resident's side: an agent's console is ringing with their case (``ringing``), or stopped ringing
    without an answer; the booth shows 「まもなく つながります」 only while it rings."""

    NAME = "call.coming"
    consultation_id: str
    ringing: bool
    ice_servers: list[IceServerEntry] | None = None
    """While a booth's call rings: its TURN servers, so the kiosk prepares its connection before the accept."""


class VideoInvite(ServerEvent):
    """To a resident chatting from home: the agent invites them to switch to video (one tap to accept)."""

    NAME = "video.invite"
    consultation_id: str


class VideoAnswer(ServerEvent):
    """To the agent: the resident accepted the invitation to video (``call.start`` with media follows) or not."""

    NAME = "video.answer"
    consultation_id: str
    accepted: bool


class AgentState(ServerEvent):
    NAME = "agent.state"
    agent_id: str
    display_name: str
    status: str
    chosen: str | None = None
    """What the agent chose (``available`` or ``away``), apart from what they are doing: the status they will have
    once the offer, call or wrap-up is over (an agent whose link stayed down past the grace period is set away,
    and a wrap-up they come back to ends with them away unless they choose 受付する again). ``None`` offline."""
    consultation: AgentConsultation | None
    offer: Offer | None


class QueueSnapshot(ServerEvent):
    NAME = "queue.snapshot"
    items: list[QueueItem]
    """The head of the queue the agent may take, in the order cases are served (at most
    :data:`~madoguchi.signaling.views.AGENT_QUEUE_ITEMS`)."""
    total: int
    """Every case in that queue, listed or not."""


class QueuePosition(ServerEvent):
    """A waiting resident's place in line. ``requested_at`` (server epoch seconds) and ``waited_s`` (at the time
    of sending) let a page show the time waited across reloads; ``ringing``: an agent's console is ringing."""

    NAME = "queue.position"
    consultation_id: str
    position: int
    wait_estimate_s: float | None
    agents_on_duty: int
    requested_at: float
    waited_s: float
    ringing: bool
    no_answer: str | None = None
    """Why nobody can answer now (``closed``, ``nobody``, ``long_wait``: :mod:`~madoguchi.signaling.no_answer`)."""
    no_answer_after_s: float
    """After this long waiting (``waited_s`` counts towards it) the page offers the phone and a call-back."""
    hours: TownHours | None = None
    """The town's opening hours (none configured: left out), shown on the "no one can answer" panel."""
    route: str | None = None
    """The route the case waits on now: after a transfer it is the new one, and the waiting screen must say so."""
    transferred: bool = False
    """An agent sent the case to another route: the screen says the counter is being changed, not just "wait"."""
    moved: bool = False
    """A supervisor moved the waiting case to another route (until answered): the screen says staff changed the
    desk, so a new route name is no surprise."""
    call_lost: bool = False
    """The call was cut (the agent's link stayed down past the grace period) and the case is back in line, until
    someone answers it: the screen says so, after a reload too."""


class CallEnd(ServerEvent):
    NAME = "call.end"
    consultation_id: str
    reason: str


class ConsultationClosed(ServerEvent):
    NAME = "consultation.closed"
    consultation_id: str
    reason: str
    ask_satisfaction: bool = False
    """Ask the resident how it went (the one-tap question): the server decides, one rule for the kiosk and the
    chat — after a person answered (or a chat the bot finished), never after a call-back or an unanswered wait."""


class ConsultationNextStep(ServerEvent):
    """After ``consultation.closed``: the agent's wrap-up says what happens next for the resident; the booth's
    thank-you, if still shown, says it in plain words."""

    NAME = "consultation.next_step"
    consultation_id: str
    disposition: Literal["follow_up", "booked", "referred"]


class PeerLink(ServerEvent):
    NAME = "peer.link"
    consultation_id: str
    connected: bool


class ParticipantJoined(ServerEvent):
    """Someone joined the call the receiver is in; expect their ``signal`` (``from`` names them)."""

    NAME = "participant.joined"
    consultation_id: str
    participant: Participant
    role: Role


class InterpreterInvite(ServerEvent):
    """The receiver is invited to interpret a running call (``by``: the inviting staff id, ``by_name`` their name
    when they are on the counter); join it with ``consultation.join`` as ``interpreter`` before ``expires_at`` (Unix
    seconds). ``language`` and ``route``: the resident's language and the call's topic, for the invitation's text."""

    NAME = "interpreter.invite"
    consultation_id: str
    by: str
    expires_at: float
    by_name: str = ""
    language: str = "ja"
    route: str = ""


class InterpreterCalled(ServerEvent):
    """To the resident's side of a call: staff asked an interpreter to join (until ``expires_at``); the screen says
    so in the resident's language, and ``participant.joined`` follows when they come."""

    NAME = "interpreter.called"
    consultation_id: str
    expires_at: float


class InterpreterDeclined(ServerEvent):
    """To the others in a call and to the one who invited (``by``; a supervisor need not be in the call): the member
    of staff invited to interpret it (``staff_id``, named ``name``) declined. The console says so by name and that
    another may be called; the resident's screen stops saying one is being called unless another invitation is
    still open (``still_until``: when the last open one expires, Unix seconds; null: none)."""

    NAME = "interpreter.declined"
    consultation_id: str
    staff_id: str
    name: str = ""
    by: str | None = None
    still_until: float | None = None


class InterpreterWithdrawn(ServerEvent):
    """To the member of staff invited to interpret a call, and to its resident's side: the invitation ended with
    the call it was for before they joined. ``reason``: ``transfer`` (the case went to another desk), ``end``,
    ``agent_gone`` (back in line), ``resident_gone``, ``interrupt`` (``accept``: one left on a stored case). The
    invitee's console stops offering 参加する and says so; the kiosk and the chat page stop saying an interpreter
    is being called. A ``consultation.join`` on it afterwards is refused ``not_invited``."""

    NAME = "interpreter.withdrawn"
    consultation_id: str
    reason: str


class InterpreterOption(View):
    """One member of staff the call's agent may invite to interpret (``interpreter.options`` ack): on the counter
    for the case's town, speaking the resident's language; ``activity`` as a supervisor sees it; ``invited_until``
    while an invitation to them runs."""

    staff_id: str
    name: str
    activity: str
    invited_until: float | None = None


class PhoneInterpretationLine(View):
    """The town's telephone interpretation service (its municipality file's ``phone_interpretation``), in the
    ``interpreter.options`` ack beside the staff: ``name`` and ``hours`` in every page language, ``number`` as
    written, ``tel`` for the ``tel:`` link, ``languages`` the BCP 47 tags it interprets."""

    name: dict[str, str]
    number: str
    tel: str
    hours: dict[str, str]
    languages: list[str]


class ParticipantLeft(ServerEvent):
    NAME = "participant.left"
    consultation_id: str
    participant: Participant
    reason: str


class RingingOfferRelay(ServerEvent):
    """To the console that rings: the booth's offer for this case, made while it rings (see
    :class:`~madoguchi.signaling.events.RingingOffer`). The console answers it before the accept."""

    NAME = "ringing.offer"
    consultation_id: str
    description: SessionDescription


class SignalRelay(ServerEvent):
    """A signal relayed from another participant of the call, who is named in ``from``."""

    NAME = "signal"
    consultation_id: str
    sender: Participant = Field(alias="from")
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None
    mode: MediaStep | None = None
    forced: bool | None = None
    media_state: MediaState | None = None


class BoothState(ServerEvent):
    NAME = "booth.state"
    booth_id: str
    name: str
    names: dict[str, str] = {}
    """``name`` in each page language: the admin's own, else the Japanese ``name`` (the kiosk's header follows the
    resident's language)."""
    location: str
    place: str | None
    place_names: dict[str, str] = {}
    """``place`` in each page language (the kiosk's header follows the resident's language; empty: no place)."""
    consultation: ResidentConsultation | None


class PendingCallback(View):
    """A call-back the resident asked for that staff have not made yet (the page shows it after a reload)."""

    id: str
    requested_at: float
    phone_end: str
    """The number's last four digits, so the resident sees which number will ring (the whole number is staff's)."""


class ResidentState(ServerEvent):
    NAME = "resident.state"
    resume_token: str
    municipality_id: str
    consultation: ResidentConsultation | None
    callback: PendingCallback | None = None


# --- the supervisor's view (namespace /supervisor) --------------------------------------------------------------


class SupervisorCase(View):
    consultation_id: str
    route: str
    language: str
    urgent: bool
    channel: str
    booth_name: str | None
    place: str | None
    booth_names: dict[str, str] = {}
    """The booth's display name in the other page languages the admin gave (as ``CaseView.booth_names``)."""
    state: str
    offered_to: str | None
    waiting_since: float
    waited_s: float
    position: int
    stranded: bool
    booked: bool = False
    """A resident who booked and checked in (the console's 「予約あり」): the page shows the same badge (ux14)."""


class SupervisorAgent(View):
    agent_id: str
    display_name: str
    activity: str
    since: float | None  # None: a watcher not on the counter (when their page connected is not kept)
    consultation_id: str | None
    consultation_route: str | None
    routes: list[str]
    languages: list[str]
    wrap_up_since: float | None = None
    """When the call of the agent's case ended, while its record (wrap-up) is not sent yet (server epoch s): the
    view says 記録が まだです (the call ended N minutes ago), not 対応中, also when the agent has gone offline."""


class SupervisorSelfTest(View):
    """A booth's last self-test: when (server epoch s), the verdict, the checks at it, and the network path."""

    at: float
    state: str
    items: list[str]
    relay: bool | None
    rtt_ms: float | None
    loss_pct: float | None
    audio: bool | None


class SupervisorLastCall(View):
    """The link quality of a booth's last call with a measured link (the booth's own summary, else the agent's):
    when it was asked for (server epoch s), the median round trip and loss, picture freezes, the lowest media step."""

    at: float
    rtt_ms: float | None
    loss_pct: float | None
    freezes: int | None
    worst_step: str | None


class SupervisorBooth(View):
    booth_id: str
    name: str
    place: str | None
    online: bool
    self_test: SupervisorSelfTest | None = None
    last_seen: float | None = None
    last_call: SupervisorLastCall | None = None


class SupervisorToday(View):
    """Today's figures; received = answered + callbacks + abandoned + short_abandoned + in_hand (those of today
    still waiting, ringing or choosing a topic). ``waiting``: the queue now (waiting or ringing), whenever it came."""

    received: int
    answered: int
    abandoned: int
    short_abandoned: int = 0
    callbacks: int = 0
    in_hand: int = 0
    waiting: int
    longest_wait_s: float


class SupervisorAlert(View):
    kind: str
    key: str
    action: str
    consultation_id: str | None = None
    route: str | None = None
    language: str | None = None
    urgent: bool | None = None
    channel: str | None = None
    waited_s: float | None = None
    target_s: float | None = None
    booth_id: str | None = None
    booth_name: str | None = None
    place: str | None = None
    reason: str | None = None
    """stranded: ``language`` when agents of the route are on duty but none speaks the case's language."""
    count: int | None = None
    """How many cases the alarm stands for (stranded: one alarm per route and language, its oldest case named)."""


class SupervisorSnapshot(ServerEvent):
    """One municipality's whole counter as its supervisors see it, sent after changes (coalesced) and every few
    seconds (times move). ``queue`` is the head of the queue (urgent first, then the longest waiting; at most
    :data:`~madoguchi.signaling.supervision.QUEUE_ROWS`), ``queue_total`` every case waiting or being offered."""

    NAME = "supervisor.snapshot"
    municipality_id: str
    now: float
    queue: list[SupervisorCase]
    queue_total: int = 0
    agents: list[SupervisorAgent]
    booths: list[SupervisorBooth]
    today: SupervisorToday
    alerts: list[SupervisorAlert]
    booths_total: int | None = None
    """Every booth of the town; ``booths`` lists those needing attention first and at most
    :data:`~madoguchi.signaling.supervision.BOOTH_ROWS` (the rest: ``supervisor.booths``, a page at a time)."""
    booths_online: int | None = None
    booths_rest: str | None = None
    """A fingerprint of the booths beyond ``booths`` (:func:`~madoguchi.signaling.supervision.booths_rest`): a page
    holding some of them (``supervisor.booths``) fetches them again when it changes; ``None`` when all are listed."""
    version: int = 0
    """The feed's version of this town's view on the sending process: a ``supervisor.delta`` whose ``base`` is this
    version applies on top of it."""


class SupervisorQueueChange(View):
    """The queue's rows that changed since the base version: added or changed (whole rows), gone (ids), the count."""

    upserts: list[SupervisorCase]
    removed: list[str]
    total: int


class SupervisorAgentsChange(View):
    upserts: list[SupervisorAgent]
    removed: list[str]


class SupervisorBoothsChange(View):
    """The listed booths that changed; ``order``: the ids listed now, in the view's order (needing attention first:
    a page cannot work that out from the rows)."""

    upserts: list[SupervisorBooth]
    removed: list[str]
    order: list[str]
    total: int
    online: int
    rest: str | None = None
    """The snapshot's ``booths_rest`` now: the booths beyond the listed ones changed when it differs."""


class SupervisorDelta(ServerEvent):
    """What changed in one town's view since version ``base`` (the page holds it: a snapshot's or the last delta's
    ``version``); a part left out did not change. A page holding another version asks for the whole view again
    (``supervisor.resync``). ``alerts`` and ``today`` come whole when they changed (they are small)."""

    NAME = "supervisor.delta"
    municipality_id: str
    version: int
    base: int
    now: float
    queue: SupervisorQueueChange | None = None
    agents: SupervisorAgentsChange | None = None
    booths: SupervisorBoothsChange | None = None
    today: SupervisorToday | None = None
    alerts: list[SupervisorAlert] | None = None


class SupervisorBoothPage(View):
    """A page of a town's booth list in the view's order (``supervisor.booths``' ack)."""

    municipality_id: str
    offset: int
    total: int
    booths: list[SupervisorBooth]


class AccessRevoked(ServerEvent):
    """Sent just before the server closes a socket whose credential was taken away (see
    :mod:`madoguchi.signaling.revocation`); ``reason`` is a :class:`~madoguchi.signaling.revocation.Reason`."""

    NAME = "access.revoked"
    reason: str


SERVER_EVENTS: tuple[type[ServerEvent], ...] = (
    BoothState,
    ResidentState,
    AgentState,
    QueueSnapshot,
    QueuePosition,
    Offer,
    OfferWithdrawn,
    CallComing,
    CallStart,
    RingingOfferRelay,
    VideoInvite,
    VideoAnswer,
    CallEnd,
    ConsultationClosed,
    ConsultationNextStep,
    PeerLink,
    ChatLine,
    ChatRedacted,
    SignalRelay,
    ParticipantJoined,
    InterpreterCalled,
    InterpreterInvite,
    InterpreterDeclined,
    InterpreterWithdrawn,
    ParticipantLeft,
    SupervisorSnapshot,
    SupervisorDelta,
    AccessRevoked,
)
"""Every server → client event; the protocol test walks this list."""
