"""Session 15, item 1: an agent's wrap-up survives a reload, a save that was on its way when the page died is said,
not lost silently, and a logout leaves no draft for the next person at the computer. Session 15 review: the raw
note is kept in the tab's sessionStorage, never localStorage (it outlived expired sessions and closed browsers
there), a draft older than 12 hours is not put back, and the login page removes every draft it finds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_counter_ux import CONSOLE_VIEWPORT, KIOSK_WIDE, login
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

NOTE = "郵送の 件。明日 10時に 電話する"
DRAFTS_JS = "() => Object.keys(sessionStorage).filter((k) => k.startsWith('madoguchi.wrapup.'))"
LASTING_JS = "() => Object.keys(localStorage).filter((k) => k.startsWith('madoguchi.wrapup.'))"
IN_FLIGHT_JS = """() => {
  for (const k of Object.keys(sessionStorage).filter((k) => k.startsWith('madoguchi.wrapup.'))) {
    sessionStorage.setItem(k, JSON.stringify({ ...JSON.parse(sessionStorage.getItem(k)), sending: true }));
  }
}"""
AGED_JS = """() => {
  for (const k of Object.keys(sessionStorage).filter((k) => k.startsWith('madoguchi.wrapup.'))) {
    const at = Date.now() - 13 * 3600 * 1000;
    sessionStorage.setItem(k, JSON.stringify({ ...JSON.parse(sessionStorage.getItem(k)), at }));
  }
}"""
LEFT_JS = """() => {
  const left = JSON.stringify({ disposition: "follow_up", note: "090-1234-5678 に 電話" });
  localStorage.setItem("madoguchi.wrapup.someone.c_old", left);
  sessionStorage.setItem("madoguchi.wrapup.someone.c_older", left);
}"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path, grace_period_s=30.0)) as live:
        yield live


async def type_wrap_up(agent: Page) -> None:
    await agent.get_by_test_id("wrapup-disposition").select_option("follow_up")
    await agent.get_by_test_id("wrapup-note").fill(NOTE)


async def test_a_typed_wrap_up_survives_a_reload_and_goes_at_logout(server: LiveServer, browser: Browser) -> None:
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("sato", "sato-password-1")
    booth_ctx, booth, _ = await new_page(browser, KIOSK_WIDE)
    agent_ctx, agent, agent_problems = await new_page(browser, CONSOLE_VIEWPORT)
    wrapup = agent.get_by_test_id("wrapup")
    try:
        await login(agent, server, "sato", "sato-password-1")
        await agent.get_by_test_id("status-available").click()
        await booth.goto(server.base_url + kiosk_path)
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-tax").click()
        await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
        await agent.get_by_test_id("end-call").click(timeout=WAIT_MS)
        await agent.get_by_test_id("end-call-confirm").click()
        await expect(wrapup).to_be_visible(timeout=WAIT_MS)

        # logout: no draft is left for whoever signs in next at this computer
        await type_wrap_up(agent)
        assert len(await agent.evaluate(DRAFTS_JS)) == 1
        assert await agent.evaluate(LASTING_JS) == [], "the raw note is never kept beyond the tab"
        await agent.get_by_test_id("logout").click()
        await agent.wait_for_url("**/login")
        assert await agent.evaluate(DRAFTS_JS) == []
        # drafts an older page or another login left: the login page removes them on sight
        await agent.evaluate(LEFT_JS)
        await agent.reload()
        assert await agent.evaluate(DRAFTS_JS) == [] and await agent.evaluate(LASTING_JS) == []
        await login(agent, server, "sato", "sato-password-1")
        await expect(wrapup).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("wrapup-note")).to_have_value("")

        # a draft older than a working day is not put back, and goes
        await type_wrap_up(agent)
        await agent.evaluate(AGED_JS)
        await agent.reload()
        await expect(wrapup).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("wrapup-note")).to_have_value("")
        assert await agent.evaluate(DRAFTS_JS) == []

        # a reload: the result and the note come back
        await type_wrap_up(agent)
        await agent.reload()
        await expect(wrapup).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("wrapup-disposition")).to_have_value("follow_up")
        await expect(agent.get_by_test_id("wrapup-note")).to_have_value(NOTE)
        await agent.set_viewport_size(KIOSK_WIDE)
        await shot(agent, "ux15-console-wrapup-restored-1366x768")
        await agent.set_viewport_size(CONSOLE_VIEWPORT)

        # the page died while the save was on its way (and the server never got it): said, and the form is back
        await agent.evaluate(IN_FLIGHT_JS)
        await agent.reload()
        await expect(wrapup).to_be_visible(timeout=WAIT_MS)
        await expect(agent.locator("#wrapup-error")).to_contain_text("届いたか わかりません")
        await expect(agent.get_by_test_id("wrapup-note")).to_have_value(NOTE)
        await shot(agent, "ux15-console-wrapup-unsent-1920x1080")
        await agent.get_by_test_id("wrapup-submit").click()
        await expect(agent.get_by_test_id("message")).to_contain_text("記録しました", timeout=WAIT_MS)
        assert await agent.evaluate(DRAFTS_JS) == []  # saved: the draft is gone
        rows = await server.export_records()
        assert (rows[0]["disposition"], rows[0]["note"]) == ("follow_up", NOTE), rows
    finally:
        await booth_ctx.close()
        await agent_ctx.close()
    assert not [p for p in agent_problems if "favicon" not in p], agent_problems
