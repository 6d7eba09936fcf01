"""Booking on a phone (``/book``, 390x844) in real Chromium: choose, book, keep the code, move, see a cancelled
boat's notice, cancel. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi import keys
from madoguchi.booking_desk.api import DESK
from madoguchi.bookings import codes
from madoguchi.bookings.ferry import Sailing
from madoguchi.domain.opening_hours import HoursSpec
from madoguchi.storage import bookings as storage_bookings
from madoguchi.storage.opening_hours import OpeningHoursStore
from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot, shot_path

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

TWELVE_GROUPED = re.compile(r"^\d{4} \d{4} \d{4}$")  # a booking code as every page shows it


async def choose(page: Page, *, route: str, mode: str, day: str, place: str | None = None) -> None:
    await page.get_by_test_id("book-route").select_option(route)
    await page.locator(f'[data-testid="book-mode"] input[value="{mode}"]').check()
    if place is not None:
        await page.get_by_test_id("book-place").select_option(place)
    await page.get_by_test_id("book-day").select_option(day)


async def test_book_move_and_cancel_on_a_phone(browser: Browser, tmp_path: Path) -> None:
    async with running(tmp_path, booking_requests_per_minute=30) as api:
        context, page, problems = await new_page(browser, PHONE, phone=True)
        try:
            await page.goto(f"{api.base_url}/chat")
            await page.get_by_test_id("book-link").click()
            await page.wait_for_url("**/book/shiomi?lang=ja")  # in the chat's language (re-tester: vi → Japanese)
            await expect(page.locator("h1")).to_have_text("窓口の 予約")
            await choose(page, route="tax", mode="counter", day="2026-12-08")
            first = page.get_by_test_id("book-slot").first
            await expect(first).to_contain_text("8:30", timeout=WAIT_MS)
            # plainly bookable: no count that reads like a queue or a last place (UX13 finding 6)
            await expect(first).to_contain_text("予約できます")
            await expect(first).not_to_contain_text("あと")
            box = await first.bounding_box()
            assert box is not None and box["height"] >= 56 and box["width"] >= 150  # a thumb hits it
            # a contact that is neither a phone number nor an e-mail address is explained before anything is sent
            await first.click()
            await page.get_by_test_id("book-name-kana").fill("やまだ はなこ")
            await page.get_by_test_id("book-contact").fill("090-12")
            await page.get_by_test_id("book-submit").click()
            # said next to the field in question (not in a banner far above it), and the field is marked
            contact_error = page.locator('[data-testid="book-field-error"][data-field="contact"]')
            await expect(contact_error).to_contain_text("電話番号（10けたか 11けた）か メールアドレス")
            await expect(contact_error).to_be_in_viewport()
            await expect(page.get_by_test_id("book-contact")).to_have_attribute("aria-invalid", "true")
            await expect(page.get_by_test_id("book-contact")).to_have_attribute("aria-describedby", "error-contact")
            banner = page.get_by_test_id("book-message")  # the summary for screen readers: the same words, once
            await expect(banner).to_contain_text("電話番号（10けたか 11けた）か メールアドレス")
            box = await banner.bounding_box()
            assert box is not None and box["width"] <= 1 and box["height"] <= 1, box  # not a banner on screen
            await shot(page, "book-1-contact")
            # a 個人番号 typed as the contact: a sentence that says so and what to write instead, beside it, unsent
            await page.get_by_test_id("book-contact").fill("+1234 5678 9018")
            await page.get_by_test_id("book-submit").click()
            await expect(contact_error).to_have_text(
                "これは マイナンバー（個人番号）の ようです。ここには 書かないで ください。"
                "電話番号か メールアドレスを 書いて ください。"
            )
            await page.screenshot(path=shot_path("book_phone_contact_personal_number"))
            # someone else takes the last places of 8:30 meanwhile: the sentence stands at the times, which reload
            for _ in range(2):
                assert (await api.book(start="2026-12-08T08:30:00+09:00", name_kana="タナカ"))[0] == 201
            await page.get_by_test_id("book-contact").fill("hanako@example.jp")
            await page.get_by_test_id("book-submit").click()
            slot_error = page.locator('[data-testid="book-field-error"][data-field="slot"]')
            full = "その 時間は いっぱいに なりました。ほかの 時間を えらんで ください。"
            await expect(slot_error).to_have_text(full)
            await expect(first).to_contain_text("いっぱい", timeout=WAIT_MS)
            await expect(slot_error).to_have_text(full)  # the times loaded again and the words stayed
            await expect(slot_error).to_be_in_viewport()
            await expect(contact_error).to_be_hidden()  # one error at a time: the contact was fixed
            await expect(banner).to_have_text(full)
            await shot(page, "book-1-full")
            assert all("409 (Conflict)" in p for p in problems), problems  # the refused booking, logged by Chromium
            problems.clear()
            await page.get_by_test_id("book-slot").nth(1).click()
            await shot(page, "book-1-chosen")
            await page.get_by_test_id("book-submit").click()

            code_box = page.get_by_test_id("book-code")
            await expect(code_box).to_have_text(TWELVE_GROUPED, timeout=WAIT_MS)
            code = ((await code_box.text_content()) or "").replace(" ", "")
            assert codes.well_formed(code)
            assert await code_box.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # 12 digits on one line
            await expect(page.get_by_test_id("book-booking")).to_contain_text("9:00〜9:20")
            await expect(page.get_by_test_id("book-booking")).to_contain_text("ヤマダ ハナコ")
            assert await page.get_by_test_id("book-ics").get_attribute("href") == f"/api/bookings/{code}/calendar.ics"
            await shot(page, "book-2-booked")
            status, stored = await api.call("GET", f"/api/bookings/{code}")
            assert (status, stored["start"], stored["contact"]) == (
                200,
                "2026-12-08T09:00:00+09:00",
                "ha***@example.jp",
            )

            await page.get_by_test_id("book-move").click()
            await page.get_by_test_id("book-day").select_option("2026-12-09")
            await expect(page.get_by_test_id("book-slot").first).to_be_visible(timeout=WAIT_MS)
            later = page.locator('[data-testid="book-slot"][data-start="2026-12-09T13:00:00+09:00"]')
            # moving asks once, in the page, naming the new time (a tap on a time used to move it at once)
            await later.click()
            ask = page.get_by_test_id("book-confirm")
            await expect(ask).to_be_visible()
            await expect(page.get_by_test_id("book-confirm-question")).to_contain_text("13:00〜13:20")
            await shot(page, "book-2b-move-confirm")
            await page.get_by_test_id("book-confirm-no").click()
            await expect(ask).to_be_hidden()
            status, stored = await api.call("GET", f"/api/bookings/{code}")
            assert stored["start"] == "2026-12-08T09:00:00+09:00", "いいえ moves nothing"
            # one time tapped, then another before answering: only the last is asked about and moved to (the
            # first question's はい used to stay wired up, and one はい sent both moves)
            moves: list[str] = []
            page.on(
                "request", lambda r: moves.append(r.url) if r.method == "POST" and r.url.endswith("/move") else None
            )
            await page.get_by_test_id("book-slot").first.click()
            await expect(page.get_by_test_id("book-confirm-question")).to_contain_text("8:30")
            await later.focus()  # the box covers the times, but not from the keyboard (or a screen reader)
            await page.keyboard.press("Enter")
            await expect(page.get_by_test_id("book-confirm-question")).to_contain_text("13:00〜13:20")
            await page.get_by_test_id("book-confirm-yes").click()
            await expect(page.get_by_test_id("book-message")).to_have_text("時間を 変えました。", timeout=WAIT_MS)
            await expect(page.get_by_test_id("book-booking")).to_contain_text("13:00〜13:20")
            status, stored = await api.call("GET", f"/api/bookings/{code}")
            assert (stored["code"], stored["start"]) == (code, "2026-12-09T13:00:00+09:00")
            assert len(moves) == 1, moves

            page.once("dialog", lambda dialog: pytest.fail(f"the browser's own pop-up: {dialog.message}"))
            await page.get_by_test_id("book-cancel").click()
            await expect(page.get_by_test_id("book-confirm-question")).to_have_text("本当に 予約を やめますか？")
            for button in ("book-confirm-yes", "book-confirm-no"):
                box = await page.get_by_test_id(button).bounding_box()
                assert box is not None and box["height"] >= 56, (button, box)  # large はい / いいえ
            await page.get_by_test_id("book-confirm-yes").click()
            await expect(page.get_by_test_id("book-message")).to_have_text("予約を やめました。", timeout=WAIT_MS)
            await expect(page.get_by_test_id("book-cancel")).to_be_hidden()
            # a cancelled booking is not dressed as a live one and offers no calendar entry (#14)
            await expect(page.get_by_test_id("book-ics")).to_be_hidden()
            status_line = page.locator("#booking-status")
            await expect(status_line).to_have_attribute("data-status", "cancelled")
            assert await status_line.evaluate("e => getComputedStyle(e).color") != "rgb(22, 121, 74)"  # not --ok
            status, stored = await api.call("GET", f"/api/bookings/{code}")
            assert stored["status"] == "cancelled"
            await shot(page, "book-3-cancelled")
            assert problems == []
        finally:
            await context.close()


async def test_a_cancelled_boat_shows_on_the_booking_page_with_times_to_move_to(
    browser: Browser, tmp_path: Path
) -> None:
    async with running(tmp_path) as api:
        context, page, problems = await new_page(browser, PHONE, phone=True)
        try:
            await page.goto(f"{api.base_url}/book")
            await choose(page, route="resident_records", mode="counter", day="2026-12-08")
            await page.get_by_test_id("book-ferry").check()
            first = page.get_by_test_id("book-slot").first
            await expect(first).to_contain_text("9:00", timeout=WAIT_MS)  # 8:30 is before the first boat lands
            await expect(first).to_contain_text("8:25 に 着く 船")
            await first.click()
            await page.get_by_test_id("book-name-kana").fill("シマ タロウ")
            await page.get_by_test_id("book-submit").click()
            await expect(page.get_by_test_id("book-code")).to_have_text(TWELVE_GROUPED, timeout=WAIT_MS)
            code = ((await page.get_by_test_id("book-code").text_content()) or "").replace(" ", "")
            # a counter booking is told to give the code at the counter, not to enter it at a booth
            await expect(page.get_by_test_id("book-done-keep")).to_contain_text("役場の 窓口で")

            told = await api.app[DESK].cancel_sailing(
                "shiomi", Sailing("nagishima", date(2026, 12, 8), "in", time(8, 25))
            )
            assert [r.code for r in told] == [code]

            await page.reload()  # the address keeps the code (#code=…): the page looks it up again
            notice = page.get_by_test_id("book-notice")
            await expect(notice).to_contain_text("欠航", timeout=WAIT_MS)
            await expect(notice.get_by_test_id("book-slot")).to_have_count(3)
            await shot(page, "book-4-ferry-cancelled")
            await notice.get_by_test_id("book-slot").first.click()
            await page.get_by_test_id("book-confirm-yes").click()
            await expect(page.get_by_test_id("book-message")).to_have_text("時間を 変えました。", timeout=WAIT_MS)
            await expect(notice).to_be_hidden()
            assert problems == []
        finally:
            await context.close()


async def test_days_the_towns_hours_close_are_not_offered_on_the_phone(browser: Browser, tmp_path: Path) -> None:
    """Session 8: the admin's hours close Wednesdays and give tax (税金) a week of its own, Mondays only; the desks
    still open every weekday. The day list offers no Wednesday, tax offers Mondays only, and every day offered
    has times (no day that answers 「その日は お休み」)."""
    weekdays = dict.fromkeys(("mon", "tue", "thu", "fri"), "08:30-17:15")
    async with running(tmp_path) as api:
        spec = HoursSpec(weekly={**weekdays, "wed": "closed"}, routes={"tax": {"mon": "08:30-17:15"}})
        await OpeningHoursStore(api.app[keys.DATABASE]).save("shiomi", spec, actor="t", by="t", at=datetime.now(UTC))
        api.app[keys.HOURS].forget("shiomi")
        context, page, problems = await new_page(browser, PHONE, phone=True)
        try:
            await page.goto(f"{api.base_url}/book")
            await page.get_by_test_id("book-route").select_option("resident_records")
            await page.locator('[data-testid="book-mode"] input[value="counter"]').check()
            days = page.get_by_test_id("book-day").locator("option:not([value=''])")
            await expect(days.first).to_be_attached(timeout=WAIT_MS)
            offered = [date.fromisoformat(d) for d in await days.evaluate_all("os => os.map(o => o.value)")]
            assert offered and all(d.weekday() in (0, 1, 3, 4) for d in offered), offered
            assert date(2026, 12, 9) not in offered and date(2026, 12, 10) in offered  # Wed no, Thu yes
            await page.get_by_test_id("book-route").select_option("tax")
            await expect(days.first).to_be_attached(timeout=WAIT_MS)
            tax_days = [date.fromisoformat(d) for d in await days.evaluate_all("os => os.map(o => o.value)")]
            assert tax_days and {d.weekday() for d in tax_days} == {0}, tax_days
            await page.get_by_test_id("book-day").select_option(tax_days[1].isoformat())  # today's first times passed
            await expect(page.get_by_test_id("book-slot").first).to_contain_text("8:30", timeout=WAIT_MS)
            await shot(page, "book-hours-closed-days")
            assert problems == []
        finally:
            await context.close()


SIZES = {
    "phone": {"width": 390, "height": 844},
    "laptop": {"width": 1366, "height": 768},
    "desktop": {"width": 1920, "height": 1080},
    "tall": {"width": 1080, "height": 1920},
}


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_a_personal_number_as_contact_is_named_under_the_field(
    browser: Browser, tmp_path: Path, lang: str
) -> None:
    """Session 11: a 個人番号 typed as the contact is refused on the page, with its own sentence under the field,
    before anything is sent (the server refuses it too); a foreign phone number gets the phone sentence."""
    says = {
        "ja": ("マイナンバー（個人番号）の ようです", "0から始まる 電話番号"),
        "en": ("looks like a My Number", "Japanese phone number"),
    }[lang]
    async with running(tmp_path, booking_requests_per_minute=30) as api:
        for size_name, size in SIZES.items():
            context, page, problems = await new_page(browser, size, phone=size_name == "phone")
            sent: list[str] = []
            page.on("request", lambda r, sent=sent: sent.append(r.url) if r.method == "POST" else None)
            try:
                await page.goto(f"{api.base_url}/book/shiomi?lang={lang}")
                await choose(page, route="tax", mode="counter", day="2026-12-08")
                first = page.get_by_test_id("book-slot").first
                await expect(first).to_contain_text("8:30", timeout=WAIT_MS)
                await first.click()
                await page.get_by_test_id("book-name-kana").fill("やまだ はなこ")
                contact_error = page.locator('[data-testid="book-field-error"][data-field="contact"]')
                await page.get_by_test_id("book-contact").fill("+1 202 555 0100")
                await page.get_by_test_id("book-submit").click()
                await expect(contact_error).to_contain_text(says[1])
                await page.get_by_test_id("book-contact").fill("１２３４−５６７８−９０１８")
                await page.get_by_test_id("book-submit").click()
                await expect(contact_error).to_contain_text(says[0])
                await expect(contact_error).to_be_in_viewport()
                assert "9018" not in (await contact_error.text_content() or "")
                await shot(page, f"book-my-number-{lang}-{size_name}")
                assert sent == [] and problems == []
            finally:
                await context.close()


def _catalog(lang: str) -> dict[str, str]:
    path = Path(__file__).resolve().parents[2] / "madoguchi" / "static" / "i18n" / f"{lang}.json"
    texts: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return texts


@pytest.mark.parametrize("size_name", ["phone", "wide"])
@pytest.mark.parametrize("lang", ["ja", "easy-ja", "en", "vi", "ne"])
async def test_an_empty_name_is_asked_for_and_the_booked_summary_keeps_its_parts_apart(
    browser: Browser, tmp_path: Path, lang: str, size_name: str
) -> None:
    """UX round 12: an empty name got "…without numbers" (a mistake nobody made), and the booking read "…remote
    counter Residence records and seals" as one run. An empty field says it is needed; when, place and topic
    are a line each."""
    texts = _catalog(lang)
    size = {"phone": PHONE, "wide": {"width": 1366, "height": 768}}[size_name]
    async with running(tmp_path, booking_requests_per_minute=30) as api:
        context, page, problems = await new_page(browser, size, phone=size_name == "phone")
        try:
            await page.goto(f"{api.base_url}/book/shiomi?lang={lang}")
            await choose(page, route="resident_records", mode="counter", day="2026-12-08")
            first = page.get_by_test_id("book-slot").first
            await expect(first).to_contain_text("8:30", timeout=WAIT_MS)
            await first.click()
            await page.get_by_test_id("book-submit").click()
            name_error = page.locator('[data-testid="book-field-error"][data-field="name"]')
            await expect(name_error).to_have_text(texts["book.error.name_missing"])
            await expect(name_error).to_be_in_viewport()
            await shot(page, f"book-empty-name-{lang}-{size_name}")
            await page.get_by_test_id("book-name-kana").fill("Nguyen Van An")
            await page.get_by_test_id("book-submit").click()
            await expect(page.get_by_test_id("book-code")).to_have_text(TWELVE_GROUPED, timeout=WAIT_MS)
            when = page.locator("#booking-when")
            await expect(when).to_be_visible()
            lines = [line.strip() for line in (await when.inner_text()).splitlines() if line.strip()]
            assert len(lines) == 3, lines  # when / place / topic, not one run of words
            assert lines[2] == texts["route.resident_records"], lines
            await when.scroll_into_view_if_needed()
            await shot(page, f"book-booked-summary-{lang}-{size_name}")
            assert problems == []
        finally:
            await context.close()


async def test_look_up_a_code_as_read_out_and_an_eight_digit_code_of_before(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/book's 「予約を 見る」: the label says 12 or 8 digits; a 12-digit code typed in groups (with spaces, as it is
    read out) and an 8-digit code given before session 13 are both found; the 12 shown fit a phone's width."""
    async with running(tmp_path) as api:  # Monday 7 December, 8:00
        _, twelve = await api.book(start="2026-12-08T09:00:00+09:00")
        old = "8191832" + str(codes.damm("8191832"))  # what the generator gave before session 13
        monkeypatch.setattr(storage_bookings, "new_code", lambda: old)
        _, before = await api.book(start="2026-12-08T09:30:00+09:00")
        assert len(twelve["code"]) == 12 and before["code"] == old
        for name, viewport in {"phone": PHONE, "wide": {"width": 1366, "height": 768}}.items():
            context, page, problems = await new_page(browser, viewport, phone=name == "phone")
            try:
                await page.goto(f"{api.base_url}/book")
                await expect(page.locator('label[for="book-lookup-code"]')).to_have_text("予約番号（12けた か 8けた）")
                box = page.get_by_test_id("book-lookup-code")
                await box.fill(codes.grouped(twelve["code"]))
                await page.get_by_test_id("book-lookup").click()
                await expect(page.get_by_test_id("book-booking")).to_contain_text("9:00〜9:20", timeout=WAIT_MS)
                overflow = await page.evaluate("() => document.documentElement.scrollWidth > innerWidth")
                assert not overflow, name
                await page.screenshot(path=shot_path(f"book_lookup_twelve_{name}"), full_page=True)
                await box.fill(f"{old[:4]}-{old[4:]}")
                await page.get_by_test_id("book-lookup").click()
                await expect(page.get_by_test_id("book-booking")).to_contain_text("9:30〜9:50", timeout=WAIT_MS)
                assert [p for p in problems if "favicon" not in p] == [], problems
            finally:
                await context.close()
