"""A booth revoked during a call: the kiosk says why it cannot be used and stays on that screen (red team 5,
issue 9: the call's end then put the thanks screen and the satisfaction question over it, as if all was well)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.integration.test_revocation import run_cli
from tests.support import LiveServer, agent_peer, make_settings, ok, serve

pytestmark = pytest.mark.browser
REVOKED = "この 画面は 使えなく なりました。係の 人に お知らせください。"  # tidy10: 「端末」 is not an everyday word


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(make_settings(tmp_path)) as live:
        yield live


async def test_a_kiosk_revoked_in_a_call_says_why_and_stays_so(server: LiveServer, browser: Browser) -> None:
    booth_id, _token, kiosk_path = await server.add_booth("汐見郵便局ブース")
    await server.add_agent("sato", "sato-password-1")
    context, kiosk, problems = await new_page(browser, {"width": 1080, "height": 1920})
    agent = await agent_peer(server, "sato", "sato-password-1")
    try:
        await kiosk.goto(server.base_url + kiosk_path)
        await kiosk.get_by_test_id("start-consultation").click(timeout=WAIT_MS)
        await kiosk.get_by_test_id("route-resident_records").click()
        ok(await agent.call("agent.status", {"status": "available"}))
        offer = await agent.wait_for("offer")
        ok(await agent.call("offer.accept", {"consultation_id": offer["consultation_id"]}))
        await expect(kiosk.locator("body")).to_have_attribute("data-screen", "call", timeout=WAIT_MS)

        await run_cli(server, "booth", "revoke", booth_id)

        reason = kiosk.get_by_test_id("kiosk-error-text")
        await expect(reason).to_have_text(REVOKED, timeout=WAIT_MS)
        await kiosk.wait_for_timeout(1500)  # the call's end arrives too: it must not cover the reason
        await expect(kiosk.locator("body")).to_have_attribute("data-screen", "error")
        await expect(reason).to_be_visible()
        await shot(kiosk, "kiosk-revoked-in-call")
        assert [p for p in problems if "WebSocket" not in p and "ERR_" not in p] == []
    finally:
        await agent.close()
        await context.close()
