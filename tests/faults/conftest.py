"""Real ``madoguchi serve`` processes for fault tests: started as subprocesses, killed by their own pid.

Why subprocesses and not apps in the test's event loop: the faults under test are a process dying without a
word (``SIGKILL``: no disconnect, no graceful leave, half-written nothing) and a network link breaking. Only a
real process with its own sockets, heartbeats and timers shows what a deployment would see.

Every test gets one :class:`Deployment`: a fresh Redis key prefix, a fresh PostgreSQL schema, one shared secret
key, short heartbeats and grace periods. Each process has its own data directory and log file (printed when a
test fails). Whatever happens in the test, every process still running is killed, the Redis keys are deleted
and the schema is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from redis.asyncio import Redis

from madoguchi.signaling.redis_store import stored_state
from madoguchi.storage.accounts import Accounts
from madoguchi.storage.booths import Booths
from madoguchi.storage.db import Database, open_database
from madoguchi.storage.records import ConsultationRecords
from madoguchi.storage.testing import fast_password_hasher, temporary_database_url
from tests.support import REDIS_TEST_URL, Peer, TcpProxy, delete_redis_keys, login_cookie

MADOGUCHI = Path(sys.executable).with_name("madoguchi")
MUNICIPALITY = "shiomi"  # from the bundled sample knowledge base; every process registers it at start
PASSWORD = "correct horse battery"
HEARTBEAT_INTERVAL_S = 1.0
PROCESS_TIMEOUT_S = 3 * HEARTBEAT_INTERVAL_S  # a process this long silent is dead (the server's rule)
GRACE_PERIOD_S = 10.0
START_TIMEOUT_S = 60.0  # a start loads the triage model (~11 s alone; several times that on a busy machine)
LISTENING = re.compile(r"madoguchi listening on (http://[0-9.]+:\d+)")

T = TypeVar("T")


@dataclass
class ServerProcess:
    """One ``madoguchi serve`` subprocess; its output goes to ``log_path``."""

    name: str
    process: asyncio.subprocess.Process
    log_path: Path
    url: str = ""

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def kill(self) -> None:
        """``kill -9`` this process (by its own pid) and reap it."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), 10)


