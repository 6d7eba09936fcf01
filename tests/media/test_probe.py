"""The headless booth and agent against the real server: full calls, complete records, the CLI as a process.

Each test runs on one process ([one]) and on two processes sharing Redis and PostgreSQL ([two]), with the probe's
booth on one process and its agent on the other (``ProbeTarget`` fields, ``--booth-server``/``--agent-server``).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from madoguchi.media.peer import BoothPeer
from madoguchi.media.probe import CallResult, ProbeTarget, run_probe
from madoguchi.storage.db import parse_database_url
from madoguchi.storage.testing import POSTGRES_TEST_URL
from tests.support import LISTENING_LINE, REDIS_TEST_URL, LiveServer, delete_redis_keys, on_both_topologies

pytestmark = pytest.mark.media

PASSWORD = "probe-password-1"
T = TypeVar("T")


async def _probe(target: ProbeTarget, count: int, hold_s: float = 0.3) -> list[CallResult]:
    return [result async for result in run_probe(target, count, timeout_s=15.0, hold_s=hold_s)]


def _target(server: LiveServer, token: str, user: str = "probe-agent", password: str = PASSWORD) -> ProbeTarget:
    return ProbeTarget(server.booth_url, server.agent_url, token, user, password)


@on_both_topologies
async def test_probe_calls_carry_audio_and_video_both_ways_and_complete_the_record(
    live_server: LiveServer,
) -> None:
    booth_id, token, _ = await live_server.add_booth("プローブ用ブース")
    await live_server.add_agent("probe-agent", PASSWORD)

    results = await _probe(_target(live_server, token), count=2)

    for result in results:
        assert result.ok, result.error
        assert result.error is None
        for side in ("agent", "booth"):
            assert result.frames_received[side]["audio"] >= 5, result.frames_received
            assert result.frames_received[side]["video"] >= 3, result.frames_received
            assert all(ms is not None and ms > 0 for ms in result.first_frames_ms[side].values())
        assert result.signaling_ms is not None and result.connected_ms is not None
        assert result.first_frame_ms is not None
        assert 0 < result.signaling_ms < result.connected_ms < result.first_frame_ms
    assert len({r.consultation_id for r in results}) == 2

    records = {row["consultation_id"]: row for row in await live_server.export_records()}
    for result in results:
        record = records[result.consultation_id]
        assert record["booth_id"] == booth_id
        assert record["agent_username"] == "probe-agent"
        assert record["route"] == "general_inquiry"
        for moment in ("requested_at", "offered_at", "answered_at", "ended_at", "wrapped_up_at"):
            assert record[moment], f"{moment} missing from {record}"
        assert record["disposition"] == "resolved"
        assert record["note"] == "probe"


@on_both_topologies
async def test_a_wrong_password_is_a_readable_failure(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("probe-agent", PASSWORD)

    [result] = await _probe(_target(live_server, token, password="not-the-password"), count=1)

    assert not result.ok
    assert result.error is not None and "wrong user name or password" in result.error
    assert "Traceback" not in result.error


@on_both_topologies
async def test_a_revoked_or_wrong_booth_token_is_a_readable_failure(live_server: LiveServer) -> None:
    await live_server.add_booth()
    await live_server.add_agent("probe-agent", PASSWORD)

    [result] = await _probe(_target(live_server, "no-such-token"), count=1)

    assert not result.ok
    assert result.error is not None and "refused the /booth connection" in result.error
    assert "unauthorized" in result.error
    assert result.consultation_id is None


@on_both_topologies
async def test_the_probe_agent_declines_a_real_residents_offer_and_takes_only_its_own(
    live_server: LiveServer,
) -> None:
    _, resident_token, _ = await live_server.add_booth("郵便局ブース")
    _, probe_token, _ = await live_server.add_booth("プローブ用ブース")
    await live_server.add_agent("probe-agent", PASSWORD)
    resident = BoothPeer(live_server.booth_url)
    await resident.connect(resident_token)
    try:
        waiting_id = await resident.request_consultation("tax")

        [result] = await _probe(_target(live_server, probe_token), count=1)

        assert result.ok, result.error
        assert result.consultation_id != waiting_id
        records = {row["consultation_id"]: row for row in await live_server.export_records()}
        assert records[waiting_id]["answered_at"] in (None, "")
        assert records[waiting_id]["agent_username"] in (None, "")
    finally:
        await resident.close()


# -- the CLI as a real process against `madoguchi serve` ------------------------------------------------------

MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))


def _run(args: list[str], env: dict[str, str], stdin: str | None = None, timeout_s: float = 60) -> str:
    done = subprocess.run(
        [MADOGUCHI, *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    assert done.returncode == 0, f"madoguchi {args[0]} failed: {done.stderr}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Served:
    """``madoguchi serve`` processes: the booth side's URL and the agent side's (the same with one process)."""

    booth_url: str
    agent_url: str
    env: dict[str, str]
    booth: dict[str, Any]


def _in_a_fresh_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion on its own event loop in a worker thread (this fixture is synchronous)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=60)


async def _create_schema(name: str) -> str:
    engine = create_async_engine(parse_database_url(POSTGRES_TEST_URL))
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{name}"'))
    finally:
        await engine.dispose()
    url = parse_database_url(POSTGRES_TEST_URL).update_query_dict({"search_path": name})
    return url.render_as_string(hide_password=False)


async def _drop_schema(name: str) -> None:
    engine = create_async_engine(parse_database_url(POSTGRES_TEST_URL))
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    finally:
        await engine.dispose()


SERVE_START_S = 120.0
"""How long one ``madoguchi serve`` may take to answer ``/healthz``: imports and the knowledge base are CPU work,
and two processes starting together on a loaded 2-core machine (load 13-15) took 54-104 s."""


def _start_serving(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``madoguchi serve`` on a port it picks itself (``--port 0``; a port chosen here stayed free for the whole
    start, a minute under load, for any other program to take), its stdout and stderr in ``log_path`` (with
    Python's traceback of a native crash)."""
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [MADOGUCHI, "serve", "--host", "127.0.0.1", "--port", "0"],
            env={**env, "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _wait_healthy(process: subprocess.Popen[bytes], log_path: Path, within_s: float = SERVE_START_S) -> str:
    """The process's URL once it answers ``/healthz``; if it exits or stays silent, fail with its exit code and
    everything it printed."""
    deadline = time.monotonic() + within_s
    url = None
    while True:
        log = log_path.read_text(errors="replace")
        assert process.poll() is None, f"madoguchi serve exited early with {process.returncode}:\n{log}"
        if url is None and (found := LISTENING_LINE.search(log)) is not None:
            url = found.group(1)
        if url is not None:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return url
            except (urllib.error.URLError, OSError):
                pass
        assert time.monotonic() < deadline, f"madoguchi serve did not become healthy in {within_s:.0f} s:\n{log}"
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


on_served = pytest.mark.timeout(3 * SERVE_START_S)
"""For the tests on ``served``: the first of each topology pays for the fixture's start, five Python processes (three
CLI commands, two servers): at load 12 with two busy loops beside it, 113 s once and cut by pytest's 120 s twice."""


@pytest.fixture(scope="module", params=[pytest.param("one"), pytest.param("two", marks=pytest.mark.postgres)])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``madoguchi serve`` with a booth and an agent made by the CLI (shared by this module).

    ``one``: a single process on SQLite. ``two``: two processes on one Redis prefix and one PostgreSQL schema
    (both fresh, removed afterwards), as an operator runs them behind a load balancer.
    """
    data_dir = tmp_path_factory.mktemp("served") / "data"
    env = {**os.environ, "MADOGUCHI_DATA_DIR": str(data_dir), "MADOGUCHI_LOG_LEVEL": "WARNING"}
    for name in ("MADOGUCHI_DATABASE_URL", "MADOGUCHI_REDIS_URL", "MADOGUCHI_REDIS_PREFIX"):
        env.pop(name, None)
    processes = 1 if request.param == "one" else 2
    schema = f"t_{secrets.token_hex(6)}"
    prefix = f"mdtest:{secrets.token_hex(6)}"
    if processes == 2:
        env["MADOGUCHI_DATABASE_URL"] = _in_a_fresh_loop(_create_schema(schema))
        env["MADOGUCHI_REDIS_URL"] = REDIS_TEST_URL
        env["MADOGUCHI_REDIS_PREFIX"] = prefix
        env["MADOGUCHI_SECRET_KEY"] = secrets.token_hex(32)
    running: list[subprocess.Popen[bytes]] = []
    try:
        _run(["municipality", "add", "probeville", "--name-ja", "プローブ町", "--name-en", "Probeville"], env)
        booth = json.loads(_run(["booth", "add", "プローブ用ブース", "--json"], env))
        _run(["user", "add", "probe-agent", "--role", "agent", "--password-stdin", "--routes", "all"], env, PASSWORD)
        logs = [data_dir.parent / f"serve-{n}.log" for n in range(processes)]
        running.extend(_start_serving(env, log) for log in logs)
        urls = [_wait_healthy(process, log) for process, log in zip(running, logs, strict=True)]
        yield Served(booth_url=urls[0], agent_url=urls[-1], env=env, booth=booth)
    finally:
        for process in running:
            _stop(process)
        if processes == 2:
            _in_a_fresh_loop(_drop_schema(schema))
            _in_a_fresh_loop(delete_redis_keys(prefix))


def _probe_cli(
    booth_url: str, token: str, env: dict[str, str], *extra: str, agent_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    args = [MADOGUCHI, "probe", "--server", booth_url, f"--booth-token={token}"]  # a token may start with "-"
    if agent_url is not None:
        args += ["--booth-server", booth_url, "--agent-server", agent_url]
    args += ["--agent-user", "probe-agent", "--agent-password", PASSWORD, *extra]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=90, check=False)


@on_served
def test_probe_cli_runs_calls_against_a_served_process_and_prints_json_lines(served: Served) -> None:
    done = _probe_cli(
        served.booth_url,
        served.booth["token"],
        served.env,
        "--count",
        "2",
        "--json",
        "--compare-direct",
        agent_url=served.agent_url,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 2
    for line in lines:
        assert line["ok"] is True and line["error"] is None
        assert {"signaling_ms", "connected_ms", "first_frame_ms", "frames_received"} <= set(line)
        assert line["first_frame_ms"] > line["connected_ms"] > line["signaling_ms"] > 0
        assert line["frames_received"]["agent"]["video"] > 0 and line["frames_received"]["booth"]["audio"] > 0
        assert line["direct"]["first_frame_ms"] > line["direct"]["connected_ms"] > 0  # the paired local call

    exported = _run(["records", "export", "--format", "jsonl"], served.env)
    rows = {row["consultation_id"]: row for row in map(json.loads, exported.splitlines())}
    for line in lines:
        assert rows[line["consultation_id"]]["disposition"] == "resolved"


@on_served
def test_probe_cli_exits_non_zero_with_a_plain_message_when_credentials_are_wrong(served: Served) -> None:
    done = _probe_cli(served.booth_url, "wrong-token", served.env, "--json", agent_url=served.agent_url)

    assert done.returncode == 1
    [line] = [json.loads(text) for text in done.stdout.splitlines()]
    assert line["ok"] is False and "unauthorized" in line["error"]
    assert "Traceback" not in done.stderr


def test_probe_cli_exits_non_zero_when_the_server_is_unreachable(tmp_path: Path) -> None:
    env = {**os.environ, "MADOGUCHI_DATA_DIR": str(tmp_path)}

    done = _probe_cli(f"http://127.0.0.1:{_free_port()}", "t", env)

    assert done.returncode == 1
    assert "cannot reach the server" in done.stdout
    assert "Traceback" not in done.stderr


def _metrics(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            body: bytes = response.read()
            return body.decode()
    except (urllib.error.URLError, ConnectionError):
        return None


@on_served
def test_probe_every_keeps_running_and_serves_its_last_round_as_metrics(served: Served) -> None:
    if served.booth_url != served.agent_url:
        pytest.skip("one topology is enough for the monitor loop")
    port = _free_port()
    args = [MADOGUCHI, "probe", "--server", served.booth_url, f"--booth-token={served.booth['token']}"]
    args += ["--agent-user", "probe-agent", "--agent-password", PASSWORD, "--json"]
    args += ["--every", "10", "--metrics-port", str(port)]
    process = subprocess.Popen(args, env=served.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        seen: list[str] = []
        while time.monotonic() < deadline:
            page = _metrics(port)
            if page is not None and "madoguchi_probe_up 1.0" in page:
                seen.append(page)
                if 'madoguchi_probe_calls_total{result="ok"} 2.0' in page:
                    break
            assert process.poll() is None, process.communicate()
            time.sleep(0.5)
        assert seen, "no round succeeded within 60 s"
        last = seen[-1]
        assert 'madoguchi_probe_calls_total{result="ok"} 2.0' in last, "a second round came ~10 s after the first"
        assert 'madoguchi_probe_calls_total{result="failed"} 0.0' in last
        assert 'madoguchi_probe_last_ms{step="first_frame_ms"}' in last
        assert "madoguchi_probe_last_run_timestamp_seconds" in last
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=30)
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) >= 2 and all(line["ok"] for line in lines[:2])


def test_probe_metrics_without_every_is_a_plain_mistake(tmp_path: Path) -> None:
    env = {**os.environ, "MADOGUCHI_DATA_DIR": str(tmp_path)}
    done = _probe_cli("http://127.0.0.1:9", "t", env, "--metrics-port", "9400")
    assert done.returncode == 2
    assert "--metrics-port needs --every" in done.stderr
    bad = _probe_cli("http://127.0.0.1:9", "t", env, "--every", "5")
    assert bad.returncode == 2 and "between 10 and 86400" in bad.stderr
