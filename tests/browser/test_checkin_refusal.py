"""A booking code of another day at the kiosk, in real Chromium at the three kiosk sizes: said over the pad in
large print, naming the day and time booked and what to do (a thin strip at the top said only "not today")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from madoguchi import keys
from madoguchi.bookings import codes
from madoguchi.storage import bookings as storage_bookings
from madoguchi.ui import SUPPORTED_LANGUAGES
from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot_path
from tests.support import LiveServer

pytestmark = pytest.mark.browser

KIOSKS = {
    "portrait": {"width": 1080, "height": 1920},
    "wide": {"width": 1366, "height": 768},
    "full": {"width": 1920, "height": 1080},
}
PHONE = {"width": 390, "height": 844}


async def test_a_code_of_another_day_names_the_day_in_large_print(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path) as api:  # Monday 7 December, 8:00
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, _, kiosk_path = await server.add_booth("汐見郵便局ブース")
        status, booked = await api.book(place="shiomi-post-office", start="2026-12-08T09:00:00+09:00")
        assert status == 201, booked
        code = booked["code"]
        for name, viewport in KIOSKS.items():
            context, kiosk, problems = await new_page(browser, viewport)
            try:
                await kiosk.goto(api.base_url + kiosk_path)
                await kiosk.get_by_test_id("checkin-start").click(timeout=WAIT_MS)
                for digit in code:
                    await kiosk.get_by_test_id(f"checkin-digit-{digit}").click()
                await kiosk.get_by_test_id("checkin-submit").click()
                refusal = kiosk.get_by_test_id("checkin-refusal")
                await expect(refusal).to_be_visible(timeout=WAIT_MS)
                text = kiosk.get_by_test_id("checkin-refusal-text")
                await expect(text).to_contain_text(re.compile(r"12月8日.*火.*9:00"))
                await expect(refusal).to_contain_text("予約した 日の 時間に")
                size = await text.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
                assert size >= 36, size  # read at arm's length, not a strip
                box = await refusal.bounding_box()
                assert box is not None and box["height"] >= viewport["height"] * 0.5, box
                ok_box = await kiosk.get_by_test_id("checkin-refusal-ok").bounding_box()
                assert ok_box is not None and ok_box["height"] >= 64, ok_box
                overflow = await kiosk.evaluate(
                    "() => document.documentElement.scrollWidth > innerWidth"
                    " || document.body.scrollHeight > innerHeight"
                )
                assert not overflow, name
                await kiosk.screenshot(path=shot_path(f"k_{name}_checkin_not_today"))
                await kiosk.get_by_test_id("checkin-refusal-ok").click()
                await expect(refusal).to_be_hidden()
                await expect(kiosk.get_by_test_id("checkin-submit")).to_be_visible()
                assert [p for p in problems if "favicon" not in p] == [], problems
            finally:
                await context.close()


async def test_the_pad_takes_twelve_digits_or_eight_from_before_and_says_so(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve digits since session 13, the eight of a code from before still taken: the lead says both in plain
    words, the 「確認」 button waits for 8 or 12 digits, and the twelve fit the pad's width at every size."""
    async with running(tmp_path) as api:  # Monday 7 December, 8:00
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, _, kiosk_path = await server.add_booth("汐見郵便局ブース")
        old = "8191832" + str(codes.damm("8191832"))  # what the generator gave before session 13
        monkeypatch.setattr(storage_bookings, "new_code", lambda: old)
        status, booked = await api.book(place="shiomi-post-office", start="2026-12-08T09:00:00+09:00")
        assert (status, booked["code"]) == (201, old), booked
        twelve = "2718281828" + "4" + str(codes.damm("27182818284"))  # typed only: no booking has it
        for name, viewport in {**KIOSKS, "phone": PHONE}.items():
            context, kiosk, problems = await new_page(browser, viewport)
            try:
                await kiosk.goto(api.base_url + kiosk_path)
                await kiosk.get_by_test_id("checkin-start").click(timeout=WAIT_MS)
                lead = kiosk.locator(".screen-checkin .lead")
                await expect(lead).to_contain_text("12けた")
                await expect(lead).to_contain_text("8けた")
                submit = kiosk.get_by_test_id("checkin-submit")
                for typed, digit in enumerate(twelve, start=1):
                    await kiosk.get_by_test_id(f"checkin-digit-{digit}").click()
                    if typed in (7, 9, 10, 11):
                        await expect(submit).to_be_disabled()
                await expect(kiosk.get_by_test_id("checkin-code")).to_have_text(codes.grouped(twelve))
                await expect(submit).to_be_enabled()
                shown = await kiosk.get_by_test_id("checkin-code").evaluate("e => e.scrollWidth <= e.clientWidth + 1")
                overflow = await kiosk.evaluate("() => document.documentElement.scrollWidth > innerWidth")
                assert shown and not overflow, name
                await kiosk.screenshot(path=shot_path(f"k_{name}_checkin_twelve"))
                await kiosk.get_by_test_id("checkin-clear").click()
                for digit in old:
                    await kiosk.get_by_test_id(f"checkin-digit-{digit}").click()
                await expect(kiosk.get_by_test_id("checkin-code")).to_have_text(codes.grouped(old))
                await submit.click()
                # the old code was found: the kiosk names the day it was booked for
                await expect(kiosk.get_by_test_id("checkin-refusal-text")).to_contain_text(
                    re.compile(r"12月8日.*火.*9:00"), timeout=WAIT_MS
                )
                assert [p for p in problems if "favicon" not in p] == [], problems
            finally:
                await context.close()


