"""The whole booking flow in real Chromium: book on a phone page, check in at the kiosk with the code on its
number pad, get offered before a walk-in who asked earlier, and the agent's console says it is a booking.

The server's clock starts Monday 7 December 2026, 07:50 JST (a 9:00 booking needs an hour's notice), then moves
an hour on: the resident arrives at the booth at 8:50, inside the check-in window."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from madoguchi import keys
from madoguchi.bookings import codes
from madoguchi.bookings.plan import JST
from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, booth_peer, ok

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
KIOSK = {"width": 1280, "height": 800}
START = datetime(2026, 12, 7, 7, 50, tzinfo=JST).timestamp()

TWELVE_GROUPED = re.compile(r"^\d{4} \d{4} \d{4}$")  # a booking code as every page shows it


async def test_book_on_a_phone_check_in_at_the_kiosk_and_go_first(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path, start=START, session_ttl_s=365 * 86400) as api:
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, _, kiosk_path = await server.add_booth("凪島公民館ブース")
        _, walk_in_token, _ = await server.add_booth("汐見郵便局ブース")
        await server.add_agent("tanaka", "correct horse battery")

        phone_context, phone, phone_problems = await new_page(browser, PHONE, phone=True)
        kiosk_context, kiosk, kiosk_problems = await new_page(browser, KIOSK)
        agent_context, agent, agent_problems = await new_page(browser, KIOSK)
        walk_in = None
        try:
            await phone.goto(f"{api.base_url}/book")
            await phone.get_by_test_id("book-route").select_option("tax")
            await phone.locator('[data-testid="book-mode"] input[value="booth"]').check()
            await phone.get_by_test_id("book-place").select_option("nagishima-community-centre")
            await phone.get_by_test_id("book-day").select_option("2026-12-07")
            await phone.locator('[data-testid="book-slot"][data-start="2026-12-07T09:00:00+09:00"]').click(
                timeout=WAIT_MS
            )
            await phone.get_by_test_id("book-name-kana").fill("ヤマダ ハナコ")
            await phone.get_by_test_id("book-submit").click()
            await expect(phone.get_by_test_id("book-code")).to_have_text(TWELVE_GROUPED, timeout=WAIT_MS)
            code = ((await phone.get_by_test_id("book-code").text_content()) or "").replace(" ", "")

            api.clock.offset += 3600  # 8:50: ten minutes before the booking

            walk_in = await booth_peer(server, walk_in_token)
            earlier = ok(await walk_in.call("consultation.request", {"route": "tax"}))

            await kiosk.goto(api.base_url + kiosk_path)
            await kiosk.get_by_test_id("checkin-start").click(timeout=WAIT_MS)
            for digit in code:
                await kiosk.get_by_test_id(f"checkin-digit-{digit}").click()
            await expect(kiosk.get_by_test_id("checkin-code")).to_have_text(codes.grouped(code))
            await shot(kiosk, "checkin-1-code")
            await kiosk.get_by_test_id("checkin-submit").click()
            await expect(kiosk.get_by_test_id("queue-position")).to_have_attribute(
                "data-position", "1", timeout=WAIT_MS
            )
            await expect(kiosk.get_by_test_id("message")).to_contain_text("予約の 方は 先に")
            await shot(kiosk, "checkin-2-waiting")
            # nobody is on duty yet: a checked-in resident is told so too, with the phone and a call-back, and
            # 「1 番目 次が あなたの番です」 gives way to it (it stood beside 「いま 話せる 人が いません」)
            await expect(kiosk.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
            await expect(kiosk.get_by_test_id("queue-position")).to_be_hidden()
            await expect(kiosk.get_by_test_id("callback-submit")).to_be_visible()
            await shot(kiosk, "checkin-2b-no-answer")

            await agent.goto(f"{api.base_url}/login")
            await agent.get_by_test_id("login-username").fill("tanaka")
            await agent.get_by_test_id("login-password").fill("correct horse battery")
            await agent.get_by_test_id("login-submit").click()
            await agent.wait_for_url("**/console")
            await agent.get_by_test_id("status-available").click()
            await expect(agent.get_by_test_id("offer")).to_be_visible(timeout=WAIT_MS)
            await expect(agent.get_by_test_id("offer-booking")).to_have_text(
                f"予約 {codes.grouped(code)}"
            )  # grouped (numbers.js)
            await expect(agent.get_by_test_id("offer")).to_contain_text("凪島公民館ブース")
            await shot(agent, "checkin-3-offer")
            assert earlier["position"] == 1  # the walk-in was first before the booking checked in
            _, stored = await api.call("GET", f"/api/bookings/{code}")
            assert stored["status"] == "checked_in"
            assert phone_problems == [] and kiosk_problems == [] and agent_problems == []
        finally:
            if walk_in is not None:
                await walk_in.close()
            for context in (phone_context, kiosk_context, agent_context):
                await context.close()
