"""The call screen in every UI language at the kiosk's portrait (1080×1920) and landscape (1366×768 and 1920×1080)
sizes and on a phone-sized view (390×844), on both sides of one real call: the booth and the console. Nothing may
be wider than its box, no button may cover another, no page may scroll sideways, no way out may be off screen; the
booth may scroll down only on the phone, the console only below 800 px wide. In portrait the booth's mute and
hang-up sit in the upper part of the screen (a standing resident sees and reaches them). The console: the ringing
offer and the queue show the same time waited, the status in force is ticked (not colour alone), the offer heading
is large and solid, the knowledge-base field is as large as the chat's, and when the resident's screen goes away the
console says so and what happens next, with the call timer standing still. One call serves every size (the
viewports are resized), so the test costs one call setup; screenshots go to test-artifacts/."""

from __future__ import annotations

import re
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
    "full-hd": {"width": 1920, "height": 1080},
    "phone": {"width": 390, "height": 844},
}
# every field and button of the console's work area is a comfortable click and read (the in-call search was 24 px)
SMALL_CONTROLS_JS = """() => [...document.querySelectorAll('main input, main button, main select')]
  .filter((el) => el.offsetParent && el.getBoundingClientRect().height > 0 && el.getBoundingClientRect().height < 40)
  .map((el) => `${el.dataset.testid || el.id} only ${Math.round(el.getBoundingClientRect().height)} px tall`)"""
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
        await page.wait_for_timeout(40)
        found += [f"{side} {code} {size}: {p}" for p in await page.evaluate(script, may_scroll_down)]
        if side.startswith("console"):
            found += [f"{side} {code} {size}: {p}" for p in await page.evaluate(SMALL_CONTROLS_JS)]
        if code in ("ja", "en", "ne"):
            await shot(page, f"{side}-{code}-{size}".replace(" ", "-"))
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
        # the status in force is ticked, the other is not (not colour alone)
        await expect(agent.locator("#status-available .icon-check")).to_be_visible()
        await expect(agent.locator("#status-away .icon-check")).to_be_hidden()
        await expect(agent.get_by_test_id("offer")).to_be_visible(timeout=WAIT_MS)
        # one clock for the time waited: the ringing offer and the queue's line say the same
        await agent.wait_for_timeout(1100)
        offer_waited = await agent.get_by_test_id("offer-waited").inner_text()
        queue_waited = agent.get_by_test_id("queue-waited")
        clock = re.compile(r"\d+:\d\d")
        shown = clock.findall(offer_waited)
        if await queue_waited.count():
            assert shown == clock.findall(await queue_waited.first.inner_text()), offer_waited
        assert shown and shown != ["0:00"], offer_waited  # it ticks from the server's figure
        heading = agent.locator(".view-offer h1")
        assert await heading.evaluate("(h) => parseFloat(getComputedStyle(h).fontSize)") >= 32
        problems += await sweep(agent, CONSOLE_PROBLEMS_JS, "console offer", "wide", may_scroll_down=False)
        await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("remote-video")).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("call-timer")).to_be_visible(timeout=WAIT_MS)
        await booth.get_by_test_id("chat-input").fill("マイナンバーカードの 暗証番号を わすれました")
        await booth.get_by_test_id("chat-send").click()
        await expect(agent.get_by_test_id("chat-log").locator("li")).to_have_count(1, timeout=WAIT_MS)
        await booth.get_by_test_id("mute").click()  # the fullest booth call screen: 「マイクが 切れています…」 too
        await expect(booth.get_by_test_id("self-muted")).to_be_visible()
        for size, viewport in SIZES.items():
            narrow = viewport["width"] < 600
            await booth.set_viewport_size(viewport)
            await agent.set_viewport_size(viewport)
            problems += await sweep(booth, PROBLEMS_JS, "booth call", size, may_scroll_down=narrow)
            problems += await sweep(
                agent, CONSOLE_PROBLEMS_JS, "console call", size, may_scroll_down=viewport["width"] < 800
            )
        # portrait: mute and hang-up right under the picture, in the upper part of the screen, not at the floor
        await booth.set_viewport_size(SIZES["portrait"])
        for control in ("mute", "end-call"):
            box = await booth.get_by_test_id(control).bounding_box()
            assert box and box["y"] + box["height"] < 0.62 * SIZES["portrait"]["height"], (control, box)
        # the resident's screen goes away: the console says so and what happens next; the timer stands still
        await agent.set_viewport_size(SIZES["wide"])
        await booth_ctx.close()
        await expect(agent.get_by_test_id("peer-lost")).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("peer-lost-next")).to_contain_text("秒")
        await expect(agent.get_by_test_id("call-timer")).to_have_attribute("data-state", "paused")
        await expect(agent.get_by_test_id("call-timer-paused")).to_be_visible()
        stood = await agent.get_by_test_id("call-timer").inner_text()
        await agent.wait_for_timeout(1100)
        assert await agent.get_by_test_id("call-timer").inner_text() == stood
        for size in ("wide", "phone"):
            await agent.set_viewport_size(SIZES[size])
            problems += await sweep(
                agent, CONSOLE_PROBLEMS_JS, "console peer-lost", size, may_scroll_down=SIZES[size]["width"] < 800
            )
    finally:
        await booth_ctx.close()
        await agent_ctx.close()
    assert not problems, "\n".join(problems)
    assert not booth_errors and not agent_errors, booth_errors + agent_errors
