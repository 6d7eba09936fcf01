"""Test helpers shared by integration, media and browser tests: a real server and real Socket.IO clients."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import secrets
import signal
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import aiohttp
import pytest
import socketio
from aiohttp import web

from madoguchi import keys
from madoguchi.app import create_app
from madoguchi.chatbot.service import EngineCache
from madoguchi.settings import Settings
from madoguchi.signaling.redis_store import delete_prefix
from madoguchi.signaling.server_events import SupervisorDelta, SupervisorSnapshot
from madoguchi.signaling.supervisor_delta import apply_delta
from madoguchi.storage.db import open_database
from madoguchi.storage.errors import DuplicateBoothName
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.testing import fast_password_hasher, temporary_database_url

REDIS_TEST_URL = os.environ.get("MADOGUCHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

ENGINES = EngineCache()
"""Triage engines shared by every app this test process starts on the same knowledge base files (building one
takes about a second); an app whose test uploads a knowledge base gets its own new engine, as in production."""


def app_for_tests(settings: Settings, *, clock: Callable[[], float] = time.time) -> web.Application:
    """``create_app`` as the tests start it: cheap Argon2 costs (the tests check behaviour, not cost; an account
    made elsewhere with the real costs still logs in) and :data:`ENGINES`."""
    return create_app(settings, clock=clock, password_hasher=fast_password_hasher(), engines=ENGINES)


OFFICE_MORNING = 1_796_605_200.0
"""2026-12-07 (a Monday, no holiday) 10:00 in Japan: inside the sample town's hours on every part of its calendar."""


def office_hours_clock(start: float = OFFICE_MORNING) -> Callable[[], float]:
    """A server clock that runs at real speed from ``start``: a test whose expected words depend on the counter
    being open (「職員がいません」, not 「受付時間外」) passes at any hour the suite runs, on any day of the year."""
    offset = start - time.time()
    return lambda: time.time() + offset


_SQLITE_TEMPLATE: list[tuple[tempfile.TemporaryDirectory[str], bytes]] = []


async def _sqlite_template() -> bytes:
    """An empty SQLite database at the latest schema: migrated for real once in this process (a second a server
    start on a busy machine, a tenth on a quiet one), its bytes kept."""
    if not _SQLITE_TEMPLATE:
        folder = tempfile.TemporaryDirectory(prefix="madoguchi-template-")
        path = Path(folder.name) / "madoguchi.db"
        database = await open_database(f"sqlite+aiosqlite:///{path}")
        await database.close()  # the last connection checkpoints the WAL into the file
        _SQLITE_TEMPLATE.append((folder, path.read_bytes()))
    return _SQLITE_TEMPLATE[0][1]


async def database_from_template(settings: Settings) -> None:
    """Start an SQLite server whose data dir exists but has no database yet from a copy of the migrated template
    (0600, as the server makes it); the server still checks the schema with Alembic (at head: nothing to do). A
    data dir that does not exist yet is left alone, so a first start on nothing is still tested for real."""
    target = settings.data_dir / "madoguchi.db"
    if settings.database_url is not None or not settings.data_dir.is_dir() or target.exists():
        return
    data = await _sqlite_template()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


Topology = Literal["one", "two"]
TOPOLOGIES: tuple[Topology, ...] = ("one", "two")


