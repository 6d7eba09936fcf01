"""UX14 findings on the booth in real Chromium at 1366×768: the thank-you and its one-tap question stay long enough
to read and answer, with a 「はじめに もどる」 to leave at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot, sign_in
from tests.browser.test_kiosk_layouts import close_all_week
from tests.support import LiveServer, agent_peer, ok, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

KIOSK_WIDE = {"width": 1366, "height": 768}
CONSOLE_VIEWPORT = {"width": 1920, "height": 1080}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:  # the thank-you's own default length
        yield live


async def test_the_thanks_stays_past_eight_seconds_and_goes_back_on_request(
    server: LiveServer, browser: Browser
) -> None:
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("sato", "sato-password-1")
    booth_ctx, booth, booth_problems = await new_page(browser, KIOSK_WIDE)
    agent_ctx, agent, agent_problems = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        await sign_in(agent, server.base_url, "sato", "sato-password-1")
        await agent.get_by_test_id("status-available").click()
        await booth.goto(server.base_url + kiosk_path)
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-tax").click()
        await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("end-call")).to_be_visible(timeout=WAIT_MS)
        await booth.get_by_test_id("end-call").click()
        await booth.get_by_test_id("hangup-yes").click()
        thanks = booth.get_by_test_id("thanks")
        await expect(thanks).to_be_visible(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("thanks-restart")).to_have_text("はじめに もどる")
        await expect(booth.get_by_test_id("thanks-restart")).to_be_in_viewport()
        # 8 s was the old length: well past it the thanks and the question are still there
        await booth.wait_for_timeout(10_000)
        await expect(thanks).to_be_visible()
        await expect(booth.get_by_test_id("csat-good")).to_be_visible()
        # the plain closing line alone until the agent's wrap-up says what comes next; then that, never the note
        await expect(booth.get_by_test_id("thanks-next")).to_be_hidden()
        await agent.get_by_test_id("wrapup-disposition").select_option("follow_up")
        await agent.get_by_test_id("wrapup-note").fill("書類を 郵送する")
        await agent.get_by_test_id("wrapup-submit").click()
        await expect(booth.get_by_test_id("thanks-next")).to_have_text(
            "役場から あらためて ご連絡します。", timeout=WAIT_MS
        )
        await expect(thanks).not_to_contain_text("郵送")
        await expect(booth.get_by_test_id("thanks-restart")).to_be_in_viewport()
        await shot(booth, "ux14-booth-thanks-1366x768")
        await booth.get_by_test_id("thanks-restart").click()
        await expect(booth.get_by_test_id("start-consultation")).to_be_visible(timeout=WAIT_MS)
        await expect(thanks).to_be_hidden()
    finally:
        await booth_ctx.close()
        await agent_ctx.close()
    assert not [p for p in booth_problems if "favicon" not in p], booth_problems
    assert not [p for p in agent_problems if "favicon" not in p], agent_problems


SELFTEST_JS = """() => import('/static/js/selftest.js').then((m) => {
  const echo = { connected: true, audio: false, rtt_ms: 1, loss_pct: 0 };  // 85_kiosk_check_panel.png
  const results = { camera: 'ok', microphone: 'ok', speaker: 'ok' };
  Object.assign(results, { sound: m.soundResult(echo), network: m.echoResult(echo) });
  const said = m.describe(results);
  return { sound: results.sound, network: results.network, key: said.key, items: said.items };
})"""


async def test_the_self_test_blames_the_sound_not_the_network_when_the_tone_does_not_come_back(
    server: LiveServer, browser: Browser
) -> None:
    """UX14 #3: the echo call connected at 1 ms and 0% lost but its tone did not come back; the check panel's
    headline said 「通信を 確かめてください」. The sound is its own check and the line names it."""
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    context, page, problems = await new_page(browser, KIOSK_WIDE)
    try:
        await page.goto(server.base_url + kiosk_path)
        said = await page.evaluate(SELFTEST_JS)
        assert said == {"sound": "warn", "network": "ok", "key": "booth.selftest.warn", "items": ["sound"]}, said
        words = await page.evaluate(
            "() => import('/static/js/i18n.js')"
            ".then(({ t }) => t('booth.selftest.warn', { items: t('booth.selftest.sound') }))"
        )
        assert words == "点検: 音を 確かめてください", words
    finally:
        await context.close()
    assert not [p for p in problems if "favicon" not in p], problems


async def test_outside_the_hours_the_idle_screen_does_not_warn_while_an_agent_of_the_town_is_on_duty(
    server: LiveServer, browser: Browser
) -> None:
    """UX14 #3 (50_booth_landscape_idle.png): 「職員が お答えできない ことが あります」 while agent1 was 受付中. The
    notice read only the hours; it now also asks whether an agent of the town is on duty (hours.get ``staffed``)."""
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await close_all_week(server)
    await server.add_agent("sato", "sato-password-1")
    agent = await agent_peer(server, "sato", "sato-password-1")
    context, page, problems = await new_page(browser, KIOSK_WIDE)
    try:
        notice = page.get_by_test_id("closed-now")
        await page.goto(server.base_url + kiosk_path)
        await expect(page.locator("body")).to_have_attribute("data-closed-now", "true", timeout=WAIT_MS)
        await expect(notice).to_be_visible()  # closed, and nobody on duty: said
        ok(await agent.call("agent.status", {"status": "available"}))
        await page.reload()
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        await expect(page.locator("body")).to_have_attribute("data-closed-now", "false", timeout=WAIT_MS)
        await expect(notice).to_be_hidden()
        await shot(page, "ux14-booth-idle-staffed-1366x768")
    finally:
        await context.close()
        await agent.close()
    assert not [p for p in problems if "favicon" not in p], problems
