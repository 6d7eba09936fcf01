"""A kiosk whose connection attempt hangs tries again soon instead of keeping its start button grey (issue #12, CI
stop 18: 「相談をはじめる」 stayed disabled for 20 s because the /booth socket never reached ``connect``).

Two ways an attempt hangs, one after the other, each on the kiosk's real WebSocket (Playwright's WebSocket
routing; the third attempt goes through untouched): the first is never answered at all (a handshake lost on the
way: Socket.IO's own limit was 20 s), the second reaches the server but the /booth namespace's answer never comes
back (Socket.IO has no limit for that: the kiosk waited for good). The limit per attempt is the server's
``page_connect_timeout_s`` setting (8 s in production, ``CONNECT_TIMEOUT_MS`` in net.js when a page does not say),
which the page carries as ``data-connect-timeout-ms``; this test sets 2 s, so the kiosk is ready within about
2 + 2 s, socket.io's back-offs (~1 s, ~2 s) and its third attempt, where the production limit would take ~19 s.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Route, WebSocketRoute, expect

from tests.browser.chromium import new_page
from tests.support import LiveServer, make_settings, serve

pytestmark = pytest.mark.browser

CONNECT_TIMEOUT_S = 2.0
# two abandoned attempts, socket.io's back-offs (1 s and 2 s, each up to 1.5x), the third (was: for good)
READY_WITHIN_S = 2 * CONNECT_TIMEOUT_S + 1.5 + 3.0 + 3.0


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(make_settings(tmp_path, page_connect_timeout_s=CONNECT_TIMEOUT_S)) as live:
        yield live


async def test_a_kiosk_whose_connection_attempts_hang_tries_again_and_gets_ready(
    server: LiveServer, browser: Browser
) -> None:
    _, _, kiosk_path = await server.add_booth("汐見郵便局ブース")
    context, kiosk, problems = await new_page(browser, {"width": 1080, "height": 1920})
    attempts: list[str] = []

    async def hang(ws: WebSocketRoute) -> None:
        attempts.append(ws.url)
        if len(attempts) == 1:
            return  # never answered: the page's WebSocket opens but no handshake ever comes
        server_side = ws.connect_to_server()
        if len(attempts) == 2:
            # the handshake goes through; the kiosk's "40" (join /booth) is swallowed, so no answer ever comes
            ws.on_message(lambda message: None if str(message).startswith("40") else server_side.send(message))

    try:
        await kiosk.route_web_socket("**/socket.io/**", hang)
        began = time.monotonic()
        await kiosk.goto(server.base_url + kiosk_path)
        await expect(kiosk.locator("body")).to_have_attribute("data-connect-timeout-ms", "2000")
        start = kiosk.get_by_test_id("start-consultation")
        await expect(start).to_be_disabled()
        await expect(start).to_be_enabled(timeout=READY_WITHIN_S * 1000)
        took = time.monotonic() - began
        assert len(attempts) == 3, attempts
        assert took > 2 * CONNECT_TIMEOUT_S - 1, took  # it did wait for both hung attempts
        await expect(kiosk.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready")
        # the two abandoned attempts are warnings, not errors: nothing went wrong that the kiosk did not mend
        assert problems == [], problems
        print(f"\nkiosk ready {took:.1f} s after two hung connection attempts")
    finally:
        await context.close()


async def test_a_kiosk_whose_modules_fail_to_load_reloads_itself(server: LiveServer, browser: Browser) -> None:
    """The link tests' kiosk once stayed grey for good: an address change in its network failed every request in
    flight (ERR_NETWORK_CHANGED), one of its modules never loaded, so the page never ran. Here the first request
    for one module is refused the same way; the page reloads itself (pageboot.js) and the kiosk gets ready."""
    _, _, kiosk_path = await server.add_booth("汐見郵便局ブース")
    context, kiosk, _problems = await new_page(browser, {"width": 1080, "height": 1920})
    refused: list[str] = []

    async def once(route: Route) -> None:
        if not refused:
            refused.append(route.request.url)
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    try:
        await kiosk.route("**/static/js/chat.js*", once)
        await kiosk.goto(server.base_url + kiosk_path)
        start = kiosk.get_by_test_id("start-consultation")
        await expect(start).to_be_enabled(timeout=15_000)
        assert len(refused) == 1, refused
        await expect(kiosk.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready")
        assert await kiosk.evaluate("window.sessionStorage.getItem('madoguchi.pageboot.tries')") is None
    finally:
        await context.close()
