"""The hotlines the bot posts are named in the language the resident switches to afterwards, in real Chromium: the
town's own lines (from ``names``/``whens``, every page language) as well as 110 and 119 (the page's catalogs).
Before, 「いのちの電話」 stayed Japanese on a page switched to Nepali."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.domain.languages import PAGE_LANGUAGES
from madoguchi.ui import load_catalog
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LIFELINE = "0570-783-556"


async def test_hotline_names_follow_the_page_language(live_server: LiveServer, browser: Browser) -> None:
    town = load_knowledge_base(bundled_kb_dir()).municipality
    lifeline = next(h for h in town.hotlines if h.number == LIFELINE)
    context, page, problems = await new_page(browser, PHONE, phone=True)
    try:
        await page.goto(live_server.base_url + "/chat")
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
        await page.get_by_test_id("chat-input").fill("もう死にたい")
        await page.get_by_test_id("chat-send").click()
        banner = page.get_by_test_id("urgent-banner")
        await expect(banner).to_contain_text(lifeline.name.in_language("ja"), timeout=WAIT_MS)
        for code in [c for c in PAGE_LANGUAGES if c not in ("ja", "easy-ja")] + ["ja"]:
            await page.get_by_test_id("language-picker").click()
            await page.get_by_test_id(f"language-{code}").click()
            await expect(banner).to_contain_text(lifeline.name.in_language(code), timeout=WAIT_MS)
            await expect(banner).to_contain_text(load_catalog(code)["resident.hotline.police"])
            if code != "ja":
                assert lifeline.name.in_language(code) != lifeline.name.in_language("ja")
                await expect(banner).not_to_contain_text(lifeline.name.in_language("ja"))
            if code == "ne":
                await shot(page, "hotlines-after-switch-ne-390x844")
    finally:
        await context.close()
    assert not [p for p in problems if "favicon" not in p], problems
