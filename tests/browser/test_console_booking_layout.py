"""The console's booking panel lies over nothing, in real Chromium (tidy10: at 1366×768 it lay over the queue's
column in a case, and over the work area out of one): it is a column of the page's grid at every size the console
supports (1366×768, 1920×1080, portrait 1080×1920, phone 390×844), out of a case and in a text chat.

The server's clock starts Monday 7 December 2026, 09:30 JST (the counter is open). Screenshots in test-artifacts/."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi import keys
from madoguchi.bookings.plan import JST
from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer

pytestmark = pytest.mark.browser

START = datetime(2026, 12, 7, 9, 30, tzinfo=JST).timestamp()
PASSWORD = "correct horse battery"
SIZES = {
    "1366": {"width": 1366, "height": 768},
    "1920": {"width": 1920, "height": 1080},
    "portrait": {"width": 1080, "height": 1920},
    "phone": {"width": 390, "height": 844},
}
# what the panel must lie over at no size: the queue's column, the status out of a case, the case's chat and buttons
IDLE = [".queue-panel > h2", "#queue-list", "#queue-empty", "#callback-list", "#bookings-today", "#idle-heading"]
IN_CASE = [
    ".queue-panel > h2",
    "#queue-count",
    "#queue-list",
    "#queue-empty",
    "#bookings-today",
    "[data-testid=chat-log]",
    "[data-testid=chat-input]",
    "[data-testid=chat-send]",
    "[data-testid=end-call]",
]
COVERED_JS = """(selectors) => {
  const panel = document.querySelector('[data-testid="staff-booking"]').getBoundingClientRect();
  const out = [];
  if (panel.left < -1 || panel.right > document.documentElement.clientWidth + 1) out.push('panel off the screen');
  for (const selector of selectors) {
    for (const node of document.querySelectorAll(selector)) {
      const b = node.getBoundingClientRect();
      if (b.width && b.height && panel.left < b.right - 1 && b.left < panel.right - 1 && panel.top < b.bottom - 1
          && b.top < panel.bottom - 1) out.push(selector);
    }
  }
  return out;
}"""


async def covered_at_each_size(page: Page, selectors: list[str], name: str) -> list[str]:
    covered: list[str] = []
    for size, viewport in SIZES.items():
        await page.set_viewport_size(viewport)
        await page.wait_for_timeout(100)
        await expect(page.get_by_test_id("staff-booking")).to_be_visible()
        covered += [f"{size}: {c}" for c in await page.evaluate(COVERED_JS, selectors)]
        await shot(page, f"console-booking-layout-{name}-{size}")
    await page.set_viewport_size(SIZES["1366"])
    return covered


async def test_the_booking_panel_lies_over_nothing_at_any_size(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path, start=START, session_ttl_s=365 * 86400) as api:
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        await server.add_agent("tanaka", PASSWORD, languages=("ja",))
        home_ctx, home, home_problems = await new_page(browser, SIZES["phone"], phone=True)
        agent_ctx, agent, agent_problems = await new_page(browser, SIZES["1366"])
        try:
            await agent.goto(f"{api.base_url}/login")
            await agent.get_by_test_id("login-username").fill("tanaka")
            await agent.get_by_test_id("login-password").fill(PASSWORD)
            await agent.get_by_test_id("login-submit").click()
            await agent.wait_for_url("**/console")

            # out of a case: beside the queue and the status, over neither
            await agent.get_by_test_id("book-for-resident").click()
            assert await covered_at_each_size(agent, IDLE, "idle") == []
            await agent.get_by_test_id("staff-book-close").click()

            # in a text chat: the queue's heading and count stay in sight, the chat and its buttons whole
            await home.goto(f"{api.base_url}/chat")
            await expect(home.get_by_test_id("connection-status")).to_have_attribute(
                "data-state", "ready", timeout=WAIT_MS
            )
            await home.get_by_test_id("chat-input").fill("住民票の写しがほしいです。職員と話したい")
            await home.get_by_test_id("chat-send").click()
            # the line asks for a person itself: the bot queues it (the button its reply hides is no way in)
            await expect(home.get_by_test_id("queue-position")).to_be_visible(timeout=WAIT_MS)
            await agent.get_by_test_id("status-available").click()
            await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
            await expect(home.get_by_test_id("talking")).to_be_visible(timeout=WAIT_MS)
            await agent.get_by_test_id("book-for-resident").click()
            await expect(agent.get_by_test_id("staff-book-for")).to_be_visible()
            assert await covered_at_each_size(agent, IN_CASE, "chat") == []
            await expect(agent.locator(".queue-panel > h2")).to_be_visible()  # 「お待ちの方」 and the count, above it
            # closed: the queue's column is the queue's again
            await agent.get_by_test_id("staff-book-close").click()
            await expect(agent.get_by_test_id("queue-list").locator("xpath=..")).to_be_visible()
            await expect(agent.locator("#queue-empty")).to_be_visible()
            assert not [p for p in agent_problems if "favicon" not in p], agent_problems
            assert not [p for p in home_problems if "favicon" not in p], home_problems
        finally:
            await agent_ctx.close()
            await home_ctx.close()