@dataclass
class LiveServer:
    """The real app served on 127.0.0.1 at a free port.

    ``booth_url`` is where booths and residents connect, ``agent_url`` where staff log in and connect. With one
    process both are ``base_url``; with two they are different processes sharing Redis and PostgreSQL, and
    ``app`` (hence :meth:`add_booth`, :meth:`add_agent`, :meth:`export_records`) is the booth side's.
    """

    app: web.Application
    base_url: str
    settings: Settings
    booth_url: str = ""
    agent_url: str = ""
    topology: Topology = "one"
    urls: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        self.booth_url = self.booth_url or self.base_url
        self.agent_url = self.agent_url or self.base_url
        self.urls = self.urls or tuple(dict.fromkeys((self.booth_url, self.agent_url)))

    async def add_municipality(self, municipality_id: str, name: str = "") -> None:
        munis = Municipalities(self.app[keys.DATABASE])
        if await munis.get(municipality_id) is None:
            await munis.add_municipality(municipality_id, name_ja=name or municipality_id, name_en=municipality_id)

    async def add_booth(
        self, name: str | None = None, municipality: str = "shiomi", location: str = "テスト"
    ) -> tuple[str, str, str]:
        """A booth; without a name the first is テスト郵便局ブース and the next テスト郵便局ブース2, 3… (a town refuses
        two active booths of one name)."""
        await self.add_municipality(municipality)
        booths = self.app[keys.BOOTHS]
        for number in itertools.count(1):
            try:
                chosen = name or ("テスト郵便局ブース" if number == 1 else f"テスト郵便局ブース{number}")
                booth, token = await booths.add(chosen, municipality_id=municipality, location=location)
                return booth.id, token, f"/booth/{booth.id}#token={token}"
            except DuplicateBoothName:
                if name is not None:
                    raise
        raise AssertionError("unreachable")

    async def add_agent(
        self,
        username: str,
        password: str,
        routes: tuple[str, ...] = ("*",),
        languages: tuple[str, ...] = ("ja", "en"),
        municipality: str = "shiomi",
        role: str = "agent",
    ) -> str:
        await self.add_municipality(municipality)
        staff = await self.app[keys.ACCOUNTS].add_user(
            username,
            password,
            role=role,
            municipality_ids=[municipality],
            routes=list(routes),
            languages=list(languages),
            display_name=f"{username} さん",
        )
        return staff.id

    async def export_records(self) -> list[dict[str, Any]]:
        return [row async for row in self.app[keys.RECORDS].export_rows()]


def make_settings(data_dir: Any, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": None,
        "redis_url": None,
        "offer_timeout_s": 10.0,
        "grace_period_s": 3.0,
        "decline_cooldown_s": 30.0,
    }
    base.update(overrides)
    return Settings(**base)


@asynccontextmanager
async def serve(
    settings: Settings, *, clock: Callable[[], float] = time.time, host: str = "127.0.0.1"
) -> AsyncIterator[LiveServer]:
    await database_from_template(settings)
    app = app_for_tests(settings, clock=clock)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield LiveServer(app=app, base_url=f"http://{host}:{port}", settings=settings)
    finally:
        await runner.cleanup()


async def delete_redis_keys(prefix: str) -> None:
    await delete_prefix(REDIS_TEST_URL, prefix)


