"""UX13 finding 3 and 7 in real Chromium: an agent who comes back to a wrap-up after the grace period is away, and
the console says so (the toggle on 離席する, 「記録のあと 離席中に なります」, 「記録して 受付を 続ける」); the wrap-up
form's empty result gets the page's own sentence, never the browser's bubble."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_counter_ux import CONSOLE_VIEWPORT, KIOSK_WIDE, login
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

GRACE = 1.0


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path, grace_period_s=GRACE, thanks_screen_s=3.0)) as live:
        yield live


async def test_back_to_a_wrap_up_after_the_grace_period_says_away_and_offers_to_keep_receiving(
    server: LiveServer, browser: Browser
) -> None:
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("sato", "sato-password-1")
    booth_ctx, booth, booth_problems = await new_page(browser, KIOSK_WIDE)
    agent_ctx, agent, _ = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        await login(agent, server, "sato", "sato-password-1")
        await agent.get_by_test_id("status-available").click()
        await booth.goto(server.base_url + kiosk_path)
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-tax").click()
        await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
        await agent.get_by_test_id("end-call").click(timeout=WAIT_MS)
        await agent.get_by_test_id("end-call-confirm").click()
        await expect(agent.get_by_test_id("wrapup")).to_be_visible(timeout=WAIT_MS)
        # in one sitting the agent is still receiving: nothing to warn about
        await expect(agent.get_by_test_id("status-available")).to_have_attribute("aria-pressed", "true")
        await expect(agent.get_by_test_id("wrapup-away-after")).to_be_hidden()
        await expect(agent.get_by_test_id("wrapup-submit-receive")).to_be_hidden()
        # the page's own sentence for an empty result (novalidate: no browser bubble in the browser's language)
        await agent.get_by_test_id("wrapup-submit").click()
        await expect(agent.locator("#wrapup-error")).to_have_text("結果を えらんでください。")
        assert await agent.locator("#wrapup-form").evaluate("f => f.noValidate") is True
        await agent_ctx.close()  # the browser closes during the wrap-up
        await asyncio.sleep(GRACE * 3)  # past the grace period: the server sets the agent away

        agent_ctx, agent, agent_problems = await new_page(browser, CONSOLE_VIEWPORT)
        await login(agent, server, "sato", "sato-password-1")
        await expect(agent.get_by_test_id("wrapup")).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("status-away")).to_have_attribute("aria-pressed", "true")
        await expect(agent.get_by_test_id("status-available")).to_have_attribute("aria-pressed", "false")
        await expect(agent.get_by_test_id("wrapup-away-after")).to_contain_text("記録のあと 離席中に なります")
        await expect(agent.get_by_test_id("wrapup-submit-receive")).to_have_text("記録して 受付を 続ける")
        await shot(agent, "ux13-console-wrapup-away-after-1920x1080")
        await agent.set_viewport_size(KIOSK_WIDE)
        await shot(agent, "ux13-console-wrapup-away-after-1366x768")
        await agent.get_by_test_id("wrapup-disposition").select_option("resolved")
        await agent.get_by_test_id("wrapup-submit-receive").click()
        await expect(agent.get_by_test_id("message")).to_contain_text("記録しました")
        await expect(agent.get_by_test_id("agent-status")).to_have_attribute("data-status", "available")
        await expect(agent.get_by_test_id("status-available")).to_have_attribute("aria-pressed", "true")
        rows = await server.export_records()
        assert rows[0]["disposition"] == "resolved" and rows[0]["state"] == "closed", rows
    finally:
        await booth_ctx.close()
        await agent_ctx.close()
    assert not [p for p in booth_problems if "favicon" not in p], booth_problems
    assert not [p for p in agent_problems if "favicon" not in p], agent_problems
