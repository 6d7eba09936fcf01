"""The phone chat after a transfer: the resident is told why they wait again, and still after a reload (the
server's view says ``transferred``; the page used to forget it)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, Peer, agent_peer, booth_peer, ok

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


async def _transfer_a_chat_to_a_busy_desk(
    live_server: LiveServer, home: Page, sato: Peer, kato: Peer, kiosk: Peer
) -> tuple[str, str]:
    """kato (tax) takes a booth's case, so he is busy; a phone chat reaches sato, who transfers it to tax: the chat
    waits again without ringing. Returns the booth's case and the chat's case."""
    await kiosk.wait_for("booth.state")
    ok(await kato.call("agent.status", {"status": "available"}))
    booth_case = str(ok(await kiosk.call("consultation.request", {"route": "tax"}))["consultation_id"])
    await kato.wait_for("offer")
    ok(await kato.call("offer.accept", {"consultation_id": booth_case}))
    await home.goto(live_server.base_url + "/chat")
    await expect(home.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
    await home.get_by_test_id("chat-input").fill("住民票の写しがほしい")
    await home.get_by_test_id("chat-send").click()
    await expect(home.get_by_test_id("handoff-request")).to_be_visible(timeout=WAIT_MS)
    await home.get_by_test_id("handoff-request").click()
    ok(await sato.call("agent.status", {"status": "available"}))
    cid = str((await sato.wait_for("offer"))["consultation_id"])
    ok(await sato.call("offer.accept", {"consultation_id": cid}))
    await expect(home.locator("#talking-card")).to_be_visible(timeout=WAIT_MS)
    ok(await sato.call("consultation.transfer", {"consultation_id": cid, "route": "tax", "note": "税の件"}))
    return booth_case, cid


async def test_the_transfer_line_survives_a_reload(live_server: LiveServer, browser: Browser) -> None:
    await live_server.add_agent("sato", "sato-password-1")
    await live_server.add_agent("kato", "kato-password-1", routes=("tax",))
    _booth_id, token, _path = await live_server.add_booth()
    context, home, problems = await new_page(browser, PHONE, phone=True)
    sato = await agent_peer(live_server, "sato", "sato-password-1")
    kato = await agent_peer(live_server, "kato", "kato-password-1")
    kiosk = await booth_peer(live_server, token)
    try:
        await _transfer_a_chat_to_a_busy_desk(live_server, home, sato, kato, kiosk)
        back = home.locator("#back-in-line")
        await expect(back).to_have_attribute("data-reason", "transferred", timeout=WAIT_MS)
        await home.reload()
        await expect(back).to_have_attribute("data-reason", "transferred", timeout=WAIT_MS)
        await expect(back).to_be_visible()
        await shot(home, "chat-transferred-after-reload")
    finally:
        await kiosk.close()
        await kato.close()
        await sato.close()
        await context.close()
    assert not [p for p in problems if "favicon" not in p], problems


async def test_the_chat_names_the_new_counter_also_while_its_console_rings(
    live_server: LiveServer, browser: Browser
) -> None:
    """kiosk9 item 5: the kiosk said the counter was changing, the chat only 「まもなく つながります」 once the new
    desk's console rang. The chat now names the new counter, in every language, ringing or not."""
    await live_server.add_agent("sato", "sato-password-1")
    await live_server.add_agent("kato", "kato-password-1", routes=("tax",))
    _booth_id, token, _path = await live_server.add_booth()
    context, home, problems = await new_page(browser, PHONE, phone=True)
    sato = await agent_peer(live_server, "sato", "sato-password-1")
    kato = await agent_peer(live_server, "kato", "kato-password-1")
    kiosk = await booth_peer(live_server, token)
    try:
        booth_case, cid = await _transfer_a_chat_to_a_busy_desk(live_server, home, sato, kato, kiosk)
        back = home.locator("#back-in-line")
        named = "担当の 窓口を 「税金」に かえています。そのまま お待ちください。"
        await expect(back).to_have_text(named, timeout=WAIT_MS)
        for code in ("easy-ja", "en", "zh", "ko", "vi", "pt", "tl", "ne"):
            await home.evaluate("(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))", code)
            tax = await home.evaluate("() => import('/static/js/i18n.js').then((m) => m.t('route.tax'))")
            await expect(back).to_contain_text(tax)
            if code == "ne":
                await shot(home, "chat-transferred-named-ne")
        await home.evaluate("() => import('/static/js/i18n.js').then((m) => m.setLanguage('ja'))")
        # kato finishes the kiosk's call: the new desk's console rings with the chat, and the line stays
        ok(await kiosk.call("consultation.end", {"consultation_id": booth_case}))
        await kato.wait_for("call.end")
        ok(await kato.call("wrapup.submit", {"consultation_id": booth_case, "disposition": "resolved", "note": ""}))
        await kato.wait_for("offer", lambda o: o["consultation_id"] == cid)
        await expect(home.locator("#queue-place")).to_have_text("まもなく つながります", timeout=WAIT_MS)
        await expect(back).to_be_visible()
        await expect(back).to_contain_text("「税金」に かえています")
        await shot(home, "chat-transferred-ringing")
    finally:
        await kiosk.close()
        await kato.close()
        await sato.close()
        await context.close()
    assert not [p for p in problems if "favicon" not in p], problems
