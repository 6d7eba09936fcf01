"""The headless booth and agent against the real server: full calls, complete records, the CLI as a process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from madoguchi.media.peer import BoothPeer
from madoguchi.media.probe import CallResult, ProbeTarget, run_probe
from tests.support import LiveServer

pytestmark = pytest.mark.media

PASSWORD = "probe-password-1"


async def _probe(target: ProbeTarget, count: int, hold_s: float = 0.3) -> list[CallResult]:
    return [result async for result in run_probe(target, count, timeout_s=15.0, hold_s=hold_s)]


def _target(server: LiveServer, token: str, user: str = "probe-agent", password: str = PASSWORD) -> ProbeTarget:
    return ProbeTarget(server.base_url, server.base_url, token, user, password)


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


async def test_a_wrong_password_is_a_readable_failure(live_server: LiveServer) -> None:
    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("probe-agent", PASSWORD)

    [result] = await _probe(_target(live_server, token, password="not-the-password"), count=1)

    assert not result.ok
    assert result.error is not None and "wrong user name or password" in result.error
    assert "Traceback" not in result.error


async def test_a_revoked_or_wrong_booth_token_is_a_readable_failure(live_server: LiveServer) -> None:
    await live_server.add_booth()
    await live_server.add_agent("probe-agent", PASSWORD)

    [result] = await _probe(_target(live_server, "no-such-token"), count=1)

    assert not result.ok
    assert result.error is not None and "refused the /booth connection" in result.error
    assert "unauthorized" in result.error
    assert result.consultation_id is None


async def test_the_probe_agent_declines_a_real_residents_offer_and_takes_only_its_own(
    live_server: LiveServer,
) -> None:
    _, resident_token, _ = await live_server.add_booth("郵便局ブース")
    _, probe_token, _ = await live_server.add_booth("プローブ用ブース")
    await live_server.add_agent("probe-agent", PASSWORD)
    resident = BoothPeer(live_server.base_url)
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


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], dict[str, Any]]]:
    """``madoguchi serve`` in a subprocess with a booth and an agent made by the CLI (shared by this module)."""
    data_dir = tmp_path_factory.mktemp("served") / "data"
    env = {**os.environ, "MADOGUCHI_DATA_DIR": str(data_dir), "MADOGUCHI_LOG_LEVEL": "WARNING"}
    for name in ("MADOGUCHI_DATABASE_URL", "MADOGUCHI_REDIS_URL"):
        env.pop(name, None)
    _run(["municipality", "add", "probeville", "--name-ja", "プローブ町", "--name-en", "Probeville"], env)
    booth = json.loads(_run(["booth", "add", "プローブ用ブース", "--json"], env))
    _run(["user", "add", "probe-agent", "--role", "agent", "--password-stdin", "--routes", "all"], env, PASSWORD)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [MADOGUCHI, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, "madoguchi serve exited early"
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            assert time.monotonic() < deadline, "madoguchi serve did not become healthy in 30 s"
            time.sleep(0.1)
        yield base_url, env, booth
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def _probe_cli(base_url: str, token: str, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    args = [MADOGUCHI, "probe", "--server", base_url, "--booth-token", token]
    args += ["--agent-user", "probe-agent", "--agent-password", PASSWORD, *extra]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=90, check=False)


def test_probe_cli_runs_calls_against_a_served_process_and_prints_json_lines(
    served: tuple[str, dict[str, str], dict[str, Any]],
) -> None:
    base_url, env, booth = served

    done = _probe_cli(base_url, booth["token"], env, "--count", "2", "--json", "--compare-direct")

    assert done.returncode == 0, done.stdout + done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 2
    for line in lines:
        assert line["ok"] is True and line["error"] is None
        assert {"signaling_ms", "connected_ms", "first_frame_ms", "frames_received"} <= set(line)
        assert line["first_frame_ms"] > line["connected_ms"] > line["signaling_ms"] > 0
        assert line["frames_received"]["agent"]["video"] > 0 and line["frames_received"]["booth"]["audio"] > 0
        assert line["direct"]["first_frame_ms"] > line["direct"]["connected_ms"] > 0  # the paired local call

    exported = _run(["records", "export", "--format", "jsonl"], env)
    rows = {row["consultation_id"]: row for row in map(json.loads, exported.splitlines())}
    for line in lines:
        assert rows[line["consultation_id"]]["disposition"] == "resolved"


def test_probe_cli_exits_non_zero_with_a_plain_message_when_credentials_are_wrong(
    served: tuple[str, dict[str, str], dict[str, Any]],
) -> None:
    base_url, env, _ = served

    done = _probe_cli(base_url, "wrong-token", env, "--json")

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
