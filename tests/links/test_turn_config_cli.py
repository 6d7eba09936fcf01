"""``madoguchi turn config`` as a process: the file coturn reads, from the environment Madoguchi reads."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.links

MADOGUCHI = str(Path(sys.executable).with_name("madoguchi"))
URLS = '["turn:turn.shiomi.lg.jp:3478?transport=udp","turn:turn.shiomi.lg.jp:3478?transport=tcp"]'


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")} | env
    return subprocess.run(
        [MADOGUCHI, "turn", "config", *args], env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_file_is_written_private_with_the_secret_and_ports_from_the_settings(tmp_path: Path) -> None:
    out = tmp_path / "turnserver.conf"
    done = _run(
        ["--allow-peer", "10.20.0.0/16", "--output", str(out)],
        MADOGUCHI_TURN_URLS=URLS,
        MADOGUCHI_TURN_SECRET="0123456789abcdef-town-secret",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    lines = out.read_text().splitlines()
    assert "static-auth-secret=0123456789abcdef-town-secret" in lines
    assert "listening-port=3478" in lines
    assert "allowed-peer-ip=10.20.0.0-10.20.255.255" in lines


def test_without_a_secret_it_says_so_and_exits_2() -> None:
    done = _run([], MADOGUCHI_TURN_URLS=URLS)
    assert done.returncode == 2
    assert "MADOGUCHI_TURN_SECRET is not set" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
