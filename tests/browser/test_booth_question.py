"""The booth's start screen takes a question in the resident's own words, in real Chromium.

Why a browser test: only a browser shows that the typed question comes back as two or three big "is it about
…?" buttons, that tapping one puts the resident in line, and that the agent's offer carries the summary of
the typed words (the route buttons stay for residents who only tap).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

KIOSK_VIEWPORT = {"width": 1280, "height": 900}
CONSOLE_VIEWPORT = {"width": 1440, "height": 900}
QUESTION = "住民票の写しを 1枚 とりたいです"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        yield live


async def test_a_typed_question_offers_topics_and_reaches_the_agent(server: LiveServer, browser: Browser) -> None:
    _booth_id, _token, kiosk_path = await server.add_booth("汐見郵便局ブース")
    await server.add_agent("sato", "sato-password-1")
    booth_ctx, booth, booth_problems = await new_page(browser, KIOSK_VIEWPORT)
    agent_ctx, agent, agent_problems = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        await booth.goto(server.base_url + kiosk_path)
        start = booth.get_by_test_id("start-consultation")
        await expect(start).to_be_enabled(timeout=WAIT_MS)
        await start.click()
        await expect(booth.get_by_test_id("route-resident_records")).to_be_visible()  # tapping still works
        await booth.get_by_test_id("question-input").fill(QUESTION)
        await booth.get_by_test_id("question-submit").click()
        topics = booth.get_by_test_id("question-suggestion")
        await expect(topics.first).to_be_visible(timeout=WAIT_MS)
        assert 1 <= await topics.count() <= 3
        await expect(topics.first).to_have_text("「住民票・印鑑」の ことですか？")
        await expect(topics.first).to_have_attribute("data-route", "resident_records")
        # ux7 item 9: the bot is sure (the phone chat answers it), so the booth shows the answer too
        await expect(booth.get_by_test_id("question-answer")).to_contain_text("町民課")
        # and a language switch re-words the topic buttons already on screen
        await booth.evaluate("() => import('/static/js/i18n.js').then((m) => m.setLanguage('en'))")
        await expect(topics.first).not_to_have_text("「住民票・印鑑」の ことですか？")
        await booth.evaluate("() => import('/static/js/i18n.js').then((m) => m.setLanguage('ja'))")
        await expect(topics.first).to_have_text("「住民票・印鑑」の ことですか？")
        await shot(booth, "booth-question-1-topics")
        await topics.first.click()
        position = booth.get_by_test_id("queue-position")
        await expect(position).to_have_attribute("data-position", "1", timeout=WAIT_MS)

        await agent.goto(f"{server.base_url}/login")
        await agent.get_by_test_id("login-username").fill("sato")
        await agent.get_by_test_id("login-password").fill("sato-password-1")
        await agent.get_by_test_id("login-submit").click()
        await agent.wait_for_url("**/console")
        await agent.get_by_test_id("status-available").click()
        await expect(agent.get_by_test_id("offer-accept")).to_be_visible(timeout=WAIT_MS)
        summary = agent.get_by_test_id("offer-summary")
        await expect(summary).to_contain_text("住民票の写しを 1枚 とりたいです")
        await shot(agent, "booth-question-2-offer")
        assert booth_problems == [] and agent_problems == []
    finally:
        await booth_ctx.close()
        await agent_ctx.close()
