"""Guessing staff passwords is braked, the brake cannot keep a real user out for long, and login forms cannot be
replayed: on the real server with a real HTTP client.

The app runs on a clock the test can move forward (real time plus an offset), so waits of minutes take none.
Client addresses are told apart with ``X-Forwarded-For`` from a trusted proxy (127.0.0.1, the test client).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from madoguchi import keys
from madoguchi.agent_console import throttle
from madoguchi.storage.audit import AuditLog
from tests.support import LiveServer, make_settings, on_both_topologies, serve

PASSWORD = "correct horse battery"
WRONG = "wrong horse battery"


@dataclass
class Clock:
    offset: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Login:
    status: int
    body: Any
    retry_after: int | None


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def server(tmp_path: Path, clock: Clock) -> AsyncIterator[LiveServer]:
    async with serve(make_settings(tmp_path, trusted_proxies=["127.0.0.1"]), clock=clock) as live:
        await live.add_agent("sato", PASSWORD)
        yield live


async def api_login(base_url: str, username: str, password: str, address: str | None = None) -> Login:
    headers = {"X-Forwarded-For": address} if address else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base_url}/api/login", json={"username": username, "password": password}, headers=headers) as resp,
    ):
        retry = resp.headers.get("Retry-After")
        return Login(resp.status, await resp.json(), int(retry) if retry is not None else None)


async def fail_until_throttled(base_url: str, address: str, clock: Clock, *, username: str = "sato") -> Login:
    """Wrong passwords from ``address``, moving the clock past each wait, until one is refused with 429."""
    for _ in range(100):
        answer = await api_login(base_url, username, WRONG, address)
        if answer.status == 429:
            return answer
        assert answer.status == 401, answer
    raise AssertionError("never throttled")


async def test_wrong_passwords_get_a_growing_wait_and_the_right_one_waits_too(server: LiveServer, clock: Clock) -> None:
    free = throttle.RULES[throttle.Scope.PAIR].free
    for _ in range(free):  # typing mistakes cost nothing
        assert (await api_login(server.base_url, "sato", WRONG, "10.0.0.1")).status == 401
    assert (await api_login(server.base_url, "sato", WRONG, "10.0.0.1")).status == 401  # the first counted one
    waits = []
    for _ in range(5):
        refused = await api_login(server.base_url, "sato", PASSWORD, "10.0.0.1")
        assert refused.status == 429, refused
        assert refused.body["error"]["code"] == "too_many_attempts"
        message = refused.body["error"]["message"]
        assert "ログインの試行が多すぎます" in message and "Too many login attempts" in message
        assert refused.retry_after is not None and f"{refused.retry_after}" in message
        waits.append(refused.retry_after)
        clock.advance(refused.retry_after)
        assert (await api_login(server.base_url, "sato", WRONG, "10.0.0.1")).status == 401
    assert waits == [1, 2, 4, 8, 16], waits
    # the right password is not even checked while waiting, and is accepted once the wait is over
    refused = await api_login(server.base_url, "sato", PASSWORD, "10.0.0.1")
    assert refused.status == 429 and refused.retry_after == 32
    clock.advance(32)
    assert (await api_login(server.base_url, "sato", PASSWORD, "10.0.0.1")).status == 200
    # a success from the address clears its counters: typing mistakes are free again
    for _ in range(free):
        assert (await api_login(server.base_url, "sato", WRONG, "10.0.0.1")).status == 401


async def test_the_wait_is_capped_and_forgotten_after_a_quiet_hour(server: LiveServer, clock: Clock) -> None:
    cap = throttle.RULES[throttle.Scope.PAIR].max_delay_s
    refused = await fail_until_throttled(server.base_url, "10.0.0.2", clock)
    while refused.retry_after is not None and refused.retry_after < cap:
        clock.advance(refused.retry_after)
        assert (await api_login(server.base_url, "sato", WRONG, "10.0.0.2")).status == 401
        refused = await api_login(server.base_url, "sato", WRONG, "10.0.0.2")
        assert refused.status == 429
    assert refused.retry_after == cap
    clock.advance(throttle.FORGET_AFTER_S)
    assert (await api_login(server.base_url, "sato", PASSWORD, "10.0.0.2")).status == 200


async def test_an_attacker_elsewhere_cannot_keep_the_real_user_out_for_long(server: LiveServer, clock: Clock) -> None:
    assert (await api_login(server.base_url, "sato", PASSWORD, "10.1.1.1")).status == 200  # the user's desk
    # an attacker fails on purpose from many addresses, as long as they like
    for attempt in range(60):
        answer = await api_login(server.base_url, "sato", WRONG, f"10.9.{attempt // 200}.{attempt % 200}")
        if answer.status == 429:
            assert answer.retry_after is not None
            assert answer.retry_after <= throttle.RULES[throttle.Scope.ACCOUNT].max_delay_s
            clock.advance(1)
    # from the desk the user logs in at once; from a new address they wait a minute at most
    assert (await api_login(server.base_url, "sato", PASSWORD, "10.1.1.1")).status == 200
    elsewhere = await api_login(server.base_url, "sato", PASSWORD, "10.2.2.2")
    assert elsewhere.status == 429, elsewhere
    assert elsewhere.retry_after is not None and elsewhere.retry_after <= 60
    clock.advance(elsewhere.retry_after)
    assert (await api_login(server.base_url, "sato", PASSWORD, "10.2.2.2")).status == 200


async def test_one_address_spraying_many_usernames_is_throttled(server: LiveServer, clock: Clock) -> None:
    statuses = [
        (await api_login(server.base_url, f"user{n}", WRONG, "10.3.3.3")).status
        for n in range(throttle.RULES[throttle.Scope.ADDRESS].free + 2)
    ]
    assert statuses[-1] == 429, statuses
    # another address is not affected
    assert (await api_login(server.base_url, "sato", PASSWORD, "10.4.4.4")).status == 200


async def test_x_forwarded_for_from_an_untrusted_peer_does_not_give_a_fresh_address(
    tmp_path: Path, clock: Clock
) -> None:
    async with serve(make_settings(tmp_path), clock=clock) as live:  # no trusted proxies
        await live.add_agent("sato", PASSWORD)
        statuses = [
            (await api_login(live.base_url, "sato", WRONG, f"10.5.5.{n}")).status
            for n in range(throttle.RULES[throttle.Scope.PAIR].free + 2)
        ]
    assert statuses[-1] == 429, statuses


@on_both_topologies
async def test_failures_on_one_process_throttle_every_process(live_server: LiveServer) -> None:
    await live_server.add_agent("sato", PASSWORD)
    for _ in range(throttle.RULES[throttle.Scope.PAIR].free + 1):
        assert (await api_login(live_server.urls[0], "sato", WRONG)).status == 401
    refused = await api_login(live_server.urls[-1], "sato", PASSWORD)
    assert refused.status == 429 and refused.retry_after is not None, refused


# --- the login form ----------------------------------------------------------------------------------------------


@dataclass
class Form:
    nonce: str
    cookie: str


async def get_form(base_url: str) -> Form:
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/login") as resp:
        assert resp.status == 200
        found = re.search(r'name="csrf_token" value="([^"]+)"', await resp.text())
        assert found is not None
        return Form(found.group(1), resp.cookies["madoguchi_login_csrf"].value)


async def post_form(base_url: str, form: Form, password: str) -> tuple[int, str]:
    data = {"username": "sato", "password": password, "csrf_token": form.nonce}
    headers = {"Cookie": f"madoguchi_login_csrf={form.cookie}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base_url}/login", data=data, headers=headers, allow_redirects=False) as resp,
    ):
        return resp.status, await resp.text()


async def test_a_login_form_nonce_works_once(server: LiveServer) -> None:
    form = await get_form(server.base_url)
    status, _ = await post_form(server.base_url, form, WRONG)
    assert status == 401
    status, page = await post_form(server.base_url, form, PASSWORD)  # a replay of the captured pair
    assert status == 400 and 'data-i18n="login.error.expired"' in page
    status, _ = await post_form(server.base_url, await get_form(server.base_url), PASSWORD)
    assert status == 303


async def test_a_login_form_nonce_expires(server: LiveServer, clock: Clock) -> None:
    form = await get_form(server.base_url)
    clock.advance(3 * 3600)
    status, page = await post_form(server.base_url, form, PASSWORD)
    assert status == 400 and 'data-i18n="login.error.expired"' in page
    status, _ = await post_form(server.base_url, await get_form(server.base_url), PASSWORD)
    assert status == 303


async def test_the_login_form_says_how_long_to_wait(server: LiveServer, clock: Clock) -> None:
    await fail_until_throttled(server.base_url, "127.0.0.1", clock)
    status, page = await post_form(server.base_url, await get_form(server.base_url), PASSWORD)
    assert status == 429, page
    assert 'data-i18n="login.error.throttled"' in page
    assert re.search(r"\d+秒 待ってから", page), page


async def test_a_burst_of_simultaneous_guesses_is_refused_before_any_password_is_checked(
    server: LiveServer, clock: Clock
) -> None:
    """Session 9's outside attack: the throttle counts failures after the password was checked, so 80 guesses sent
    at once all passed it and each cost a password hash. Every attempt of an address now counts first."""
    answers = await asyncio.gather(*(api_login(server.base_url, f"user{n}", WRONG, "10.4.4.4") for n in range(80)))
    statuses = sorted(a.status for a in answers)
    burst = server.settings.login_attempts_per_address_per_minute // 2
    assert statuses.count(401) <= burst and statuses.count(429) >= 80 - burst, statuses
    refused = next(a for a in answers if a.status == 429)
    assert refused.body["error"]["code"] == "too_many_attempts" and refused.retry_after is not None
    assert (await api_login(server.base_url, "sato", PASSWORD, "10.5.5.5")).status == 200, "other addresses go on"


# --- trusted devices (session 16, F1): strangers' failures cannot lock the owner's own browser out ---------------


async def device_login(http: aiohttp.ClientSession, base_url: str, password: str, address: str) -> Login:
    """A login from a browser that keeps its cookies (the device cookie among them)."""
    body = {"username": "sato", "password": password}
    async with http.post(f"{base_url}/api/login", json=body, headers={"X-Forwarded-For": address}) as resp:
        retry = resp.headers.get("Retry-After")
        return Login(resp.status, await resp.json(), int(retry) if retry is not None else None)


async def test_strangers_failures_from_many_addresses_do_not_lock_out_a_browser_that_logged_in_before(
    server: LiveServer, clock: Clock
) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as desk:
        assert (await device_login(desk, server.base_url, PASSWORD, "10.1.1.1")).status == 200
        assert any(cookie.key == throttle.DEVICE_COOKIE for cookie in desk.cookie_jar)
        # session 16's attacker: wrong logins from many addresses, one more each time a wait ends, all day long
        for attempt in range(200):
            answer = await api_login(server.base_url, "sato", WRONG, f"10.9.{attempt // 200}.{attempt % 200}")
            if answer.status == 429:
                assert answer.retry_after is not None
                clock.advance(answer.retry_after)
        assert (await api_login(server.base_url, "sato", WRONG, "10.9.9.9")).status == 401  # a wait starts again
        stranger = await api_login(server.base_url, "sato", PASSWORD, "10.2.2.2")
        assert stranger.status == 429, "a browser without a device token is still slowed"
        # the owner's browser gets in at once, from an address it never used (a new Wi-Fi, the phone's network)
        assert (await device_login(desk, server.base_url, PASSWORD, "10.7.7.7")).status == 200
        # its own wrong passwords are held to its own budget, like one address's
        for _ in range(throttle.RULES[throttle.Scope.DEVICE].free + 1):
            assert (await device_login(desk, server.base_url, WRONG, "10.7.7.7")).status == 401
        own = await device_login(desk, server.base_url, PASSWORD, "10.8.8.8")
        assert own.status == 429 and own.retry_after == 1, own
    entries = [e for e in await AuditLog(server.app[keys.DATABASE]).recent(500) if e.action == "login.locked"]
    scopes = {(e.actor, e.detail["scope"], e.detail["username"]) for e in entries}
    assert ("login-throttle", "account", "sato") in scopes and ("login-throttle", "device", "sato") in scopes
    assert len([e for e in entries if e.detail["scope"] == "account"]) == 1, "one entry per lockout, not per failure"


async def test_a_device_token_is_for_its_own_account_only(server: LiveServer, clock: Clock) -> None:
    await server.add_agent("suzuki", PASSWORD)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        body = {"username": "suzuki", "password": PASSWORD}
        async with http.post(f"{server.base_url}/api/login", json=body) as resp:
            assert resp.status == 200
        for _ in range(throttle.RULES[throttle.Scope.PAIR].free + 1):  # suzuki's token does not vouch for sato
            assert (await device_login(http, server.base_url, WRONG, "10.6.6.6")).status == 401
        assert (await device_login(http, server.base_url, PASSWORD, "10.6.6.6")).status == 429
