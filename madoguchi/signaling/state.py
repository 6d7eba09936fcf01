"""The counter's data: agents on duty, open cases, connections, processes and the outbox, as one document.

One document because routing decisions depend on all of it at once and a live store applies each operation to it
atomically (see :mod:`madoguchi.signaling.store`). The document carries a ``version``: a store holding a document
written by an older release upgrades it on reading (:func:`upgrade_state`), so a rolling upgrade never meets a
shape it cannot read. Pure data and validation; the rules are in :mod:`madoguchi.signaling.counter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from madoguchi.domain.languages import served_by
from madoguchi.signaling.consultation import Consultation, State, Trigger

ALL_ROUTES = "*"

STATE_VERSION = 2
"""1: consultations named ``resident`` and ``agent_id``; 2: a participants collection."""

STORED_EXTRA: Literal["allow"] = "allow"
"""The stored models (the counter state and what it holds: cases, their parties and invitations, agents, self-tests,
outbox and set-aside records) keep a field they do not know instead of refusing it: during a rolling upgrade an
older process reads what a newer one wrote and writes it back with the newer fields intact (a chat marked
``danger`` stays marked), where refusing made the whole live state unreadable to it. Code building one of them
still cannot pass an unknown field (mypy, ``init_forbid_extra``); the socket edge's event models stay strict
(``extra="forbid"``: a client's unknown field is an error). ``tests/unit/signaling/test_live_state_upgrade.py``."""


class AgentStatus(StrEnum):
    AVAILABLE = "available"
    AWAY = "away"


class AgentActivity(StrEnum):
    """What a supervisor sees: status combined with what the agent is doing."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    AWAY = "away"
    RINGING = "ringing"
    BUSY = "busy"
    WRAP_UP = "wrap_up"


class Agent(BaseModel):
    model_config = ConfigDict(extra="allow")  # stored: see STORED_EXTRA

    id: str
    display_name: str
    municipality_ids: tuple[str, ...]
    routes: tuple[str, ...]
    languages: tuple[str, ...]
    latin_name: str = ""  # the name residents who do not read Japanese see (Staff.latin_name)
    status: AgentStatus = AgentStatus.AWAY
    connected: bool = True
    lost_at: float | None = None
    idle_since: float
    consultation_id: str | None = None

    def serves(self, c: Consultation) -> bool:
        return self.sees(c.municipality_id, c.route, c.language, urgent=False)

    def takes_urgent(self, c: Consultation) -> bool:
        """An urgent case must reach a person: any agent of its town may take it, whatever its route and language
        (they can call 110/119, use an interpreter line or easy Japanese; the offer names the language)."""
        return c.urgent and c.municipality_id in self.municipality_ids

    def takes_no_topic(self, c: Consultation) -> bool:
        """A resident who asked for a person before saying what about (:attr:`Consultation.no_topic`) has no route
        to wait on: any agent of their town who speaks their language may greet them and transfer if need be
        (「Talk to staff」 pressed first was told nobody could answer while an agent of another route sat free)."""
        return c.no_topic and c.municipality_id in self.municipality_ids and served_by(c.language, self.languages)

    def sees(self, municipality_id: str, route: str, language: str, *, urgent: bool) -> bool:
        """A case of this kind is in this agent's queue: one they serve (town, route, language) or, when urgent,
        any of their towns (:meth:`takes_urgent`)."""
        return municipality_id in self.municipality_ids and (
            urgent or (self.covers_route(route) and served_by(language, self.languages))
        )

    def covers_route(self, route: str) -> bool:
        return ALL_ROUTES in self.routes or route in self.routes

    def covers(self, c: Consultation) -> bool:
        """The case's town and route are this agent's, whatever its language (an interpreter may bridge that); a
        case with no topic (:attr:`Consultation.no_topic`) has every route of its town."""
        return c.municipality_id in self.municipality_ids and (c.no_topic or self.covers_route(c.route))

    @property
    def on_duty(self) -> bool:
        """Connected and either available or already handling a case: someone who will take an offer soon."""
        return self.connected and (self.status == AgentStatus.AVAILABLE or self.consultation_id is not None)


class OverflowRule(BaseModel):
    """After ``after_s`` of waiting, a case may also go to agents of ``to_route`` or (``any_with_language``) to
    any agent of its municipality who speaks its language: no resident waits for ever because of a routing gap."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    after_s: float = Field(gt=0)
    to_route: str | None = None
    any_with_language: bool = False


class CounterConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    offer_timeout_s: float = 20.0
    grace_period_s: float = 30.0
    decline_cooldown_s: float = 15.0
    default_handle_time_s: float = 360.0
    handle_time_weight: float = Field(default=0.2, gt=0, le=1)
    max_open_per_resident: int = 1
    max_open_per_source: int = Field(default=3, ge=1, description="open web chats from one client address")
    max_opens_per_source: int = Field(
        default=10, ge=1, description="web chats one client address may start per source_window_s"
    )
    max_open_per_browser: int = Field(default=3, ge=1, description="open web chats from one browser")
    max_opens_per_browser: int = Field(
        default=10, ge=1, description="web chats one browser may start per source_window_s"
    )
    source_window_s: float = Field(default=600.0, gt=0)
    max_open_chats_per_municipality: int = Field(default=200, ge=1, description="open web chats in one town")
    chat_pressure_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="a town's web chats are under pressure from this share of max_open_chats_per_municipality open",
    )
    max_open_per_source_under_pressure: int = Field(
        default=5, ge=1, description="open web chats from one client address while its town's are under pressure"
    )
    max_open_per_network_under_pressure: int = Field(
        default=10,
        ge=1,
        description="open web chats from one IPv6 /48 (domain.networks) while its town's are under pressure",
    )
    chat_idle_evict_s: float = Field(
        default=120.0,
        gt=0,
        description="at the town's ceiling, a new web chat ends a bot-only chat whose resident wrote nothing for "
        "this long (the longest idle first)",
    )
    max_prioritised_chats_per_municipality: int = Field(
        default=3, ge=0, description="urgent web chats of one town put ahead of later booth residents at a time"
    )
    process_timeout_s: float = Field(default=15.0, gt=0, description="a process silent this long is dead")
    interpreter_invite_s: float = Field(
        default=300.0, gt=0, description="how long an invitation to interpret a call may be used"
    )
    wrap_up_timeout_s: float = Field(
        default=1800.0, gt=0, description="an offline agent's pending wrap-up is closed this long after their link went"
    )
    overflow: dict[str, dict[str, OverflowRule]] = Field(
        default_factory=dict,
        description="municipality ('*': any) -> route ('*': any) -> overflow rule; the most specific applies",
    )
    no_answer_wait_s: float = Field(
        default=900.0, gt=0, description="a resident who has waited this long is offered a call-back or the phone"
    )
    resume_window_s: float = Field(
        default=600.0,
        ge=0,
        description="how long after a resident's link stayed down past the grace period (their call ended, or their "
        "place in line was given up) their booth, back on line, takes the case up again (LostPlace); 0: never",
    )
    interpreter_after_s: float | None = Field(
        default=None,
        gt=0,
        description="after this long waiting for a speaker of the resident's language, agents of the route who do "
        "not speak it may take the case (with an interpreter); at once when no speaker on duty may take it. "
        "None: never (language-strict)",
    )

    def overflow_rule(self, municipality_id: str, route: str) -> OverflowRule | None:
        for town in (municipality_id, ALL_ROUTES):
            rules = self.overflow.get(town)
            if rules is not None:
                rule = rules.get(route) or rules.get(ALL_ROUTES)
                if rule is not None:
                    return rule
        return None


