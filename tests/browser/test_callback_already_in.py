"""A number already waiting for a call-back, left again from the phone chat (trust14 item 2): the request is
merged into the one that stands, and the page says so in plain words — no second request, nothing to withdraw
here. Screenshots at 390x844 and 1366x768 go to test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot_path
from tests.support import LiveServer, booth_peer, ok

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
