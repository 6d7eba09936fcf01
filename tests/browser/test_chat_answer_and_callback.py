"""The phone chat after the outside tester's round, in real Chromium: the kiosk's example question is answered
(no queue, no pale buttons), a call-back asked for stands after a reload (from the server) and can be withdrawn,
the no-answer panel's phone is a thumb-sized target, and staff see the call-back's language in Japanese.
Screenshots at 390x844, 1366x768, 1920x1080 and 1080x1920 go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.chromium import WAIT_MS, new_page, shot_path
from tests.support import LiveServer

pytestmark = pytest.mark.browser

SIZES = {
    "phone": {"width": 390, "height": 844},
    "wide": {"width": 1366, "height": 768},
    "full": {"width": 1920, "height": 1080},
    "portrait": {"width": 1080, "height": 1920},
}


PASSWORD = "correct horse battery"
NEPALI_MONTHS = "जनवरी|फेब्रुअरी|मार्च|अप्रिल|मे|जुन|जुलाई|अगस्ट|सेप्टेम्बर|अक्टोबर|नोभेम्बर|डिसेम्बर"


async def snap(page: Page, name: str) -> None:
    await page.screenshot(path=shot_path(name))


async def say(page: Page, text: str) -> None:
    await page.get_by_test_id("chat-input").fill(text)
    await page.get_by_test_id("chat-send").click()


@pytest.mark.parametrize("size", list(SIZES))
async def test_the_kiosks_example_is_answered_with_live_buttons(
    live_server: LiveServer, browser: Browser, size: str
) -> None:
    context, page, problems = await new_page(browser, SIZES[size], phone=size == "phone")
    try:
        await page.goto(f"{live_server.base_url}/chat")
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready")
        await say(page, "住民票が ほしい")
        bot = page.locator(".chat-line.from-bot").first
        await expect(bot).to_contain_text("300円", timeout=WAIT_MS)
        await expect(bot.get_by_test_id("answer-link")).to_have_text("住民票の写しの請求")
        await expect(page.get_by_test_id("waiting-card")).to_be_hidden()
        await expect(page.get_by_test_id("handoff-request")).to_be_enabled()
        for button in await page.get_by_test_id("bot-suggestion").all():  # a choice on screen is one that works
            assert await button.is_enabled()
        await snap(page, f"c_{size}_ja_juminhyo_answer")
        assert problems == []
    finally:
        await context.close()


async def test_a_callback_stands_after_a_reload_and_can_be_withdrawn(live_server: LiveServer, browser: Browser) -> None:
    await live_server.add_agent("aoki", PASSWORD, role="supervisor", languages=("ja",))
    context, page, problems = await new_page(browser, SIZES["phone"], phone=True)
    staff_context, staff, staff_problems = await new_page(browser, SIZES["full"])
    try:
        await page.goto(f"{live_server.base_url}/chat?lang=ne")
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready")
        await page.get_by_test_id("handoff-request").click()
        panel = page.get_by_test_id("no-answer")
        await expect(panel).to_be_visible(timeout=WAIT_MS)  # nobody on duty
        phone_link = page.get_by_test_id("office-phone")
        box = await phone_link.bounding_box()
        assert box is not None and box["height"] >= 48, box  # a thumb hits the town's number
        book = await page.get_by_test_id("no-answer-book").bounding_box()
        assert book is not None and book["height"] >= 48, book
        for button in await page.get_by_test_id("bot-suggestion").all():
            assert await button.is_hidden()  # no pale choices left under the bot once a person is asked for
        await page.locator("#callback-more summary").click()
        await page.get_by_test_id("callback-phone").fill("090-1234-5678")
        await page.get_by_test_id("callback-submit").click()
        standing = page.get_by_test_id("callback-standing")
        await expect(standing).to_be_visible(timeout=WAIT_MS)
        await expect(standing).to_contain_text("5678")
        # when it was taken, in Nepali words (Debian's Chromium has no Nepali dates; 「12/7」 read day-first is July)
        await expect(standing).to_contain_text(re.compile(NEPALI_MONTHS))

        await page.reload()  # a fresh greeting used to stand here, as if nothing had been asked
        await expect(standing).to_be_visible(timeout=WAIT_MS)
        await expect(standing).to_contain_text("5678")
        await expect(page.get_by_test_id("chat-closed")).to_be_visible()
        await snap(page, "c_phone_ne_callback_after_reload")

        await staff.goto(f"{live_server.base_url}/login")
        await staff.get_by_test_id("login-username").fill("aoki")
        await staff.get_by_test_id("login-password").fill(PASSWORD)
        await staff.get_by_test_id("login-submit").click()
        await staff.wait_for_url("**/supervisor")  # a supervisor lands on the live view; the call-backs are on /console
        await staff.get_by_test_id("nav-console").click()
        item = staff.get_by_test_id("callback-list").locator(".callback-item")
        await expect(item).to_have_count(1, timeout=WAIT_MS)
        await expect(item).to_contain_text("ネパール語")  # the staff's name for it, not the picker's 「नेपाली」
        # when it was left: the day with its weekday, 「12月7日（月） 14:05 受付」 (session 15: 「12/7 14:05」)
        await expect(item).to_contain_text(re.compile(r"\d{1,2}月\d{1,2}日（[月火水木金土日]） \d{2}:\d{2} 受付"))
        await snap(staff, "a_full_callback_list_ne")

        await page.get_by_test_id("callback-withdraw").click()
        await expect(page.get_by_test_id("callback-withdraw-ask")).to_be_visible()
        await snap(page, "c_phone_ne_callback_withdraw_ask")
        for button in ("callback-withdraw-yes", "callback-withdraw-no"):
            box = await page.get_by_test_id(button).bounding_box()
            assert box is not None and box["height"] >= 56, (button, box)
        await page.get_by_test_id("callback-withdraw-yes").click()
        await expect(standing).to_be_hidden(timeout=WAIT_MS)
        await expect(page.locator("#closed-text")).to_contain_text("रद्द")
        await staff.reload()
        await expect(staff.get_by_test_id("callback-list").locator(".callback-item")).to_have_count(0, timeout=WAIT_MS)
        await page.reload()
        await expect(page.get_by_test_id("chat-closed")).to_be_hidden(timeout=WAIT_MS)  # nothing stands any more
        assert problems == [] and staff_problems == []
    finally:
        await context.close()
        await staff_context.close()


@pytest.mark.parametrize("size", ["wide", "full", "portrait"])
async def test_the_no_answer_panel_and_a_standing_callback_at_the_other_sizes(
    live_server: LiveServer, browser: Browser, size: str
) -> None:
    context, page, problems = await new_page(browser, SIZES[size])
    try:
        await page.goto(f"{live_server.base_url}/chat")
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready")
        await page.get_by_test_id("handoff-request").click()
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
        for target in ("office-phone", "no-answer-book"):
            box = await page.get_by_test_id(target).bounding_box()
            assert box is not None and box["height"] >= 48, (target, box)
        await snap(page, f"c_{size}_ja_no_answer")
        await page.locator("#callback-more summary").click()
        await page.get_by_test_id("callback-phone").fill("0997-22-1234")
        await page.get_by_test_id("callback-submit").click()
        await expect(page.get_by_test_id("callback-standing")).to_be_visible(timeout=WAIT_MS)
        await page.reload()
        await expect(page.get_by_test_id("callback-standing")).to_contain_text("1234", timeout=WAIT_MS)
        await snap(page, f"c_{size}_ja_callback_after_reload")
        assert problems == []
    finally:
        await context.close()
