"""The agent learns, in plain words, that a number they typed was hidden and not kept (real Chromium).

A resident at home (a Socket.IO client) asks for a person; the agent accepts in the console, types a phone
number in the chat and a 個人番号 in the wrap-up note. Both times the console says
「番号のような 数字は 記録に 残さないため 伏せました。」, the chat shows the token, and the record holds neither number.
"""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, expect

from madoguchi.domain.privacy import PHONE_MASK
from madoguchi.ui import STATIC_DIR
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, ok, resident_peer

pytestmark = pytest.mark.browser

PASSWORD = "sato-password-1"
CONSOLE_VIEWPORT = {"width": 1440, "height": 900}
NOTICE = json.loads((STATIC_DIR / "i18n" / "ja.json").read_text(encoding="utf-8"))["console.masked_note"]
PHONE = "０９０（１２３４）５６７８"
MY_NUMBER = "1234\n5678\n9018"  # a valid 個人番号, one group a line


async def test_the_console_says_a_number_was_hidden(live_server: LiveServer, browser: Browser) -> None:
    assert NOTICE == "番号のような 数字は 記録に 残さないため 伏せました。"
    await live_server.add_agent("sato", PASSWORD)
    home = await resident_peer(live_server)
    context, agent, problems = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        await agent.goto(f"{live_server.base_url}/login")
        await agent.get_by_test_id("login-username").fill("sato")
        await agent.get_by_test_id("login-password").fill(PASSWORD)
        await agent.get_by_test_id("login-submit").click()
        await agent.get_by_test_id("status-available").click()
        ack = ok(await home.call("chat.send", {"text": "職員と話したい。税金のことです", "client_id": "r-1"}))
        await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
        await home.wait_for("call.start")

        await agent.get_by_test_id("chat-input").fill(f"折り返しは {PHONE} にします")
        await agent.get_by_test_id("chat-input").press("Enter")
        await expect(agent.get_by_test_id("message")).to_contain_text(NOTICE, timeout=WAIT_MS)
        await expect(agent.get_by_test_id("chat-log")).to_contain_text(PHONE_MASK, timeout=WAIT_MS)
        line = await home.wait_for("chat.message", lambda m: m["sender"] == "agent")
        assert PHONE_MASK in line["text"] and "5678" not in line["text"]
        await shot(agent, "console-masked-chat")

        ok(await home.call("consultation.end", {"consultation_id": ack["consultation_id"]}))
        await expect(agent.get_by_test_id("wrapup-submit")).to_be_visible(timeout=WAIT_MS)
        await agent.get_by_test_id("wrapup-disposition").select_option("resolved")
        await agent.get_by_test_id("wrapup-note").fill(f"本人確認 {MY_NUMBER}")
        await agent.get_by_test_id("wrapup-submit").click()
        await expect(agent.get_by_test_id("wrapup-submit")).to_be_hidden(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("message")).to_contain_text("記録しました。", timeout=WAIT_MS)
        await expect(agent.get_by_test_id("message")).to_contain_text(NOTICE)
        await shot(agent, "console-masked-wrapup")

        [record] = await live_server.export_records()
        stored = json.dumps(record, ensure_ascii=False)
        assert "9018" not in stored and "5678" not in stored and "５６７８" not in stored
        assert "［個人番号］" in record["note"]
        assert not [p for p in problems if "favicon" not in p], problems
    finally:
        await context.close()
        await home.close()
