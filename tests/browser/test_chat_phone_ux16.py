"""UX round 16 on the phone chat (390×844, real Chromium).

M8: an urgent message while nobody could answer stacked the emergency numbers, the waiting bar and the "no one
can answer" panel over about 55 % of the screen, the conversation a thin strip. The bands stay compact: the
conversation keeps at least half of the screen, the hotline numbers stay visible and tappable (tel: links)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, shot
from tests.support import make_settings as settings_for_tests
from tests.support import office_hours_clock, serve

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1366, "height": 768}

URGENT = "Tôi mất việc, không có tiền mua đồ ăn, con tôi đã đói mấy ngày rồi"

ROOM_JS = """() => {
  const log = document.getElementById('chat-log').getBoundingClientRect();
  const bars = [...document.querySelectorAll('#urgent-banner, #waiting-card, #no-answer')]
    .filter((e) => e.offsetParent !== null).map((e) => e.getBoundingClientRect());
  const covered = bars.reduce((sum, r) => sum + Math.max(0, Math.min(r.bottom, innerHeight) - Math.max(r.top, 0)), 0);
  return {covered: covered / innerHeight, log: Math.min(log.bottom, innerHeight) - Math.max(log.top, 0)};
}"""


@pytest.mark.parametrize(("locale", "viewport"), [("vi-VN", PHONE), ("ja-JP", PHONE), ("ja-JP", WIDE)])
async def test_urgent_and_nobody_bands_leave_the_conversation_room(
    browser: Browser, tmp_path: Path, locale: str, viewport: dict[str, int]
) -> None:
    phone = viewport == PHONE
    async with serve(settings_for_tests(tmp_path), clock=office_hours_clock()) as live:
        context = await browser.new_context(viewport=viewport, locale=locale, is_mobile=phone, has_touch=phone)
        try:
            page = await context.new_page()
            await page.goto(live.base_url + "/chat")
            await expect(page.get_by_test_id("connection-status")).to_have_attribute(
                "data-state", "ready", timeout=WAIT_MS
            )
            await page.fill("#chat-input", URGENT if locale == "vi-VN" else "もう死にたい")
            await page.click("#chat-send")
            await expect(page.get_by_test_id("urgent-banner")).to_be_visible(timeout=WAIT_MS)
            await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
            await page.wait_for_timeout(500)
            room = await page.evaluate(ROOM_JS)
            await shot(page, f"ux16-chat-urgent-nobody-{locale}-{viewport['width']}")
            print(locale, room)
            # the numbers: visible, on screen and tappable
            for number in ("110", "119"):
                link = page.locator(f'#hotlines a[href="tel:{number}"]')
                await expect(link).to_be_visible()
                box = await link.bounding_box()
                assert box is not None and box["y"] >= 0 and box["height"] >= 40, (number, box)
            # the bands under the header: at most 45 % of the screen (55 % with the header, from 66 %)
            assert room["covered"] <= 0.47, room
        finally:
            await context.close()
