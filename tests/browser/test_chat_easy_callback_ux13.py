"""UX13 finding 5 in real Chromium: with nobody on duty, the easy-Japanese web chat's bot names the button the page
shows (「でんわを かけて もらう」), not a phone field that is not on screen; 390x844 and 1366x768."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", [{"width": 390, "height": 844}, {"width": 1366, "height": 768}], ids=["phone", "wide"])
async def test_the_easy_japanese_bot_names_the_call_back_button_on_screen(
    live_server: LiveServer, browser: Browser, size: dict[str, int]
) -> None:
    context, page, problems = await new_page(browser, size, phone=size["width"] < 500)
    try:
        await page.goto(f"{live_server.base_url}/chat?lang=easy-ja")
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready")
        bots = page.locator('[data-testid="chat-log"] li[data-sender="bot"]')
        before = await bots.count()
        await page.get_by_test_id("chat-input").fill("ごみは いつ だしますか")  # the tester's question first
        await page.get_by_test_id("chat-send").click()
        await expect(bots).to_have_count(before + 1, timeout=WAIT_MS)  # answered (in easy Japanese)
        await page.get_by_test_id("handoff-request").click()
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)  # nobody on duty
        button = page.locator("#callback-more summary")
        await expect(button).to_have_text("でんわを かけて もらう")
        bot = page.locator('[data-testid="chat-log"] li[data-sender="bot"]').last
        await expect(bot).to_contain_text("「でんわを かけて もらう」を おして", timeout=WAIT_MS)
        await expect(bot).not_to_contain_text("でんわばんごうの ところ")
        await shot(page, f"ux13-chat-easy-nobody-{size['width']}x{size['height']}")
        await button.click()
        await expect(page.get_by_test_id("callback-phone")).to_be_visible()  # what the bot said to do is there
    finally:
        await context.close()
    assert not [p for p in problems if "favicon" not in p], problems
