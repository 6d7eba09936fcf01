"""A number already waiting for a call-back, left again from the phone chat (trust14 item 2): the request is
merged into the one that stands, and the page says so in plain words — no second request, nothing to withdraw
here. Screenshots at 390x844 and 1366x768 go to test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot_path
from tests.support import LiveServer, booth_peer, ok, resident_peer

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 390, "height": 844}, "wide": {"width": 1366, "height": 768}}


@pytest.mark.parametrize("size", list(SIZES))
async def test_a_number_already_waiting_is_said_to_be_in(live_server: LiveServer, browser: Browser, size: str) -> None:
    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    ok(await booth.call("callback.request", {"consultation_id": cid, "phone": "090-1234-5678"}))
    await booth.close()
    context, page, problems = await new_page(browser, SIZES[size], phone=size == "phone")
    try:
        await page.goto(f"{live_server.base_url}/chat")
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready")
        await page.get_by_test_id("handoff-request").click()
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)  # nobody on duty
        await page.locator("#callback-more summary").click()
        await page.get_by_test_id("callback-phone").fill("09012345678")
        await page.get_by_test_id("callback-submit").click()
        standing = page.get_by_test_id("callback-standing")
        await expect(standing).to_be_visible(timeout=WAIT_MS)
        await expect(standing).to_contain_text("もう うけつけています")
        await expect(standing).to_contain_text("5678")
        await expect(page.get_by_test_id("callback-withdraw")).to_be_hidden()  # the booth's request: not theirs
        await page.screenshot(path=shot_path(f"c_{size}_ja_callback_already_in"))
        assert problems == []
    finally:
        await context.close()


@pytest.mark.parametrize("size", ["portrait", "wide"])
async def test_the_kiosk_says_a_number_already_waiting_is_in(
    live_server: LiveServer, browser: Browser, size: str
) -> None:
    home = await resident_peer(live_server)  # the same number, left from home first
    said = ok(await home.call("chat.send", {"text": "人と話したい", "client_id": "c1", "language": "ja"}))
    if "position" not in said:
        ok(await home.call("handoff.request", {"consultation_id": said["consultation_id"]}))
    ok(await home.call("callback.request", {"consultation_id": said["consultation_id"], "phone": "09012345678"}))
    await home.close()
    _, _, kiosk_path = await live_server.add_booth()
    viewport = {"portrait": {"width": 1080, "height": 1920}, "wide": {"width": 1366, "height": 768}}[size]
    context, page, problems = await new_page(browser, viewport)
    try:
        await page.goto(live_server.base_url + kiosk_path)
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        await page.get_by_test_id("start-consultation").click()
        await page.get_by_test_id("route-tax").click()
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
        for digit in "09012345678":
            await page.locator(f'[data-callback-key="{digit}"]').click()
        await page.get_by_test_id("callback-submit").click()
        await expect(page.get_by_test_id("thanks")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#thanks-body")).to_contain_text("もう うけつけています")
        await page.screenshot(path=shot_path(f"k_{size}_ja_callback_already_in"))
        assert problems == []
    finally:
        await context.close()
