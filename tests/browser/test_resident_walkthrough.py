"""The outside tester's walk as residents (kiosk9), in real Chromium: the kiosk's choices after the bot's answer
(わかりました / 職員と 話す / ほかの), the call-back keypad and its thank-you, dates in every language (Nepali has no
date data in Debian's Chromium), and the chat not asking a resident nobody answered how it went.
Screenshots in test-artifacts/ (walk-*)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect
from prometheus_client.parser import text_string_to_metric_families

from madoguchi import keys
from madoguchi.ui import SUPPORTED_LANGUAGES
from tests.bookings_support import running
from tests.browser.chromium import SIZES, WAIT_MS, new_page, shot
from tests.support import LiveServer, http_get

pytestmark = pytest.mark.browser

KIOSK_SIZES = {tag: size for tag, size in SIZES.items() if tag != "phone"}
PHONE = {"width": 390, "height": 844}
NEPALI_MONTHS = "जनवरी|फेब्रुअरी|मार्च|अप्रिल|मे|जुन|जुलाई|अगस्ट|सेप्टेम्बर|अक्टोबर|नोभेम्बर|डिसेम्बर"
ROOT_FORMAT = re.compile(r"\bM\d")  # 「M12 8, Tue」: a locale the browser has no date data for


async def set_language(page: Page, code: str) -> None:
    await page.evaluate("(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))", code)


async def answered_count(server: LiveServer) -> float:
    total = 0.0
    for url in server.urls:
        status, body = await http_get(f"{url}/metrics")
        assert status == 200
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name == "madoguchi_socket_events_total" and sample.labels.get("event") == "question.answered":
                    total += float(sample.value)
    return total


async def ask(page: Page, question: str) -> None:
    await page.get_by_test_id("question-input").fill(question)
    await page.get_by_test_id("question-submit").click()
    await expect(page.get_by_test_id("question-answer")).to_be_visible(timeout=WAIT_MS)


@pytest.mark.parametrize("size", ["wide", "portrait"])
async def test_after_the_bots_answer_the_kiosk_offers_done_a_person_or_other_topics(
    live_server: LiveServer, browser: Browser, size: str
) -> None:
    _, _, kiosk_path = await live_server.add_booth("汐見郵便局ブース", location="汐見郵便局")
    context, page, problems = await new_page(browser, KIOSK_SIZES[size])
    try:
        await page.goto(live_server.base_url + kiosk_path)
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        await page.get_by_test_id("start-consultation").click()
        await ask(page, "ごみの日は いつ ですか")
        done, talk = page.get_by_test_id("question-done"), page.get_by_test_id("question-talk")
        other = page.get_by_test_id("question-other-topics")
        await expect(page.get_by_test_id("question-suggestion")).to_have_count(0)  # no yes/no question that queues
        await expect(done).to_have_text("わかりました（おわる）")
        await expect(talk).to_have_text(re.compile(r"^職員と 話す（.+）$"))
        await expect(other).to_have_text("ほかの ご用件から えらぶ")
        for code in SUPPORTED_LANGUAGES:
            await set_language(page, code)
            for button in (done, talk, other):
                box = await button.bounding_box()
                assert box is not None and box["height"] >= 72, (code, await button.text_content(), box)
                assert box["y"] + box["height"] <= KIOSK_SIZES[size]["height"], (code, box)
                whole = await button.evaluate("(b) => b.scrollWidth <= b.clientWidth + 1")
                assert whole, (code, await button.text_content())
            if code in ("ja", "ne"):
                await shot(page, f"walk-kiosk-answer-{size}-{code}")
        await set_language(page, "ja")
        # 「わかりました」: back to the start screen, nothing of the question left, counted as finished by the bot
        before = await answered_count(live_server)
        await done.click()
        await expect(page.locator("body")).to_have_attribute("data-screen", "idle", timeout=WAIT_MS)
        await page.get_by_test_id("start-consultation").click()
        await expect(page.get_by_test_id("question-input")).to_have_value("")
        await expect(page.get_by_test_id("question-answer")).to_have_count(0)
        # 「ほかの ご用件から えらぶ」 brings the route buttons back; 「職員と 話す」 queues for that counter
        assert await answered_count(live_server) == before + 1  # its ack came long before the next answer
        await ask(page, "ごみの日は いつ ですか")
        await other.click()
        await expect(page.get_by_test_id("route-resident_records")).to_be_visible()
        await ask(page, "ごみの日は いつ ですか")
        route = await talk.get_attribute("data-route")
        await talk.click()
        await expect(page.locator("body")).to_have_attribute("data-screen", "waiting", timeout=WAIT_MS)
        await expect(page.get_by_test_id("waiting-route")).to_contain_text(
            await page.evaluate("(r) => import('/static/js/i18n.js').then((m) => m.t(`route.${r}`))", route)
        )
        assert problems == []
    finally:
        await context.close()


@pytest.mark.parametrize("size", [*KIOSK_SIZES, "phone"])
async def test_the_call_back_keys_are_large_and_the_thanks_repeats_the_number(
    live_server: LiveServer, browser: Browser, size: str
) -> None:
    _, _, kiosk_path = await live_server.add_booth("汐見郵便局ブース", location="汐見郵便局")
    viewport = KIOSK_SIZES.get(size, PHONE)  # a phone-sized kiosk view may scroll down (docs/ui.md)
    context, page, problems = await new_page(browser, viewport)
    try:
        await page.goto(live_server.base_url + kiosk_path)
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        await page.get_by_test_id("start-consultation").click()
        await page.get_by_test_id("route-tax").click()
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)  # nobody on duty
        for code in SUPPORTED_LANGUAGES:
            await set_language(page, code)
            m = await page.evaluate(
                """() => ({
                  keys: [...document.querySelectorAll('[data-callback-key]')].map((k) => {
                    const r = k.getBoundingClientRect();
                    return { h: Math.round(r.height), w: Math.round(r.width), bottom: Math.round(r.bottom) };
                  }),
                  submit: Math.round(document.querySelector('[data-testid="callback-submit"]')
                    .getBoundingClientRect().bottom),
                  scrolls: document.documentElement.scrollHeight > innerHeight + 1,
                })"""
            )
            small = [k for k in m["keys"] if min(k["h"], k["w"]) < 72]
            assert not small, (size, code, small)
            if size != "phone":
                assert not m["scrolls"], (size, code, m)
                assert max(k["bottom"] for k in m["keys"]) <= viewport["height"], m
                assert m["submit"] <= viewport["height"], m
        await set_language(page, "ja")
        await shot(page, f"walk-kiosk-keypad-{size}")
        for key in "09012345678":
            await page.locator(f'[data-callback-key="{key}"]').first.click()
        await page.get_by_test_id("callback-submit").click()
        await expect(page.locator("body")).to_have_attribute("data-screen", "thanks", timeout=WAIT_MS)
        thanks = page.locator("#thanks-body")
        await expect(thanks).to_contain_text("下4けた 5678")
        await expect(thanks).to_contain_text(re.compile(r"\d{1,2}月\d{1,2}日\(.\) \d\d:\d\d"))  # when it was taken
        await expect(thanks).to_contain_text("役場の 受付時間（")  # and when the town calls back
        await expect(page.get_by_test_id("csat")).to_be_hidden()  # nothing to rate
        await set_language(page, "ne")
        await expect(thanks).to_contain_text("5678")
        await expect(thanks).to_contain_text(re.compile(NEPALI_MONTHS))  # the day in words, from the catalog
        await shot(page, f"walk-kiosk-callback-thanks-{size}-ne")
        assert problems == []
    finally:
        await context.close()


async def test_dates_read_right_in_every_language_on_the_booking_page(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path) as api:
        context, page, problems = await new_page(browser, PHONE, phone=True)
        try:
            supported = await page.evaluate(
                "(codes) => codes.filter((c) => Intl.DateTimeFormat.supportedLocalesOf([c]).length)", ["ne", "ja"]
            )
            for code in SUPPORTED_LANGUAGES:
                await page.goto(f"{api.base_url}/book/shiomi?lang={code}")
                await page.get_by_test_id("book-route").select_option("tax")
                await page.locator('[data-testid="book-mode"] input[value="counter"]').check()
                days = await page.get_by_test_id("book-day").locator("option").all_text_contents()
                dated = [d for d in days if re.search(r"\d", d)]
                assert dated, (code, days)
                assert not [d for d in dated if ROOT_FORMAT.search(d)], (code, dated)
                if code == "ne":
                    assert all(re.search("डिसेम्बर|जनवरी|नोभेम्बर", d) for d in dated), dated
                    await page.get_by_test_id("book-day").select_option(index=1)
                    slot = page.get_by_test_id("book-slot").first
                    await expect(slot).to_be_visible(timeout=WAIT_MS)
                    await page.get_by_test_id("book-day").scroll_into_view_if_needed()
                    await shot(page, "walk-book-ne-phone-days")
                    await slot.click()
                    await page.get_by_test_id("book-name-kana").fill("Sita Sharma")
                    await page.get_by_test_id("book-submit").click()
                    booking = page.get_by_test_id("book-booking")
                    await expect(booking).to_be_visible(timeout=WAIT_MS)
                    said = await booking.text_content() or ""
                    assert "डिसेम्बर" in said or "जनवरी" in said, said  # the confirmation's day in Nepali words
                    assert not ROOT_FORMAT.search(said), said
                    await shot(page, "walk-book-ne-phone-done")
            # the kiosk's check-in words use the same module: every language, a date and a time
            await page.goto(f"{api.base_url}/book/shiomi")
            for code in SUPPORTED_LANGUAGES:
                await set_language(page, code)
                said = await page.evaluate(
                    "() => import('/static/js/dates.js').then((d) => d.formatDayAndTime("
                    "new Date(Date.UTC(2026, 11, 9, 1, 0)), { timeZone: 'Asia/Tokyo' }))"
                )
                assert not ROOT_FORMAT.search(said) and "10:00" in said and "9" in said, (code, said)
            assert problems == [], problems
            assert "ja" in supported  # the check itself: Japanese is formatted by the browser
        finally:
            await context.close()


async def test_the_chat_does_not_ask_how_it_went_after_a_wait_nobody_answered(
    live_server: LiveServer, browser: Browser
) -> None:
    context, page, problems = await new_page(browser, PHONE, phone=True)
    try:
        await page.goto(f"{live_server.base_url}/chat?lang=ne")
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready")
        await page.get_by_test_id("handoff-request").click()
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)  # nobody on duty
        await page.get_by_test_id("cancel-waiting").click()
        await page.get_by_test_id("cancel-waiting-yes").click()  # asked once (ux14)
        # consultation.closed sets the phase right after the question's decision (resident.js onClosed)
        await expect(page.locator("body")).to_have_attribute("data-phase", "closed", timeout=WAIT_MS)
        await expect(page.get_by_test_id("csat")).to_be_hidden()
        await shot(page, "walk-chat-gave-up-ne")
        assert problems == []
    finally:
        await context.close()


async def test_the_kiosks_check_in_names_the_booked_day_in_every_language(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path) as api:  # Monday 7 December, 8:00
        server = LiveServer(app=api.app, base_url=api.base_url, settings=api.app[keys.SETTINGS])
        _, _, kiosk_path = await server.add_booth("汐見郵便局ブース")
        status, booked = await api.book(place="shiomi-post-office", start="2026-12-08T09:00:00+09:00")
        assert status == 201, booked
        context, kiosk, problems = await new_page(browser, KIOSK_SIZES["wide"])
        try:
            await kiosk.goto(api.base_url + kiosk_path)
            await kiosk.get_by_test_id("checkin-start").click(timeout=WAIT_MS)
            for code in SUPPORTED_LANGUAGES:
                # picked by the resident (the picker): a booking's own language (Japanese here) yields to it (ux14)
                await kiosk.get_by_test_id("language-picker").click()
                await kiosk.get_by_test_id(f"language-{code}").click()
                await expect(kiosk.locator("html")).to_have_attribute("lang", re.compile(code.split("-")[0]))
                for digit in booked["code"]:
                    await kiosk.get_by_test_id(f"checkin-digit-{digit}").click()
                await kiosk.get_by_test_id("checkin-submit").click()
                text = kiosk.get_by_test_id("checkin-refusal-text")
                await expect(text).to_be_visible(timeout=WAIT_MS)
                said = await text.text_content() or ""
                assert "09:00" in said and "8" in said and not ROOT_FORMAT.search(said), (code, said)
                if code == "ne":
                    assert "डिसेम्बर" in said and "मङ्गल" in said, said  # Tuesday 8 December, from the catalog
                    for size in ("wide", "portrait"):
                        await kiosk.set_viewport_size(KIOSK_SIZES[size])
                        await shot(kiosk, f"walk-kiosk-checkin-day-{size}-ne")
                    await kiosk.set_viewport_size(KIOSK_SIZES["wide"])
                await kiosk.get_by_test_id("checkin-refusal-ok").click()
            assert [p for p in problems if "favicon" not in p] == [], problems
        finally:
            await context.close()
