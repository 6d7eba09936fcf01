"""The language audit (session 15): every resident-facing page, in each of the nine page languages, shows no text
in a script that language does not use and no catalog key in place of a text (tests/browser/language_audit.py says
what is allowed and why). One Chromium page for each kind of page, switched from language to language as the
picker does: the chat's start, each step of /book, the kiosk's screens reachable without a call, and the pages
that only say something is wrong."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from madoguchi import keys
from madoguchi.domain.opening_hours import WEEKDAYS, HoursSpec
from madoguchi.storage.opening_hours import OpeningHoursStore
from tests.bookings_support import running
from tests.browser.chromium import SIZES, WAIT_MS, new_page, shot, sign_in
from tests.browser.language_audit import DEVANAGARI_DIGIT, LANGUAGES, audit, script_problems
from tests.browser.test_booking_page import choose
from tests.browser.test_kiosk_layouts import close_all_week
from tests.support import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
KIOSK = {"width": 1080, "height": 1920}


async def closed_all_week(app: web.Application) -> None:
    """The office closed every day (as /admin would store it): the "nobody can answer" panel names the hours."""
    spec = HoursSpec(weekly=dict.fromkeys(WEEKDAYS, "closed"))
    await OpeningHoursStore(app[keys.DATABASE]).save("shiomi", spec, actor="test", by="test", at=datetime.now(UTC))
    app[keys.HOURS].forget("shiomi")


def missing_texts(page: Page) -> list[str]:
    """What i18n.js's t() says it had no text for (the key is then shown): gathered as the page runs."""
    missing: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if "i18n: no text for" in msg.text:
            missing.append(msg.text)

    page.on("console", on_console)
    return missing


async def test_the_chat_and_booking_pages_speak_each_language_only(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path, booking_requests_per_minute=60) as api:
        context, page, _ = await new_page(browser, PHONE, phone=True)
        missing = missing_texts(page)
        problems: list[str] = []
        try:
            await page.goto(f"{api.base_url}/chat")
            await expect(page.get_by_test_id("connection-status")).to_have_attribute(
                "data-state", "ready", timeout=WAIT_MS
            )
            problems += await audit(page, "chat start")
            await page.goto(f"{api.base_url}/book/shiomi?lang=ja")
            await expect(page.get_by_test_id("book-route")).to_be_visible(timeout=WAIT_MS)
            problems += await audit(page, "book start")
            await choose(page, route="tax", mode="counter", day="2026-12-08")
            first = page.get_by_test_id("book-slot").first
            await expect(first).to_contain_text("8:30", timeout=WAIT_MS)
            problems += await audit(page, "book times")  # a new language draws the times again, none chosen
            for code in ("vi", "ne"):
                await page.evaluate("(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))", code)
                await shot(page, f"audit-book-times-{code}-phone")
            await page.evaluate("() => import('/static/js/i18n.js').then((m) => m.setLanguage('ja'))")
            await expect(first).to_contain_text("8:30", timeout=WAIT_MS)
            await first.click()
            await page.get_by_test_id("book-name-kana").fill("やまだ はなこ")
            await page.get_by_test_id("book-contact").fill("hanako@example.jp")
            await page.get_by_test_id("book-submit").click()
            await expect(page.get_by_test_id("book-booking")).to_be_visible(timeout=WAIT_MS)
            problems += await audit(page, "book booked", own=("ヤマダ ハナコ",))  # the name as they typed it
            # the day and its times as each language writes them, through dates.js: 8:30–8:50 outside Japanese,
            # and a comma where the day ends in a number (「8 tháng 12 8:30」 ran the 12 into the time)
            booked = {"ja": "12月8日(火) 8:30〜8:50", "vi": "Thứ 3, 8 tháng 12, 8:30–8:50", "ne": "मङ्गल, 8:30–8:50"}
            for code, when in booked.items():
                await page.evaluate("(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))", code)
                await expect(page.get_by_test_id("book-booking")).to_contain_text(when)
                await shot(page, f"audit-book-booked-{code}-phone")

            # a line about danger while the office is closed: the hotlines, the waiting card and the "nobody can
            # answer" panel with the town's hours, all re-worded by a switch (the conversation's lines are not)
            await closed_all_week(api.app)  # last: it closes the booking days too
            await page.goto(f"{api.base_url}/chat")
            await expect(page.get_by_test_id("connection-status")).to_have_attribute(
                "data-state", "ready", timeout=WAIT_MS
            )
            await page.get_by_test_id("chat-input").fill("もう死にたい")
            await page.get_by_test_id("chat-send").click()
            await expect(page.get_by_test_id("urgent-banner")).to_be_visible(timeout=WAIT_MS)
            await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
            problems += await audit(page, "chat urgent, closed", skip='[data-testid="chat-log"]')
            for code in ("ne", "en"):
                await page.evaluate("(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))", code)
                await shot(page, f"audit-chat-urgent-{code}-phone")

            for path in ("/chat/nowhere", "/book/nowhere"):
                await page.goto(f"{api.base_url}{path}")
                problems += await audit(page, path)
        finally:
            await context.close()
    assert not problems, "\n".join(problems)
    assert not missing, missing