class ResumeKind(StrEnum):
    """How a lost case comes back when its booth is on line again (:data:`RESUME_PLACES`)."""

    CALL = "call"
    """The call was cut: head of the line (ahead of walk-ins), as when the agent's link drops."""
    PLACE = "place"
    """It was waiting: its own place back (its priority and the time it joined the line)."""
    PASSED = "passed"
    """It was waiting and its turn came while the link was down (the agent took the next resident): head of the line,
    in its own time."""


@dataclass(frozen=True)
class ResumePlace:
    """Where a case taken up again stands: ``head`` puts it ahead of walk-ins (priority 1 at least), ``own_time``
    keeps the time it first joined the line (else it joins now)."""

    head: bool
    own_time: bool


RESUME_PLACES: dict[ResumeKind, ResumePlace] = {
    ResumeKind.CALL: ResumePlace(head=True, own_time=False),
    ResumeKind.PLACE: ResumePlace(head=False, own_time=True),
    ResumeKind.PASSED: ResumePlace(head=True, own_time=True),
}


class LostPlace(BaseModel):
    """A resident's case the server ended because their link stayed down past the grace period (``resident_link_lost``):
    kept for :attr:`CounterConfig.resume_window_s` so their booth, back on line, takes it up again
    (``consultation.request`` ``resume``) — in a call, or waiting in line — whether or not the agent's wrap-up of a
    call is still open. Used up by one resume."""

    model_config = ConfigDict(frozen=True, extra="allow")  # stored: see STORED_EXTRA

    resident: str
    lost_at: float = Field(description="when the grace period ran out and the case ended")
    case: Consultation = Field(description="the case as it stood in line or in its call just before it ended")
    in_call: bool = Field(description="it ended during a call (else it was waiting in line)")
    passed_over: bool = Field(
        default=False, description="waiting, an agent who could have taken it was given a case behind it meanwhile"
    )

    @property
    def kind(self) -> ResumeKind:
        if self.in_call:
            return ResumeKind.CALL
        return ResumeKind.PASSED if self.passed_over else ResumeKind.PLACE


