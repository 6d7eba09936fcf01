"""The resident chat on a phone (``/chat``) and the chat consultation in the console, in real Chromium.

Why a browser test: the chat page is JavaScript on a small screen; only a browser shows that the bot's answer,
the queue position, the urgent numbers and the masked 個人番号 actually reach the resident, that the agent sees
the summary and the whole transcript, and that the record keeps the masked text only. Screenshots of every
screen go to ``test-artifacts/`` (phone viewport 390x844) for a human to look at.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi import keys
from madoguchi.domain.privacy import MY_NUMBER_MASK, my_number_check_digit
from tests.browser.chromium import WAIT_MS, new_page, shot, sign_in
from tests.support import LiveServer, Peer

pytestmark = pytest.mark.browser

PHONE_VIEWPORT = {"width": 390, "height": 844}
CONSOLE_VIEWPORT = {"width": 1440, "height": 900}
PASSWORD = "sato-password-1"
QUESTION = "住民票の写しがほしい"
# Lines with a weak danger signal. The model is trained from the corpus at start, so which of them falls in the
# "ask first" band moves when the corpus grows: the test takes the first one this server asks about.
WEAK_DANGER = (
    "水位が上がってきた気がする",
    "なんだか川の水が多い気がする",
    "川の水が増えてきたみたい",
    "裏山から小石が落ちてくる気がする",
    "となりの おばあちゃんを きのうから 見かけない",
    "なんだか家の前の川が心配です",
)
RESIDENT_LINE = "よろしくお願いします"
AGENT_LINE = "担当の佐藤です。郵送でも とれますよ"


def valid_my_number() -> str:
    first = "12345678901"
    return first + str(my_number_check_digit(first))


async def open_chat(page: Page, server: LiveServer, path: str = "/chat") -> None:
    await page.goto(server.base_url + path)
    await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)


async def say(page: Page, text: str) -> None:
    await page.get_by_test_id("chat-input").fill(text)
    await page.get_by_test_id("chat-send").click()


def lines(page: Page, sender: str) -> Any:
    return page.get_by_test_id("chat-log").locator(f'li[data-sender="{sender}"]')


async def assert_fits_phone(page: Page) -> None:
    """Nothing wider than the phone: no sideways scrolling on a small screen."""
    overflow = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the phone"


async def test_resident_asks_then_talks_with_an_agent(live_server: LiveServer, browser: Browser) -> None:
    await live_server.add_agent("sato", PASSWORD)
    home_ctx, home, home_problems = await new_page(browser, PHONE_VIEWPORT, phone=True)
    agent_ctx, agent, agent_problems = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        await open_chat(home, live_server)
        await expect(home.get_by_test_id("handoff-request")).to_have_text("職員と話す")
        await expect(home.get_by_test_id("queue-position")).to_be_hidden()
        await expect(home.get_by_test_id("urgent-banner")).to_be_hidden()
        await assert_fits_phone(home)
        await shot(home, "resident-1-start")

        # --- the bot answers from the knowledge base, line breaks kept
        await say(home, QUESTION)
        await expect(lines(home, "resident")).to_have_text([f"あなた{QUESTION}"], timeout=WAIT_MS)
        answer = lines(home, "bot").last
        await expect(answer).to_contain_text("町民課", timeout=WAIT_MS)
        assert "\n" in await answer.locator(".chat-text").inner_text(), "the answer's line breaks are shown"
        await expect(home.get_by_test_id("chat-input")).to_have_value("")
        await assert_fits_phone(home)
        await shot(home, "resident-2-answer")

        # --- asks for a person: queued, nobody on duty yet, so the wait is honestly unknown
        await home.get_by_test_id("handoff-request").click()
        position = home.get_by_test_id("queue-position")
        await expect(position).to_be_visible(timeout=WAIT_MS)
        # nobody on duty: the place in line is kept but not shown beside "nobody can answer" (ux7 item 3)
        assert await position.get_attribute("data-position") is None
        await expect(position).not_to_contain_text("番目")
        await expect(home.get_by_test_id("handoff-request")).to_be_hidden()
        # ux6: nobody is on duty, so the bot does not promise a person (the panel beside it says the same)
        await expect(lines(home, "bot").last).to_contain_text(re.compile("お答えできる職員がいません|受付時間外"))
        await shot(home, "resident-3-waiting")

        # --- the agent logs in, sees the chat case, goes available and accepts
        await sign_in(agent, live_server.base_url, "sato", PASSWORD)
        await agent.wait_for_url("**/console")
        queued = agent.get_by_test_id("queue-list").locator("li")
        await expect(queued).to_have_count(1, timeout=WAIT_MS)
        await expect(queued).to_contain_text("住民票")
        await expect(queued).to_contain_text("自宅から")
        await agent.get_by_test_id("status-available").click()
        accept = agent.get_by_test_id("offer-accept")
        await expect(accept).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("offer-summary")).to_contain_text("住民票")
        await shot(agent, "resident-console-1-offer")
        await accept.click()

        summary = agent.get_by_test_id("handoff-summary")
        await expect(summary).to_be_visible(timeout=WAIT_MS)
        await expect(summary).to_contain_text("住民票")
        await expect(agent.get_by_test_id("call-urgent")).to_be_hidden()
        await expect(agent.get_by_test_id("remote-video")).to_be_hidden()  # chat only: no camera
        agent_log = agent.get_by_test_id("chat-log")
        await expect(agent_log).to_contain_text(QUESTION, timeout=WAIT_MS)
        await expect(agent_log.locator('li[data-sender="bot"]')).to_have_count(2)  # the answer and the handoff
        await expect(agent_log.locator('li[data-sender="bot"]').first).to_contain_text("町民課")

        talking = home.get_by_test_id("talking")
        await expect(talking).to_be_visible(timeout=WAIT_MS)
        await expect(home.get_by_test_id("queue-position")).to_be_hidden()
        await expect(home.get_by_test_id("chat-end")).to_be_visible()

        # --- both exchange a line
        await say(home, RESIDENT_LINE)
        await expect(agent_log).to_contain_text(RESIDENT_LINE, timeout=WAIT_MS)
        await agent.get_by_test_id("chat-input").fill(AGENT_LINE)
        await agent.get_by_test_id("chat-input").press("Enter")
        await expect(lines(home, "agent")).to_contain_text([AGENT_LINE], timeout=WAIT_MS)

        # --- a 個人番号 is masked before anyone sees it, the resident included
        number = valid_my_number()
        spaced = f"{number[:4]} {number[4:8]} {number[8:]}"
        await say(home, f"わたしの番号は {spaced} です")
        masked_line = lines(home, "resident").last
        await expect(masked_line).to_contain_text(MY_NUMBER_MASK, timeout=WAIT_MS)
        await expect(home.get_by_test_id("message")).to_contain_text("伏せて")
        await expect(agent_log).to_contain_text(MY_NUMBER_MASK, timeout=WAIT_MS)
        for page in (home, agent):
            shown = await page.get_by_test_id("chat-log").inner_text()
            assert number not in shown and spaced not in shown
        await assert_fits_phone(home)
        await shot(home, "resident-4-talking")
        await shot(agent, "resident-console-2-chat")

        # a chat is a chat, not a call: the badge and the heading say so alike (consolestatus.js)
        await expect(agent.locator("#agent-status-text")).to_have_text("チャット中")
        await expect(agent.locator("#call-heading")).to_have_text("チャット中")

        # --- the agent ends (it asks once): the resident sees the end and can start over
        await agent.get_by_test_id("end-call").click()
        await agent.get_by_test_id("end-call-confirm").click()
        await expect(home.get_by_test_id("chat-closed")).to_be_visible(timeout=WAIT_MS)
        await expect(home.get_by_test_id("chat-closed")).to_contain_text("ありがとうございました")
        await expect(home.get_by_test_id("chat-input")).to_be_hidden()
        await expect(home.get_by_test_id("talking")).to_be_hidden()
        await shot(home, "resident-5-closed")
        await expect(agent.get_by_test_id("wrapup-chat-log")).to_contain_text(RESIDENT_LINE)
        await agent.get_by_test_id("wrapup-disposition").select_option("resolved")
        await agent.get_by_test_id("wrapup-submit").click()
        await expect(agent.get_by_test_id("wrapup-submit")).to_be_hidden(timeout=WAIT_MS)

        [record] = await live_server.export_records()
        assert record["channel"] == "chat" and record["route"] == "resident_records"
        assert record["summary"]["route"] == "resident_records" and "住民票" in record["summary"]["need"]
        transcript = [line["text"] for line in record["transcript"]]
        joined = "\n".join(transcript)
        assert number not in joined and spaced not in joined and number not in str(record)
        assert any(MY_NUMBER_MASK in text for text in transcript)
        assert QUESTION in joined and RESIDENT_LINE in joined and AGENT_LINE in joined and "町民課" in joined

        await home.get_by_test_id("chat-restart").click()
        await expect(home.get_by_test_id("chat-log").locator("li")).to_have_count(0)
        await expect(home.get_by_test_id("chat-input")).to_be_visible()
        await expect(home.get_by_test_id("handoff-request")).to_be_visible()
        assert home_problems == [] and agent_problems == []
    finally:
        await home_ctx.close()
        await agent_ctx.close()


async def test_urgent_words_show_hotlines_and_jump_the_queue(live_server: LiveServer, browser: Browser) -> None:
    ordinary = Peer(live_server.base_url, "/resident")
    await ordinary.connect(auth={})
    ack = await ordinary.call("chat.send", {"text": "人と話したい。税金のことで相談があります", "client_id": "o-1"})
    assert ack.get("position") == 1, ack

    await live_server.add_agent("sato", PASSWORD)
    home_ctx, home, home_problems = await new_page(browser, PHONE_VIEWPORT, phone=True)
    agent_ctx, agent, agent_problems = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        await open_chat(home, live_server)
        await say(home, "もう死にたい")
        banner = home.get_by_test_id("urgent-banner")
        await expect(banner).to_be_visible(timeout=WAIT_MS)
        for number in ("110", "119", "0570-783-556"):
            await expect(banner).to_contain_text(number)
        assert await banner.locator('a[href="tel:110"]').count() == 1
        assert await banner.locator('a[href="tel:119"]').count() == 1
        assert await banner.locator('a[href="tel:0570783556"]').count() == 1
        position = home.get_by_test_id("queue-position")
        await expect(position).to_be_visible(timeout=WAIT_MS)
        # nobody on duty, so the card shows no place (ux7 item 3): the console's queue below shows it first
        box = await banner.bounding_box()
        assert box is not None and box["y"] < PHONE_VIEWPORT["height"] / 3, "the numbers are at the top"
        await assert_fits_phone(home)
        await shot(home, "resident-6-urgent")

        # the numbers survive a reload (the transcript comes back from the server)
        await home.reload()
        await expect(home.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
        await expect(banner).to_be_visible(timeout=WAIT_MS)
        await expect(banner).to_contain_text("0570-783-556")
        await expect(position).to_be_visible(timeout=WAIT_MS)
        await expect(lines(home, "resident")).to_contain_text(["もう死にたい"])

        await sign_in(agent, live_server.base_url, "sato", PASSWORD)
        await agent.wait_for_url("**/console")
        queued = agent.get_by_test_id("queue-list").locator("li")
        await expect(queued).to_have_count(2, timeout=WAIT_MS)
        await expect(queued.first).to_contain_text("至急")
        await expect(queued.first).to_have_class("queue-item urgent")
        await expect(queued.nth(1)).not_to_contain_text("至急")
        await shot(agent, "resident-console-3-urgent-queue")

        await agent.get_by_test_id("status-available").click()
        await expect(agent.get_by_test_id("offer-accept")).to_be_visible(timeout=WAIT_MS)
        await expect(agent.locator("#offer-urgent")).to_be_visible()
        await agent.get_by_test_id("offer-accept").click()
        await expect(agent.get_by_test_id("call-urgent")).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("handoff-summary")).to_contain_text("自殺念慮")
        await expect(agent.get_by_test_id("chat-log")).to_contain_text("もう死にたい")
        await expect(home.get_by_test_id("talking")).to_be_visible(timeout=WAIT_MS)
        await expect(banner).to_be_visible()  # still there while talking
        await shot(agent, "resident-console-4-urgent-call")
        await shot(home, "resident-7-urgent-talking")
        assert home_problems == [] and agent_problems == []
    finally:
        await home_ctx.close()
        await agent_ctx.close()
        await ordinary.close()


async def test_suggestions_language_errors_and_no_html(live_server: LiveServer, browser: Browser) -> None:
    home_ctx, home, problems = await new_page(browser, PHONE_VIEWPORT, phone=True)
    try:
        await open_chat(home, live_server)
        await say(home, "証明書がほしい")  # which certificate? the bot offers the likely ones
        choices = home.get_by_test_id("bot-suggestion")
        await expect(choices.first).to_be_visible(timeout=WAIT_MS)
        assert await choices.count() >= 2
        await shot(home, "resident-8-suggestions")
        chosen = choices.filter(has_text="印鑑証明書")
        await chosen.click()
        await expect(lines(home, "resident").last).to_contain_text("印鑑証明書", timeout=WAIT_MS)
        await expect(lines(home, "bot")).to_have_count(2, timeout=WAIT_MS)
        await expect(lines(home, "bot").last).to_contain_text("印鑑")

        # text that looks like HTML is shown as text, never run
        hostile = '<img src=x onerror="window.__owned=1"><b>太字</b>'
        await say(home, hostile)
        await expect(lines(home, "resident").last).to_contain_text("<b>太字</b>", timeout=WAIT_MS)
        assert await home.get_by_test_id("chat-log").locator("img, b").count() == 0
        assert await home.evaluate("() => window.__owned === undefined")
        await expect(lines(home, "bot")).to_have_count(3, timeout=WAIT_MS)  # its answer is in: the log is still

        # too long: a readable sentence, nothing sent
        count_before = await home.get_by_test_id("chat-log").locator("li").count()
        await home.get_by_test_id("chat-input").fill("あ" * 1001)
        await home.get_by_test_id("chat-send").click()
        await expect(home.get_by_test_id("message")).to_contain_text("多すぎます")
        await expect(home.get_by_test_id("message")).to_contain_text("1000")
        assert await home.get_by_test_id("chat-log").locator("li").count() == count_before
        await home.get_by_test_id("chat-input").fill("")

        # English through the same catalogs, kept over a reload with the conversation and its buttons
        await home.get_by_test_id("language-switch").click()
        await expect(home.get_by_test_id("handoff-request")).to_have_text("Talk to staff")
        await expect(home.get_by_test_id("chat-input")).to_have_attribute("placeholder", "Write here")
        await expect(lines(home, "resident").first.locator(".chat-sender")).to_have_text("You")
        bot_lines = await lines(home, "bot").count()
        await home.reload()
        await expect(home.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
        await expect(home.get_by_test_id("handoff-request")).to_have_text("Talk to staff")
        await expect(lines(home, "bot")).to_have_count(bot_lines, timeout=WAIT_MS)
        await expect(choices.first).to_be_visible()
        await expect(lines(home, "resident").last).to_contain_text("<b>太字</b>")
        await shot(home, "resident-9-english")
        assert problems == []

        await home.goto(live_server.base_url + "/chat/nowhere")
        await expect(home.get_by_test_id("page-message")).to_contain_text("相談窓口は ありません")
    finally:
        await home_ctx.close()


async def test_the_danger_question_with_yes_and_no_buttons(live_server: LiveServer, browser: Browser) -> None:
    """A weak danger signal: the bot asks, shows the hotlines at once, はい hands over as urgent; answers with
    links and tappable phone numbers."""
    home_ctx, home, problems = await new_page(browser, PHONE_VIEWPORT, phone=True)
    try:
        await open_chat(home, live_server)
        await say(home, "フェリーの時刻表")
        answer = lines(home, "bot").last
        await expect(answer).to_contain_text("0997-00-1288", timeout=WAIT_MS)
        assert await answer.locator('a.phone-link[href="tel:0997001288"]').count() == 1
        link = answer.get_by_test_id("answer-link")
        await expect(link).to_have_attribute("href", "https://www.town.shiomi.example/kotsu/ferry/")

        triage = live_server.app[keys.TRIAGES]["shiomi"]
        asked = [text for text in WEAK_DANGER if (await triage.triage(text, lang="ja")).safety_check]
        assert asked, "none of the weak-danger lines gets the danger question from this model"
        await say(home, asked[0])
        question = lines(home, "bot").nth(1)  # the second bot line, also after the next one arrives
        await expect(question).to_contain_text("危ない 状態ですか", timeout=WAIT_MS)
        banner = home.get_by_test_id("urgent-banner")
        await expect(banner).to_be_visible()
        await expect(banner).to_contain_text("110")
        await expect(question.get_by_test_id("safety-no")).to_have_text("いいえ")
        await assert_fits_phone(home)
        await shot(home, "resident-8-safety-question")
        await question.get_by_test_id("safety-yes").click()
        await expect(lines(home, "resident").last).to_have_text("あなたはい", timeout=WAIT_MS)
        position = home.get_by_test_id("queue-position")
        await expect(position).to_be_visible(timeout=WAIT_MS)  # queued at once (its place not shown: nobody on duty)
        await expect(question.get_by_test_id("safety-yes")).to_be_disabled()
        assert problems == []
    finally:
        await home_ctx.close()
