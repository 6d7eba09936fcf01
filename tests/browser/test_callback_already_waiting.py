"""A number already waiting for a call-back, typed again (session 15): the page answers as for any number — the
same words, the resident's own time, and their own request to withdraw — so typing a neighbour's number tells
nobody it is in the town's list (it said 「この電話番号は … もう うけつけています」). Staff still see the number
once (tests/integration/test_callback_floods.py). Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot_path
from tests.support import LiveServer, booth_peer, ok, resident_peer

pytestmark = pytest.mark.browser

ALREADY = "もう うけつけています"  # what the merged answer said


async def test_the_chat_answers_a_number_already_waiting_as_any(live_server: LiveServer, browser: Browser) -> None:
    _, token, _ = await live_server.add_booth()
    booth = await booth_peer(live_server, token)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    ok(await booth.call("callback.request", {"consultation_id": cid, "phone": "090-1234-5678"}))
    await booth.close()
    context, page, problems = await new_page(browser, {"width": 390, "height": 844}, phone=True)
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
        await expect(standing).to_contain_text("5678")
        await expect(standing).not_to_contain_text(ALREADY)
        await page.screenshot(path=shot_path("c_phone_ja_callback_already_waiting"))
        # their own request: withdrawn as any (asked once)
        await page.get_by_test_id("callback-withdraw").click()
        await page.get_by_test_id("callback-withdraw-yes").click()
        await expect(standing).to_be_hidden(timeout=WAIT_MS)
        assert problems == []
    finally:
        await context.close()


async def test_the_kiosk_answers_a_number_already_waiting_as_any(live_server: LiveServer, browser: Browser) -> None:
    home = await resident_peer(live_server)  # the same number, left from home first
    said = ok(await home.call("chat.send", {"text": "人と話したい", "client_id": "c1", "language": "ja"}))
    if "position" not in said:
        ok(await home.call("handoff.request", {"consultation_id": said["consultation_id"]}))
    ok(await home.call("callback.request", {"consultation_id": said["consultation_id"], "phone": "09012345678"}))
    await home.close()
    _, _, kiosk_path = await live_server.add_booth()
    context, page, problems = await new_page(browser, {"width": 1080, "height": 1920})
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
        await expect(page.locator("#thanks-body")).to_contain_text("5678")
        await expect(page.locator("#thanks-body")).not_to_contain_text(ALREADY)
        await page.screenshot(path=shot_path("k_portrait_ja_callback_already_waiting"))
        assert problems == []
    finally:
        await context.close()
