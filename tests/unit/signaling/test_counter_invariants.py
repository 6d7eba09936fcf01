"""Random sequences of counter operations with a forward-moving clock never break the counter's invariants.

Each operation runs the way the live store runs it: on a copy that is kept only if the operation succeeds, so a
refused operation (``CounterError``) is fine and is discarded. Operations driven by links and time (``tick``,
``link_lost``, ``link_restored``, ``agent_online``) are never refused; any other exception is a bug. Time moves the
way it does at the edge: ``advance`` ticks at every deadline it passes, so after each step nothing is overdue.
Besides the pointer invariants the run checks that no free agent sits idle beside a case they may take, that a
grace period only runs on a case whose deadline tick() can act on, and that a wrap-up timeout runs exactly when
the wrap-up's agent is gone past their grace period. A failing run shrinks slowly (the lists are
long), hence the generous timeout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from madoguchi.signaling.consultation import QUEUED_STATES, TERMINAL_STATES, Channel, Disposition, State
from madoguchi.signaling.counter import AgentStatus, Counter, CounterConfig, CounterError, CounterState

TOWN, ISLAND = "setouchi", "uke"
AGENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # id: (municipalities, routes, languages)
    "a1": ((TOWN,), ("*",), ("ja",)),
    "a2": ((TOWN,), ("tax",), ("ja", "en")),
    "a3": ((TOWN, ISLAND), ("tax", "housing_roads"), ("ja",)),
    "a4": ((ISLAND,), ("*",), ("ja", "en")),
}
RESIDENTS: dict[str, str] = {
    "booth:b1": TOWN,
    "booth:b2": TOWN,
    "booth:b3": TOWN,
    "booth:b4": TOWN,
    "booth:o1": ISLAND,
    "chat:r1": TOWN,
    "chat:r2": ISLAND,
}
ROUTES = ("tax", "housing_roads", "general_inquiry")
PARTICIPANTS = tuple(RESIDENTS) + tuple(f"agent:{a}" for a in AGENTS)
# A wrap-up timeout just past the grace period, so that the runs that leave a wrap-up behind reach it.
CONFIG = CounterConfig(
    offer_timeout_s=20.0,
    grace_period_s=30.0,
    decline_cooldown_s=60.0,
    default_handle_time_s=300.0,
    wrap_up_timeout_s=45.0,
)
NEVER_REFUSED = {"advance", "tick", "deadline", "lost", "restored", "online"}

# "holder" means an agent who holds a case, which most agent actions are about.
agent_ids = st.sampled_from((*sorted(AGENTS), "holder", "holder"))
# Negative numbers pick a live case (for an agent: the one they hold); others any case ever opened.
case_refs = st.sampled_from((-1, -1, -2, -3, 0, 1, 2, 3))
_open = st.tuples(
    st.just("open"),
    st.sampled_from(sorted(RESIDENTS)),
    st.sampled_from(ROUTES),
    st.sampled_from(("ja", "ja", "en")),
    st.booleans(),
    st.booleans(),
)
# The likely next step of one side, so that runs get past the offer often: an agent answers what they hold
# (accept/decline, end/transfer, wrap-up), a resident moves their case on (handoff, cancel, hang up).
_agent_acts = st.tuples(st.just("agent_acts"), agent_ids, st.booleans(), st.sampled_from(ROUTES))
_resident_acts = st.tuples(st.just("resident_acts"), case_refs, st.booleans())
# "live-N": the resident of a live case; "ringing": the resident of a case being offered; "holder": an agent
# who holds a case.
link_refs = st.sampled_from((*PARTICIPANTS, "live-1", "live-2", "ringing", "ringing", "holder", "holder"))
_lost = st.tuples(st.just("lost"), link_refs)
_restored = st.tuples(st.just("restored"), link_refs)
operation = st.one_of(
    # weighted by repetition: the common moves of a working day...
    _open,
    _open,
    _open,
    _agent_acts,
    _agent_acts,
    _agent_acts,
    _resident_acts,
    _lost,
    _lost,
    _restored,
    _restored,
    st.tuples(st.just("status"), agent_ids, st.booleans()),
    st.tuples(st.just("online"), agent_ids),
    st.tuples(st.just("advance"), st.sampled_from((0.0, 0.5, 1.0, 10.0, 19.999, 20.0, 30.0, 60.0))),
    st.tuples(st.just("tick")),
    st.tuples(st.just("deadline")),
    # ...and every operation with arbitrary arguments, mostly refused.
    st.tuples(st.just("handoff"), case_refs, st.sampled_from(ROUTES), st.booleans()),
    st.tuples(st.just("cancel"), case_refs, st.booleans()),
    st.tuples(st.just("accept"), agent_ids, case_refs),
    st.tuples(st.just("decline"), agent_ids, case_refs),
    st.tuples(st.just("end"), case_refs, st.booleans()),
    st.tuples(st.just("wrap_up"), agent_ids, case_refs),
    st.tuples(st.just("transfer"), agent_ids, st.sampled_from(ROUTES)),
)


@dataclass
class World:
    state: CounterState = field(default_factory=CounterState)
    now: float = 0.0
    ids: list[str] = field(default_factory=list)

    @classmethod
    def staffed(cls, available: list[bool]) -> World:
        """Every agent online at 0; the ones flagged available are ready for offers."""
        counter = Counter(CounterState(), CONFIG)
        for agent_id, ready in zip(sorted(AGENTS), available, strict=True):
            towns, routes, languages = AGENTS[agent_id]
            counter.agent_online(
                agent_id=agent_id,
                display_name=agent_id,
                municipality_ids=towns,
                routes=routes,
                languages=languages,
                now=0.0,
            )
            if ready:
                counter.set_status(agent_id, AgentStatus.AVAILABLE, now=0.0)
        return cls(state=counter.state)

    def pick(self, index: int | str) -> str:
        if isinstance(index, str):
            return index
        live = sorted(self.state.consultations)
        if index < 0 and live:
            return live[(-index - 1) % len(live)]
        return self.ids[index % len(self.ids)] if self.ids else "none"

    def agent(self, ref: str) -> str:
        if ref == "holder":
            holders = sorted(a.id for a in self.state.agents.values() if a.consultation_id is not None)
            return holders[0] if holders else "a1"
        return ref

    def participant(self, ref: str) -> str:
        if ref == "holder":
            return f"agent:{self.agent(ref)}"
        if ref == "ringing":
            offered = sorted(c.id for c in self.state.consultations.values() if c.state == State.OFFERED)
            return self.state.consultations[offered[0]].resident if offered else "booth:b1"
        if ref.startswith("live-"):
            c = self.state.consultations.get(self.pick(-int(ref.removeprefix("live-"))))
            return c.resident if c else "booth:b1"
        return ref

    def held(self, agent_id: str, index: int) -> str:
        agent = self.state.agents.get(agent_id)
        if index < 0 and agent is not None and agent.consultation_id is not None:
            return agent.consultation_id
        return self.pick(index)


def _agent_step(counter: Counter, op: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    _, agent_id, yes, route = op
    agent = counter.state.agents.get(agent_id)
    c = counter.state.consultations.get(agent.consultation_id or "") if agent else None
    if c is None:
        return "status", ("status", agent_id, yes)
    if c.state == State.OFFERED:
        return ("accept", ("accept", agent_id, -1)) if yes else ("decline", ("decline", agent_id, -1))
    if c.state == State.ACTIVE:
        return ("end", ("end", c.id, False)) if yes else ("transfer", ("transfer", agent_id, route))
    return "wrap_up", ("wrap_up", agent_id, -1)


def _resident_step(counter: Counter, cid: str, yes: bool) -> tuple[str, tuple[Any, ...]]:
    c = counter.state.consultations.get(cid)
    if c is not None and c.state == State.TRIAGE and yes:
        return "handoff", ("handoff", cid, c.route, False)
    if c is not None and c.state == State.ACTIVE and yes:
        return "end", ("end", cid, True)
    return "cancel", ("cancel", cid, True)


def run(world: World, op: tuple[Any, ...]) -> None:
    kind = op[0]
    counter = Counter(world.state.model_copy(deep=True), CONFIG)
    if kind == "advance":
        # Time passes the way it does at the edge, which sleeps until the next deadline and ticks then.
        target = world.now + op[1]
        for _ in range(100):
            deadline = counter.next_deadline()
            if deadline is None or deadline > target:
                break
            counter.tick(deadline)
            due = counter.next_deadline()
            assert due is None or due > deadline, f"tick({deadline}) left a deadline at {due}"
        else:
            raise AssertionError("deadlines keep coming")
        world.state, world.now = counter.state, target
        return
    now = world.now
    if kind in ("status", "accept", "decline", "wrap_up", "transfer", "online", "agent_acts"):
        op = (kind, world.agent(op[1]), *op[2:])
    if kind in ("lost", "restored"):
        op = (kind, world.participant(op[1]))
    if kind == "agent_acts":
        kind, op = _agent_step(counter, op)
    elif kind == "resident_acts":
        kind, op = _resident_step(counter, world.pick(op[1]), op[2])
    if kind == "open":
        _, resident, route, language, urgent, to_person = op
        cid = f"c{len(world.ids)}"
        world.ids.append(cid)
        counter.open(
            consultation_id=cid,
            municipality_id=RESIDENTS[resident],
            channel=Channel.BOOTH if resident.startswith("booth:") else Channel.CHAT,
            resident=resident,
            route=route,
            language=language,
            urgent=urgent,
            to_person=to_person or resident.startswith("booth:"),
            now=now,
        )
    elif kind == "handoff":
        cid = world.pick(op[1])
        owner = counter.state.consultations[cid].resident if cid in counter.state.consultations else "chat:r1"
        counter.handoff(cid, resident=owner, route=op[2], urgent=op[3], now=now)
    elif kind == "cancel":
        cid = world.pick(op[1])
        c = counter.state.consultations.get(cid)
        counter.cancel(cid, resident=c.resident if c and op[2] else "booth:b1", now=now)
    elif kind == "online":
        towns, routes, languages = AGENTS[op[1]]
        counter.agent_online(
            agent_id=op[1], display_name=op[1], municipality_ids=towns, routes=routes, languages=languages, now=now
        )
    elif kind == "status":
        counter.set_status(op[1], AgentStatus.AVAILABLE if op[2] else AgentStatus.AWAY, now=now)
    elif kind == "accept":
        counter.accept(op[1], world.held(op[1], op[2]), now=now)
    elif kind == "decline":
        counter.decline(op[1], world.held(op[1], op[2]), now=now)
    elif kind == "end":
        cid = world.pick(op[1])
        c = counter.state.consultations.get(cid)
        participant = "booth:b1"
        if c is not None:
            participant = c.resident if op[2] else f"agent:{c.agent_id}"
        counter.end(cid, participant=participant, now=now)
    elif kind == "wrap_up":
        cid = world.held(op[1], op[2])
        counter.wrap_up(op[1], cid, disposition=Disposition.RESOLVED, note="", now=now)
    elif kind == "transfer":
        counter.transfer(op[1], world.held(op[1], -1), route=op[2], now=now)
    elif kind == "lost":
        counter.link_lost(op[1], now=now)
    elif kind == "restored":
        counter.link_restored(op[1], now=now)
    elif kind == "tick":
        counter.tick(now)
    elif kind == "deadline":
        deadline = counter.next_deadline()
        if deadline is not None:
            world.now = now = max(now, deadline)
        counter.tick(now)
        due = counter.next_deadline()
        assert due is None or due > now, f"tick({now}) left a deadline at {due}"
    world.state = counter.state


def check(world: World) -> None:
    state, now = world.state, world.now
    counter = Counter(state, CONFIG)
    holders: dict[str, str] = {}
    for agent in state.agents.values():
        if agent.consultation_id is None:
            continue
        c = state.consultations.get(agent.consultation_id)
        assert c is not None, f"{agent.id} holds {agent.consultation_id}, which is not live"
        assert c.agent_id == agent.id, f"{agent.id} holds {c.id}, whose agent is {c.agent_id}"
        assert c.state in (State.OFFERED, State.ACTIVE, State.WRAP_UP), (agent.id, c.state)
        assert c.id not in holders, f"{c.id} held by {holders.get(c.id)} and {agent.id}"
        holders[c.id] = agent.id
    for c in state.consultations.values():
        assert c.state not in TERMINAL_STATES, f"terminal {c.id} left in the live state"
        if c.state in (State.OFFERED, State.ACTIVE, State.WRAP_UP):
            holder = state.agents.get(c.agent_id or "")
            assert holder is not None and holder.consultation_id == c.id, f"{c.id} ({c.state}) not held back"
        else:
            assert c.agent_id is None, f"{c.id} is {c.state} but names agent {c.agent_id}"
        # A grace period only runs where its deadline can fire: tick() acts on nothing else.
        if c.agent_lost_at is not None:
            assert c.state == State.ACTIVE, f"{c.id} is {c.state} with its agent's grace running"
        if c.resident_lost_at is not None:
            assert c.state in (State.TRIAGE, State.WAITING, State.ACTIVE), f"{c.id} is {c.state}, resident lost"
        # A wrap-up deadline runs only while its agent is away from the counter, and every wrap-up whose agent
        # is gone for good (grace over) has one: none can stay open for ever.
        holder = state.agents.get(c.agent_id or "")
        if c.wrap_up_expires_at is not None:
            assert c.state == State.WRAP_UP and holder is not None and not holder.connected, c.id
        if c.state == State.WRAP_UP and holder is not None and not holder.connected and holder.lost_at is None:
            assert c.wrap_up_expires_at is not None, f"{c.id}: offline agent's wrap-up has no deadline"
        if c.state == State.OFFERED:
            agent = state.agents[c.agent_id or ""]
            assert (
                agent.connected and agent.status == AgentStatus.AVAILABLE and (agent.serves(c) or agent.takes_urgent(c))
            )
            assert c.offer_expires_at is not None and c.resident_lost_at is None
        else:
            assert c.offer_expires_at is None
    assert all(c.state in QUEUED_STATES for c in counter.queue())
    for resident in RESIDENTS:
        assert len(counter.open_for_resident(resident)) <= CONFIG.max_open_per_resident
    # Nobody free sits idle while a case they may take waits (the counter dispatches after every change).
    for c in counter.queue():
        if c.state != State.WAITING or c.resident_lost_at is not None:
            continue
        for agent in state.agents.values():
            eligible = (
                agent.status == AgentStatus.AVAILABLE
                and agent.connected
                and agent.consultation_id is None
                and (agent.serves(c) or agent.takes_urgent(c))
                and c.declined_until.get(agent.id, float("-inf")) <= now
                and agent.id not in c.not_back_to  # he transferred it away: never offered it back by itself
            )
            assert not eligible, f"{agent.id} is free for waiting {c.id} but was not offered it"


@pytest.mark.timeout(600)
@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.booleans(), min_size=len(AGENTS), max_size=len(AGENTS)), st.lists(operation, min_size=20, max_size=100)
)
def test_random_operation_sequences_keep_the_invariants(available: list[bool], ops: list[tuple[Any, ...]]) -> None:
    world = World.staffed(available)
    for op in ops:
        try:
            run(world, op)
        except CounterError:
            assert op[0] not in NEVER_REFUSED, f"{op} was refused"
        check(world)
