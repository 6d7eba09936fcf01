"""UX14 finding 5 on /book at 390×844: after 予約する the heading 「予約 できました」 is in sight (not under the sticky
page bar) and has the focus."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_booking_page import choose

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

# the element drawn at the middle of the heading's first line: the heading itself, not the bar over it
TOPMOST = """(el) => {
  const box = el.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + Math.min(box.width / 2, 40), box.top + 8);
  return { top: box.top, mine: el === hit || el.contains(hit), focused: document.activeElement === el };
}"""


async def test_the_booked_heading_is_visible_and_focused(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path) as api:
        context, page, problems = await new_page(browser, PHONE, phone=True)
        try:
            await page.goto(f"{api.base_url}/book/shiomi?lang=ja")
            await choose(page, route="tax", mode="counter", day="2026-12-08")
            first = page.get_by_test_id("book-slot").first
            await expect(first).to_contain_text("8:30", timeout=WAIT_MS)
            await first.click()
            await page.get_by_test_id("book-name-kana").fill("やまだ はなこ")
            await page.get_by_test_id("book-submit").click()
            heading = page.get_by_test_id("book-done-heading")
            await expect(heading).to_have_text("予約 できました", timeout=WAIT_MS)
            await expect(heading).to_be_focused()
            await page.wait_for_timeout(300)  # the scroll settles
            seen = await heading.evaluate(TOPMOST)
            assert seen["mine"] and seen["top"] >= 0, seen
            await shot(page, "ux14-book-done-phone")
        finally:
            await context.close()
        assert not [p for p in problems if "favicon" not in p], problems
