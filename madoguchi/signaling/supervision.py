"""What a supervisor sees of a municipality's counter, and what should alarm them. Pure: time is passed in.

Why a module of its own: the supervisor's view crosses every case and every agent of a municipality, and its
alarms (a stranded case, an urgent case left waiting, a route over its target, a booth offline while open) are
rules over that whole picture. Keeping them pure and table-driven lets them be tested with a fake clock and
lets the edge rebuild a municipality's picture after any change without knowing the rules.

Scoping is structural: every builder takes one ``municipality_id`` and looks only at cases and agents of that
municipality, so nothing of town B can appear in town A's view or alarms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, ClassVar, Final

from madoguchi.domain.opening_hours import OFFICE_HOURS, OpeningHours, open_now
from madoguchi.domain.participant import Participant, ParticipantKind, is_of_kind
from madoguchi.signaling.consultation import Consultation, State
from madoguchi.signaling.routing import Routing
from madoguchi.signaling.server_events import (
    SupervisorAgent,
    SupervisorAlert,
    SupervisorBooth,
    SupervisorCase,
    SupervisorLastCall,
    SupervisorSelfTest,
    SupervisorSnapshot,
    SupervisorToday,
)
from madoguchi.signaling.state import Agent, AgentActivity, SelfTestResult

JST = timezone(timedelta(hours=9))

URGENT_WAIT_S = 60.0
"""An urgent case waiting longer than this raises an alarm."""

QUEUE_ROWS = 100
"""The snapshot lists this many cases from the head of the queue and counts the rest (``queue_total``). Why: a
person acts on the cases at the head, and a town with 2,000 waiting made every snapshot 877 KB and every page
redraw 50,000 elements, which put an update 1-3 s behind the change (``bench/supervisor/RESULTS.md``). Alarms
still cover every case (stranded cases are grouped by route and language, so none hides behind the cut)."""


BOOTH_ROWS = 60
"""The snapshot lists at most this many booths, those needing attention first (:func:`ordered_booths`), and counts
them all (``booths_total``, ``booths_online``); the rest come a page at a time on request (``supervisor.booths``).
Why: the bench's town at 2,000 waiting has 2,201 booths, and listing each in every snapshot made it 452 KB and the
page 14,619 elements (``bench/supervisor/RESULTS.md``, session 11). A town with up to this many booths sees all."""

POOR_LINK: Final[tuple[tuple[str, Callable[[SupervisorLastCall], bool]], ...]] = (
    ("loss", lambda c: (c.loss_pct or 0.0) >= 5.0),
    ("rtt", lambda c: (c.rtt_ms or 0.0) >= 400.0),
    ("freezes", lambda c: (c.freezes or 0) > 0),
    ("step", lambda c: c.worst_step in {"audio", "chat"}),
)
"""When a booth's last call had a poor link (any of these): its booth is listed among those needing attention."""


@dataclass(frozen=True)
class BoothInfo:
    """A booth as the directory knows it (read by the edge beforehand), with what the edge remembers of its link:
    ``last_seen`` (when a snapshot last found it connected, server epoch s) and its last call's link quality."""

    id: str
    name: str
    place: str | None
    last_seen: float | None = None
    last_call: SupervisorLastCall | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    """The display name in the other page languages the admin gave (``name``: the Japanese one)."""


@dataclass(frozen=True)
class SupervisionRules:
    """Per-municipality settings the alarms use; defaults when the municipality file says nothing."""

    service_level_s: Mapping[str, float] = field(default_factory=dict)
    default_service_level_s: float = 600.0
    hours: OpeningHours = OFFICE_HOURS
    """The town's opening hours (its file's default or the admin's stored ones); a booth offline outside them
    raises no alarm. A town that configured none: weekdays 08:30-17:15."""

    def target_s(self, route: str) -> float:
        return self.service_level_s.get(route, self.default_service_level_s)


@dataclass(frozen=True)
class Watcher:
    """A staff account (read by the edge). A supervisor or admin is listed as watching while their /supervisor page
    is connected, though not on the counter as an agent (their console closed, or never opened); the town's staff
    (its roster) are listed as 未接続 while neither."""

    id: str
    name: str
    municipality_ids: tuple[str, ...]


