"""UX15 on /book at 390×844 (a foreign resident on a phone): item 3, a cancelled booking no longer sits under the green
「Đã đặt xong」 box with its "enter this number at the booth", its 「Đã hủy」 is not struck through, and a button books
again; item 4, the steps of a video call from home are numbered 1–5 without a gap, in 0–9 as the catalogs write
numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_booking_page import choose

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SIZES = {"phone": PHONE, "wide": {"width": 1366, "height": 768}, "portrait": {"width": 1080, "height": 1920}}
SHOWN_STEPS = """() => [...document.querySelectorAll('#book-form .book-step')]
  .filter((e) => !e.closest('[hidden]')).map((e) => e.textContent.trim())"""


async def test_a_cancelled_booking_says_so_and_offers_another(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path) as api:  # Monday 7 December, 8:00
        context, page, problems = await new_page(browser, PHONE, phone=True)
        try:
            await page.goto(f"{api.base_url}/book/shiomi?lang=vi")
            await choose(page, route="tax", mode="booth", day="2026-12-09", place="shiomi-post-office")
            await page.get_by_test_id("book-slot").first.click(timeout=WAIT_MS)
            await page.get_by_test_id("book-name-kana").fill("nguyen van an")
            await page.get_by_test_id("book-submit").click()
            await expect(page.get_by_test_id("book-done-heading")).to_have_text("Đã đặt xong", timeout=WAIT_MS)
            await page.get_by_test_id("book-cancel").click()
            await page.get_by_test_id("book-confirm-yes").click()
            status = page.locator("#booking-status")
            await expect(status).to_have_text("Đã hủy", timeout=WAIT_MS)
            await expect(page.get_by_test_id("book-done-heading")).to_be_hidden()
            await expect(page.get_by_test_id("book-done-keep")).to_be_hidden()
            assert "line-through" not in await status.evaluate("e => getComputedStyle(e).textDecorationLine")
            again = page.get_by_test_id("book-again")
            await expect(again).to_have_text("Đặt lịch vào giờ khác")
            await again.scroll_into_view_if_needed()
            for name, viewport in SIZES.items():  # the same state at the kiosk's sizes too, for review
                await page.set_viewport_size(viewport)
                await shot(page, f"ux15-book-cancelled-{name}-vi")
            await page.set_viewport_size(PHONE)
            box = await again.bounding_box()
            assert box is not None and box["height"] >= 56, box
            await again.click()
            await expect(page.get_by_test_id("book-booking")).to_be_hidden()
            await expect(page.get_by_test_id("book-route")).to_be_focused()
            assert "code=" not in page.url
            await choose(page, route="tax", mode="booth", day="2026-12-10", place="shiomi-post-office")
            await expect(page.get_by_test_id("book-slot").first).to_be_visible(timeout=WAIT_MS)
            await shot(page, "ux15-book-again-phone-vi")
        finally:
            await context.close()
        assert not [p for p in problems if "favicon" not in p], problems


async def test_the_steps_of_a_call_from_home_count_without_a_gap(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path) as api:
        for name, viewport in SIZES.items():
            context, page, problems = await new_page(browser, viewport, phone=name == "phone")
            try:
                await page.goto(f"{api.base_url}/book/shiomi?lang=ne")
                await choose(page, route="tax", mode="video", day="2026-12-08")
                await expect(page.get_by_test_id("book-slot").first).to_be_visible(timeout=WAIT_MS)
                await page.get_by_test_id("book-slot").first.click()
                steps = await page.evaluate(SHOWN_STEPS)
                assert [s.split(".")[0] for s in steps] == ["1", "2", "3", "4", "5"], steps
                await shot(page, f"ux15-book-video-steps-{name}-ne")
                if name == "phone":  # a booth has a place to choose: six steps, 1–6
                    await page.evaluate("() => import('/static/js/i18n.js').then((m) => m.setLanguage('ja'))")
                    await page.locator('[data-testid="book-mode"] input[value="booth"]').check()
                    await page.get_by_test_id("book-place").select_option("shiomi-post-office")
                    await page.get_by_test_id("book-day").select_option("2026-12-08")
                    await page.get_by_test_id("book-slot").first.click(timeout=WAIT_MS)
                    steps = await page.evaluate(SHOWN_STEPS)
                    assert [s.split(".")[0] for s in steps] == ["1", "2", "3", "4", "5", "6"], steps
                    assert steps[0] == "1. 何の 用事ですか", steps
            finally:
                await context.close()
            assert not [p for p in problems if "favicon" not in p], problems
