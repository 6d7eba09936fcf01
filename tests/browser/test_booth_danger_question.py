"""The kiosk's free-text question asks the resident chat's danger question, in real Chromium (audit 16 item 1).

A weak danger line typed at the booth got only 「「住まい・道路」の ことですか？」, and an urgent one went into line
with the town office's number alone on screen when nobody was free. Now: the danger question with big はい/いいえ
and 110/119 at once; いいえ goes on to the topics; はい (or an urgent line) queues the case ahead, and 110/119 stay
on the waiting screen, also when nobody can answer. Looked at on a portrait kiosk (1080×1920) and 1366×768.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1366, "height": 768}
WEAK = "なんだか川の水が多い気がする"
DANGER_QUESTION = "いま、あなたや だれかが 危ない 状態ですか？"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        yield live


async def ask(booth: Page, text: str) -> None:
    await booth.get_by_test_id("question-input").fill(text)
    await booth.get_by_test_id("question-submit").click()


async def numbers(page: Page, testid: str) -> list[str]:
    return (
        await page.get_by_test_id(testid)
        .locator(".hotline-link")
        .evaluate_all("(links) => links.map((a) => a.dataset.number)")
    )


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
async def test_a_weak_danger_line_asks_and_yes_waits_with_110_and_119(
    server: LiveServer, browser: Browser, viewport: dict[str, int]
) -> None:
    _booth_id, _token, kiosk_path = await server.add_booth("汐見郵便局ブース")
    ctx, booth, problems = await new_page(browser, viewport)
    size = f"{viewport['width']}x{viewport['height']}"
    try:
        await booth.goto(server.base_url + kiosk_path)
        start = booth.get_by_test_id("start-consultation")
        await expect(start).to_be_enabled(timeout=WAIT_MS)
        await start.click()
        await ask(booth, WEAK)
        await expect(booth.get_by_test_id("question-danger")).to_have_text(DANGER_QUESTION, timeout=WAIT_MS)
        yes, no = booth.get_by_test_id("safety-yes"), booth.get_by_test_id("safety-no")
        await expect(yes).to_have_text("はい")
        await expect(no).to_have_text("いいえ")
        await expect(booth.get_by_test_id("question-suggestion")).to_have_count(0)  # the question comes first
        assert (await numbers(booth, "question-hotlines"))[:2] == ["110", "119"]
        for button in (yes, no, booth.get_by_test_id("question-hotlines").locator(".hotline").first):
            await expect(button).to_be_in_viewport()
            box = await button.bounding_box()
            assert box is not None and box["height"] >= 56, box
        await shot(booth, f"booth-danger-1-question-{size}")

        await no.click()  # いいえ: on to the topics, as the chat answers the question after いいえ
        await expect(booth.get_by_test_id("question-danger")).to_have_count(0, timeout=WAIT_MS)
        chosen = booth.get_by_test_id("question-suggestion").or_(booth.get_by_test_id("question-talk"))
        await expect(chosen.first).to_be_visible()

        await ask(booth, WEAK)
        await booth.get_by_test_id("safety-yes").click()  # はい: urgent, in line at once, nobody on duty
        await expect(booth.get_by_test_id("queue-position")).to_have_attribute("data-position", "1", timeout=WAIT_MS)
        banner = booth.get_by_test_id("urgent-banner")
        await expect(banner).to_be_visible()
        await expect(booth.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)  # nobody can answer
        assert (await numbers(booth, "booth-hotlines"))[:2] == ["110", "119"]
        await expect(banner.locator('[data-number="110"]')).to_be_in_viewport()
        await shot(booth, f"booth-danger-2-waiting-{size}")
        await booth.evaluate("() => import('/static/js/i18n.js').then((m) => m.setLanguage('en'))")
        await expect(banner.locator("h2")).not_to_have_text("命や 安全に かかわるときは、すぐに 電話してください")
        await expect(banner.locator('[data-number="119"]')).to_be_visible()
        assert problems == []
    finally:
        await ctx.close()


async def test_an_urgent_line_waits_with_110_and_119_when_nobody_is_free(server: LiveServer, browser: Browser) -> None:
    _booth_id, _token, kiosk_path = await server.add_booth("汐見郵便局ブース")
    ctx, booth, problems = await new_page(browser, PORTRAIT)
    try:
        await booth.goto(server.base_url + kiosk_path)
        start = booth.get_by_test_id("start-consultation")
        await expect(start).to_be_enabled(timeout=WAIT_MS)
        await start.click()
        await ask(booth, "死にたい")
        await expect(booth.get_by_test_id("queue-position")).to_have_attribute("data-position", "1", timeout=WAIT_MS)
        await expect(booth.get_by_test_id("urgent-banner")).to_be_visible()
        await expect(booth.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
        assert (await numbers(booth, "booth-hotlines"))[:2] == ["110", "119"]
        assert len(await numbers(booth, "booth-hotlines")) >= 3  # and the town's hotline for it
        await shot(booth, "booth-danger-3-urgent-nobody")
        await booth.reload()  # a kiosk restarted while the resident waits: 110 and 119 stay
        await expect(booth.get_by_test_id("queue-position")).to_have_attribute("data-position", "1", timeout=WAIT_MS)
        await expect(booth.get_by_test_id("urgent-banner")).to_be_visible()
        assert (await numbers(booth, "booth-hotlines"))[:2] == ["110", "119"]
        assert problems == []
    finally:
        await ctx.close()