def watching_ids(counter: Routing) -> set[str]:
    """Staff ids with a live /supervisor connection and no place on the counter as an agent."""
    ids = {
        Participant(p).id
        for p, conns in counter.state.connections.items()
        if conns and is_of_kind(p, ParticipantKind.SUPERVISOR)
    }
    return ids - set(counter.state.agents)


@dataclass(frozen=True)
class TodayFigures:
    """Counts read from the records since midnight JST (the edge reads them; ``storage/today.py`` says what each
    counts: received = answered + call-backs + abandoned + short abandons + those still in hand)."""

    received: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    callbacks: int = 0


def stranded(counter: Routing, c: Consultation, now: float) -> bool:
    """No on-duty agent may take this case now (its route, language and municipality; overflow counted)."""
    return not any(a.on_duty and counter.may_take(a, c, now) for a in counter.state.agents.values())


def language_gap(counter: Routing, c: Consultation) -> bool:
    """The case is stranded because of its language: an on-duty agent of its town serves its route, but none of
    them speaks its language (the supervisor needs a speaker or an interpreter, not another route)."""
    return any(a.on_duty and a.covers(c) and a.id not in c.not_back_to for a in counter.state.agents.values())


_GroupKey = tuple[str, str, str, tuple[bool, ...], tuple[str, ...], bool, bool]
_Staffing = tuple[tuple[str, bool, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]


@dataclass
class _Coverage:
    """What :class:`StrandedCheck` worked out for one staffing: the counter's rules (held, compared by identity) and
    each group's answer."""

    config: object
    known: dict[_GroupKey, bool] = field(default_factory=dict)


class StrandedCheck:
    """:func:`stranded` for many cases at one moment. The answer depends only on the case's town, route and
    language, on whether its overflow times have passed and on who sent it away (``Agent.serves`` and
    ``Routing.may_take`` read nothing else of it), so it is worked out once per such group: 2,000 waiting cases
    and 200 agents are a few dozen groups instead of 400,000 agent checks per update (``bench/supervisor``).

    Nor does it depend on anything else of the counter than its rules (``config``) and, of each agent, the id,
    whether on duty, towns, routes and languages (the *staffing*): the answers are kept across checks for the last
    :data:`COVERAGE_KEPT` staffings, so a view built after a change that moved no agent on or off duty (a case came
    or went) asks no agent again (a stranded group asked all 200 agents each time; ``bench/supervisor/delta.py``,
    session 12 perf11)."""

    COVERAGE_KEPT: ClassVar[int] = 4
    _kept: ClassVar[dict[tuple[int, _Staffing], _Coverage]] = {}

    def __init__(self, counter: Routing, now: float) -> None:
        self._counter = counter
        self._now = now
        self._waits: dict[tuple[str, str, bool], tuple[float, ...]] = {}
        staffing: _Staffing = tuple(
            (a.id, a.on_duty, a.municipality_ids, a.routes, a.languages) for a in counter.state.agents.values()
        )
        key = (id(counter.config), staffing)
        kept = StrandedCheck._kept.get(key)
        if kept is None or kept.config is not counter.config:
            while len(StrandedCheck._kept) >= StrandedCheck.COVERAGE_KEPT:
                del StrandedCheck._kept[next(iter(StrandedCheck._kept))]  # the oldest
            kept = StrandedCheck._kept[key] = _Coverage(counter.config)
        self._known = kept.known

    @classmethod
    def forget(cls) -> None:
        """Drop the answers kept across checks (tests compare a build with them against one without)."""
        cls._kept.clear()

    def __call__(self, c: Consultation) -> bool:
        # the overflow waits once per town, route and urgency, not the rule looked up per case (the key was most of
        # a view's stranded checks at 2,000 waiting, bench/supervisor/delta.py session 12 perf11)
        kind = (c.municipality_id, c.route, c.urgent)
        waits = self._waits.get(kind)
        if waits is None:
            waits = self._waits[kind] = self._counter.overflow_waits(c.municipality_id, c.route, urgent=c.urgent)
        now = self._now
        overflowed = tuple([now >= c.waiting_from + wait for wait in waits]) if waits else ()
        away = tuple(c.not_back_to) if c.not_back_to else ()
        key = (c.municipality_id, c.route, c.language, overflowed, away, c.urgent, c.no_topic)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = stranded(self._counter, c, now)
        return found


def _activity(counter: Routing, agent: Agent) -> str:
    """The agent's activity; one whose console is closed while their supervisor page is open is watching (見ています),
    not 未接続: they are at their desk, just not taking cases."""
    activity = counter.activity(agent.id).value
    if activity == AgentActivity.OFFLINE and Participant.supervisor(agent.id) in counter.state.connections:
        return "watching"
    return activity


def agent_since(counter: Routing, agent: Agent) -> float:
    """When the agent's current state began, as near as the counter knows."""
    if not agent.connected and agent.lost_at is not None:
        return agent.lost_at
    c = counter.state.consultations.get(agent.consultation_id or "")
    if c is not None:
        if c.state == State.WRAP_UP and c.ended_at is not None:
            return c.ended_at
        if c.state == State.ACTIVE and c.answered_at is not None:
            return c.answered_at
        if c.state == State.OFFERED and c.offer_expires_at is not None:
            return c.offer_expires_at - counter.config.offer_timeout_s
    return agent.idle_since


def supervisor_view(
    counter: Routing,
    municipality_id: str,
    now: float,
    *,
    booths: Sequence[BoothInfo] = (),
    today: TodayFigures | None = None,
    rules: SupervisionRules | None = None,
    watchers: Sequence[Watcher] = (),
    roster: Sequence[Watcher] = (),
) -> SupervisorSnapshot:
    """One municipality's whole counter: its queue, its agents (``roster``: its staff accounts, listed as 未接続
    when not on the counter), its booths, today's figures and its alarms."""
    rules = rules or SupervisionRules()
    today = today or TodayFigures()
    names = {b.id: b for b in booths}
    is_stranded = StrandedCheck(counter, now)
    queue = [c for c in counter.queue() if c.municipality_id == municipality_id]
    positions: dict[str, int] = {}
    cases: list[SupervisorCase] = []
    for c in queue:
        key = c.route
        positions[key] = positions.get(key, 0) + 1
        if len(cases) >= QUEUE_ROWS:
            continue  # counted (positions, queue_total), not listed
        booth = names.get(c.booth_id or "")
        cases.append(
            SupervisorCase(
                **({"booth_names": dict(booth.names)} if booth and booth.names else {}),
                consultation_id=c.id,
                route=c.route,
                language=c.language,
                urgent=c.urgent,
                channel=c.channel.value,
                booth_name=booth.name if booth else None,
                place=booth.place if booth else None,
                state=c.state.value,
                offered_to=c.offered_to,
                waiting_since=c.waiting_from,
                waited_s=round(max(0.0, now - c.waiting_from), 1),
                position=positions[key],
                stranded=is_stranded(c),
                booked=c.booking is not None,
            )
        )
    agents = [
        SupervisorAgent(
            agent_id=a.id,
            display_name=a.display_name,
            activity=_activity(counter, a),
            since=agent_since(counter, a),
            consultation_id=_own_case(counter, a.consultation_id, municipality_id),
            consultation_route=_route_of(counter, _own_case(counter, a.consultation_id, municipality_id)),
            routes=list(a.routes),
            languages=list(a.languages),
            wrap_up_since=_wrap_up_since(counter, _own_case(counter, a.consultation_id, municipality_id)),
        )
        for a in sorted(counter.state.agents.values(), key=lambda a: (a.display_name, a.id))
        if municipality_id in a.municipality_ids
    ]
    # a supervisor whose console is closed is listed as watching for as long as their /supervisor page is connected
    # (they were dropped with the console's grace period, while still watching)
    live = watching_ids(counter)
    agents += [
        SupervisorAgent(
            agent_id=w.id,
            display_name=w.name,
            activity="watching",
            since=None,
            consultation_id=None,
            consultation_route=None,
            routes=[],
            languages=[],
        )
        for w in watchers
        if w.id in live and municipality_id in w.municipality_ids
    ]
    # every member of the town's staff by name (#11), the ones not on the counter now as 未接続 (offline): a town with
    # one agent logged in out of five must see the four who are not, not a list that looks complete
    listed = {a.agent_id for a in agents}
    agents += [
        SupervisorAgent(
            agent_id=m.id,
            display_name=m.name,
            activity=AgentActivity.OFFLINE.value,
            since=None,
            consultation_id=None,
            consultation_route=None,
            routes=[],
            languages=[],
        )
        for m in roster
        if m.id not in listed and municipality_id in m.municipality_ids
    ]
    agents.sort(key=lambda a: (a.display_name, a.agent_id))
    ordered = ordered_booths(counter, booths, now, rules.hours)
    booth_rows = [_booth_row(counter, b, now) for b, _ in ordered[:BOOTH_ROWS]]
    rest = booths_rest(counter, ordered[BOOTH_ROWS:])
    # one definition of "waiting now" for the tile and the list: every case in the queue, a ringing one too (a
    # transferred case ringing at a desk showed in the list as 呼び出し中 but not in いま 待っている方: 1 against 2)
    longest = max((max(0.0, now - c.waiting_from) for c in queue), default=0.0)
    figures = SupervisorToday(
        received=today.received,
        answered=today.answered,
        abandoned=today.abandoned,
        short_abandoned=today.short_abandoned,
        callbacks=today.callbacks,
        in_hand=max(0, today.received - today.answered - today.callbacks - today.abandoned - today.short_abandoned),
        waiting=len(queue),
        longest_wait_s=round(longest, 1),
    )
    return SupervisorSnapshot(
        municipality_id=municipality_id,
        now=now,
        queue=cases,
        queue_total=len(queue),
        agents=agents,
        booths=booth_rows,
        booths_total=len(ordered),
        booths_online=sum(1 for _, online in ordered if online),
        booths_rest=rest,
        today=figures,
        alerts=alarms(
            counter,
            municipality_id,
            now,
            booths=booths,
            rules=rules,
            is_stranded=is_stranded,
            queue=queue,
            offline=[b for b, online in ordered if not online],
        ),
    )


@lru_cache(maxsize=16_384)
def booth_key(booth_id: str) -> str:
    """A booth's participant key, kept: a view of a town with 2,201 booths asked for each twice (its row's order and
    the offline alarm), and building and checking the key was a fifth of the view's time (``bench/supervisor/
    delta.py``, session 12)."""
    return Participant.booth(booth_id)


def booth_online(counter: Routing, booth_id: str) -> bool:
    return bool(counter.state.connections.get(booth_key(booth_id)))


def booth_attention(counter: Routing, booth: BoothInfo, online: bool, is_open: bool) -> int:
    """How much a booth needs a look, lower first: 0 offline while the town is open (an alarm), 1 its last self-test
    not ok or its last call's link poor (:data:`POOR_LINK`), 2 offline while closed, 3 nothing to see."""
    if not online and is_open:
        return 0
    test = counter.state.self_tests.get(booth.id)
    call = booth.last_call
    if (test is not None and test.state != "ok") or (call is not None and any(rule(call) for _, rule in POOR_LINK)):
        return 1
    return 2 if not online else 3


def ordered_booths(
    counter: Routing, booths: Sequence[BoothInfo], now: float, hours: OpeningHours
) -> list[tuple[BoothInfo, bool]]:
    """The town's booths in the view's order, each with whether it is online: those needing attention first
    (:func:`booth_attention`), then by place and name. Cheap: no row is built (the caller builds the ones it sends)."""
    is_open = open_now(hours, None, datetime.fromtimestamp(now, tz=UTC))
    marked = [(b, booth_online(counter, b.id)) for b in booths]
    marked.sort(key=lambda m: (booth_attention(counter, m[0], m[1], is_open), m[0].place or "", m[0].name, m[0].id))
    return marked


def booths_rest(counter: Routing, rest: Sequence[tuple[BoothInfo, bool]]) -> str | None:
    """A fingerprint of the booths beyond the view's rows, in order (``None`` when there are none): what their rows
    on a page (``supervisor.booths``) show — name, place, online, when last seen (offline), the last self-test's and
    the last call's times (a new report or call has a new time). A page holding some of them fetches them again
    when it changes (tidy14: they went stale until a reload, and a booth that moved out of the view vanished).

    Why a fingerprint, not the rows: the bench's 2,141 booths beyond the view are what ``BOOTH_ROWS`` keeps out of
    every snapshot; hashing plain values is cheap beside building their rows. Python's ``hash`` is salted per
    process: a fingerprint is compared only with one of the same process (a page that reconnects to another gets a
    whole view, and fetches its extra booths once more)."""
    if not rest:
        return None
    tests = counter.state.self_tests
    key = tuple(
        (
            b.id,
            b.name,
            b.place,
            online,
            None if online else b.last_seen,
            None if (test := tests.get(b.id)) is None else test.at,
            None if b.last_call is None else b.last_call.at,
        )
        for b, online in rest
    )
    return format(hash(key) & 0xFFFF_FFFF_FFFF_FFFF, "016x")


def booth_page(
    counter: Routing, booths: Sequence[BoothInfo], now: float, hours: OpeningHours, offset: int, limit: int
) -> tuple[int, list[SupervisorBooth]]:
    """A page of the town's booth list in the view's order (``supervisor.booths``): the total and the rows."""
    ordered = ordered_booths(counter, booths, now, hours)
    return len(ordered), [_booth_row(counter, b, now) for b, _ in ordered[offset : offset + limit]]


def last_call(at: datetime, sides: Mapping[str, Any]) -> SupervisorLastCall:
    """A call's link quality as the booth list shows it: the booth's own summary (role ``resident``), else the
    agent's (``quality.js`` summaries: ``rtt_ms``/``loss_pct`` medians, ``freezes``, ``worst_step``)."""
    side: Mapping[str, Any] = sides.get("resident") or sides.get("agent") or {}

    def median(key: str) -> float | None:
        found = (side.get(key) or {}).get("median")
        return None if found is None else float(found)

    freezes = side.get("freezes")
    return SupervisorLastCall(
        at=at.timestamp(),
        rtt_ms=median("rtt_ms"),
        loss_pct=median("loss_pct"),
        freezes=None if freezes is None else int(freezes),
        worst_step=side.get("worst_step"),
    )


def _booth_row(counter: Routing, booth: BoothInfo, now: float) -> SupervisorBooth:
    online = booth_online(counter, booth.id)
    return SupervisorBooth(
        booth_id=booth.id,
        name=booth.name,
        place=booth.place,
        online=online,
        self_test=_self_test(counter.state.self_tests.get(booth.id)),
        last_seen=now if online else booth.last_seen,
        last_call=booth.last_call,
    )


def _self_test(result: SelfTestResult | None) -> SupervisorSelfTest | None:
    if result is None:
        return None
    return SupervisorSelfTest(
        at=result.at,
        state=result.state,
        items=list(result.items),
        relay=result.relay,
        rtt_ms=result.rtt_ms,
        loss_pct=result.loss_pct,
        audio=result.audio,
    )


def alarms(
    counter: Routing,
    municipality_id: str,
    now: float,
    *,
    booths: Sequence[BoothInfo] = (),
    rules: SupervisionRules | None = None,
    is_stranded: StrandedCheck | None = None,
    queue: Sequence[Consultation] | None = None,
    offline: Sequence[BoothInfo] | None = None,
) -> list[SupervisorAlert]:
    """Every alarm for one municipality at ``now``, most serious first. Each names what to do
    (``action`` is an i18n key the page shows in plain words). ``queue``: the town's queue if the caller has it;
    ``offline``: those of ``booths`` not online, if the caller has worked them out (the view has, ordering them).

    A stranded alarm says ``reason="language"`` when agents of the route are on duty but none speaks the case's
    language (:func:`language_gap`): the remedy is a speaker or an interpreter, not another route. (Urgent cases
    are never stranded while anyone of the town is on duty: ``Agent.takes_urgent``.)

    Stranded cases make one alarm per route and language (key ``stranded:<route>:<language>``), naming the one
    waiting longest and how many: the remedy (an agent for that route and language) is the same for all of them,
    and 1,500 alarms for one gap buried the other alarms and the page."""
    rules = rules or SupervisionRules()
    out: list[SupervisorAlert] = []
    town_queue = queue if queue is not None else [c for c in counter.queue() if c.municipality_id == municipality_id]
    is_stranded = is_stranded or StrandedCheck(counter, now)
    # one pass over the waiting cases: the stranded ones by route and language (each group's first longest waiting
    # and how many), the urgent ones waiting too long, each route's longest waiting
    groups: dict[tuple[str, str], tuple[Consultation, int]] = {}
    urgent_late: list[Consultation] = []
    longest_by_route: dict[str, Consultation] = {}
    waiting_state = State.WAITING
    for c in town_queue:
        if c.state != waiting_state:
            continue
        if is_stranded(c):
            group = (c.route, c.language)
            found = groups.get(group)
            if found is None:
                groups[group] = (c, 1)
            else:
                oldest, count = found
                groups[group] = (c if c.enqueued_at < oldest.enqueued_at else oldest, count + 1)
        if c.urgent and now - c.waiting_from > URGENT_WAIT_S:
            urgent_late.append(c)
        first = longest_by_route.get(c.route)
        if first is None or c.enqueued_at < first.enqueued_at:
            longest_by_route[c.route] = c
    for (route, language), (oldest, count) in groups.items():
        gap = language_gap(counter, oldest)
        alert = _alert("stranded", oldest, now, action="sv.do.stranded_language" if gap else "sv.do.stranded")
        update = {"key": f"stranded:{route}:{language}", "count": count, "reason": "language" if gap else None}
        out.append(alert.model_copy(update=update))
    out += [_alert("urgent_waiting", c, now, action="sv.do.urgent_waiting") for c in urgent_late]
    for route, c in sorted(longest_by_route.items()):
        target = rules.target_s(route)
        if now - c.waiting_from > target:
            out.append(
                SupervisorAlert(
                    kind="over_target",
                    key=f"over_target:{route}",
                    route=route,
                    waited_s=round(max(0.0, now - c.waiting_from), 1),
                    target_s=target,
                    action="sv.do.over_target",
                )
            )
    if open_now(rules.hours, None, datetime.fromtimestamp(now, tz=UTC)):
        down = offline if offline is not None else [b for b in booths if not booth_online(counter, b.id)]
        for b in sorted(down, key=lambda b: b.id):
            out.append(
                SupervisorAlert(
                    kind="booth_offline",
                    key=f"booth_offline:{b.id}",
                    booth_id=b.id,
                    booth_name=b.name,
                    place=b.place,
                    action="sv.do.booth_offline",
                )
            )
    return out


def _own_case(counter: Routing, consultation_id: str | None, municipality_id: str) -> str | None:
    """The case an agent is on, when it is this municipality's: an agent shared by two towns (共同運用) shows as
    busy in both views, but one town never learns the other's case ids or routes."""
    c = counter.state.consultations.get(consultation_id or "")
    return c.id if c is not None and c.municipality_id == municipality_id else None


def _route_of(counter: Routing, consultation_id: str | None) -> str | None:
    c = counter.state.consultations.get(consultation_id or "")
    return c.route if c is not None else None


def _wrap_up_since(counter: Routing, consultation_id: str | None) -> float | None:
    """When the case's call ended, while its record is still to be written (wrap-up); None otherwise."""
    c = counter.state.consultations.get(consultation_id or "")
    return c.ended_at if c is not None and c.state == State.WRAP_UP else None


def _alert(kind: str, c: Consultation, now: float, *, action: str) -> SupervisorAlert:
    return SupervisorAlert(
        kind=kind,
        key=f"{kind}:{c.id}",
        consultation_id=c.id,
        route=c.route,
        language=c.language,
        urgent=c.urgent,
        channel=c.channel.value,
        waited_s=round(max(0.0, now - c.waiting_from), 1),
        action=action,
    )
