"""RedisStore against a real Redis: all of an operation or none of it, across several "processes" (stores).

Two :class:`RedisStore` objects on the same keys, each with its own connection pool, behave exactly like two
server processes: nothing is shared between them but Redis.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter as Tally
from collections.abc import Callable

import pytest
import redis
from redis.asyncio import Redis

from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import (
    AgentStatus,
    Counter,
    CounterConfig,
    CounterError,
    OfferMade,
    Transitioned,
)
from madoguchi.signaling.redis_store import LiveStoreBusy, LiveStoreUnavailable, RedisStore, connect_redis
from madoguchi.signaling.store import LiveStore
from tests.cases import open_booth_case
from tests.integration.redis.conftest import REDIS_TEST_URL

MakeStore = Callable[..., RedisStore]


_open = open_booth_case


def _agent(counter: Counter, agent_id: str, now: float, *, available: bool = True) -> None:
    counter.agent_online(
        agent_id=agent_id,
        display_name=agent_id,
        municipality_ids=("setouchi",),
        routes=("*",),
        languages=("ja",),
        now=now,
    )
    if available:
        counter.set_status(agent_id, AgentStatus.AVAILABLE, now=now)


async def _version(client: Redis, store: RedisStore) -> str | None:
    value = await client.hget(store.state_key, "version")  # type: ignore[misc]
    return None if value is None else str(value)


async def test_transact_applies_and_another_process_sees_it(make_store: MakeStore) -> None:
    first, second = make_store(), make_store()
    await first.transact(lambda c: _agent(c, "a1", 0.0))
    result, effects = await first.transact(lambda c: _open(c, "c1", 1.0))
    assert result == "c1"
    assert [(e.previous, e.trigger.value) for e in effects if isinstance(e, Transitioned)] == [
        (None, "request"),
        (State.WAITING, "offer"),
    ]
    assert [e.agent_id for e in effects if isinstance(e, OfferMade)] == ["a1"]
    seen = await second.read()
    assert seen.state.consultations["c1"].state == State.OFFERED
    assert seen.state.agents["a1"].consultation_id == "c1"
    assert seen.effects == []


async def test_a_record_a_newer_release_wrote_is_read_and_written_back_whole(
    make_store: MakeStore, redis_client: Redis
) -> None:
    """tidy13, a rolling upgrade: a case and the document carry a field this release does not know (as ``danger``
    was to the release before fix12). Another process reads them, runs operations on them and writes them back,
    the field intact, where the whole live state used to be unreadable (``extra="forbid"``)."""
    store = make_store()
    await store.transact(lambda c: _open(c, "c1", 0.0))
    case = json.loads(await redis_client.hget(store.state_key, "c:c1"))
    doc = json.loads(await redis_client.hget(store.state_key, "doc"))
    await redis_client.hset(
        store.state_key,
        mapping={"c:c1": json.dumps({**case, "mood": "calm"}), "doc": json.dumps({**doc, "weather": "fine"})},
    )
    await redis_client.hset(store.state_key, "version", "newer-release")  # as a write by the other process does
    older = make_store()
    await older.transact(lambda c: _agent(c, "a1", 1.0))  # the agent gets the offer: c1 is changed and written
    await older.transact(lambda c: c.state.handle_time_s.__setitem__("tax", 120.0))  # the doc is written
    seen = (await make_store().read()).state
    assert seen.consultations["c1"].state == State.OFFERED
    assert json.loads(await redis_client.hget(store.state_key, "c:c1"))["mood"] == "calm"
    assert json.loads(await redis_client.hget(store.state_key, "doc"))["weather"] == "fine"


async def test_an_operation_that_raises_leaves_the_state_unchanged(make_store: MakeStore, redis_client: Redis) -> None:
    store = make_store()
    await store.transact(lambda c: _open(c, "c1", 0.0))
    version_before = await _version(redis_client, store)
    before = (await store.read()).state.model_copy(deep=True)

    def half_done(counter: Counter) -> None:
        _open(counter, "c2", 1.0)  # succeeds inside the operation...
        counter.state.consultations["c1"].priority = 9
        counter.cancel("c1", resident="booth:somebody_else", now=2.0)  # ...then this refuses

    with pytest.raises(CounterError) as raised:
        await store.transact(half_done)
    assert raised.value.code == "forbidden"
    assert await _version(redis_client, store) == version_before
    for reader in (store, make_store()):
        after = (await reader.read()).state
        assert after == before
        assert "c2" not in after.consultations and after.consultations["c1"].priority == 0


async def test_an_operation_that_changes_nothing_writes_nothing(make_store: MakeStore, redis_client: Redis) -> None:
    store = make_store()
    await store.transact(lambda c: _open(c, "c1", 0.0))
    version = await _version(redis_client, store)
    result, effects = await store.transact(lambda c: c.tick(1.0))  # nothing due
    assert result == {} and effects == []  # no process taken as gone, nothing to tell
    assert await _version(redis_client, store) == version
    # a change without effects is still written (a decline cooldown running out, say)
    await store.transact(lambda c: c.state.handle_time_s.__setitem__("tax", 120.0))
    assert await _version(redis_client, store) != version
    assert (await make_store().read()).state.handle_time_s == {"tax": 120.0}


async def test_read_reuses_the_parsed_state_until_someone_writes(make_store: MakeStore) -> None:
    mine, other = make_store(), make_store()
    await mine.transact(lambda c: _open(c, "c1", 0.0))
    first = await mine.read()
    again = await mine.read()
    assert again.state is first.state  # same version: not parsed again
    await other.transact(lambda c: _open(c, "c2", 1.0))
    fresh = await mine.read()
    assert fresh.state is not first.state
    assert set(fresh.state.consultations) == {"c1", "c2"}
    assert set(first.state.consultations) == {"c1"}  # an earlier read is a stable snapshot


async def test_transact_never_hands_the_cached_state_to_an_operation(make_store: MakeStore) -> None:
    store = make_store()
    await store.transact(lambda c: _open(c, "c1", 0.0))
    snapshot = await store.read()

    def refuse_after_touching(counter: Counter) -> None:
        assert counter.state is not snapshot.state
        counter.state.consultations["c1"].priority = 5
        raise CounterError("invalid_state", "changed my mind")

    with pytest.raises(CounterError):
        await store.transact(refuse_after_touching)
    assert snapshot.state.consultations["c1"].priority == 0
    assert (await store.read()).state.consultations["c1"].priority == 0


async def test_concurrent_transacts_from_two_processes_never_lose_an_update(make_store: MakeStore) -> None:
    first, second = make_store(), make_store()
    count = 40

    async def open_one(store: LiveStore, i: int) -> None:
        await store.transact(lambda c: _open(c, f"c{i:02d}", float(i)))

    await asyncio.gather(*(open_one(first if i % 2 else second, i) for i in range(count)))
    for store in (first, second):
        assert len((await store.read()).state.consultations) == count
    # the test only proves something if the two "processes" really raced
    assert first.conflicts + second.conflicts > 0


async def test_a_conflict_reruns_the_operation_on_the_newer_state(make_store: MakeStore) -> None:
    store = make_store()
    await store.transact(lambda c: _open(c, "c1", 0.0))
    sneaky = make_store()
    seen: list[set[str]] = []
    interfering = redis.Redis.from_url(REDIS_TEST_URL, decode_responses=True)  # a "process" writing meanwhile
    try:

        def operation(counter: Counter) -> int:
            seen.append(set(counter.state.consultations))
            if len(seen) == 1:
                # another process commits between our read and our write
                other = Counter(counter.state.model_copy(deep=True), CounterConfig())
                _open(other, "c2", 1.0)
                interfering.hset(
                    sneaky.state_key, mapping={"version": "someone-else", "state": other.state.model_dump_json()}
                )
            return len(counter.state.consultations)

        result, _ = await store.transact(lambda c: (operation(c), _open(c, "c3", 2.0))[0])
    finally:
        interfering.close()
    assert seen == [{"c1"}, {"c1", "c2"}]
    assert result == 2
    assert store.conflicts == 1
    assert set((await make_store().read()).state.consultations) == {"c1", "c2", "c3"}


async def test_gives_up_with_a_clear_error_after_bounded_retries(make_store: MakeStore, redis_client: Redis) -> None:
    store = make_store(max_attempts=3, backoff_cap_s=0.001)
    await store.transact(lambda c: _open(c, "c1", 0.0))
    interfering = redis.Redis.from_url(REDIS_TEST_URL, decode_responses=True)
    calls = 0
    try:

        def always_overtaken(counter: Counter) -> None:
            nonlocal calls
            calls += 1
            interfering.hset(store.state_key, "version", f"other-{calls}")
            _open(counter, "c2", 1.0)

        with pytest.raises(LiveStoreBusy) as raised:
            await store.transact(always_overtaken)
    finally:
        interfering.close()
    assert calls == 3 and raised.value.attempts == 3
    assert raised.value.code == "busy" and "try again" in raised.value.message  # retryable, not `internal`
    assert "c2" not in (await make_store().read()).state.consultations


async def test_many_agents_race_for_one_offer_exactly_one_wins(make_store: MakeStore) -> None:
    """Every agent (on either process) presses accept on the one open offer at the same moment."""
    processes = [make_store(), make_store()]
    agents = [f"a{i:02d}" for i in range(12)]
    for i, agent in enumerate(agents):
        await processes[i % 2].transact(lambda c, a=agent, t=float(i): _agent(c, a, t))
    _, effects = await processes[0].transact(lambda c: _open(c, "c1", 100.0))
    [offered_to] = [e.agent_id for e in effects if isinstance(e, OfferMade)]

    async def press_accept(process: int, agent: str) -> str:
        try:
            await processes[process].transact(lambda c: c.accept(agent, "c1", now=101.0))
        except CounterError as exc:
            return exc.code
        return "won"

    # the offered agent presses on both processes at once (two tabs), everyone else once
    attempts = [(0, offered_to), (1, offered_to), *((i % 2, a) for i, a in enumerate(agents) if a != offered_to)]
    outcomes = await asyncio.gather(*(press_accept(p, a) for p, a in attempts))
    assert Tally(outcomes) == {"won": 1, "invalid_state": len(attempts) - 1}
    state = (await processes[1].read()).state
    assert state.consultations["c1"].state == State.ACTIVE
    assert state.consultations["c1"].agent_id == offered_to
    busy = [a.id for a in state.agents.values() if a.consultation_id is not None]
    assert busy == [offered_to]


async def test_many_offers_at_once_no_agent_gets_two(make_store: MakeStore) -> None:
    """Residents arrive on both processes at once while agents become available on both: every offer made is
    unique per agent and per case, and the final state agrees."""
    processes = [make_store(), make_store()]
    agents = [f"a{i}" for i in range(6)]
    for agent in agents:
        await processes[0].transact(lambda c, a=agent: _agent(c, a, 0.0, available=False))
    offers: list[OfferMade] = []

    async def run(i: int, operation: Callable[[Counter], object]) -> None:
        _, effects = await processes[i % 2].transact(operation)
        offers.extend(e for e in effects if isinstance(e, OfferMade))

    arrivals = [(lambda c, cid=f"c{i:02d}", t=float(i): _open(c, cid, t), i) for i in range(15)]
    availability = [
        (lambda c, a=agent, t=float(j): c.set_status(a, AgentStatus.AVAILABLE, now=t), j)
        for j, agent in enumerate(agents)
    ]
    await asyncio.gather(*(run(i, op) for op, i in [*arrivals, *availability]))

    per_agent = Tally(o.agent_id for o in offers)
    per_case = Tally(o.consultation_id for o in offers)
    assert per_agent and max(per_agent.values()) == 1
    assert max(per_case.values()) == 1
    assert set(per_agent) == set(agents)  # six free agents, fifteen cases: everyone got exactly one
    state = (await processes[1].read()).state
    offered = {c.id: c.agent_id for c in state.consultations.values() if c.state == State.OFFERED}
    assert sorted(offered.values()) == sorted(agents)
    assert {o.consultation_id: o.agent_id for o in offers} == offered
    for agent in state.agents.values():
        assert agent.consultation_id is not None and offered[agent.consultation_id] == agent.id


async def test_unreachable_redis_is_a_clear_error_and_changes_nothing(redis_prefix: str) -> None:
    store = RedisStore(connect_redis("redis://127.0.0.1:1/0"), CounterConfig(), prefix=redis_prefix)
    try:
        with pytest.raises(LiveStoreUnavailable) as raised:
            await store.transact(lambda c: _open(c, "c1", 0.0))
        assert raised.value.code == "internal" and "try again" in raised.value.message
        assert "127.0.0.1:1" in raised.value.detail or "onnect" in raised.value.detail
        with pytest.raises(LiveStoreUnavailable):
            await store.read()
        with pytest.raises(LiveStoreUnavailable):
            await store.ping()
    finally:
        await store.close()


@pytest.mark.parametrize("prefix", ["", "has space", "x" * 65, "a/b"])
def test_bad_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        RedisStore(connect_redis(REDIS_TEST_URL), CounterConfig(), prefix=prefix)


async def test_an_entry_held_by_a_reader_stays_as_read_when_a_transaction_fails(
    make_store: MakeStore, redis_client: Redis
) -> None:
    """Transactions share the parsed entries they do not change (no whole-state parse per transaction): what one
    changed in place and then did not write is put back, in the very object a reader may hold."""
    store, other = make_store(), make_store()
    await store.transact(lambda c: _open(c, "c1", 0.0))
    held = (await store.read()).state.consultations["c1"]
    await other.transact(lambda c: _open(c, "c2", 1.0))  # store's next attempt first meets an older state

    attempts = 0
    writes: list[asyncio.Task[object]] = []

    def touch_then_conflict(counter: Counter) -> None:
        nonlocal attempts
        attempts += 1
        counter.state.consultations["c1"].priority = attempts
        if attempts == 1:  # meanwhile another process writes (this attempt's compare-and-set may then fail)
            writes.append(asyncio.get_running_loop().create_task(other.transact(lambda c: _open(c, "c3", 2.0))))

    await store.transact(touch_then_conflict)
    await writes[0]
    assert held.priority == 0, "the object a reader held is the state it read"
    assert (await store.read()).state.consultations["c1"].priority == attempts
    assert (await other.read()).state.consultations["c1"].priority == attempts
    assert set((await other.read()).state.consultations) == {"c1", "c2", "c3"}


async def test_version_names_the_state_read_and_the_state_an_operation_runs_on(make_store: MakeStore) -> None:
    """What a process worked out from a state may be kept for the next operation only while the version is the same
    (the service keeps the queue's places so): a write by another process changes it, and an operation sees the
    version of the state it runs on."""
    first, second = make_store(), make_store()
    await first.transact(lambda c: _agent(c, "a1", 0.0))
    await first.read()
    read_version = first.version
    assert read_version and read_version == await _version(first._client, first)
    seen: list[str] = []
    await first.transact(lambda c: seen.append(first.version))
    assert seen == [read_version]  # nothing changed: the operation ran on the state read
    await second.transact(lambda c: _open(c, "c1", 1.0))
    await first.transact(lambda c: seen.append(first.version))
    assert seen[-1] != read_version and seen[-1] == await _version(first._client, first)
    await first.read()
    assert first.version == seen[-1]


async def test_memory_store_version_moves_with_every_write() -> None:
    from madoguchi.signaling.store import MemoryStore

    store = MemoryStore(CounterConfig())
    before = store.version
    seen: list[str] = []
    await store.transact(lambda c: seen.extend([store.version, store.next_version]))
    assert seen[0] == before and store.version == seen[1] != before


async def test_next_version_is_the_version_an_operation_writes(make_store: MakeStore) -> None:
    """The service works out the queue's places of the state an operation writes inside the operation, keyed by the
    version it will have: the next operation, running on that state, finds them even before the dispatch ran."""
    store = make_store()
    seen: list[str] = []

    def op(c: Counter) -> None:
        seen.append(store.next_version)
        _agent(c, "a1", 0.0)

    await store.transact(op)
    assert seen[0] == store.version == await _version(store._client, store)
    await store.transact(lambda c: seen.append(store.version))
    assert seen[1] == seen[0]


async def test_version_names_the_state_read_when_a_write_of_this_process_lands_during_the_read(
    make_store: MakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read whose fetch Redis answered "unchanged" while this process's own write landed before the answer was
    taken: the read returns the state it asked about, and ``version`` must name that state, not the one written
    meanwhile (the service took the written state's queue places for the read one: a KeyError, booths' requests
    refused `internal` while 20 joined at once)."""
    store = make_store()
    await store.transact(lambda c: _agent(c, "a1", 0.0))
    await store.read()
    read_version = store.version
    real = store._fetch
    answered, go_on = asyncio.Event(), asyncio.Event()
    calls = 0

    def fetch_held_once(**kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls > 1:
            return real(**kwargs)  # type: ignore[arg-type]

        async def held() -> object:
            reply = await real(**kwargs)  # type: ignore[arg-type]
            answered.set()
            await go_on.wait()
            return reply

        return held()

    monkeypatch.setattr(store, "_fetch", fetch_held_once)
    reading = asyncio.create_task(store.read())
    await answered.wait()  # Redis answered: nothing changed since ``read_version``
    await store.transact(lambda c: _open(c, "c1", 1.0))  # this process writes before that answer is taken
    written = store.version
    go_on.set()
    counter = await reading
    assert "c1" not in counter.state.consultations  # the read returned the state it asked about
    assert store.version == read_version != written
    assert (await store.read_recent()).state.consultations.keys() == {"c1"}  # a recent read asks Redis again
    assert store.version == written