def completion(content: str | None) -> web.Response:
    """An OpenAI-compatible chat completion whose one choice says ``content``."""
    return web.json_response({"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]})


@asynccontextmanager
async def llm_stub(completions: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> AsyncIterator[str]:
    """An OpenAI-compatible LLM server on a free local port whose ``POST /v1/chat/completions`` is ``completions``;
    yields the base URL to give ``MADOGUCHI_LLM_BASE_URL`` (``http://127.0.0.1:<port>/v1``)."""
    app = web.Application()
    app.router.add_post("/v1/chat/completions", completions)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serve_topology(topology: Topology, data_dir: Path, **overrides: Any) -> AsyncIterator[LiveServer]:
    """``one``: one app, SQLite, in-process live state. ``two``: two apps on one Redis prefix and one PostgreSQL
    schema (both fresh, both removed afterwards), booths on the first and staff on the second."""
    if topology == "one":
        async with serve(make_settings(data_dir, **overrides)) as server:
            yield server
        return
    prefix = f"mdtest:{secrets.token_hex(6)}"
    try:
        async with temporary_database_url("postgresql", data_dir) as database_url:
            settings = make_settings(
                data_dir, database_url=database_url, redis_url=REDIS_TEST_URL, redis_prefix=prefix, **overrides
            )
            async with serve(settings) as booth_side, serve(settings) as agent_side:
                assert booth_side.base_url != agent_side.base_url
                yield LiveServer(
                    app=booth_side.app,
                    base_url=booth_side.base_url,
                    settings=settings,
                    booth_url=booth_side.base_url,
                    agent_url=agent_side.base_url,
                    topology="two",
                )
    finally:
        await delete_redis_keys(prefix)


on_both_topologies = pytest.mark.parametrize(
    "live_server", [pytest.param("one"), pytest.param("two", marks=pytest.mark.postgres)], indirect=True
)
"""Runs a test using ``live_server`` on one process and again on two processes ([one] / [two])."""


async def login_cookie(base_url: str, username: str, password: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base_url}/api/login", json={"username": username, "password": password}) as resp,
    ):
        if resp.status != 200:
            raise AssertionError(f"login failed: {resp.status} {await resp.text()}")
        cookie = resp.cookies.get("madoguchi_session")
        assert cookie is not None
        return cookie.value


class Peer:
    """A Socket.IO client on one namespace that keeps every event it receives, for assertions."""

    def __init__(self, base_url: str, namespace: str) -> None:
        self.base_url = base_url
        self.namespace = namespace
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: dict[str, list[Any]] = defaultdict(list)
        self._changed = asyncio.Condition()
        self.sio.on("*", self._on_any, namespace=namespace)
        # /supervisor: each town's view as a page holds it (whole on joining, then supervisor.delta on top of it);
        # every view reached is also kept under "supervisor.snapshot", so a test waits for what a page would show
        self._views: dict[str, dict[str, Any]] = {}
        self._resyncing: dict[str, list[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def _on_any(self, event: str, data: Any = None) -> None:
        async with self._changed:
            self.received[event].append(data)
            if event == "supervisor.snapshot":
                self._views[data["municipality_id"]] = data
            elif event == "supervisor.delta":
                self._follow(data)
            self._changed.notify_all()

    def _follow(self, delta: dict[str, Any]) -> None:
        """A delta applied like the page does (``supervisor.js``): on the view at its base, else the whole view is
        asked for again (``supervisor.resync``) and the deltas meanwhile are applied on top of it."""
        town = delta["municipality_id"]
        if town in self._resyncing:
            self._resyncing[town].append(delta)
            return
        held = self._views.get(town)
        if held is None:
            return  # the whole view comes on joining
        if held.get("version") != delta["base"]:
            self._resyncing[town] = []
            task = asyncio.create_task(self._resync(town))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        view = apply_delta(SupervisorSnapshot.model_validate(held), SupervisorDelta.model_validate(delta)).payload()
        self._views[town] = view
        self.received["supervisor.snapshot"].append(view)

    async def _resync(self, town: str) -> None:
        ack = await self.call("supervisor.resync", {"municipality_id": town})
        async with self._changed:
            waiting = self._resyncing.pop(town, [])
            self.received["supervisor.resync"].append(ack)
            self._views[town] = ack["snapshot"]
            self.received["supervisor.snapshot"].append(ack["snapshot"])
            for delta in waiting:
                if delta["version"] > self._views[town]["version"]:
                    self._follow(delta)
            self._changed.notify_all()

    async def connect(self, *, auth: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        await self.sio.connect(
            self.base_url,
            namespaces=[self.namespace],
            auth=auth,
            headers=headers or {},
            transports=["websocket"],
            wait_timeout=5,
        )

    async def call(self, event: str, data: Any) -> Any:
        return await self.sio.call(event, data, namespace=self.namespace, timeout=5)

    async def wait_for(
        self, event: str, predicate: Callable[[Any], bool] = lambda _: True, *, within: float = 5.0
    ) -> Any:
        async def find() -> Any:
            async with self._changed:
                while True:
                    for item in self.received[event]:
                        if predicate(item):
                            return item
                    await self._changed.wait()

        return await asyncio.wait_for(find(), within)

    async def wait_view(
        self, municipality_id: str, predicate: Callable[[Any], bool], *, within: float = 5.0
    ) -> dict[str, Any]:
        """/supervisor: until the town's view as the page holds it now (not any view seen before) passes."""

        async def find() -> dict[str, Any]:
            async with self._changed:
                while True:
                    view = self._views.get(municipality_id)
                    if view is not None and predicate(view):
                        return view
                    await self._changed.wait()

        return await asyncio.wait_for(find(), within)

    def last(self, event: str) -> Any:
        return self.received[event][-1] if self.received[event] else None

    async def close(self) -> None:
        await self.sio.disconnect()
        # let the client's background tasks finish so no "Task was destroyed" warning leaks into the next test
        await asyncio.sleep(0)


async def booth_peer(server: LiveServer, token: str) -> Peer:
    peer = Peer(server.booth_url, "/booth")
    await peer.connect(auth={"token": token})
    return peer


async def resident_peer(server: LiveServer, resume: str | None = None, *, url: str | None = None) -> Peer:
    """A resident at home; on the booth side's process unless ``url`` says otherwise."""
    peer = Peer(url or server.booth_url, "/resident")
    await peer.connect(auth={"resume": resume} if resume else {})
    return peer


async def agent_peer(server: LiveServer, username: str, password: str) -> Peer:
    cookie = await login_cookie(server.agent_url, username, password)
    peer = Peer(server.agent_url, "/agent")
    await peer.connect(headers={"Cookie": f"madoguchi_session={cookie}"})
    return peer


async def answered_booth_call(booth: Peer, agent: Peer, route: str = "tax") -> str:
    """The booth asks for a person on ``route`` and the (available) agent accepts its offer; returns the
    consultation id once the booth has ``call.start``."""
    cid = ok(await booth.call("consultation.request", {"route": route}))["consultation_id"]
    await agent.wait_for("offer", lambda o: o["consultation_id"] == cid)
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start")
    return str(cid)


async def resident_lines(
    server: LiveServer,
    lines: list[str],
    prefix: str,
    *,
    before_leaving: Callable[[Peer], Awaitable[None]] | None = None,
) -> tuple[str, list[str]]:
    """A new resident sends ``lines`` (client ids ``{prefix}-{n}``), then ``before_leaving`` with its open peer if
    given; (their case, those lines as stored)."""
    home = await resident_peer(server)
    await home.wait_for("resident.state")
    cid = None
    for n, text in enumerate(lines):
        ack = await home.call("chat.send", {"text": text, "client_id": f"{prefix}-{n}", "language": "ja"})
        assert "error" not in ack, ack
        cid = ack.get("consultation_id", cid)
    if before_leaving is not None:
        await before_leaving(home)
    await home.close()
    assert cid is not None
    records = server.app[keys.RECORDS]
    mine = {records.client_key(cid, f"{prefix}-{n}") for n in range(len(lines))}
    return cid, [line.text for line in await records.chat(cid) if line.client_id in mine]


@dataclass(frozen=True)
class WrittenUpCase:
    """What :func:`written_up_booth_case` was answered: the booth's request, the agent's offer and chat line."""

    consultation_id: str
    request: dict[str, Any]
    offer: dict[str, Any]
    line: dict[str, Any]


async def written_up_booth_case(
    server: LiveServer, token: str, agent: tuple[str, str], *, question: str, line: str, note: str
) -> WrittenUpCase:
    """The booth asks about tax with ``question``; the agent (username, password) goes available, accepts, writes
    ``line`` in the call's chat, ends the call and submits ``note`` with its wrap-up. Both peers are closed after."""
    agent_side = await agent_peer(server, *agent)
    booth = await booth_peer(server, token)
    await booth.wait_for("booth.state")
    ok(await agent_side.call("agent.status", {"status": "available"}))
    request = ok(await booth.call("consultation.request", {"route": "tax", "question": question}))
    case = request["consultation_id"]
    offer = await agent_side.wait_for("offer", lambda o: o["consultation_id"] == case)
    ok(await agent_side.call("offer.accept", {"consultation_id": case}))
    await booth.wait_for("call.start")
    said = ok(await agent_side.call("chat.send", {"consultation_id": case, "text": line, "client_id": "a1"}))
    ok(await agent_side.call("consultation.end", {"consultation_id": case}))
    await agent_side.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    ok(await agent_side.call("wrapup.submit", {"consultation_id": case, "disposition": "resolved", "note": note}))
    for peer in (agent_side, booth):
        await peer.close()
    return WrittenUpCase(str(case), request, offer, said)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


class TcpProxy:
    """A loopback TCP forwarder to ``target`` that can break every link on demand.

    :meth:`cut` resets every open connection (RST, as when a cable or a NAT entry goes) and refuses new ones,
    until :meth:`restore` listens again on the same port. :meth:`freeze` silently drops the bytes flowing back
    from the target while still forwarding the other way: requests arrive, their answers never do.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.frozen = False
        self._server: asyncio.Server | None = None
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    async def restore(self) -> None:
        self.frozen = False
        if self._server is None:
            self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
            self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for client, upstream in list(self._links):
            for writer in (client, upstream):
                writer.transport.abort()
        self._links.clear()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    def freeze(self) -> None:
        self.frozen = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        link = (writer, up_writer)
        self._links.add(link)
        for source, sink, downstream in ((reader, up_writer, False), (up_reader, writer, True)):
            task = asyncio.create_task(self._pipe(source, sink, downstream=downstream))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, downstream: bool) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await source.read(65536):
                if downstream and self.frozen:
                    continue
                sink.write(data)
                await sink.drain()
        sink.close()


def ok(ack: Any) -> dict[str, Any]:
    """The ack of an operation that must have succeeded (the failing ack is the assertion message)."""
    assert isinstance(ack, dict) and ack.get("ok") is True, ack
    return ack


async def http_get(url: str) -> tuple[int, Any]:
    """Status and body of a GET: parsed JSON when the server says so, else text."""
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        if resp.content_type == "application/json":
            return resp.status, await resp.json()
        return resp.status, await resp.text()


LISTENING_LINE = re.compile(r"madoguchi listening on (http://[0-9.]+:\d+)")


@dataclass
class ServeProcess:
    """One ``madoguchi serve`` subprocess (this Python's script) whose stdout and stderr go to ``log_path``."""

    process: asyncio.subprocess.Process
    log_path: Path
    url: str = ""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_size(self) -> int:
        return self.log_path.stat().st_size


@asynccontextmanager
async def serve_process(
    data_dir: Path, *args: str, env: dict[str, str] | None = None, wait_listening: bool = True
) -> AsyncIterator[ServeProcess]:
    """``madoguchi serve --port 0 [args]`` with a clean ``MADOGUCHI_*`` environment plus ``env``; stopped with
    SIGTERM (by its own pid) when the block ends."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")}
    environment.update(MADOGUCHI_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **(env or {}))
    log_path = data_dir.parent / f"{data_dir.name}-serve.log"
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("madoguchi")),
            "serve",
            "--port",
            "0",
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            env=environment,
        )
    served = ServeProcess(process, log_path)
    try:
        if wait_listening:
            deadline = time.monotonic() + 60
            while not (found := LISTENING_LINE.search(served.log())):
                assert process.returncode is None, served.log()
                assert time.monotonic() < deadline, served.log()
                await asyncio.sleep(0.1)
            served.url = found.group(1).replace("0.0.0.0", "127.0.0.1")
        yield served
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
