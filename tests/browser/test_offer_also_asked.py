"""The agent's offer says what else the resident asked, short, under the current need (real Chromium).

Audit 16 item 5: the offer showed only the need; the earlier topics (ferry, garbage) appeared only after the agent
accepted. The offer is read in the seconds it rings: at most two earlier topics, each cut short.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, ok, resident_peer

pytestmark = pytest.mark.browser

PASSWORD = "sato-password-1"
LINES = (
    "フェリーの時刻表を知りたいです",
    "ごみの分け方を教えてください",
    "それと、固定資産税の納付書をなくしたので担当の人と話したい",
)


async def test_the_offer_shows_also_asked(live_server: LiveServer, browser: Browser) -> None:
    await live_server.add_agent("sato", PASSWORD)
    home = await resident_peer(live_server)
    context, agent, problems = await new_page(browser, {"width": 1366, "height": 768})
    try:
        for n, text in enumerate(LINES):
            said = ok(await home.call("chat.send", {"text": text, "client_id": f"r-{n}", "language": "ja"}))
            await home.wait_for("chat.message", lambda m, s=said["seq"]: m["sender"] == "bot" and m["seq"] > s)
        await agent.goto(f"{live_server.base_url}/login")
        await agent.get_by_test_id("login-username").fill("sato")
        await agent.get_by_test_id("login-password").fill(PASSWORD)
        await agent.get_by_test_id("login-submit").click()
        await agent.get_by_test_id("status-available").click()
        await expect(agent.get_by_test_id("offer-accept")).to_be_visible(timeout=WAIT_MS)
        summary = agent.get_by_test_id("offer-summary")
        await expect(summary).to_contain_text("固定資産税")
        also = summary.get_by_test_id("summary-also-asked")
        await expect(also).to_contain_text("ほかに きいたこと")
        await expect(also).to_contain_text("フェリー")
        await expect(also).to_be_in_viewport()
        text = await also.inner_text()
        assert len(text) <= 100, text  # read in a glance: two topics at most, each cut short
        await shot(agent, "console-offer-also-asked")
        await agent.get_by_test_id("offer-accept").click()
        # the call screen lists them in its handoff details, not twice in the summary line
        await expect(agent.get_by_test_id("call-summary")).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("call-summary").get_by_test_id("summary-also-asked")).to_have_count(0)
        assert not [p for p in problems if "favicon" not in p], problems
    finally:
        await context.close()
        await home.close()
