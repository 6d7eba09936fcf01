"""A login flood is refused at once instead of queueing password hashes (session 13, attack F1), and ``POST
/api/login`` refuses another site's page (F4): on the real server with a real HTTP client.

The places in flight and the password threads' line are filled by the test itself (holding places, setting the
line's length to none), so nothing here depends on how fast a hash is.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from madoguchi import keys
from madoguchi.agent_console.login_guard import IN_FLIGHT_PER_ACCOUNT, IN_FLIGHT_PER_ADDRESS, LOGIN_GUARD
from madoguchi.media.connection import PeerError, login_agent
from tests.integration.test_login_throttle import PASSWORD, Login, api_login, get_form
from tests.support import LiveServer, make_settings, serve


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(make_settings(tmp_path, trusted_proxies=["127.0.0.1"])) as live:
        await live.add_agent("sato", PASSWORD)
        yield live


async def login_from(base_url: str, origin: str | None) -> tuple[int, Any, bool]:
    headers = {"Origin": origin} if origin is not None else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base_url}/api/login", json={"username": "sato", "password": PASSWORD}, headers=headers) as resp,
    ):
        return resp.status, await resp.json(), "madoguchi_session" in resp.cookies


async def test_an_address_with_its_attempts_in_flight_is_told_to_retry_without_a_hash(server: LiveServer) -> None:
    guard = server.app[LOGIN_GUARD]
    work = server.app[keys.PASSWORD_WORK]
    with guard.hold("spray1", "10.7.7.7") as first, guard.hold("spray2", "10.7.7.7") as second:
        assert first and second and IN_FLIGHT_PER_ADDRESS == 2
        refused = await api_login(server.base_url, "sato", PASSWORD, "10.7.7.7")
        assert refused.status == 429 and refused.retry_after == 1
        assert refused.body["error"]["code"] == "too_many_attempts"
        assert "混み合って" in refused.body["error"]["message"] and "try again" in refused.body["error"]["message"]
        assert work.in_line == 0, "refused before any password was checked"
        assert (await api_login(server.base_url, "sato", PASSWORD, "10.8.8.8")).status == 200, "other addresses go on"
    assert (await api_login(server.base_url, "sato", PASSWORD, "10.7.7.7")).status == 200, "a place freed is free"


async def test_an_account_with_its_attempts_in_flight_is_told_to_retry(server: LiveServer) -> None:
    guard = server.app[LOGIN_GUARD]
    with guard.hold("SATO", "10.1.0.1") as first, guard.hold("sato ", "10.1.0.2") as second:
        assert first and second and IN_FLIGHT_PER_ACCOUNT == 2
        assert (await api_login(server.base_url, "sato", PASSWORD, "10.1.0.3")).status == 429
        assert (await api_login(server.base_url, "other", "x" * 8, "10.1.0.3")).status == 401, "other accounts go on"
    assert (await api_login(server.base_url, "sato", PASSWORD, "10.1.0.3")).status == 200


async def test_a_full_password_line_answers_busy_at_once_with_retry_after(server: LiveServer) -> None:
    work = server.app[keys.PASSWORD_WORK]
    limit, work.limit = work.limit, 0  # every worker busy and the line full
    try:
        busy: Login = await api_login(server.base_url, "sato", PASSWORD, "10.2.0.1")
        assert busy.status == 503 and busy.retry_after == 2
        assert busy.body["error"]["code"] == "busy" and "混み合って" in busy.body["error"]["message"]

        form = await get_form(server.base_url)
        data = {"username": "sato", "password": PASSWORD, "csrf_token": form.nonce}
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{server.base_url}/login",
                data=data,
                headers={"Cookie": f"madoguchi_login_csrf={form.cookie}", "X-Forwarded-For": "10.2.0.2"},
                allow_redirects=False,
            ) as resp,
        ):
            page = await resp.text()
            assert resp.status == 503 and resp.headers["Retry-After"] == "2"
        assert 'data-i18n="login.error.busy"' in page and re.search(r"2秒 待ってから", page), page
        with pytest.raises(PeerError, match=r"HTTP 503\); try again in 2 s"):  # madoguchi probe's login says so
            await login_agent(server.base_url, "sato", PASSWORD)
    finally:
        work.limit = limit
    # a busy refusal is not a failure: the throttle did not count it, and the next try logs in
    assert (await api_login(server.base_url, "sato", PASSWORD, "10.2.0.1")).status == 200


async def test_api_login_refuses_another_sites_page_and_lets_scripts_and_its_own_page_in(server: LiveServer) -> None:
    status, body, cookie = await login_from(server.base_url, "http://evil.example")
    assert status == 403 and body["error"] == {
        "code": "csrf",
        "message": "ログインはこのサイトのページからだけできます。 Log in from this site's own login page.",
    }
    assert not cookie, "no session for a cross-site login"
    assert (await login_from(server.base_url, "null"))[0] == 403
    host = server.base_url.removeprefix("http://")
    assert (await login_from(server.base_url, f"http://{host}"))[0] == 200, "the site's own page"
    assert (await login_from(server.base_url, None))[0] == 200, "scripts send no Origin"
    assert await login_agent(server.base_url, "sato", PASSWORD), "madoguchi probe's login works as before"
