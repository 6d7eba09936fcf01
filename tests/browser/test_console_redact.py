"""A 個人番号 sent over three chat lines leaves no group on the agent's screen (real Chromium).

The resident (a Socket.IO client) sends 「マイナンバーは1234です。」, 「次の4桁は5678です。」, 「最後の4桁は9018です」
one line at a time; the console showed the first two as they came, and the third brings ``chat.redact``: the
console puts the stored, masked text in their place (session 12's outside attack)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from madoguchi.domain.privacy import MY_NUMBER_MASK
from tests.browser.chromium import WAIT_MS, new_page, shot, sign_in
from tests.support import LiveServer, ok, resident_peer

pytestmark = pytest.mark.browser

PASSWORD = "sato-password-1"
CONSOLE_VIEWPORT = {"width": 1920, "height": 1080}
LINES = ("マイナンバーは1234です。", "次の4桁は5678です。", "最後の4桁は9018です")


async def test_the_console_masks_the_pieces_it_already_showed(live_server: LiveServer, browser: Browser) -> None:
    await live_server.add_agent("sato", PASSWORD)
    home = await resident_peer(live_server)
    context, agent, problems = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        await sign_in(agent, live_server.base_url, "sato", PASSWORD)
        await agent.get_by_test_id("status-available").click()
        ok(await home.call("chat.send", {"text": "職員と話したい。税金のことです", "client_id": "r-0"}))
        await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
        await home.wait_for("call.start")

        log = agent.get_by_test_id("chat-log")
        for n, text in enumerate(LINES[:2]):
            ok(await home.call("chat.send", {"text": text, "client_id": f"r-{n + 1}"}))
        await expect(log).to_contain_text("5678", timeout=WAIT_MS)  # shown as they came: no piece alone is a number
        ok(await home.call("chat.send", {"text": LINES[2], "client_id": "r-3"}))
        await expect(log).to_contain_text(f"最後の4桁は{MY_NUMBER_MASK}です", timeout=WAIT_MS)
        await expect(log).to_contain_text(f"次の4桁は{MY_NUMBER_MASK}です。", timeout=WAIT_MS)
        await expect(log).to_contain_text(f"マイナンバーは{MY_NUMBER_MASK}です。", timeout=WAIT_MS)
        shown = await log.inner_text()
        assert not any(group in shown for group in ("1234", "5678", "9018")), shown
        await shot(agent, "console-redacted-pieces")
        assert not [p for p in problems if "favicon" not in p], problems
    finally:
        await context.close()
        await home.close()


async def test_the_offer_card_and_the_call_summary_mask_pieces_sent_while_the_case_rings(
    live_server: LiveServer, browser: Browser
) -> None:
    """The handoff summary was written from 「…マイナンバーは1234」 before the number was complete; 「5678」 and
    「9018」 sent while the console rings bring ``chat.redact`` with the summary masked (session 12 review)."""
    await live_server.add_agent("sato", PASSWORD)
    home = await resident_peer(live_server)
    context, agent, problems = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        await sign_in(agent, live_server.base_url, "sato", PASSWORD)
        await agent.get_by_test_id("status-available").click()
        ok(await home.call("chat.send", {"text": "職員と話したいです。マイナンバーは1234", "client_id": "s-0"}))
        summary = agent.get_by_test_id("offer-summary")
        await expect(summary).to_contain_text("1234", timeout=WAIT_MS)  # the piece as written, not yet a number
        ok(await home.call("chat.send", {"text": "5678", "client_id": "s-1"}))
        assert ok(await home.call("chat.send", {"text": "9018", "client_id": "s-2"}))["masked"] is True
        await expect(summary).to_contain_text(f"マイナンバーは{MY_NUMBER_MASK}", timeout=WAIT_MS)
        assert "1234" not in await summary.inner_text()
        await shot(agent, "console-offer-summary-redacted")
        await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
        await home.wait_for("call.start")
        call_summary = agent.get_by_test_id("call-summary")
        await expect(call_summary).to_contain_text(f"マイナンバーは{MY_NUMBER_MASK}", timeout=WAIT_MS)
        assert "1234" not in await call_summary.inner_text()
        assert not [p for p in problems if "favicon" not in p], problems
    finally:
        await context.close()
        await home.close()
