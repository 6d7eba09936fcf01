"""Form bodies at the edge: one declared in a charset the server does not know, or whose bytes are not UTF-8, is a
400 with a message (never a 500 with a traceback in the log), and a multipart body is a 415 on every path, since no
endpoint takes one and it skipped the text rule.

Session 12's attacker: ``Content-Type: application/x-www-form-urlencoded; charset=foo`` on ``POST /api/bookings``,
``/login`` and ``/logout`` was ``LookupError: unknown encoding: foo`` and 1.3 KB of traceback per request; a multipart
``/login`` with ``username=agent1\\x00x`` reached ``accounts.authenticate`` and PostgreSQL refused the NUL (a 500).
Both backends: SQLite would have let the NUL pass, PostgreSQL made it a 500.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from madoguchi.storage.testing import temporary_database_url
from tests.support import LiveServer, login_cookie, make_settings, serve

PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with (
        temporary_database_url(request.param, tmp_path) as url,
        serve(make_settings(tmp_path, database_url=url)) as live,
    ):
        await live.add_agent("agent1", PASSWORD)
        yield live


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The records at ERROR or above (a handler's traceback is one), filled as the test runs."""
    caplog.set_level(logging.INFO)
    return caplog.records


def no_errors_logged(records: list[logging.LogRecord]) -> None:
    bad = [r for r in records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


async def login_form(base_url: str) -> tuple[str, str]:
    """(csrf nonce, its cookie) of a fresh login page."""
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/login") as resp:
        found = re.search(r'name="csrf_token" value="([^"]+)"', await resp.text())
        assert found is not None
        return found.group(1), resp.cookies["madoguchi_login_csrf"].value


async def post(base_url: str, path: str, body: bytes, content_type: str, cookie: str = "") -> tuple[int, str]:
    headers = {"Content-Type": content_type}
    if cookie:
        headers["Cookie"] = cookie
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base_url}{path}", data=body, headers=headers, allow_redirects=False) as resp,
    ):
        return resp.status, await resp.text()


@pytest.mark.parametrize("path", ["/api/bookings", "/login", "/logout", "/api/login", "/api/staff/bookings"])
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded; charset=foo", b"a=b"),
        ("application/x-www-form-urlencoded; charset=latin-1", b"username=agent1%00&password=x"),
        ("application/x-www-form-urlencoded", b"username=\xff\xfe&password=x"),
    ],
    ids=["unknown-charset", "another-charset", "not-utf-8-bytes"],
)
async def test_a_form_that_cannot_be_read_as_utf_8_is_a_400_with_a_message_and_no_traceback(
    server: LiveServer, errors: list[logging.LogRecord], path: str, content_type: str, body: bytes
) -> None:
    status, text = await post(server.base_url, path, body, content_type)
    assert status == 400, text
    assert "UTF-8" in text, text
    no_errors_logged(errors)


async def test_a_signed_in_logout_with_a_form_in_an_unknown_charset_is_a_400_and_the_session_stays(
    server: LiveServer, errors: list[logging.LogRecord]
) -> None:
    cookie = await login_cookie(server.base_url, "agent1", PASSWORD)
    session = f"madoguchi_session={cookie}"
    status, text = await post(
        server.base_url, "/logout", b"csrf_token=x", "application/x-www-form-urlencoded; charset=foo", session
    )
    assert status == 400 and "UTF-8" in text, text
    no_errors_logged(errors)
    async with (
        aiohttp.ClientSession(cookies={"madoguchi_session": cookie}) as http,
        http.get(f"{server.base_url}/console", allow_redirects=False) as resp,
    ):
        assert resp.status == 200  # still signed in: nothing was read past the refusal


BOUNDARY = "edge10boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*parts: tuple[str, bytes, str]) -> bytes:
    """A multipart/form-data body of (name, bytes, part headers) written out by hand, so a part's bytes and its
    declared charset are exactly what the attacker sent (aiohttp's FormData encodes a str itself)."""
    out = b""
    for name, value, headers in parts:
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{headers}\r\n\r\n'.encode()
        out += value + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def multipart_login(nonce: str, username: str, part_type: str) -> bytes:
    return multipart(
        ("csrf_token", nonce.encode(), ""),
        ("username", username.encode(), f"\r\nContent-Type: {part_type}"),
        ("password", PASSWORD.encode(), ""),
        ("file", b"\x00\x01", '; filename="a.bin"\r\nContent-Type: application/octet-stream'),
    )


@pytest.mark.parametrize(
    ("username", "part_type"),
    [
        ("agent1\x00x", "text/plain; charset=utf-8"),
        ("agent1\x1bx", "text/plain; charset=utf-8"),
        ("agent1", "text/plain; charset=foo"),
        ("agent1", "text/plain; charset=utf-8"),
    ],
    ids=["nul", "escape", "unknown-part-charset", "clean"],
)
async def test_a_multipart_login_is_a_415_before_anything_reads_it(
    server: LiveServer, errors: list[logging.LogRecord], username: str, part_type: str
) -> None:
    nonce, csrf_cookie = await login_form(server.base_url)
    body = multipart_login(nonce, username, part_type)
    status, text = await post(server.base_url, "/login", body, MULTIPART, f"madoguchi_login_csrf={csrf_cookie}")
    assert status == 415, text
    assert "multipart" in text and "application/x-www-form-urlencoded" in text, text
    assert username not in text  # nothing of the form comes back
    no_errors_logged(errors)
    # the nonce was not spent and the account not counted against: the same form as a plain form signs in
    status, text = await post(
        server.base_url,
        "/login",
        f"csrf_token={nonce}&username=agent1&password={PASSWORD.replace(' ', '+')}".encode(),
        "application/x-www-form-urlencoded",
        f"madoguchi_login_csrf={csrf_cookie}",
    )
    assert status == 303, text


@pytest.mark.parametrize("path", ["/api/bookings", "/logout", "/api/login"])
async def test_multipart_is_a_415_on_every_path(server: LiveServer, errors: list[logging.LogRecord], path: str) -> None:
    body = multipart(("a", b"b\x00", "\r\nContent-Type: text/plain; charset=foo"))
    status, text = await post(server.base_url, path, body, MULTIPART)
    assert status == 415, text
    if path.startswith("/api/"):
        answer: Any = json.loads(text)
        assert answer["error"]["code"] == "unsupported_media_type"
    no_errors_logged(errors)


async def test_a_plain_utf_8_form_in_any_spelling_still_signs_in(server: LiveServer) -> None:
    for charset in ("", "; charset=utf-8", "; charset=UTF8"):
        nonce, csrf_cookie = await login_form(server.base_url)
        body = f"csrf_token={nonce}&username=agent1&password={PASSWORD.replace(' ', '+')}".encode()
        status, text = await post(
            server.base_url,
            "/login",
            body,
            f"application/x-www-form-urlencoded{charset}",
            f"madoguchi_login_csrf={csrf_cookie}",
        )
        assert status == 303, (charset, text)
