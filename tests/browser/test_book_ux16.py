"""UX16 on /book at 390×844 (a resident on a phone at the post office): finding 13, a name typed in kanji is told
plainly to write its reading (ふりがな) with an example, not the general sentence; finding 9, a booking refused for
too many bookings says the day and time to try again, in the page's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_booking_page import choose

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def up_to_the_name(page: Page, base_url: str, lang: str) -> None:
    await page.goto(f"{base_url}/book/shiomi?lang={lang}")
    await choose(page, route="tax", mode="booth", day="2026-12-09", place="shiomi-post-office")
    await page.get_by_test_id("book-slot").first.click(timeout=WAIT_MS)


async def test_a_kanji_name_is_asked_for_its_reading(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path) as api:
        context, page, problems = await new_page(browser, PHONE, phone=True)
        try:
            await up_to_the_name(page, api.base_url, "ja")
            await expect(page.locator('label[for="book-name-kana"]')).to_contain_text("ふりがな")
            await page.get_by_test_id("book-name-kana").fill("山田 花子")
            await page.get_by_test_id("book-submit").click()
            error = page.locator("#error-name")
            await expect(error).to_contain_text("漢字では 書けません", timeout=WAIT_MS)
            await expect(error).to_contain_text("例: やまだ はなこ")
            await shot(page, "ux16-book-kanji-name-phone-ja")
            await up_to_the_name(page, api.base_url, "zh")
            await page.get_by_test_id("book-name-kana").fill("王伟")
            await page.get_by_test_id("book-submit").click()
            await expect(error).to_contain_text("拼音", timeout=WAIT_MS)
            await page.get_by_test_id("book-name-kana").fill("やまだ 1")
            await page.get_by_test_id("book-submit").click()
            await expect(error).not_to_contain_text("拼音", timeout=WAIT_MS)  # digits: the general sentence
        finally:
            await context.close()
        assert not [p for p in problems if "favicon" not in p], problems


async def test_too_many_bookings_says_when_to_try_again(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path, booking_creates_per_hour=1) as api:
        status, _ = await api.book(start="2026-12-09T10:00:00+09:00")
        assert status == 201
        context, page, problems = await new_page(browser, PHONE, phone=True)
        try:
            await up_to_the_name(page, api.base_url, "ja")
            await page.get_by_test_id("book-name-kana").fill("すずき はなこ")
            await page.get_by_test_id("book-submit").click()
            error = page.locator("#error-submit")
            await expect(error).to_contain_text("ごろから、また 予約できます", timeout=WAIT_MS)
            assert re.search(r"\d{1,2}:\d{2} ごろから", await error.inner_text()), await error.inner_text()
            await error.scroll_into_view_if_needed()
            await shot(page, "ux16-book-too-many-phone-ja")
            await up_to_the_name(page, api.base_url, "vi")
            await page.get_by_test_id("book-name-kana").fill("nguyen van an")
            await page.get_by_test_id("book-submit").click()
            await expect(error).to_contain_text("Bạn có thể đặt lại từ khoảng", timeout=WAIT_MS)
            await shot(page, "ux16-book-too-many-phone-vi")
        finally:
            await context.close()
        assert not [p for p in problems if "favicon" not in p and "429" not in p], problems
