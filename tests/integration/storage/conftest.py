"""CLI tests: the real ``madoguchi`` executable as a subprocess, on SQLite and on PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from madoguchi.admin import register
from madoguchi.settings import Settings
from madoguchi.storage.testing import Backend, temporary_database_url

MADOGUCHI = Path(sys.executable).with_name("madoguchi")
CLI_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class CliResult:
    status: int
    stdout: str
    stderr: str
    raw_stdout: bytes


Cli = Callable[..., Awaitable[CliResult]]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    backend: Backend = request.param
    async with temporary_database_url(backend, tmp_path) as url:
        yield url


def cli_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")}
    env["MADOGUCHI_DATA_DIR"] = str(data_dir)
    if database_url is not None:
        env["MADOGUCHI_DATABASE_URL"] = database_url
    env["PYTHONIOENCODING"] = "utf-8"
    return env


async def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> CliResult:
    process = await asyncio.create_subprocess_exec(
        str(MADOGUCHI),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(
            process.communicate(None if stdin is None else stdin.encode("utf-8")), CLI_TIMEOUT_S
        )
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return CliResult(process.returncode, out.decode("utf-8"), err.decode("utf-8"), out)


@pytest.fixture
def cli(tmp_path: Path, database_url: str) -> Cli:
    """Run ``madoguchi ARGS...`` against this test's database; ``stdin=`` feeds its standard input."""
    env = cli_env(tmp_path / "data", database_url)

    async def run(*args: str, stdin: str | None = None) -> CliResult:
        return await run_cli(env, *args, stdin=stdin)

    return run


@pytest.fixture
def admin(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The same commands in this process (no interpreter start-up): for the many refusal cases."""
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)

    async def run(*args: str, stdin: str | None = None) -> CliResult:
        parser = argparse.ArgumentParser(prog="madoguchi")
        register(parser.add_subparsers(dest="command", required=True))
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
        err = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                namespace = parser.parse_args(args)
                status = await namespace.handler(namespace, settings)
            except SystemExit as exit_:
                status = int(exit_.code or 0)
            out.flush()
        raw = out.buffer.getvalue()
        return CliResult(status, raw.decode("utf-8", errors="replace"), err.getvalue(), raw)  # xlsx is binary

    return run


def assert_user_error(result: CliResult, *fragments: str) -> None:
    """Exit status 2, exactly one line on stderr naming the problem, no traceback, nothing on stdout."""
    assert result.status == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("madoguchi: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert result.stdout == ""


async def add_town(database_url: str, municipality_id: str = "shiomi") -> None:
    """A municipality with one post-office place ``<id>-post``, written through the storage API."""
    from madoguchi.storage.db import open_database
    from madoguchi.storage.municipalities import Municipalities

    db = await open_database(database_url)
    try:
        municipalities = Municipalities(db)
        await municipalities.add_municipality(municipality_id, name_ja="汐見町", name_en="Shiomi Town")
        await municipalities.add_place(
            f"{municipality_id}-post", municipality_id=municipality_id, name="汐見郵便局", kind="post_office"
        )
    finally:
        await db.close()