class SelfTestResult(BaseModel):
    """A booth's last self-test as the kiosk reported it (``selftest.report``): when, the verdict, the checks at
    that verdict, and the network path it measured (a relay candidate; the echo call's round trip, loss and
    whether its audio came back). Never anything of a resident."""

    model_config = ConfigDict(frozen=True, extra="allow")  # stored: see STORED_EXTRA

    at: float
    state: Literal["ok", "warn", "fail"]
    items: tuple[str, ...] = ()
    relay: bool | None = None
    rtt_ms: float | None = None
    loss_pct: float | None = None
    audio: bool | None = None


class PendingRecord(BaseModel):
    """A consultation's state change the database has not confirmed yet: what the edge needs to write it.

    ``key`` names the change for ever (``<consultation id>:<n>``); writing the same key twice is a no-op in
    storage. ``extra`` holds further columns an operation attaches to its first change (the triage and the
    summary of a request or hand-off)."""

    model_config = ConfigDict(frozen=True, extra="allow")  # stored: see STORED_EXTRA

    key: str
    consultation: Consultation = Field(description="the case as it was right after the change")
    previous: State | None = Field(description="None for the change that created the case")
    trigger: Trigger
    at: float
    detail: dict[str, Any] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def consultation_id(self) -> str:
        return self.consultation.id


class SetAsideRecord(BaseModel):
    """A pending record the database refused for its values (a data error, a value too long, a constraint): it can
    never be written as it is, so it left the outbox instead of blocking every record behind it. Kept in the live
    state with the refusal for an operator (``/metrics`` ``madoguchi_records_set_aside``, ``GET
    /api/admin/records/set-aside``, ``docs/operations.md``)."""

    model_config = ConfigDict(frozen=True, extra="allow")  # stored: see STORED_EXTRA

    record: PendingRecord
    error: str = Field(description="the database's refusal, one line")
    at: float = Field(description="when it was set aside")


SET_ASIDE_KEPT = 500
"""How many set-aside records the live state keeps, newest last; an older one beyond that is dropped (logged)."""


def record_key(c: Consultation) -> str:
    """The key of the record of ``c``'s latest change (its ``transitions`` count is that change's number)."""
    return f"{c.id}:{c.transitions}"


def upgrade_state(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored counter document in today's shape (each consultation by :func:`upgrade_consultation` as it is
    validated); a document without a version is version 1."""
    if doc.get("version", 1) >= STATE_VERSION:
        return doc
    return {**doc, "version": STATE_VERSION}


class CounterState(BaseModel):
    model_config = ConfigDict(extra="allow")  # stored: see STORED_EXTRA

    version: int = STATE_VERSION
    consultations: dict[str, Consultation] = Field(default_factory=dict)
    agents: dict[str, Agent] = Field(default_factory=dict)
    handle_time_s: dict[str, float] = Field(default_factory=dict, description="moving average per route")
    connections: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="participant -> its live connections, '<process>:<sid>', on any process; entries are replaced, "
        "never changed in place, so a store can copy this map shallowly",
    )
    processes: dict[str, float] = Field(default_factory=dict, description="server process -> last heartbeat")
    alive_until: dict[str, float] = Field(
        default_factory=dict,
        description="server process whose heartbeat is overdue -> until when its liveness signal (a Redis key with a "
        "TTL, kept fresh by a task of its own) was found good: slow, not gone; its next heartbeat removes the entry",
    )
    source_opens: dict[str, list[float]] = Field(
        default_factory=dict,
        description="anonymous source (a client address, or browser:<id>) -> when it started web chats, within the "
        "window; entries are replaced, never changed in place",
    )
    booked_soon: dict[str, int] = Field(
        default_factory=dict,
        description="'<municipality>:<route>' -> bookings due soon that an agent will serve ahead of walk-ins (not "
        "yet checked in); replaced whole by the booking sweep, counted in the walk-ins' wait estimate",
    )
    self_tests: dict[str, SelfTestResult] = Field(
        default_factory=dict,
        description="booth id -> its last self-test (the supervisors' booth list); entries are replaced, never changed "
        "in place",
    )
    lost_places: dict[str, LostPlace] = Field(
        default_factory=dict,
        description="consultation id -> a case ended by its resident's lost link, which its booth may take up again "
        "within resume_window_s; entries are replaced, never changed in place",
    )
    outbox: list[PendingRecord] = Field(
        default_factory=list,
        description="state changes not yet confirmed written to the database, oldest first; entries are replaced, "
        "never changed in place, so a store can copy this list shallowly",
    )
    set_aside: list[SetAsideRecord] = Field(
        default_factory=list,
        description="records the database refused for their values, oldest first (at most SET_ASIDE_KEPT); entries "
        "are replaced, never changed in place",
    )

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: Any) -> Any:
        return upgrade_state(data) if isinstance(data, dict) else data


class CounterError(Exception):
    """A refused operation, with a code the socket layer sends back in its error ack."""

    def __init__(self, code: str, message: str, details: dict[str, JsonValue] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        """What the page needs to say more than the code (a booking of another day: its start), or None."""


@dataclass(frozen=True)
class QueuePosition:
    consultation_id: str
    position: int
    wait_estimate_s: float | None
    agents_on_duty: int
