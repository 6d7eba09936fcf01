"""Anonymous web chats are counted per browser (the chat page's signed id), under a much higher ceiling per
address (session 11): residents behind one post office's Wi-Fi or one carrier NAT are not refused because three
others chat at once, while one browser, a cookieless script and one address stay bounded."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from madoguchi import keys
from madoguchi.resident_chat.browser_id import COOKIE
from tests.support import LiveServer, Peer, make_settings, on_both_topologies, serve

PROXY = ["127.0.0.1"]
SHARED = "203.0.113.5"  # one post office's Wi-Fi


async def browser_id(http: aiohttp.ClientSession, url: str, address: str) -> str:
    """What the chat page gives a new browser."""
    async with http.get(f"{url}/chat", headers={"X-Forwarded-For": address}) as resp:
        assert resp.status == 200
        cookie = resp.cookies[COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
        return cookie.value


@contextlib.asynccontextmanager
async def residents() -> AsyncIterator[list[Peer]]:
    peers: list[Peer] = []
    try:
        yield peers
    finally:
        for peer in peers:
            await peer.close()


async def chat(url: str, address: str, browser: str | None, peers: list[Peer], n: int) -> dict[str, Any]:
    """A resident connects from ``address`` with ``browser``'s id (none: a script) and starts a chat."""
    peer = Peer(url, "/resident")
    headers = {"X-Forwarded-For": address}
    if browser is not None:
        headers["Cookie"] = f"{COOKIE}={browser}"
    await peer.connect(headers=headers)
    peers.append(peer)
    ack: dict[str, Any] = await peer.call("chat.send", {"text": "住民票の 写しが ほしい", "client_id": f"c-{n}"})
    return ack


async def test_residents_behind_one_address_each_chat_and_each_browser_is_bounded(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_proxies=PROXY, resident_open_per_address=8)
    assert settings.resident_open_per_browser == 3
    async with serve(settings) as live, aiohttp.ClientSession() as http, residents() as peers:
        url = live.base_url
        browsers = [await browser_id(http, url, SHARED) for _ in range(6)]
        assert len(set(browsers)) == 6

        # five residents on one Wi-Fi, each in their own browser: all five chat (before: the fourth was refused)
        acks = [await chat(url, SHARED, b, peers, n) for n, b in enumerate(browsers[:5])]
        assert all("error" not in ack for ack in acks), acks

        # one browser (three tabs) holds three chats at most
        same = [await chat(url, SHARED, browsers[0], peers, 10 + n) for n in range(3)]
        assert ["error" in ack for ack in same] == [False, False, True]
        assert same[2]["error"]["code"] == "source_limit" and "browser" in same[2]["error"]["message"]

        # the address's ceiling (8 here) holds whatever the browsers: 7 open, the 8th in, the 9th refused
        assert "error" not in await chat(url, SHARED, browsers[5], peers, 20)
        over = await chat(url, SHARED, await browser_id(http, url, SHARED), peers, 21)
        assert over["error"]["code"] == "source_limit" and "connection" in over["error"]["message"]

        # without a valid id (a script, cookies off, a forged one) the address counts as one browser: three
        forged = "A" * 22 + "." + "0" * 32
        other = "198.51.100.7"
        scripted = [await chat(url, other, None, peers, 30 + n) for n in range(2)]
        scripted.append(await chat(url, other, forged, peers, 32))
        scripted.append(await chat(url, other, None, peers, 33))
        assert ["error" in ack for ack in scripted] == [False, False, False, True]
        assert scripted[3]["error"]["code"] == "source_limit"


async def test_a_browser_keeps_its_id(tmp_path: Path) -> None:
    async with serve(make_settings(tmp_path)) as live, aiohttp.ClientSession() as http:
        first = await browser_id(http, live.base_url, "192.0.2.1")
        http.cookie_jar.update_cookies({COOKIE: first})
        async with http.get(f"{live.base_url}/chat") as resp:
            assert COOKIE not in resp.cookies  # a valid id is not replaced


@on_both_topologies
async def test_one_address_gets_a_bounded_number_of_new_browser_ids(live_server: LiveServer) -> None:
    """Reviewer, session 11: a script fetched ``GET /chat`` for a fresh id as often as it liked, so the address
    ceiling (30 open) was the real limit, tenfold the old 3, and seven addresses filled a town's 200 chats. One
    address now gets 20 new ids an hour (shared by the processes: the page is asked of both in turn); past that the
    page sets no cookie and the script's chats count as its address, three at most. Before: 25 ids of 25."""
    per_hour = live_server.settings.resident_browser_ids_per_address_per_hour
    assert per_hour == 20
    urls = [live_server.booth_url, live_server.agent_url]
    given: list[str] = []
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        for n in range(per_hour + 5):  # bounded: five past the allowance
            async with http.get(f"{urls[n % 2]}/chat") as resp:
                assert resp.status == 200  # the page itself is never refused
                if COOKIE in resp.cookies:
                    given.append(resp.cookies[COOKIE].value)
    assert len(given) == per_hour and len(set(given)) == per_hour
    address = "127.0.0.1"  # no trusted proxy here: every request comes from the test's own address
    async with residents() as peers:
        # a browser given an id before keeps using it; one that got none is counted as the address: three chats
        assert "error" not in await chat(live_server.booth_url, address, given[0], peers, 0)
        scripted = [await chat(live_server.booth_url, address, None, peers, 1 + n) for n in range(4)]
        assert ["error" in ack for ack in scripted] == [False, False, False, True], scripted
        assert scripted[3]["error"]["code"] == "source_limit"


async def test_the_live_state_keeps_no_browser_id(tmp_path: Path) -> None:
    """Session 12: the live state (Redis in a deployment) held each chat's browser id as the cookie carries it, so a
    copy of it matched chats to browsers' cookies. Now a keyed hash of it, the same for one browser's chats."""
    settings = make_settings(tmp_path, trusted_proxies=PROXY)
    async with serve(settings) as live, aiohttp.ClientSession() as http, residents() as peers:
        cookie = await browser_id(http, live.base_url, SHARED)
        acks = [await chat(live.base_url, SHARED, cookie, peers, n) for n in range(2)]
        counter = await live.app[keys.COUNTER]._store.read()
        stored = {counter.state.consultations[ack["consultation_id"]].browser for ack in acks}
        (browser,) = stored  # one browser, counted as one
        assert browser is not None and len(browser) == 32
        assert browser not in cookie and cookie.split(".")[0] not in browser
        assert not any(cookie.split(".")[0] in key for key in counter.state.source_opens)
