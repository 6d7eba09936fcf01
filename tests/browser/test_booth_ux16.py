"""UX round 16 at the kiosk, in real Chromium.

H2: a resident booked 11:00 checked in at 9:51 and read 「来た 順番に お呼びします」 above 「職員が いません。お電話か
折り返しを」 with a phone keypad — two opposite messages, and a call-back would have used the booking up. Now one
notice says their time, that the booking is kept, and (nobody can answer) that they can wait or check in again
shortly before their time, with a button that gives the wait up and the booking back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from madoguchi import keys
from madoguchi.bookings.plan import JST
from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot_path
from tests.browser.test_booking_giveup_ux14 import check_in
from tests.support import LiveServer

pytestmark = pytest.mark.browser

KIOSKS = {"portrait": {"width": 1080, "height": 1920}, "wide": {"width": 1366, "height": 768}}
MONDAY_0940 = datetime(2026, 12, 7, 9, 40, tzinfo=JST).timestamp()


async def test_an_early_booking_gets_one_clear_message_and_keeps_the_booking(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path, start=MONDAY_0940) as api:
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, _, kiosk_path = await server.add_booth("汐見郵便局ブース")
        status, booked = await api.book(place="shiomi-post-office", start="2026-12-07T11:00:00+09:00")
        assert status == 201, booked
        code = booked["code"]
        for name, viewport in KIOSKS.items():
            context, kiosk, problems = await new_page(browser, viewport)
            try:
                await kiosk.goto(api.base_url + kiosk_path)
                await check_in(kiosk, code)
                early = kiosk.get_by_test_id("waiting-early")
                await expect(early).to_be_visible(timeout=WAIT_MS)
                await expect(early).to_contain_text("ご予約は 11:00 です。予約は そのままです。")
                await expect(early).to_contain_text("10:45 ごろに もう一度")  # the plan's 15 minutes before
                await expect(early).to_have_attribute("data-nobody", "true")
                # no second, opposite message: no "called in order" banner, no phone and call-back panel
                await expect(kiosk.get_by_test_id("no-answer")).to_be_hidden()
                await expect(kiosk.get_by_test_id("message")).to_be_hidden()
                leave = kiosk.get_by_test_id("waiting-early-leave")
                await expect(leave).to_be_visible()
                box = await leave.bounding_box()
                assert box is not None and box["height"] >= 64, box
                overflow = await kiosk.evaluate("() => document.documentElement.scrollWidth > innerWidth")
                assert not overflow, name
                await kiosk.screenshot(path=shot_path(f"ux16_{name}_early_checkin"))
                await leave.click()
                await expect(kiosk.get_by_test_id("checkin-start")).to_be_visible(timeout=WAIT_MS)
                assert [p for p in problems if "favicon" not in p] == [], problems
            finally:
                await context.close()
        # the booking was given back each time: booked again, not used up
        status, looked = await api.call("GET", f"/api/bookings/{code}")
        assert status == 200 and looked["status"] == "booked", looked


async def test_an_empty_question_says_what_to_do(browser: Browser, tmp_path: Path) -> None:
    """L12: 「きく」 with nothing typed did nothing at all; it says, where the answer would be, to type first or
    choose a button, and the input gets the focus."""
    async with running(tmp_path, start=MONDAY_0940) as api:
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, _, kiosk_path = await server.add_booth("汐見郵便局ブース")
        for name, viewport in KIOSKS.items():
            context, kiosk, problems = await new_page(browser, viewport)
            try:
                await kiosk.goto(api.base_url + kiosk_path)
                await kiosk.get_by_test_id("start-consultation").click(timeout=WAIT_MS)
                await kiosk.get_by_test_id("question-submit").click()
                box = kiosk.get_by_test_id("question-suggestions")
                await expect(box).to_be_visible(timeout=WAIT_MS)
                await expect(box).to_have_text(
                    "ご用件を 書いてから 「きく」を 押して ください。下の ボタンから えらぶ ことも できます。"
                )
                await expect(kiosk.get_by_test_id("question-input")).to_be_focused()
                await kiosk.screenshot(path=shot_path(f"ux16_{name}_empty_question"))
                assert [p for p in problems if "favicon" not in p] == [], problems
            finally:
                await context.close()
