"""The phone chat waiting outside the opening hours (ux14 item 6, 110_phone_talkstaff_noagent.png): the blue band
was empty apart from 「Thôi không chờ」. It says plainly that the office is closed now, when it opens and what the
resident can do; and the booking action has one label on the screen (the panel's link said 「Đặt giờ tư vấn」 under
the bot's 「Đặt giờ gặp tại quầy」). The server's clock: Monday 7 December 2026, 18:00 in Japan (after closing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, shot
from tests.support import OFFICE_MORNING, office_hours_clock, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MONDAY_EVENING = OFFICE_MORNING + 8 * 3600  # 18:00 JST; the sample town opens again on Tuesday at 8:30


@pytest.mark.parametrize(
    ("locale", "closed", "opens"),
    [("vi-VN", "đóng cửa", "08:30 Thứ 3, 8 tháng 12"), ("ja-JP", "受付時間の 外", "12月8日(火) 08:30に 開きます")],
)
async def test_waiting_after_hours_says_closed_when_it_opens_and_what_to_do(
    browser: Browser, tmp_path: Path, locale: str, closed: str, opens: str
) -> None:
    async with serve(settings_for_tests(tmp_path), clock=office_hours_clock(MONDAY_EVENING)) as live:
        context = await browser.new_context(viewport=PHONE, locale=locale, is_mobile=True, has_touch=True)
        try:
            page = await context.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            await page.goto(live.base_url + "/chat")
            await expect(page.get_by_test_id("connection-status")).to_have_attribute(
                "data-state", "ready", timeout=WAIT_MS
            )
            await page.get_by_test_id("handoff-request").click()
            band = page.get_by_test_id("waiting-closed")
            await expect(band).to_be_visible(timeout=WAIT_MS)
            await expect(band).to_contain_text(closed)
            await expect(band).to_contain_text(opens)
            # what to do: the call-back and booking are named, and are right below
            await expect(
                page.get_by_test_id("callback-open").or_(page.locator("#callback-more summary"))
            ).to_be_visible()
            await expect(page.get_by_test_id("no-answer-book")).to_be_visible()
            # one label for booking on this screen: the panel's link and the bot's button say the same words
            labels = await page.evaluate(
                """() => [...document.querySelectorAll('a[href*="/book"]')]
                     .filter((a) => a.offsetParent !== null).map((a) => a.textContent.trim())"""
            )
            assert labels and len(set(labels)) == 1, labels
            await shot(page, f"ux14-chat-closed-band-{locale}")
            assert not [p for p in problems if "favicon" not in p], problems
        finally:
            await context.close()
