"""The call screen in every UI language at the kiosk's portrait (1080×1920) and landscape (1366×768) sizes and on a
phone-sized view (390×844), on both sides of one real call: the booth and the console. Nothing may be wider than
its box, no button may cover another, and no page may scroll sideways; the booth may scroll down only on the
phone, the console only below 800 px wide. One call serves every size (the viewports are resized), so the test
costs one call setup; screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi.ui import SUPPORTED_LANGUAGES
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_kiosk_layouts import PROBLEMS_JS
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

SIZES = {
    "portrait": {"width": 1080, "height": 1920},
    "wide": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}
# the console has its queue beside the work area (an aside), the kiosk everything in header and main
CONSOLE_PROBLEMS_JS = PROBLEMS_JS.replace("'header *, main *, .no-answer *'", "'header *, main *, aside *'")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        yield live


async def sweep(page: Page, script: str, side: str, size: str, may_scroll_down: bool) -> list[str]:
    found: list[str] = []
    for code in SUPPORTED_LANGUAGES:
        await page.evaluate("(code) => import('/static/js/i18n.js').then((m) => m.setLanguage(code))", code)
        await page.wait_for_timeout(60)
        found += [f"{side} call {code} {size}: {p}" for p in await page.evaluate(script, may_scroll_down)]
        if code in ("ja", "en", "ne"):
            await shot(page, f"{side}-call-{code}-{size}")
    await page.evaluate("() => import('/static/js/i18n.js').then((m) => m.setLanguage('ja'))")
    return found


async def test_the_call_screen_fits_in_every_language_on_both_sides(server: LiveServer, browser: Browser) -> None:
    _, _, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("sato", "sato-password-1")
    booth_ctx, booth, booth_errors = await new_page(browser, SIZES["wide"])
    agent_ctx, agent, agent_errors = await new_page(browser, SIZES["wide"])
    problems: list[str] = []
    try:
        await booth.goto(server.base_url + kiosk_path)
        await expect(booth.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-mynumber_card").click()
        await agent.goto(f"{server.base_url}/login")
        await agent.get_by_test_id("login-username").fill("sato")
        await agent.get_by_test_id("login-password").fill("sato-password-1")
        await agent.get_by_test_id("login-submit").click()
        await agent.wait_for_url("**/console")
        await agent.get_by_test_id("status-available").click()
        await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("remote-video")).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("call-timer")).to_be_visible(timeout=WAIT_MS)
        await booth.get_by_test_id("chat-input").fill("マイナンバーカードの 暗証番号を わすれました")
        await booth.get_by_test_id("chat-send").click()
        await expect(agent.get_by_test_id("chat-log").locator("li")).to_have_count(1, timeout=WAIT_MS)
        for size, viewport in SIZES.items():
            narrow = viewport["width"] < 600
            await booth.set_viewport_size(viewport)
            await agent.set_viewport_size(viewport)
            problems += await sweep(booth, PROBLEMS_JS, "booth", size, may_scroll_down=narrow)
            problems += await sweep(
                agent, CONSOLE_PROBLEMS_JS, "console", size, may_scroll_down=viewport["width"] < 800
            )
    finally:
        await booth_ctx.close()
        await agent_ctx.close()
    assert not problems, "\n".join(problems)
    assert not booth_errors and not agent_errors, booth_errors + agent_errors
