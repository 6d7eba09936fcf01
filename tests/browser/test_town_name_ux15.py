"""The town's name in the page language wherever a resident reads it (session 15, item 7): the chat's header said
「汐見町」 on a Vietnamese or Nepali page while /book said "Thị trấn Shiomi" / "शिओमी नगर"."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, shot
from tests.support import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize(("locale", "lang", "town"), [("vi-VN", "vi", "Thị trấn Shiomi"), ("ne-NP", "ne", "शिओमी नगर")])
async def test_the_chat_and_the_booking_page_name_the_town_alike(
    live_server: LiveServer, browser: Browser, locale: str, lang: str, town: str
) -> None:
    context = await browser.new_context(viewport=PHONE, locale=locale, is_mobile=True, has_touch=True)
    try:
        page = await context.new_page()
        for path in ("/chat", "/book"):
            await page.goto(live_server.base_url + path)
            await expect(page.locator("html")).to_have_attribute("lang", lang, timeout=WAIT_MS)
            await expect(page.locator("#town-name")).to_have_text(town, timeout=WAIT_MS)
            await shot(page, f"ux15-town-{path.strip('/')}-{lang}-phone")
    finally:
        await context.close()
