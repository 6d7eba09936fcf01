"""UX13 findings 6 and 8 on /book in real Chromium: a free time reads 「予約できます」 (no 「あと 1人」 that reads like
a queue), and a lookup with too few digits says how many a code has and how many were typed, not 「見つかりません」."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_booking_page import choose

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1366, "height": 768}


@pytest.mark.parametrize(
    ("viewport", "lang", "free"),
    [(PHONE, "ja", "予約できます"), (WIDE, "ja", "予約できます"), (PHONE, "en", "Open to book")],
    ids=["phone-ja", "wide-ja", "phone-en"],
)
async def test_free_times_say_they_can_be_booked_and_a_short_code_says_its_length(
    browser: Browser, tmp_path: Path, viewport: dict[str, int], lang: str, free: str
) -> None:
    tag = f"{lang}-{viewport['width']}x{viewport['height']}"
    async with running(tmp_path) as api:
        context, page, problems = await new_page(browser, viewport, phone=viewport is PHONE)
        try:
            await page.goto(f"{api.base_url}/book/shiomi?lang={lang}")
            await choose(page, route="tax", mode="counter", day="2026-12-08")
            slots = page.get_by_test_id("book-slot")
            await expect(slots.first).to_contain_text(free, timeout=WAIT_MS)
            for text in await slots.all_inner_texts():
                assert "あと" not in text and " left" not in text, text
            await shot(page, f"ux13-book-slots-{tag}")

            error = page.locator('[data-testid="book-field-error"][data-field="code"]')
            await page.get_by_test_id("book-lookup-code").fill("1234")
            await page.get_by_test_id("book-lookup").click()
            if lang == "ja":
                await expect(error).to_contain_text("予約番号は 12けた です（いま 4けた）")
            else:
                await expect(error).to_contain_text("12 digits (you typed 4)")
            await expect(page.get_by_test_id("book-lookup-code")).to_have_attribute("aria-invalid", "true")
            await expect(page.get_by_test_id("book-booking")).to_be_hidden()
            await error.scroll_into_view_if_needed()
            await shot(page, f"ux13-book-short-code-{tag}")
            await page.get_by_test_id("book-lookup-code").fill("")
            await page.get_by_test_id("book-lookup").click()
            asked = "予約番号（12けた）を 書いて ください" if lang == "ja" else "(12 digits)"
            await expect(error).to_contain_text(asked)
        finally:
            await context.close()
        assert not [p for p in problems if "favicon" not in p], problems