@dataclass
class Deployment:
    """Server processes sharing one Redis prefix and one PostgreSQL schema, as operators run them."""

    root: Path
    database_url: str
    redis_prefix: str
    secret_key: str
    heartbeat_interval_s: float = HEARTBEAT_INTERVAL_S
    env: dict[str, str] = field(default_factory=dict)
    """More ``MADOGUCHI_*`` settings for every process this deployment starts."""
    processes: list[ServerProcess] = field(default_factory=list)
    _db: Database | None = None
    _peers: list[Peer] = field(default_factory=list)

    # --- processes -----------------------------------------------------------------------------------------

    def environment(self, data_dir: Path, redis_url: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")}
        env.update(
            MADOGUCHI_DATA_DIR=str(data_dir),
            MADOGUCHI_DATABASE_URL=self.database_url,
            MADOGUCHI_REDIS_URL=redis_url,
            MADOGUCHI_REDIS_PREFIX=self.redis_prefix,
            MADOGUCHI_SECRET_KEY=self.secret_key,
            MADOGUCHI_HEARTBEAT_INTERVAL_S=str(self.heartbeat_interval_s),
            MADOGUCHI_GRACE_PERIOD_S=str(GRACE_PERIOD_S),
            MADOGUCHI_OFFER_TIMEOUT_S="20",
            MADOGUCHI_LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.env)
        return env

    async def start(
        self, count: int = 1, *, redis_url: str = REDIS_TEST_URL, together: bool = False
    ) -> list[ServerProcess]:
        """Start ``count`` processes and return them when each answers ``/healthz``.

        On a fresh deployment the first process starts alone (as docs/operations.md advises) unless
        ``together``: processes starting at the same moment on an empty database race to register the
        municipality of the bundled knowledge base (see test_start.py)."""
        started: list[ServerProcess] = []
        if not self.processes and not together and count > 1:
            started.append(await self._spawn(redis_url))
            await self._wait_until_up(started[0])
        rest = [await self._spawn(redis_url) for _ in range(count - len(started))]
        await asyncio.gather(*(self._wait_until_up(p) for p in rest))
        return started + rest

    async def _spawn(self, redis_url: str) -> ServerProcess:
        name = f"p{len(self.processes) + 1}"
        data_dir = self.root / name
        data_dir.mkdir(parents=True)
        log_path = self.root / f"{name}.log"
        with log_path.open("wb") as log_file:  # the child keeps its own copy of the descriptor
            process = await asyncio.create_subprocess_exec(
                str(MADOGUCHI),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
                env=self.environment(data_dir, redis_url),
                cwd=str(data_dir),
            )
        server = ServerProcess(name, process, log_path)
        self.processes.append(server)
        return server

    async def _wait_until_up(self, server: ServerProcess) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT_S
        while not server.url:
            if not server.running:
                raise AssertionError(f"{server.name} exited with {server.process.returncode}:\n{server.log()}")
            if loop.time() > deadline:
                raise AssertionError(f"{server.name} did not listen within {START_TIMEOUT_S} s:\n{server.log()}")
            found = LISTENING.search(server.log())
            if found:
                server.url = found.group(1)
            else:
                await asyncio.sleep(0.05)
        while (await http_status(f"{server.url}/healthz")) != 200:
            if loop.time() > deadline:
                raise AssertionError(f"{server.name} never answered /healthz:\n{server.log()}")
            await asyncio.sleep(0.05)

    async def kill_all(self) -> None:
        for server in self.processes:
            await server.kill()

    def logs(self) -> str:
        return "\n".join(f"===== {p.name} (pid {p.pid}, {p.url}) =====\n{p.log()}" for p in self.processes)

    # --- records, booths and staff (the same database the processes use) --------------------------------------

    async def database(self) -> Database:
        if self._db is None:
            self._db = await open_database(self.database_url)
        return self._db

    async def add_booth(self, name: str) -> tuple[str, str]:
        booth, token = await Booths(await self.database()).add(name, municipality_id=MUNICIPALITY, location="テスト")
        return booth.id, token

    async def add_agent(self, username: str) -> str:
        accounts = Accounts(await self.database(), hasher=fast_password_hasher())
        staff = await accounts.add_user(
            username,
            PASSWORD,
            role="agent",
            municipality_ids=[MUNICIPALITY],
            routes=["*"],
            languages=["ja"],
            display_name=f"{username} さん",
        )
        return staff.id

    async def export_records(self) -> dict[str, dict[str, Any]]:
        """Every consultation record by id, as ``madoguchi records export`` writes them."""
        rows = ConsultationRecords(await self.database()).export_rows()
        return {row["consultation_id"]: row async for row in rows}

    async def export_records_cli(self) -> dict[str, dict[str, Any]]:
        """The same through the operator's command: ``madoguchi records export --format jsonl``."""
        process = await asyncio.create_subprocess_exec(
            str(MADOGUCHI),
            "records",
            "export",
            "--format",
            "jsonl",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.environment(self.root, REDIS_TEST_URL),
            cwd=str(self.root),
        )
        out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
        rows = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
        return {row["consultation_id"]: row for row in rows}

    async def live_state(self) -> dict[str, Any]:
        """The shared counter document in Redis (for failure messages; tests assert on what clients see)."""
        client: Redis = Redis.from_url(REDIS_TEST_URL, decode_responses=True)
        try:
            return await stored_state(client, self.redis_prefix)
        finally:
            await client.aclose()

    # --- clients -------------------------------------------------------------------------------------------

    async def booth(self, server: ServerProcess | str, token: str) -> Peer:
        peer = Peer(server if isinstance(server, str) else server.url, "/booth")
        self._peers.append(peer)
        await peer.connect(auth={"token": token})
        return peer

    async def agent(self, server: ServerProcess | str, username: str) -> Peer:
        url = server if isinstance(server, str) else server.url
        cookie = await login_cookie(url, username, PASSWORD)
        peer = Peer(url, "/agent")
        self._peers.append(peer)
        await peer.connect(headers={"Cookie": f"madoguchi_session={cookie}"})
        return peer

    async def close(self) -> None:
        for peer in self._peers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(peer.close(), 5)
        await self.kill_all()
        if self._db is not None:
            await self._db.close()


@pytest.fixture
async def proxy_factory() -> AsyncIterator[Callable[[str, int], Awaitable[TcpProxy]]]:
    proxies: list[TcpProxy] = []

    async def make(host: str, port: int) -> TcpProxy:
        proxy = TcpProxy(host, port)
        proxies.append(proxy)
        await proxy.restore()
        return proxy

    yield make
    for proxy in proxies:
        await proxy.cut()


async def http_status(url: str) -> int | None:
    """The status of a GET, or ``None`` when nothing answers."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http,
            http.get(url) as resp,
        ):
            return resp.status
    except (aiohttp.ClientError, TimeoutError):
        return None


async def eventually(check: Callable[[], Awaitable[T | None]], *, within: float, what: str) -> T:
    """Poll ``check`` every 50 ms until it returns something other than ``None``; fail after ``within``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await check()
        if result is not None:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deployment]:
    prefix = f"mdfault:{secrets.token_hex(6)}"
    try:
        async with temporary_database_url("postgresql", tmp_path) as database_url:
            deployment = Deployment(
                root=tmp_path, database_url=database_url, redis_prefix=prefix, secret_key=secrets.token_hex(16)
            )
            try:
                yield deployment
            finally:
                await deployment.close()
                report = getattr(request.node, "rep_call", None)
                if report is not None and report.failed:
                    print(deployment.logs())
    finally:
        await delete_redis_keys(prefix)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so the fixture can print the server logs of a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