async def test_twelve_digits_confirmed_at_eight_are_told_to_add_the_last_four(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tidy14: 「これで 受付する」 can be pressed at eight digits (a code from before), so a resident typing their
    twelve could press it there and was told 「その 番号の 予約は ありません」. The line under the digits says how
    many are left, and at eight that twelve need four more; eight digits no booking has are answered with
    「12けたの 番号なら、のこりの 4けたも」, the eight kept, and the last four check the resident in."""
    async with running(tmp_path) as api:  # Monday 7 December, 8:00
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, _, kiosk_path = await server.add_booth("汐見郵便局ブース")
        twelve = "31415926535" + str(codes.damm("31415926535"))
        monkeypatch.setattr(storage_bookings, "new_code", lambda: twelve)
        status, booked = await api.book(place="shiomi-post-office", start="2026-12-07T10:00:00+09:00")
        assert (status, booked["code"]) == (201, twelve), booked
        sizes = {**KIOSKS, "phone": PHONE}
        for name, viewport in sizes.items():
            context, kiosk, problems = await new_page(browser, viewport)
            try:
                await kiosk.goto(api.base_url + kiosk_path)
                await kiosk.get_by_test_id("checkin-start").click(timeout=WAIT_MS)
                hint = kiosk.get_by_test_id("checkin-hint")
                submit = kiosk.get_by_test_id("checkin-submit")
                await expect(hint).to_have_text("")
                for digit in twelve[:5]:
                    await kiosk.get_by_test_id(f"checkin-digit-{digit}").click()
                await expect(hint).to_have_text("あと 7けた です。")
                await expect(submit).to_be_disabled()
                for digit in twelve[5:8]:
                    await kiosk.get_by_test_id(f"checkin-digit-{digit}").click()
                await expect(hint).to_contain_text("12けたの 番号なら、あと 4けた")
                await expect(hint).to_contain_text("8けたの 番号なら")
                await expect(submit).to_be_enabled()  # an old code's eight: still sent
                for language in SUPPORTED_LANGUAGES:  # the longest hint of all nine keeps the button in sight
                    await kiosk.evaluate("(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))", language)
                    await expect(hint).not_to_have_text("")
                    fits = await kiosk.evaluate(
                        """() => {
                          const b = document.querySelector('[data-testid="checkin-submit"]').getBoundingClientRect();
                          return b.bottom <= innerHeight + 1 && document.documentElement.scrollWidth <= innerWidth;
                        }"""
                    )
                    assert fits or name == "phone", f"{name} {language}: the button went off the screen"
                    if language in ("en", "vi", "ne"):
                        await kiosk.screenshot(path=shot_path(f"k_{name}_checkin_eight_of_twelve_{language}"))
                await kiosk.evaluate("() => import('/static/js/i18n.js').then((m) => m.setLanguage('ja'))")
                await expect(hint).to_contain_text("12けたの 番号なら、あと 4けた")
                await kiosk.screenshot(path=shot_path(f"k_{name}_checkin_eight_of_twelve"))
                await submit.click()
                text = kiosk.get_by_test_id("checkin-refusal-text")
                await expect(text).to_have_text(
                    "その 8けたの 番号の 予約は ありません。12けたの 番号なら、のこりの 4けたも 入れて ください。",
                    timeout=WAIT_MS,
                )
                await kiosk.screenshot(path=shot_path(f"k_{name}_checkin_eight_refused"))
                await kiosk.get_by_test_id("checkin-refusal-ok").click()
                await expect(kiosk.get_by_test_id("checkin-code")).to_have_text(codes.grouped(twelve[:8]))
                for digit in twelve[8:]:
                    await kiosk.get_by_test_id(f"checkin-digit-{digit}").click()
                await expect(hint).to_have_text("12けた 入りました。「これで 受付する」を 押して ください。")
                if name == "phone":  # the last size: the twelve check the resident in
                    await submit.click()
                    await expect(kiosk.get_by_test_id("queue-position")).to_have_attribute(
                        "data-position", "1", timeout=WAIT_MS
                    )
                assert [p for p in problems if "favicon" not in p] == [], problems
            finally:
                await context.close()


async def test_a_vietnamese_booking_of_another_day_is_refused_in_vietnamese(browser: Browser, tmp_path: Path) -> None:
    """ux14 item 4 (127_booth_checkin_other_day.png): the kiosk nobody had switched said it in Japanese only. The
    refusal follows the booking's language, as a booking checked in does; a language the resident chose stays."""
    async with running(tmp_path) as api:  # Monday 7 December, 8:00
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, _, kiosk_path = await server.add_booth("汐見郵便局ブース")
        status, booked = await api.book(
            place="shiomi-post-office", start="2026-12-08T09:00:00+09:00", language="vi", name_kana="nguyen van an"
        )
        assert status == 201, booked
        context, kiosk, problems = await new_page(browser, KIOSKS["wide"])
        try:
            await kiosk.goto(api.base_url + kiosk_path)
            await kiosk.get_by_test_id("checkin-start").click(timeout=WAIT_MS)
            for digit in booked["code"]:
                await kiosk.get_by_test_id(f"checkin-digit-{digit}").click()
            await kiosk.get_by_test_id("checkin-submit").click()
            refusal = kiosk.get_by_test_id("checkin-refusal")
            await expect(refusal).to_be_visible(timeout=WAIT_MS)
            await expect(kiosk.locator("html")).to_have_attribute("lang", "vi")
            await expect(kiosk.get_by_test_id("checkin-refusal-text")).to_contain_text("Lịch hẹn này")
            await expect(kiosk.get_by_test_id("checkin-refusal-ok")).not_to_have_text(re.compile("わかりました"))
            body = await refusal.inner_text()
            assert not re.search(r"[\u3041-\u309f]", body), body  # no hiragana: nothing left in Japanese
            await kiosk.screenshot(path=shot_path("ux14_k_wide_checkin_not_today_vi"))
            assert [p for p in problems if "favicon" not in p] == [], problems
        finally:
            await context.close()


async def test_a_cancelled_booking_is_said_to_be_cancelled(browser: Browser, tmp_path: Path) -> None:
    """ux15 item 2: the code of a booking cancelled on /book was answered with its day ("come back that day"). The
    kiosk says it was cancelled, in the booking's language, and that help is there without one; at every size."""
    async with running(tmp_path) as api:  # Monday 7 December, 8:00
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, _, kiosk_path = await server.add_booth("汐見郵便局ブース")
        status, booked = await api.book(
            place="shiomi-post-office", start="2026-12-09T10:00:00+09:00", language="vi", name_kana="nguyen van an"
        )
        assert status == 201, booked
        status, _ = await api.call("DELETE", f"/api/bookings/{booked['code']}")
        assert status == 200
        for name, viewport in {**KIOSKS, "phone": PHONE}.items():
            if name == "full":
                continue
            context, kiosk, problems = await new_page(browser, viewport)
            try:
                await kiosk.goto(api.base_url + kiosk_path)
                await kiosk.get_by_test_id("checkin-start").click(timeout=WAIT_MS)
                for digit in booked["code"]:
                    await kiosk.get_by_test_id(f"checkin-digit-{digit}").click()
                await kiosk.get_by_test_id("checkin-submit").click()
                text = kiosk.get_by_test_id("checkin-refusal-text")
                await expect(text).to_have_text(
                    "Lịch hẹn này đã bị hủy. Bạn vẫn có thể được tư vấn mà không cần đặt lịch.", timeout=WAIT_MS
                )
                await expect(kiosk.get_by_test_id("checkin-refusal-do")).to_be_hidden()
                await kiosk.screenshot(path=shot_path(f"k_{name}_checkin_cancelled"))
                assert [p for p in problems if "favicon" not in p] == [], problems
            finally:
                await context.close()
