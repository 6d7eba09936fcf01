"""The booking page names the island in the resident's language and asks once before moving or cancelling, at
the four sizes (390x844, 1366x768, 1920x1080, 1080x1920; screenshots in test-artifacts/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot_path

pytestmark = pytest.mark.browser

SIZES = {
    "phone": {"width": 390, "height": 844},
    "wide": {"width": 1366, "height": 768},
    "full": {"width": 1920, "height": 1080},
    "portrait": {"width": 1080, "height": 1920},
}


@pytest.mark.parametrize("size", list(SIZES))
async def test_vietnamese_names_the_island_and_cancelling_asks_in_the_page(
    browser: Browser, tmp_path: Path, size: str
) -> None:
    async with running(tmp_path) as api:
        status, booked = await api.book(route="tax", place="honcho", start="2026-12-08T09:00:00+09:00")
        assert status == 201, booked
        context, page, problems = await new_page(browser, SIZES[size], phone=size == "phone")
        try:
            await page.goto(f"{api.base_url}/book/shiomi?lang=vi")
            await page.get_by_test_id("book-route").select_option("resident_records")
            await page.locator('[data-testid="book-mode"] input[value="counter"]').check()
            ferry = page.locator("#ferry-text")
            await expect(ferry).to_contain_text("đảo Nagishima")  # 「Tôi đi tàu từ 凪島」 before
            assert "凪島" not in (await ferry.text_content() or "")
            await page.goto(f"{api.base_url}/book/shiomi?lang=vi#code={booked['code']}")
            page.once("dialog", lambda dialog: pytest.fail(f"the browser's own pop-up: {dialog.message}"))
            await page.get_by_test_id("book-cancel").click(timeout=WAIT_MS)
            ask = page.get_by_test_id("book-confirm")
            await expect(ask).to_be_visible()
            for button in ("book-confirm-yes", "book-confirm-no"):
                box = await page.get_by_test_id(button).bounding_box()
                assert box is not None and box["height"] >= 56 and box["y"] + box["height"] <= SIZES[size]["height"]
            await page.screenshot(path=shot_path(f"b_{size}_vi_cancel_confirm"))
            await page.get_by_test_id("book-confirm-no").click()
            await expect(ask).to_be_hidden()
            status, stored = await api.call("GET", f"/api/bookings/{booked['code']}")
            assert stored["status"] == "booked"
            assert problems == []
        finally:
            await context.close()
