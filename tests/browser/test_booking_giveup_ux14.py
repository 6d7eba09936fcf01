"""UX14 finding 1 in real Chromium: 「やめる」 asks once, with large はい / いいえ, at the booth (1366×768) and in the
phone chat (390×844); and a booked resident who gave up the wait before anyone answered can check in again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi.bookings import codes
from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.integration.bookings.test_booking_checkin_socket import TEN_TO_NINE, booked_at_nine, live, status_becomes
from tests.support import LiveServer

pytestmark = pytest.mark.browser

KIOSK_WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


async def check_in(kiosk: Page, code: str) -> None:
    await kiosk.get_by_test_id("checkin-start").click(timeout=WAIT_MS)
    for digit in code:
        await kiosk.get_by_test_id(f"checkin-digit-{digit}").click()
    await expect(kiosk.get_by_test_id("checkin-code")).to_have_text(codes.grouped(code))
    await kiosk.get_by_test_id("checkin-submit").click()


async def test_giving_up_at_the_booth_asks_and_the_booking_can_check_in_again(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path, start=TEN_TO_NINE, session_ttl_s=365 * 86400) as api:
        code = await booked_at_nine(api, route="tax")
        _, _, kiosk_path = await live(api).add_booth("汐見郵便局ブース")
        context, kiosk, problems = await new_page(browser, KIOSK_WIDE)
        try:
            await kiosk.goto(api.base_url + kiosk_path)
            await check_in(kiosk, code)
            cancel = kiosk.get_by_test_id("cancel-waiting")
            await expect(cancel).to_be_visible(timeout=WAIT_MS)
            # one touch does not give up the place: a large question first; いいえ keeps waiting
            await cancel.click()
            confirm = kiosk.get_by_test_id("cancel-confirm")
            await expect(confirm).to_be_visible()
            await expect(kiosk.get_by_test_id("cancel-confirm")).to_contain_text("待つのを やめますか？")
            await expect(kiosk.get_by_test_id("cancel-yes")).to_have_text("はい、やめます")
            await expect(kiosk.get_by_test_id("cancel-no")).to_have_text("いいえ、待ちます")
            for button in ("cancel-yes", "cancel-no"):
                box = await kiosk.get_by_test_id(button).bounding_box()
                assert box is not None and box["height"] >= 80 and box["width"] >= 200, (button, box)
                await expect(kiosk.get_by_test_id(button)).to_be_in_viewport()
            await shot(kiosk, "ux14-booth-cancel-confirm-1366x768")
            await kiosk.get_by_test_id("cancel-no").click()
            await expect(confirm).to_be_hidden()
            await expect(cancel).to_be_visible()
            assert await status_becomes(api, code, "booked", within=0.5) == "checked_in"  # still in line

            await cancel.click()
            await kiosk.get_by_test_id("cancel-yes").click()
            await expect(kiosk.get_by_test_id("checkin-start")).to_be_visible(timeout=WAIT_MS)
            assert await status_becomes(api, code, "booked") == "booked"
            # the same number again: back in line, not 「もう 受付が 済んで います」
            await check_in(kiosk, code)
            await expect(cancel).to_be_visible(timeout=WAIT_MS)
            await expect(kiosk.get_by_test_id("checkin-refusal")).to_be_hidden()
            await shot(kiosk, "ux14-booth-checked-in-again-1366x768")
        finally:
            await context.close()
        assert not [p for p in problems if "favicon" not in p], problems


async def test_the_phone_chat_asks_before_it_stops_waiting(browser: Browser, live_server: LiveServer) -> None:
    context, page, problems = await new_page(browser, PHONE, phone=True)
    try:
        await page.goto(f"{live_server.base_url}/chat?lang=vi")
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready")
        await page.get_by_test_id("handoff-request").click()
        cancel = page.get_by_test_id("cancel-waiting")
        await expect(cancel).to_be_visible(timeout=WAIT_MS)
        await cancel.click()
        ask = page.get_by_test_id("cancel-waiting-ask")
        await expect(ask).to_be_visible()
        await expect(ask).to_be_in_viewport()
        await expect(ask).to_contain_text("Thôi không chờ nữa?")
        await shot(page, "ux14-chat-cancel-ask-vi-390x844")
        await page.get_by_test_id("cancel-waiting-no").click()
        await expect(ask).to_be_hidden()
        await expect(page.locator("body")).to_have_attribute("data-phase", "waiting")
        await cancel.click()
        await page.get_by_test_id("cancel-waiting-yes").click()
        await expect(page.locator("body")).to_have_attribute("data-phase", "closed", timeout=WAIT_MS)
    finally:
        await context.close()
    assert problems == []
