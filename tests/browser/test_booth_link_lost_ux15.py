"""UX15 item 1, in real Chromium: the booth's network goes away in a video call for longer than the grace period.

The booth said 「通信の ようす: よい」 while cut, advised typing when nothing could be sent, and on its return was
thanked and sent home, the line it typed lost. Now the pill says 「切れています」 at once and the notice that it is
reconnecting; the server ends the call past the grace period (the agent goes to wrap-up), and the booth back on line
takes the case up again (`resume`): 「職員との 通信が 切れました。もう一度 おつなぎします」, in line ahead of walk-ins,
the typed line going with the new case. ``BrowserContext.set_offline`` cuts the kiosk's socket at once, as in
tests/browser/test_resume.py (the same call set-up, tests/browser/calls.py); the only waits are for the server's grace
period (2 s here) to pass."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.calls import kiosk_in_a_video_call
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_call_flow import KIOSK_VIEWPORT
from tests.support import LiveServer, booth_peer, ok, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

TYPED = "もしもし、きこえますか"
SIZES = {
    "portrait": {"width": 1080, "height": 1920},
    "wide": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}


async def shots(page: Page, name: str) -> None:
    """The screen at the kiosk's sizes and a phone's, for a person to look at; back to the test's size after."""
    for size, viewport in SIZES.items():
        await page.set_viewport_size(viewport)
        await shot(page, f"{name}-{size}")
    await page.set_viewport_size(KIOSK_VIEWPORT)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path, grace_period_s=2.0)) as live:
        yield live


async def test_a_booth_cut_past_the_grace_period_is_put_back_in_line_not_thanked(
    server: LiveServer, browser: Browser
) -> None:
    async with kiosk_in_a_video_call(server, browser, "潮見港郵便局ブース", "kato", "kato-password-1") as call:
        booth, agent = call.booth, call.agent
        pill = booth.locator("#link-quality")
        await expect(pill).to_have_attribute("data-down", "false", timeout=WAIT_MS)

        await call.booth_ctx.set_offline(True)
        await expect(pill).to_have_text("通信の ようす: 切れています")
        notice = booth.get_by_test_id("call-notice")
        await expect(notice).to_have_attribute("data-i18n", "booth.reconnecting.call")
        box = booth.get_by_test_id("chat-input")
        await box.fill(TYPED)
        await box.press("Enter")
        await expect(booth.locator('[data-testid="chat-log"] li[data-pending="true"]')).to_contain_text(TYPED)
        await shots(booth, "ux15-booth-cut-in-call")
        # past the grace period the server ends the call: the agent writes the wrap-up
        await expect(agent.get_by_test_id("wrapup-submit")).to_be_visible(timeout=WAIT_MS)
        await expect(notice).not_to_have_attribute("data-i18n", "media.failed")

        await call.booth_ctx.set_offline(False)
        await expect(booth.get_by_test_id("call-lost")).to_be_visible(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("call-lost-next")).to_be_visible()
        await expect(booth.get_by_test_id("thanks")).to_be_hidden()
        await expect(booth.get_by_test_id("queue-position")).to_have_attribute("data-position", "1")
        await shots(booth, "ux15-booth-back-in-line")
        records = await server.export_records()
        assert len(records) == 2, records  # the cut call, and the case taken up again carrying the typed line
        assert TYPED in json.dumps(records, ensure_ascii=False), records
        unexpected = call.unexpected_problems()
        assert not unexpected, unexpected


async def test_a_booth_waiting_in_line_cut_past_the_grace_period_gets_its_place_back(
    server: LiveServer, browser: Browser
) -> None:
    """Session 16: a kiosk waiting in line whose network stays away past the grace period was taken out of the line
    and, back on line, thanked. Now it is back at its own place (ahead of the booth that came after it), on the
    waiting screen without the 「通信が 切れました」 of a cut call, its time waited kept."""
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    _, later_token, _ = await server.add_booth("あとのブース")
    booth_ctx, booth, booth_problems = await new_page(browser, KIOSK_VIEWPORT)
    later = None
    try:
        await booth.goto(server.base_url + kiosk_path)
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-tax").click()
        position = booth.get_by_test_id("queue-position")
        await expect(position).to_have_attribute("data-position", "1", timeout=WAIT_MS)
        later = await booth_peer(server, later_token)
        assert ok(await later.call("consultation.request", {"route": "tax"}))["position"] == 2

        await booth_ctx.set_offline(True)
        # past the grace period the server takes the kiosk's case out of the line: the later booth is first
        await later.wait_for("queue.position", lambda m: m["position"] == 1, within=10.0)
        await booth_ctx.set_offline(False)
        await later.wait_for("queue.position", lambda m: m["position"] == 2, within=10.0)
        await expect(position).to_have_attribute("data-position", "1", timeout=WAIT_MS)
        await expect(booth.get_by_test_id("thanks")).to_be_hidden()
        await expect(booth.get_by_test_id("call-lost")).to_be_hidden()
        status = booth.get_by_test_id("connection-status")
        await expect(status).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
        await shots(booth, "booth16-waiting-back-in-place")
        unexpected = [p for p in booth_problems if "favicon" not in p and "ERR_INTERNET_DISCONNECTED" not in p]
        assert not unexpected, unexpected
    finally:
        if later is not None:
            await later.close()
        await booth_ctx.close()
