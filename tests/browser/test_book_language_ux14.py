"""/book opened directly on a phone set to Vietnamese (ux14 item 3, 124_book_vi_name.png): it showed Japanese where
/chat picked up the phone's language. Both now choose alike: the tab's own choice, then ``?lang=``, then the
phone's first offered language."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, shot
from tests.support import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def test_book_opens_in_the_phones_language_and_keeps_a_choice(live_server: LiveServer, browser: Browser) -> None:
    context = await browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    try:
        page = await context.new_page()
        await page.goto(live_server.base_url + "/book")
        await expect(page.locator("html")).to_have_attribute("lang", "vi", timeout=WAIT_MS)
        await expect(page.get_by_test_id("book-route")).to_be_visible()
        await shot(page, "ux14-book-vi-phone")
        # the resident's own choice stays over the phone's
        await page.get_by_test_id("language-picker").click()
        await page.get_by_test_id("language-ja").click()
        await expect(page.locator("html")).to_have_attribute("lang", "ja", timeout=WAIT_MS)
        await page.reload()
        await expect(page.get_by_test_id("book-route")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("html")).to_have_attribute("lang", "ja", timeout=WAIT_MS)
        # a link that names the language (the chat's booking button) wins
        fresh = await context.new_page()
        await fresh.goto(live_server.base_url + "/book?lang=en")
        await expect(fresh.get_by_test_id("book-route")).to_be_visible(timeout=WAIT_MS)
        await expect(fresh.locator("html")).to_have_attribute("lang", "en", timeout=WAIT_MS)
    finally:
        await context.close()
