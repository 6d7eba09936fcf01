"""The kiosk's self-test (static/js/selftest.js) against a real coturn: with TURN reachable the clerk reads that all
works, the status says a relay answered and the echo call to the server's peer brought the tone back (the result
is kept for the supervisors); with the TURN server gone the network check fails in plain words,
while camera, microphone and speaker (Chromium's fake devices) still pass. The clerk runs it again from the check
panel the header's readiness pill opens."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from madoguchi import observability
from tests.browser.chromium import CHROMIUM, CHROMIUM_PRESENT, CLERK_HOLD_MS
from tests.links.calls import WAIT_MS, launch, open_page
from tests.links.coturn import Coturn, free_port
from tests.support import make_settings, serve

pytestmark = [pytest.mark.links, pytest.mark.browser]


async def test_the_self_test_finds_the_relay_and_says_all_works(tmp_path: Path, coturn: Coturn) -> None:
    if not CHROMIUM_PRESENT:
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    settings = make_settings(tmp_path, turn_urls=coturn.urls("udp"), turn_secret=coturn.secret)
    async with serve(settings) as server, async_playwright() as playwright:
        booth_id, _, kiosk_path = await server.add_booth("島の郵便局ブース")
        browser = await launch(playwright)
        try:
            page = await open_page(browser)
            await page.goto(server.base_url + kiosk_path)
            status = page.get_by_test_id("self-test-status")
            await expect(status).to_have_attribute("data-state", "ok", timeout=WAIT_MS)
            await expect(status).to_have_attribute("data-relay", "true")
            await expect(status).to_have_text("点検: カメラ・マイク・スピーカー・通信 すべて 使えます")
            # the echo call to the server's peer connected and its tone came back; its round trip was measured
            await expect(status).to_have_attribute("data-echo", "audio")
            assert int(await status.get_attribute("data-rtt-ms") or "-1") >= 0
            # and the server keeps the result for the supervisors' booth list
            counter = await server.app[observability.LIVE_STORE].read()
            kept = counter.state.self_tests[booth_id]
            assert (kept.state, kept.relay, kept.audio) == ("ok", True, True), kept
            assert kept.rtt_ms is not None and kept.loss_pct is not None and kept.loss_pct <= 20, kept
            # the clerk opens the check with a long press on the header's pill and runs it again
            await page.get_by_test_id("connection-status").click(delay=CLERK_HOLD_MS)
            await page.get_by_test_id("check-rerun").click()
            await expect(status).to_have_attribute("data-running", "true")
            await expect(status).not_to_have_attribute("data-running", "true", timeout=WAIT_MS)
            await expect(status).to_have_attribute("data-state", "ok")
        finally:
            await browser.close()


async def test_without_its_turn_server_the_booth_says_the_network_does_not_work(tmp_path: Path) -> None:
    if not CHROMIUM_PRESENT:
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    gone = f"turn:127.0.0.1:{free_port()}?transport=udp"  # nobody listens there
    settings = make_settings(tmp_path, turn_urls=[gone], turn_secret="a-secret-for-nobody")
    async with serve(settings) as server, async_playwright() as playwright:
        _, _, kiosk_path = await server.add_booth("島の郵便局ブース")
        browser = await launch(playwright)
        try:
            page = await open_page(browser)
            await page.goto(server.base_url + kiosk_path)
            status = page.get_by_test_id("self-test-status")
            await expect(status).to_have_attribute("data-state", "fail", timeout=WAIT_MS)
            await expect(status).to_have_attribute("data-items", "network")
            await expect(status).to_have_attribute("data-relay", "false")
            await expect(status).to_contain_text("通信が 使えません")
        finally:
            await browser.close()
