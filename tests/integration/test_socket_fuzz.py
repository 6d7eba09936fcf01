"""Property-based fuzzing of every client → server socket event with malformed payloads (Hypothesis).

The event names come from the namespaces' ``routes`` tables of a running app, so a new event is fuzzed as soon
as it is routed. Payloads are random JSON values (None, numbers, huge and unicode strings, nested lists and
dicts), and dicts shaped like the event's model with fields left out, replaced by values of the wrong type or
joined by extra fields, up to just under the maximum payload size. Real Socket.IO clients send them to one real
server and every example must get a well-formed ack with a documented code (never ``internal``), leave every
connection up and ``/healthz`` at 200, and, when the event's own model refuses the payload, change no record.

The Hypothesis engine is synchronous, so it runs in a worker thread and hands each example to the test's event
loop (where the server and the clients live) with :func:`asyncio.run_coroutine_threadsafe`; the server and the
clients are made once and reused by every example.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import time
import tracemalloc
import typing
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from pydantic import BaseModel, TypeAdapter, ValidationError

from madoguchi.app import SOCKETS, TRANSPORT_HEADROOM
from madoguchi.signaling.sockets import RoleNamespace
from tests.support import LiveServer, Peer, agent_peer, booth_peer, ok, resident_peer, serve_topology

PASSWORD = "correct horse battery"
NAMESPACES = ("/booth", "/agent", "/resident")
# every code docs/protocol.md promises, plus unknown_event; "internal" means an unhandled exception
KNOWN_CODES = frozenset(
    {
        "invalid_payload",
        "unknown_event",
        "not_found",
        "forbidden",
        "invalid_state",
        "rate_limited",
        "payload_too_large",
        "limit_reached",
        "too_many_wrong_codes",
        "unusable_offer",
        "busy",
        "read_only",
        "not_invited",  # interpreter.decline without an invitation of one's own (and joins without one)
        "invitation_expired",
    }
)
EXAMPLES_PER_EVENT = 50
RESERVED = ("connect", "disconnect")  # python-socketio's own names; fuzzed by their own test below


def ack_code(ack: Any) -> str | None:
    """None for a success ack, the code for an error ack; anything else is a broken ack."""
    assert isinstance(ack, dict), f"the ack must be one object, got {ack!r}"
    if ack.get("ok") is True:
        assert "error" not in ack, ack
        return None
    assert set(ack) == {"error"}, ack
    error = ack["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message"}, ack
    assert isinstance(error["message"], str) and error["message"], ack
    assert error["code"] in KNOWN_CODES, ack
    return str(error["code"])


def wire_size(payload: Any) -> int:
    """Bytes of the payload as python-socketio puts it on the wire (ASCII-escaped JSON)."""
    return len(json.dumps(payload, separators=(",", ":")))


# -- strategies --------------------------------------------------------------------------------------------------

LONG_CHARS = ("a", "あ", "😀", " ", "\\", '"', "\u202e", "\x00", "\ud800")


def long_strings(budget: int) -> SearchStrategy[str]:
    """A single character repeated up to ``budget`` wire bytes (Hypothesis draws long text too slowly)."""

    def build(char: str, fraction: float) -> str:
        per_char = wire_size(char) - 2
        return char * max(1001, int(fraction * budget / per_char))

    return st.builds(build, st.sampled_from(LONG_CHARS), st.floats(0.0, 1.0))


short_text = st.text(st.characters(exclude_categories=()), max_size=40) | st.text(max_size=40)
scalars: SearchStrategy[Any] = (
    st.none()
    | st.booleans()
    | st.integers(-(2**31), 2**31)
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | short_text
)
json_values: SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(short_text, children, max_size=5),
    max_leaves=20,
)


def nested_models(annotation: Any) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
    for arg in typing.get_args(annotation):
        found.extend(nested_models(arg))
    return found


def literal_values(schema: Any) -> list[Any]:
    """Every enum and const value of a JSON schema: the words a near-valid payload is made of."""
    values: list[Any] = []
    if isinstance(schema, dict):
        values.extend(schema.get("enum", []))
        if "const" in schema:
            values.append(schema["const"])
        for value in schema.values():
            values.extend(literal_values(value))
    elif isinstance(schema, list):
        for value in schema:
            values.extend(literal_values(value))
    return values


def shaped_like(model: type[BaseModel], words: list[Any], budget: int, depth: int = 0) -> SearchStrategy[Any]:
    """Dicts with (some of) the model's fields, each plausible or wrong, and maybe extra fields."""
    plausible = st.sampled_from(words) if words else st.nothing()
    field_strategies: dict[str, SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        options = [plausible, json_values, long_strings(budget // 4)]
        if depth < 2:
            options += [shaped_like(sub, words, budget, depth + 1) for sub in nested_models(info.annotation)]
        field_strategies[name] = st.one_of(*options)
    fields = st.fixed_dictionaries({}, optional=field_strategies)
    extra = st.dictionaries(short_text | st.sampled_from(["__proto__", "constructor", "type", "id"]), json_values)
    return fields | st.builds(lambda a, b: {**b, **a}, fields, extra)


def field_words(annotation: Any) -> list[Any]:
    """The enum and const values a field's type allows (route ids, dispositions, statuses, SDP types...)."""
    return literal_values(TypeAdapter(annotation).json_schema())


def near_valid(model: type[BaseModel], generic: list[Any], budget: int, depth: int = 0) -> SearchStrategy[Any]:
    """A payload with every field plausible, then at most one thing wrong: a field dropped, a field of the wrong
    type or size, or an extra field. These reach the handlers, not just the validation."""
    per_field: dict[str, SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        options = [st.sampled_from(field_words(info.annotation) + generic)]
        if depth < 2:
            options += [near_valid(sub, generic, budget, depth + 1) for sub in nested_models(info.annotation)]
        per_field[name] = st.one_of(*options)
    wrong = json_values | long_strings(budget // 4)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        payload = dict(draw(st.fixed_dictionaries(per_field)))
        mutation = draw(st.sampled_from(["none", "drop", "replace", "extra"]))
        if mutation == "drop" and payload:
            del payload[draw(st.sampled_from(sorted(payload)))]
        elif mutation == "replace" and payload:
            payload[draw(st.sampled_from(sorted(payload)))] = draw(wrong)
        elif mutation == "extra":
            payload[draw(short_text.filter(lambda k: k not in model.model_fields))] = draw(json_values)
        return payload

    return build()


def payloads(
    model: type[BaseModel] | None, words: list[Any], budget: int, generic: list[Any] | None = None
) -> SearchStrategy[Any]:
    anything = json_values | long_strings(budget)
    if model is None:
        return anything
    close = near_valid(model, generic if generic is not None else words, budget)
    return st.one_of(anything, shaped_like(model, words, budget), close, close).filter(lambda p: wire_size(p) <= budget)


def unrouted_name(routed: frozenset[str]) -> Callable[[str], bool]:
    def check(name: str) -> bool:
        return name not in routed and name not in RESERVED

    return check


def model_accepts(model: type[BaseModel] | None, payload: Any) -> bool:
    if model is None or not isinstance(payload, dict):
        return False
    try:
        model.model_validate(payload)
    except ValidationError:
        return False
    return True


# -- the arena: one server, one client per namespace, something real to aim at -------------------------------


@dataclass
class Arena:
    server: LiveServer
    peers: dict[str, Peer]
    consultation_ids: list[str]
    records: list[dict[str, Any]] = field(default_factory=list)
    http: aiohttp.ClientSession | None = None
    tried: dict[tuple[str, str], int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)

    def routes(self, namespace: str) -> dict[str, type[BaseModel]]:
        handler = self.server.app[SOCKETS].namespace_handlers[namespace]
        assert isinstance(handler, RoleNamespace)
        return {event: route.model for event, route in handler.routes.items()}

    def generic_words(self) -> list[Any]:
        """Values that fit many fields: the live consultations' ids, a language, a short text, small numbers."""
        return [*self.consultation_ids, "ja", "en", "c_1", "こんにちは", "a\ud800b", "", 0, 1, True]

    def words(self) -> list[Any]:
        """Every enum/const value any event model knows, and the generic words."""
        schemas = [m.model_json_schema() for ns in NAMESPACES for m in self.routes(ns).values()]
        words: list[Any] = sorted({str(w) for w in literal_values(schemas)})
        return words + self.generic_words()

    async def healthy(self) -> None:
        assert self.http is not None
        async with self.http.get(f"{self.server.base_url}/healthz") as resp:
            assert resp.status == 200, await resp.text()

    async def connections_up(self) -> None:
        for namespace, peer in self.peers.items():
            assert peer.sio.connected and namespace in peer.sio.namespaces, f"{namespace} client was disconnected"

    async def send(self, namespace: str, event: str, model: type[BaseModel] | None, payload: Any) -> None:
        self.tried[(namespace, event)] = self.tried.get((namespace, event), 0) + 1
        refused_by_model = not model_accepts(model, payload)
        if refused_by_model:
            # the records just before: an earlier accepted event may still be writing its records meanwhile
            self.records = await self.server.export_records()
        code = ack_code(await self.peers[namespace].call(event, payload))
        outcome = f"{'valid' if not refused_by_model else 'refused'}:{code or 'ok'}"
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if model is None:
            assert code == "unknown_event", code
        elif refused_by_model:
            assert code == "invalid_payload", code
        else:
            assert code != "invalid_payload", "the server refused what the event's model accepts"
        await self.connections_up()
        await self.healthy()
        records = await self.server.export_records()
        if refused_by_model:
            assert records == self.records, "a refused event changed the records"
        self.records = records


async def open_arena(server: LiveServer) -> Arena:
    _, token, _ = await server.add_booth()
    await server.add_agent("fuzz-agent", PASSWORD)
    booth = await booth_peer(server, token)
    agent = await agent_peer(server, "fuzz-agent", PASSWORD)
    home = await resident_peer(server)
    booth_cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer")
    ok(await agent.call("offer.accept", {"consultation_id": booth_cid}))
    await booth.wait_for("call.start")
    resident_cid = ok(await home.call("chat.send", {"text": "ごみの収集日を知りたい", "client_id": "f-1"}))[
        "consultation_id"
    ]
    arena = Arena(server, {"/booth": booth, "/agent": agent, "/resident": home}, [booth_cid, resident_cid])
    arena.records = await server.export_records()
    arena.http = aiohttp.ClientSession()
    return arena


async def close_arena(arena: Arena) -> None:
    for peer in arena.peers.values():
        await peer.close()
    if arena.http is not None:
        await arena.http.close()


@pytest.fixture
async def arena(tmp_path: Path) -> AsyncIterator[Arena]:
    # no rate limit here: every example must reach validation (the limit has its own test below)
    # and no timer acts while it runs (an offer running out, a grace period ending, overflow...): only the
    # fuzzed events change the records, so "a refused event changed no record" can be checked after each one
    quiet = {"offer_timeout_s": 3600.0, "grace_period_s": 3600.0, "no_answer_wait_s": 3600.0, "overflow_after_s": 0.0}
    unlimited = {"events_per_second": 1e6, "event_burst": 1_000_000, "resident_lines_per_minute": 10**9}
    unlimited["resident_lines_per_address_per_minute"] = 10**9  # resident lines have their own limit (session 8)
    unlimited["resident_line_burst_per_address"] = 10**9  # ... and at most 10 at once by default (session 13)
    async with serve_topology("one", tmp_path, **unlimited, **quiet) as server:
        opened = await open_arena(server)
        try:
            yield opened
        finally:
            await close_arena(opened)


def run_hypothesis(
    loop: asyncio.AbstractEventLoop,
    strategy: SearchStrategy[Any],
    check: Callable[[Any], Any],
    max_examples: int,
) -> None:
    """Run Hypothesis (synchronous, in this worker thread); each example is checked on ``loop``."""

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(strategy)
    def example(payload: Any) -> None:
        asyncio.run_coroutine_threadsafe(check(payload), loop).result(timeout=30)

    example()


async def test_every_event_of_every_namespace_survives_malformed_payloads(arena: Arena) -> None:
    loop = asyncio.get_running_loop()
    budget = arena.server.settings.max_payload_bytes - 512  # room for the packet's own framing
    words = arena.words()
    started = time.monotonic()
    for namespace in NAMESPACES:
        routes = arena.routes(namespace)
        assert routes, f"{namespace} routes no events"
        for event, model in sorted(routes.items()):
            strategy = payloads(model, words, budget, arena.generic_words())

            async def check(payload: Any, namespace: str = namespace, event: str = event, model: Any = model) -> None:
                await arena.send(namespace, event, model, payload)

            await asyncio.to_thread(run_hypothesis, loop, strategy, check, EXAMPLES_PER_EVENT)

        # names no route has: refused as unknown, never dispatched
        unrouted = st.tuples(
            st.text(min_size=1, max_size=60).filter(unrouted_name(frozenset(routes))),
            payloads(None, words, budget),
        )

        async def check_unrouted(drawn: tuple[str, Any], namespace: str = namespace) -> None:
            await arena.send(namespace, drawn[0], None, drawn[1])

        await asyncio.to_thread(run_hypothesis, loop, unrouted, check_unrouted, EXAMPLES_PER_EVENT)

    for namespace in NAMESPACES:
        for event in arena.routes(namespace):
            assert arena.tried.get((namespace, event), 0) >= EXAMPLES_PER_EVENT // 2, (namespace, event)
    print(f"fuzzed {sum(arena.tried.values())} events in {time.monotonic() - started:.1f} s: {arena.outcomes}")


@pytest.mark.parametrize("event", RESERVED)
async def test_socketio_reserved_event_names_sent_as_events_are_refused(arena: Arena, event: str) -> None:
    """python-socketio hands an EVENT packet named ``connect``/``disconnect`` to the namespace's handler: a
    client must not be able to fake its own disconnect (grace period, the other side told) or authenticate
    again with a payload of its choosing; such names are unknown events like any other."""
    answers: dict[str, Any] = {}
    for namespace, peer in arena.peers.items():
        for payload in (None, {}, {"token": "x"}, {"HTTP_COOKIE": "madoguchi_session=forged"}):
            try:
                ack: Any = await peer.sio.call(event, payload, namespace=namespace, timeout=1)
            except Exception as exc:  # no ack at all: the server raised
                ack = f"no ack ({type(exc).__name__})"
            answers[f"{namespace} {payload!r}"] = ack
    refused = {where: ack for where, ack in answers.items() if isinstance(ack, dict) and "error" in ack}
    assert refused == answers, (
        f"not refused as unknown events: { {w: a for w, a in answers.items() if w not in refused} }"
    )
    for ack in refused.values():
        assert ack_code(ack) == "unknown_event", ack
    await arena.connections_up()
    # the server still knows every client as itself: the booth can still talk in its call
    booth_cid = arena.consultation_ids[0]
    ok(await arena.peers["/booth"].call("chat.send", {"consultation_id": booth_cid, "text": "まだ", "client_id": "r1"}))
    assert not arena.peers["/agent"].received["peer.link"], "the agent was told the booth's link dropped"


# -- limits: the transport's payload limit, the per-connection rate limit, memory -------------------------------


async def test_an_event_over_the_limit_is_answered_and_the_connection_kept(arena: Arena) -> None:
    """Session 16 (F10): a 20,000-character chat line closed the socket with no answer."""
    limit = arena.server.settings.max_payload_bytes
    booth = arena.peers["/booth"]
    booth_cid = arena.consultation_ids[0]
    long_line = {"consultation_id": booth_cid, "text": "あ" * 20_000, "client_id": "big1"}
    assert ack_code(await booth.sio.call("chat.send", long_line, namespace="/booth", timeout=5)) == "invalid_payload"
    huge = await booth.sio.call("triage.preview", {"text": "x" * (limit + 1)}, namespace="/booth", timeout=5)
    assert ack_code(huge) == "payload_too_large" and str(limit) in huge["error"]["message"], huge
    ok(await booth.call("chat.send", {"consultation_id": booth_cid, "text": "はい", "client_id": "big2"}))


async def test_a_packet_over_the_transport_limit_drops_only_that_connection(arena: Arena) -> None:
    limit = arena.server.settings.max_payload_bytes * TRANSPORT_HEADROOM
    intruder = await booth_peer(arena.server, (await arena.server.add_booth("別のブース"))[1])
    disconnected = asyncio.Event()
    intruder.sio.on("disconnect", lambda *_: disconnected.set(), namespace="/booth")
    await intruder.sio.emit("triage.preview", {"text": "x" * (limit + 1)}, namespace="/booth")
    await asyncio.wait_for(disconnected.wait(), 5)
    await intruder.close()
    await arena.connections_up()
    await arena.healthy()
    booth_cid = arena.consultation_ids[0]
    ok(await arena.peers["/booth"].call("chat.send", {"consultation_id": booth_cid, "text": "はい", "client_id": "p1"}))


def needs_an_argument(model: type[BaseModel]) -> bool:
    try:
        model.model_validate({})
    except ValidationError:
        return True
    return False


def bad_events(rng: random.Random, count: int, routes: dict[str, list[str]]) -> list[tuple[str, str, Any]]:
    """``count`` refused events: wrong payloads for routed events, and never-seen event names."""
    wrong: list[Any] = [None, 7, "x", [], {}, {"consultation_id": 5}, {"status": "sleeping"}, {"text": ""}]
    out = []
    for i in range(count):
        namespace = NAMESPACES[i % len(NAMESPACES)]
        if i % 3 == 0:
            out.append((namespace, f"no.such.event.{rng.getrandbits(64):x}", {"n": i}))
        else:
            out.append((namespace, rng.choice(routes[namespace]), rng.choice(wrong)))
    return out


async def send_all(arena: Arena, events: list[tuple[str, str, Any]], window: int = 50) -> dict[str | None, int]:
    codes: dict[str | None, int] = {}
    for start in range(0, len(events), window):
        batch = events[start : start + window]
        acks = await asyncio.gather(*(arena.peers[ns].call(event, payload) for ns, event, payload in batch))
        for ack in acks:
            code = ack_code(ack)
            codes[code] = codes.get(code, 0) + 1
    return codes


def traced_bytes() -> int:
    gc.collect()
    current, _peak = tracemalloc.get_traced_memory()
    return current


@pytest.mark.parametrize("limited", [False, True], ids=["handled", "rate_limited"])
async def test_memory_stays_bounded_under_thousands_of_bad_events(tmp_path: Path, limited: bool) -> None:
    limits: dict[str, float] = {"resident_lines_per_minute": 10**9, "resident_lines_per_address_per_minute": 10**9}
    limits["resident_line_burst_per_address"] = 10**9  # at most 10 at once by default (session 13)
    if not limited:
        limits.update(events_per_second=1e6, event_burst=1_000_000)
    async with serve_topology("one", tmp_path, **limits) as server:
        arena = await open_arena(server)
        try:
            # events that need an argument: one that takes none (hours.get, self_test.request) rightly accepts {}
            routes = {
                ns: sorted(event for event, model in arena.routes(ns).items() if needs_an_argument(model))
                for ns in NAMESPACES
            }
            rng = random.Random(20240601)
            tracemalloc.start()
            try:
                await send_all(arena, bad_events(rng, 600, routes))  # warm up caches, pools, code paths
                before = traced_bytes()
                codes = await send_all(arena, bad_events(rng, 3000, routes))
                grown = traced_bytes() - before
            finally:
                tracemalloc.stop()
            if limited:
                assert codes.get("rate_limited", 0) > 2000, codes
            else:
                assert set(codes) == {"invalid_payload", "unknown_event"}, codes
            print(f"{'rate-limited' if limited else 'handled'}: {codes}; traced memory grew {grown / 1024:.0f} KiB")
            assert grown < 256 * 1024, f"memory grew by {grown / 1024:.0f} KiB over 3000 bad events"
            await arena.connections_up()
            await arena.healthy()
        finally:
            await close_arena(arena)


async def test_a_flood_is_rate_limited_without_slowing_another_client(tmp_path: Path) -> None:
    async with serve_topology("one", tmp_path, events_per_second=20.0, event_burst=40) as server:
        _, flood_token, _ = await server.add_booth("あふれるブース")
        _, calm_token, _ = await server.add_booth("ふつうのブース")
        flooder = await booth_peer(server, flood_token)
        calm = await booth_peer(server, calm_token)
        try:
            flood = [flooder.call("consultation.cancel", {"consultation_id": f"c_{i}"}) for i in range(400)]
            calm_events = []
            flooding = asyncio.gather(*flood)
            for i in range(10):  # the other booth goes about its business meanwhile, at a human pace
                calm_events.append(await calm.call("triage.preview", {"text": f"税金のことで相談 {i}"}))
            flood_codes = [ack_code(a) for a in await flooding]
            assert all(ack_code(a) is None for a in calm_events), calm_events
            assert flood_codes.count("rate_limited") >= 300, flood_codes
            assert set(flood_codes) <= {"rate_limited", "not_found"}, set(flood_codes)
            assert flooder.sio.connected and calm.sio.connected
            # the flooder is served again once it slows down
            deadline = time.monotonic() + 3
            while ack_code(await flooder.call("consultation.request", {"route": "tax"})) == "rate_limited":
                assert time.monotonic() < deadline, "still rate limited 3 s after the flood"
                await asyncio.sleep(0.05)
            assert await server.export_records() and len(await server.export_records()) == 1
        finally:
            await flooder.close()
            await calm.close()
