"""A kiosk whose only trouble is the network says so in plain words and keeps trying (tidy14), in real Chromium.

The pill said 「準備が できていません」 — as if the machine were broken — when the self-test's network part failed
(camera, microphone and speaker fine), and it stayed so for four hours (the next self-test), even after the link
came back. Now the pill says 「つなぎ直しています…」, a line on the idle screen says that the connection to the
town office is not working and that the kiosk keeps trying, the self-test runs again every minute until the
network works, and the kiosk is ready again by itself. The same line shows while the socket itself cannot
connect. Screenshots in test-artifacts/ (network-down-*)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Route, WebSocketRoute, expect

from tests.browser.chromium import SIZES, WAIT_MS, new_page, shot
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

# the self-test's network probe fails while window.netDown: no candidate is gathered, no echo call is made
NETWORK_DOWN_JS = """
(() => {
  window.netDown = true;
  const original = RTCPeerConnection.prototype.setLocalDescription;
  RTCPeerConnection.prototype.setLocalDescription = function (...args) {
    return window.netDown ? Promise.reject(new Error("network down")) : original.apply(this, args);
  };
})();
"""
NETWORK_LINE = "役場との 通信が いま うまく いっていません。つながるまで 自動で ためし続けます。"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        yield live


async def test_a_self_test_that_fails_on_the_network_alone_says_so_and_tries_again(
    server: LiveServer, browser: Browser
) -> None:
    _, _, kiosk_path = await server.add_booth("汐見郵便局ブース", location="汐見郵便局")
    context, page, errors = await new_page(browser, SIZES["wide"])
    try:
        await page.clock.install()  # time flows; fast_forward below stands for the minute until the next try
        await page.add_init_script(NETWORK_DOWN_JS)
        await page.goto(server.base_url + kiosk_path)
        pill = page.get_by_test_id("connection-status")
        await expect(pill).to_have_attribute("data-check", "fail", timeout=2 * WAIT_MS)
        await expect(page.get_by_test_id("self-test-status")).to_have_attribute("data-items", "network")
        await expect(pill).to_have_text("つなぎ直しています…")  # not 「準備が できていません」
        line = page.get_by_test_id("idle-network")
        await expect(line).to_have_text(NETWORK_LINE)
        await expect(page.get_by_test_id("idle-limited")).to_be_hidden()
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled()  # the written chat still works
        for tag, viewport in SIZES.items():
            await page.set_viewport_size(viewport)
            await page.wait_for_timeout(50)
            fits = await line.evaluate(
                "e => e.getBoundingClientRect().right <= innerWidth + 1 && e.scrollWidth <= e.clientWidth + 1"
            )
            assert fits, tag
            await shot(page, f"network-down-selftest-{tag}")
        await page.set_viewport_size(SIZES["wide"])
        # the network is back: within the minute the self-test runs again, and the kiosk is ready by itself
        await page.evaluate("window.netDown = false")
        await page.clock.fast_forward("01:05")
        await expect(pill).not_to_have_attribute("data-check", "fail", timeout=2 * WAIT_MS)
        await expect(pill).to_have_text("準備できています")
        await expect(line).to_be_hidden()
    finally:
        await context.close()
    assert not [e for e in errors if "network down" not in e], errors


async def test_a_kiosk_that_cannot_reach_the_office_says_so_and_connects_when_it_can(
    server: LiveServer, browser: Browser
) -> None:
    _, _, kiosk_path = await server.add_booth("汐見郵便局ブース", location="汐見郵便局")
    context, page, errors = await new_page(browser, SIZES["portrait"])
    blocked = True

    async def websocket(ws: WebSocketRoute) -> None:
        if blocked:
            await ws.close()
        else:
            ws.connect_to_server()

    async def polling(route: Route) -> None:
        if blocked:
            await route.abort()
        else:
            await route.continue_()

    try:
        await page.route_web_socket("**/socket.io/**", websocket)
        await page.route("**/socket.io/**", polling)
        await page.goto(server.base_url + kiosk_path)
        pill = page.get_by_test_id("connection-status")
        await expect(pill).to_have_attribute("data-state", "offline", timeout=WAIT_MS)
        await expect(pill).to_have_text("つなぎ直しています…")
        await expect(page.get_by_test_id("idle-network")).to_have_text(NETWORK_LINE)
        await expect(page.get_by_test_id("start-consultation")).to_be_disabled()
        for tag, viewport in SIZES.items():
            await page.set_viewport_size(viewport)
            await page.wait_for_timeout(50)
            await shot(page, f"network-down-socket-{tag}")
        blocked = False  # the link is back: the socket's own retries get through
        await expect(pill).to_have_attribute("data-state", "ready", timeout=2 * WAIT_MS)
        await expect(page.get_by_test_id("idle-network")).to_be_hidden()
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled()
    finally:
        await context.close()
    assert not [e for e in errors if "socket.io" not in e and "WebSocket" not in e], errors
