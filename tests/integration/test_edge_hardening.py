"""Smaller edges: nested JSON is a 400, the data dir is private, an insecure ``serve`` says so, the
metrics endpoints can require a token, and a slow-header client is cut off. On the real server (in-process or a
``madoguchi serve`` process)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from madoguchi import keys
from madoguchi.server_commands import app_runner
from madoguchi.storage.seed import CREDENTIALS_FILE, seed_demo
from tests.support import http_get, make_settings, serve, serve_process

METRICS_TOKEN = "metrics-token-for-tests-0123456789"
COOKIE_WARNING = "without MADOGUCHI_COOKIE_SECURE=true"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most servers run with (group and others may read): what made the files world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


# --- JSON --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[" * 30000 + "]" * 30000,
        '{"a":' * 10000 + "1" + "}" * 10000,
        '{"username": ' + "[" * 20000 + "]" * 20000 + ', "password": "x"}',
    ],
    ids=["lists", "objects", "inside-a-field"],
)
async def test_deeply_nested_json_is_a_400_with_a_message(tmp_path: Path, body: str) -> None:
    async with serve(make_settings(tmp_path)) as server, aiohttp.ClientSession() as http:
        headers = {"Content-Type": "application/json"}
        async with http.post(f"{server.base_url}/api/login", data=body, headers=headers) as resp:
            assert resp.status == 400, await resp.text()
            answer = await resp.json()
        assert answer["error"]["code"] == "invalid_payload"
        assert "nested too deeply" in answer["error"]["message"]
        assert (await http_get(f"{server.base_url}/healthz"))[0] == 200


async def test_a_body_that_is_not_json_or_not_utf8_is_a_400(tmp_path: Path) -> None:
    async with serve(make_settings(tmp_path)) as server, aiohttp.ClientSession() as http:
        for body, content_type, expected in (
            (b'{"username": "a"', "application/json", "not valid JSON"),
            (b"\xff\xfe{}", "application/json", "not UTF-8"),
            (b"username=a", "application/x-www-form-urlencoded", "Content-Type: application/json"),
        ):
            async with http.post(
                f"{server.base_url}/api/login", data=body, headers={"Content-Type": content_type}
            ) as resp:
                assert resp.status == 400
                assert expected in (await resp.json())["error"]["message"]
        # over MADOGUCHI_MAX_PAYLOAD_BYTES: the same JSON shape, not aiohttp's plain text (session 8)
        body = ('{"username": "' + "a" * 100_000 + '", "password": "x"}').encode()
        async with http.post(
            f"{server.base_url}/api/login", data=body, headers={"Content-Type": "application/json"}
        ) as resp:
            assert resp.status == 413
            answer = await resp.json()
        assert answer["error"]["code"] == "payload_too_large" and "bytes" in answer["error"]["message"]


async def test_every_api_path_answers_an_oversize_body_with_the_json_error(tmp_path: Path) -> None:
    """Session 21: ``POST /api/bookings`` answered a body over the limit with aiohttp's plain text; every /api/ path
    answers with ``{"error": {"code", "message"}}`` (one middleware), whatever reads the body."""
    async with serve(make_settings(tmp_path)) as server, aiohttp.ClientSession() as http:
        body = ('{"note": "' + "a" * 100_000 + '"}').encode()
        for method, path in (
            ("POST", "/api/bookings"),
            ("POST", "/api/bookings/ABCD-1234/move"),
            ("POST", "/api/login"),
        ):
            async with http.request(
                method, f"{server.base_url}{path}", data=body, headers={"Content-Type": "application/json"}
            ) as resp:
                assert resp.status == 413, (path, await resp.text())
                assert resp.content_type == "application/json", (path, await resp.text())
                answer = await resp.json()
            assert answer["error"]["code"] == "payload_too_large", path
            assert str(server.settings.max_payload_bytes) in answer["error"]["message"], path


# --- files -------------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("usual_umask")
async def test_the_data_dir_and_database_files_are_the_owners_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "srv" / "madoguchi"
    async with serve(make_settings(data_dir)) as server:
        await server.add_agent("sato", "correct horse battery")  # a write: the WAL file exists now
        database = data_dir / "madoguchi.db"
        files = [database, data_dir / "madoguchi.db-wal", data_dir / "madoguchi.db-shm"]
        assert all(f.exists() for f in files), sorted(p.name for p in data_dir.iterdir())
        assert {f.name: oct(mode(f)) for f in files} == {f.name: oct(0o600) for f in files}
        assert mode(data_dir) == 0o700 and mode(data_dir.parent) == 0o700
        credentials = data_dir / "demo" / CREDENTIALS_FILE
        await seed_demo(server.app[keys.DATABASE], credentials.parent)
        assert mode(credentials) == 0o600 and mode(credentials.parent) == 0o700
        assert not [p for p in credentials.parent.iterdir() if p != credentials]  # no readable temp file left


@pytest.mark.usefixtures("usual_umask")
async def test_an_existing_data_dir_keeps_the_mode_its_operator_gave_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o750)
    data_dir.chmod(0o750)
    async with serve(make_settings(data_dir)):
        assert mode(data_dir) == 0o750
        assert mode(data_dir / "madoguchi.db") == 0o600


# --- serve warns about cookies sent in clear --------------------------------------------------------------------


async def test_serve_warns_when_cookies_would_travel_in_clear(tmp_path: Path) -> None:
    async def served_log(name: str, host: str, secure: bool) -> str:
        env = {"MADOGUCHI_COOKIE_SECURE": "true"} if secure else {}
        async with serve_process(tmp_path / name, "--host", host, env=env) as served:
            async with aiohttp.ClientSession() as http, http.get(f"{served.url}/healthz") as resp:
                assert resp.status == 200
            return served.log()

    everywhere, secure, loopback = await asyncio.gather(
        served_log("everywhere", "0.0.0.0", secure=False),
        served_log("secure", "0.0.0.0", secure=True),
        served_log("loopback", "127.0.0.1", secure=False),
    )
    assert COOKIE_WARNING in everywhere and "WARNING" in everywhere, everywhere
    assert COOKIE_WARNING not in secure, secure
    assert COOKIE_WARNING not in loopback, loopback


# --- metrics and readiness behind a token ------------------------------------------------------------------------


async def test_metrics_and_readiness_can_require_a_token(tmp_path: Path) -> None:
    async with serve(make_settings(tmp_path, metrics_token=METRICS_TOKEN)) as server, aiohttp.ClientSession() as http:
        for path in ("/metrics", "/readyz"):
            for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": METRICS_TOKEN}):
                async with http.get(f"{server.base_url}{path}", headers=headers) as resp:
                    assert resp.status == 401, (path, headers)
                    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
                    assert (await resp.json())["error"]["code"] == "unauthorized"
            async with http.get(
                f"{server.base_url}{path}", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            ) as resp:
                assert resp.status == 200, path
                text = await resp.text()
            assert ("madoguchi_socket_connections" in text) if path == "/metrics" else json.loads(text)["status"]
        async with http.get(f"{server.base_url}/healthz") as resp:  # load balancers need no token
            assert resp.status == 200


async def test_without_a_token_metrics_and_readiness_are_open_to_loopback_only(tmp_path: Path) -> None:
    """Session 16 (F9): /metrics answered anyone. Clients elsewhere (here: named by a trusted proxy on loopback)
    are refused unless MADOGUCHI_METRICS_NETWORKS lets their network in."""
    async with serve(make_settings(tmp_path, trusted_proxies=["127.0.0.1"])) as server, aiohttp.ClientSession() as http:
        for path in ("/metrics", "/readyz", "/healthz"):
            assert (await http_get(f"{server.base_url}{path}"))[0] == 200
        for path in ("/metrics", "/readyz"):
            async with http.get(f"{server.base_url}{path}", headers={"X-Forwarded-For": "203.0.113.5"}) as resp:
                assert resp.status == 403 and (await resp.json())["error"]["code"] == "forbidden", path
        async with http.get(f"{server.base_url}/healthz", headers={"X-Forwarded-For": "203.0.113.5"}) as resp:
            assert resp.status == 200
    settings = make_settings(tmp_path, trusted_proxies=["127.0.0.1"], metrics_networks=["203.0.113.0/24"])
    async with (
        serve(settings) as server,
        aiohttp.ClientSession() as http,
        http.get(f"{server.base_url}/metrics", headers={"X-Forwarded-For": "203.0.113.5"}) as resp,
    ):
        assert resp.status == 200


def test_a_short_metrics_token_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        make_settings(Path("data"), metrics_token="short")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_metrics_and_readiness_can_have_a_listener_of_their_own(tmp_path: Path) -> None:
    metrics_port = free_port()
    env = {"MADOGUCHI_METRICS_PORT": str(metrics_port), "MADOGUCHI_METRICS_TOKEN": METRICS_TOKEN}
    async with serve_process(tmp_path / "data", env=env) as served:
        metrics_url = f"http://127.0.0.1:{metrics_port}"
        deadline = asyncio.get_running_loop().time() + 30
        while f"madoguchi metrics on http://127.0.0.1:{metrics_port}" not in served.log():
            assert asyncio.get_running_loop().time() < deadline, served.log()
            await asyncio.sleep(0.1)
        bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        async with aiohttp.ClientSession() as http:
            for path in ("/metrics", "/readyz"):
                async with http.get(f"{served.url}{path}", headers=bearer) as resp:
                    assert resp.status == 404, path  # not on the public port
                async with http.get(f"{metrics_url}{path}", headers=bearer) as resp:
                    assert resp.status == 200, path
                async with http.get(f"{metrics_url}{path}") as resp:
                    assert resp.status == 401, path  # the token still applies there
            for url in (served.url, metrics_url):
                async with http.get(f"{url}/healthz") as resp:
                    assert resp.status == 200, url
            async with http.get(f"{metrics_url}/login") as resp:
                assert resp.status == 404  # nothing else is served there


# --- slow-header clients ----------------------------------------------------------------------------------------


async def test_a_client_trickling_headers_is_cut_off_at_the_header_timeout(tmp_path: Path) -> None:
    """``serve``'s runner (``app_runner``) closes a connection whose headers are not all in within
    ``http_header_timeout_s``, however steadily it trickles them; a whole request on time is answered."""

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = app_runner(app, make_settings(tmp_path, http_header_timeout_s=1.0))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.monotonic()
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
        closed_after = None
        for n in range(40):  # up to 4 s of one header line every 0.1 s
            with contextlib.suppress(TimeoutError):
                if await asyncio.wait_for(reader.read(1), 0.1) == b"":
                    closed_after = time.monotonic() - started
                    break
            writer.write(b"X-Slow-%d: 1\r\n" % n)
        writer.close()
        assert closed_after is not None and 0.9 <= closed_after < 3.0, closed_after
        assert (await http_get(f"http://127.0.0.1:{port}/"))[0] == 200
    finally:
        await runner.cleanup()