async def test_the_kiosks_screens_speak_each_language_only(live_server: LiveServer, browser: Browser) -> None:
    _, _, kiosk_path = await live_server.add_booth("潮見港郵便局ブース", location="潮見港郵便局")
    await close_all_week(live_server)  # the start screen's "closed now" notice is on
    context, page, _ = await new_page(browser, KIOSK)
    missing = missing_texts(page)
    problems: list[str] = []
    try:
        await page.goto(live_server.base_url + kiosk_path)
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        await expect(page.get_by_test_id("closed-now")).to_be_visible(timeout=WAIT_MS)
        problems += await audit(page, "kiosk start")
        for code in ("ne", "ko"):
            await page.evaluate("(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))", code)
            await shot(page, f"audit-kiosk-start-{code}")
        await page.get_by_test_id("checkin-start").click()
        problems += await audit(page, "kiosk check-in")
        await page.get_by_test_id("checkin-back").click()
        await page.get_by_test_id("start-consultation").click()
        problems += await audit(page, "kiosk question")
        await page.get_by_test_id("route-tax").click()
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
        problems += await audit(page, "kiosk call-back")
        for digit in "09012345678":
            await page.locator(f'[data-callback-key="{digit}"]').click()
        await page.get_by_test_id("callback-submit").click()
        await expect(page.get_by_test_id("thanks")).to_be_visible(timeout=WAIT_MS)
        problems += await audit(page, "kiosk thanks")
        for code in ("en", "vi"):
            await page.evaluate("(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))", code)
            await shot(page, f"audit-kiosk-thanks-{code}")
        await page.goto(live_server.base_url + "/booth/nosuchbooth")
        problems += await audit(page, "kiosk unknown booth")
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
    assert not missing, missing


async def test_the_consoles_language_choices_speak_each_language_only(
    live_server: LiveServer, browser: Browser
) -> None:
    """The staff console has the same picker (its agent's own choice): each choice reads in that language only."""
    await live_server.add_agent("agent1", "correct horse battery")
    context, page, _ = await new_page(browser, SIZES["full-hd"])
    missing = missing_texts(page)
    try:
        await sign_in(page, live_server.base_url, "agent1", "correct horse battery")
        await expect(page.get_by_test_id("language-picker")).to_be_visible(timeout=WAIT_MS)
        problems = await audit(page, "console", own=("agent1 さん",))  # the name as staff stored it
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
    assert not missing, missing


NEPALI_DATES_JS = r"""(() => {
  // a browser that has Nepali date data, as Chrome with full ICU does: it writes Nepali days in Devanagari digits
  // unless asked for Latin ones (this Debian Chromium has none and falls back to the catalog's words)
  const Real = Intl.DateTimeFormat;
  const deva = (text) => text.replace(/[0-9]/g, (d) => String.fromCharCode(0x0966 + Number(d)));
  function Nepali(locale, options = {}) {
    const nepali = String(locale).startsWith("ne");
    const real = new Real(nepali ? "en-US" : locale, options);
    const latin = options.numberingSystem === "latn";
    return { format: (date) => (nepali && !latin ? deva(real.format(date)) : real.format(date)),
             resolvedOptions: () => real.resolvedOptions(), formatToParts: (date) => real.formatToParts(date) };
  }
  Nepali.supportedLocalesOf = (locales) => [].concat(locales).filter((l) => String(l).startsWith("ne")
    || Real.supportedLocalesOf([l]).length);
  Intl.DateTimeFormat = Nepali;
})()"""


async def test_a_nepali_day_is_written_in_the_digits_of_its_times(browser: Browser, tmp_path: Path) -> None:
    """dates.js asks Intl for Latin digits: a browser with Nepali date data wrote 「डिसेम्बर ८, मङ्गल」 beside
    「8:30–8:50」 and the booking codes, two kinds of digits on one line."""
    async with running(tmp_path) as api:
        context, page, _ = await new_page(browser, PHONE, phone=True)
        try:
            await page.add_init_script(NEPALI_DATES_JS)
            await page.goto(f"{api.base_url}/book/shiomi?lang=ne")
            await expect(page.get_by_test_id("book-route")).to_be_visible(timeout=WAIT_MS)
            await page.get_by_test_id("book-route").select_option("tax")
            await page.locator('[data-testid="book-mode"] input[value="counter"]').check()
            day = page.locator('[data-testid="book-day"] option[value="2026-12-08"]')
            await expect(day).to_contain_text("8", timeout=WAIT_MS)
            assert not DEVANAGARI_DIGIT.search(await day.inner_text()), await day.inner_text()
        finally:
            await context.close()


def test_the_audit_catches_what_it_is_for() -> None:
    """The checker itself: Japanese left in a Vietnamese page, Latin in easy Japanese, hangul outside Korean, a key."""
    assert script_problems("vi", [["x", "Phòng Thuế (税務課)"], ["y", "Mang theo 住民票"]]) == [
        "vi y: kanji in 'Mang theo 住民票'"
    ]
    easy = script_problems("easy-ja", [["x", "QRコード"], ["y", "Tax の まどぐち"]])
    assert easy == ["easy-ja y: latin Tax in 'Tax の まどぐち'"]
    assert script_problems("en", [["x", "예약"]]) == ["en x: hangul in '예약'"]
    assert script_problems("vi", [["x", "8:30〜8:50"]]) == ["vi x: the Japanese wave dash 〜 in '8:30〜8:50'"]
    assert script_problems("ne", [["x", "१. के कामको लागि हो?"]])[0].startswith("ne x: Devanagari digits")
    assert script_problems("ja", [["x", "8:30〜8:50"]]) == []
    assert script_problems("ko", [["x", "resident.error.heading"]])[0].startswith("ko x: a catalog key shown")
    assert LANGUAGES[0] == "ja"
