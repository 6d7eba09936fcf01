"""The console books for a resident in real Chromium: the agent opens 「予約を とる」, picks a topic, place, day and
free time, types the name in kana and reads the code out; today's list shows the booking, and once the resident
checks in at a booth it says so. During a call the booking fills the wrap-up (「予約を とった」 and the code).

The server's clock starts Monday 7 December 2026, 07:50 JST (a 9:00 booking needs an hour's notice)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi import keys
from madoguchi.booking_desk.api import DESK
from madoguchi.bookings import codes
from madoguchi.bookings.plan import JST
from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, booth_peer, ok

pytestmark = pytest.mark.browser

DESK_SIZE = {"width": 1366, "height": 768}
START = datetime(2026, 12, 7, 7, 50, tzinfo=JST).timestamp()


# on how many lines the grouped code shows in a list item (a Range over its text, lines told by their tops)
CODE_LINES_JS = """(item, code) => {
  const walker = document.createTreeWalker(item, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(code);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + code.length);
    return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
  }
  return 0;
}"""


async def log_in(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.get_by_test_id("login-username").fill("tanaka")
    await page.get_by_test_id("login-password").fill("correct horse battery")
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_url("**/console")


async def book(
    page: Page, *, route: str, place: str, day: str, start: str, name: str, check_words: bool = False
) -> str:
    if not await page.get_by_test_id("staff-booking").is_visible():
        await page.get_by_test_id("book-for-resident").click()
    await expect(page.get_by_test_id("staff-booking")).to_be_visible()
    await page.get_by_test_id("staff-book-route").select_option(route)
    await page.get_by_test_id("staff-book-place").select_option(place)
    await page.get_by_test_id("staff-book-day").select_option(day)
    await expect(page.locator(f'[data-testid="staff-book-slot"] option[value="{start}"]')).to_have_count(
        1, timeout=WAIT_MS
    )
    await page.get_by_test_id("staff-book-slot").select_option(start)
    if check_words:  # a name not in kana, a contact that is no phone number: named before anything is sent
        for typed, contact, says in (
            ("suzuki 2", "", "数字は 使えません"),
            (name, "123", "電話番号（10けたか 11けた）"),
            (name, "1234-5678-9018", "マイナンバー（個人番号）の ようです"),  # session 11: never sent to the server
        ):
            await page.get_by_test_id("staff-book-name").fill(typed)
            await page.get_by_test_id("staff-book-contact").fill(contact)
            await page.get_by_test_id("staff-book-submit").click()
            await expect(page.get_by_test_id("staff-book-error")).to_contain_text(says)
        await shot(page, "console-booking-0-my-number")
        await page.get_by_test_id("staff-book-contact").fill("")
    await page.get_by_test_id("staff-book-name").fill(name)
    await page.get_by_test_id("staff-book-submit").click()
    await expect(page.get_by_test_id("staff-book-code")).to_have_text(
        re.compile(r"^\d{4} \d{4} \d{4}$"), timeout=WAIT_MS
    )
    shown = page.get_by_test_id("staff-book-code")
    assert await shown.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # the 12 digits on one line, read at once
    return ((await shown.text_content()) or "").replace(" ", "")


async def test_agent_books_for_a_caller_and_sees_the_check_in(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path, start=START, session_ttl_s=365 * 86400) as api:
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, booth_token, _ = await server.add_booth("凪島公民館ブース")
        await server.add_agent("tanaka", "correct horse battery")
        context, agent, problems = await new_page(browser, DESK_SIZE)
        booth = None
        try:
            await log_in(agent, api.base_url)
            await expect(agent.get_by_test_id("bookings-today-empty")).to_be_visible(timeout=WAIT_MS)
            # the empty "choose" state refuses with a sentence, not a request
            await agent.get_by_test_id("book-for-resident").click()
            await agent.get_by_test_id("staff-book-submit").click()
            await expect(agent.get_by_test_id("staff-book-error")).to_contain_text("入れて ください")
            await agent.get_by_test_id("staff-book-close").click()

            code = await book(
                agent,
                route="tax",
                place="nagishima-community-centre",
                day="2026-12-07",
                start="2026-12-07T09:00:00+09:00",
                check_words=True,
                name="すずき いちろう",
            )
            await expect(agent.get_by_test_id("staff-book-read")).to_contain_text(
                "　".join("・".join(group) for group in codes.grouped(code).split())  # 1・2・3・4　5・6・7・8　…
            )
            await shot(agent, "console-booking-1-done")
            item = agent.locator(f'[data-testid="bookings-today-item"][data-code="{code}"]')
            await expect(item).to_have_attribute("data-status", "booked", timeout=WAIT_MS)
            await expect(item).to_contain_text("スズキ イチロウ")
            await expect(item.get_by_test_id("bookings-today-status")).to_have_text("未受付")
            # tidy14: the 12 digits on one line at 1366×768 (they wrapped as 「… ・ 1234 5678」 and 「9012」)
            assert await item.evaluate(CODE_LINES_JS, codes.grouped(code)) == 1
            _, stored = await api.call("GET", f"/api/bookings/{code}")
            assert stored["status"] == "booked"

            api.clock.offset += 3600  # 8:50: the resident is at the booth
            booth = await booth_peer(server, booth_token)
            ok(await booth.call("consultation.request", {"booking": code}))
            # ux6: no reload: the queue's booked case updates today's list, and the queue item says it is booked
            await expect(agent.get_by_test_id("queue-booking")).to_have_text("予約あり 9:00〜9:30", timeout=WAIT_MS)
            await expect(item).to_have_attribute("data-status", "checked_in", timeout=WAIT_MS)
            await expect(item.get_by_test_id("bookings-today-status")).to_have_text("受付済み")
            await shot(agent, "console-booking-2-today")
            await agent.reload()  # the booking form starts afresh for the layout shots below
            for size, name in (({"width": 1080, "height": 1920}, "tall"), ({"width": 390, "height": 844}, "phone")):
                await agent.set_viewport_size(size)
                assert await item.evaluate(CODE_LINES_JS, codes.grouped(code)) == 1, name
                await item.scroll_into_view_if_needed()
                await shot(agent, f"console-booking-3-{name}-today")
                await agent.get_by_test_id("book-for-resident").click()
                await shot(agent, f"console-booking-3-{name}")
                await agent.get_by_test_id("staff-book-close").click()
            assert problems == []
        finally:
            if booth is not None:
                await booth.close()
            await context.close()


async def test_a_booking_during_a_call_fills_the_wrap_up(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path, session_ttl_s=365 * 86400) as api:
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, booth_token, _ = await server.add_booth("汐見郵便局ブース")
        await server.add_agent("tanaka", "correct horse battery")
        context, agent, problems = await new_page(browser, DESK_SIZE)
        booth = await booth_peer(server, booth_token)
        try:
            await log_in(agent, api.base_url)
            await agent.get_by_test_id("status-available").click()
            ok(await booth.call("consultation.request", {"route": "tax"}))
            await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
            await expect(agent.get_by_test_id("end-call")).to_be_visible(timeout=WAIT_MS)
            await agent.get_by_test_id("book-for-resident").click()
            await expect(agent.get_by_test_id("staff-book-for")).to_be_visible()
            await expect(agent.get_by_test_id("staff-book-route")).to_have_value("tax")  # the case's topic
            code = await book(
                agent,
                route="tax",
                place="honcho",
                day="2026-12-10",
                start="2026-12-10T10:00:00+09:00",
                name="ヤマダ タロウ",
            )
            await agent.get_by_test_id("staff-book-close").click()
            await agent.get_by_test_id("end-call").click()
            confirm = agent.get_by_test_id("end-call-confirm")
            if await confirm.count():
                await confirm.click()
            await expect(agent.get_by_test_id("wrapup")).to_be_visible(timeout=WAIT_MS)
            await expect(agent.get_by_test_id("wrapup-disposition")).to_have_value("booked")
            await expect(agent.get_by_test_id("wrapup-note")).to_have_value(re.compile(f"予約 .* 番号 {code}$", re.M))
            assert (await api.app[DESK].get(code)).consultation_id
            assert problems == []
        finally:
            await booth.close()
            await context.close()
