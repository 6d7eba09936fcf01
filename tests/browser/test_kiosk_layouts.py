"""Every kiosk screen in every UI language at the three kiosk sizes, in real Chromium: no element wider than its
box, no scrolling; a screenshot of each (tests/browser/artifacts). Also the "no one can answer" panel with a
call-back from the kiosk, and clock times in JST whatever the browser's time zone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi import keys
from madoguchi.domain.opening_hours import WEEKDAYS, HoursSpec
from madoguchi.storage.opening_hours import OpeningHoursStore
from madoguchi.ui import SUPPORTED_LANGUAGES
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

SIZES = {
    "portrait": {"width": 1080, "height": 1920},
    "wide": {"width": 1366, "height": 768},
    "full-hd": {"width": 1920, "height": 1080},
    "phone": {"width": 390, "height": 844},
}

# What does not fit: the page scrolls, or a visible block's content is wider than its box.
# A phone (390 wide) may scroll down, never sideways; and no button or field may cover another.
PROBLEMS_JS = """(mayScrollDown) => {
  const out = [];
  const doc = document.documentElement;
  if (!mayScrollDown && doc.scrollHeight > innerHeight + 1) {
    out.push(`page scrolls: ${doc.scrollHeight} > ${innerHeight}`);
  }
  if (doc.scrollWidth > innerWidth + 1) out.push(`page scrolls sideways: ${doc.scrollWidth} > ${innerWidth}`);
  for (const el of document.querySelectorAll('header *, main *, .no-answer *')) {
    if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
    const style = getComputedStyle(el);
    if (['inline', 'contents', 'none'].includes(style.display)) continue;
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} [${(el.textContent||'').trim().slice(0,30)}] ` +
               `${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  // an example text (placeholder) that does not fit its field is cut text too
  const pen = document.createElement('canvas').getContext('2d');
  for (const el of document.querySelectorAll('input[placeholder]')) {
    if (!el.offsetParent || el.value || !el.placeholder) continue;
    const shown = getComputedStyle(el, '::placeholder');
    const box = getComputedStyle(el);
    pen.font = `${shown.fontWeight} ${shown.fontSize} ${shown.fontFamily}`;
    pen.letterSpacing = shown.letterSpacing === 'normal' ? '0px' : shown.letterSpacing;
    const room = el.clientWidth - parseFloat(box.paddingLeft) - parseFloat(box.paddingRight);
    const needs = pen.measureText(el.placeholder).width;
    if (needs > room + 1) out.push(`placeholder of #${el.id} cut [${el.placeholder}] ${Math.round(needs)} > ${room}`);
  }
  const controls = [...document.querySelectorAll('button, input, a.btn, .route-button')].filter((el) => {
    const r = el.getBoundingClientRect();
    return el.offsetParent && r.width > 0 && r.height > 0;
  });
  for (let i = 0; i < controls.length; i++) {
    const a = controls[i].getBoundingClientRect();
    for (let j = i + 1; j < controls.length; j++) {
      if (controls[i].contains(controls[j]) || controls[j].contains(controls[i])) continue;
      const b = controls[j].getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 1) {
        const name = (el) => el.dataset.testid || el.id || (el.textContent || '').trim().slice(0, 20);
        out.push(`${name(controls[i])} overlaps ${name(controls[j])}`);
      }
    }
  }
  return out;
}"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path, thanks_screen_s=30.0)) as live:
        yield live


async def close_all_week(server: LiveServer) -> None:
    """Store hours that close the counter every day (as /admin or ``madoguchi hours set`` would)."""
    spec = HoursSpec(weekly=dict.fromkeys(WEEKDAYS, "closed"))
    await OpeningHoursStore(server.app[keys.DATABASE]).save(
        "shiomi", spec, actor="test", by="test", at=datetime.now(UTC)
    )
    server.app[keys.HOURS].forget("shiomi")


async def in_every_language(page: Page, screen: str, tag: str) -> list[str]:
    found = []
    may_scroll_down = SIZES[tag]["width"] < 600
    for code in SUPPORTED_LANGUAGES:
        await page.evaluate("(code) => import('/static/js/i18n.js').then((m) => m.setLanguage(code))", code)
        await page.wait_for_timeout(60)
        found += [f"{screen} {code} {tag}: {p}" for p in await page.evaluate(PROBLEMS_JS, may_scroll_down)]
        if code in ("ja", "en", "ne"):
            await shot(page, f"kiosk-{screen}-{code}-{tag}")
    await page.evaluate("() => import('/static/js/i18n.js').then((m) => m.setLanguage('ja'))")
    return found


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
async def test_every_kiosk_screen_fits_in_every_language(server: LiveServer, browser: Browser, size: str) -> None:
    _, _, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await close_all_week(server)  # the idle screen's "closed now" notice is on: the most it ever shows
    context, page, errors = await new_page(browser, SIZES[size])
    problems: list[str] = []
    try:
        await page.goto(server.base_url + kiosk_path)
        try:
            await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        except AssertionError:
            raise AssertionError(errors) from None
        await expect(page.get_by_test_id("closed-now")).to_be_visible(timeout=WAIT_MS)
        await expect(page.get_by_test_id("closed-now-hours")).to_contain_text("月〜日 お休み")
        await expect(page.get_by_test_id("closed-now-phone")).to_have_text("0997-00-1234")
        problems += await in_every_language(page, "idle", size)
        await page.get_by_test_id("checkin-start").click()
        problems += await in_every_language(page, "checkin", size)
        await page.get_by_test_id("checkin-back").click()
        await page.get_by_test_id("start-consultation").click()
        problems += await in_every_language(page, "routes", size)
        await page.get_by_test_id("route-tax").click()
        # nobody is on duty: the booth says so at once and offers a call-back
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
        await expect(page.get_by_test_id("office-phone")).to_have_text("0997-00-1234")
        await expect(page.locator("#no-answer-hours")).to_contain_text("月〜日 お休み")  # the stored hours
        problems += await in_every_language(page, "no-answer", size)
        await page.get_by_test_id("callback-submit").click()
        await expect(page.get_by_test_id("callback-error")).to_be_visible()
        for digit in "09012345678":
            await page.locator(f'[data-callback-key="{digit}"]').click()
        await expect(page.get_by_test_id("callback-phone")).to_have_value("09012345678")
        await page.get_by_test_id("callback-submit").click()
        await expect(page.get_by_test_id("thanks")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#thanks-body")).to_contain_text("折り返し")
        await expect(page.get_by_test_id("csat")).to_be_hidden()
        problems += await in_every_language(page, "thanks-callback", size)
        await page.goto(server.base_url + kiosk_path.split("#")[0] + "#")
        await page.evaluate("() => localStorage.clear()")
        await page.reload()
        await expect(page.get_by_test_id("kiosk-error")).to_be_visible(timeout=WAIT_MS)
        problems += await in_every_language(page, "error", size)
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors


async def test_times_show_in_japan_time_whatever_the_browsers_zone(server: LiveServer, browser: Browser) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-US", timezone_id="America/Los_Angeles"
    )
    page = await context.new_page()
    try:
        await page.goto(f"{server.base_url}/chat")
        shown = await page.evaluate(
            "() => import('/static/js/clock.js').then((m) => [m.formatTime(1796522400), m.timeZone(),"
            " new Date(1796522400 * 1000).getHours()])"
        )
        # 1796522400 = 2026-12-06 02:00 UTC = 11:00 JST = 18:00 the day before in Los Angeles
        assert shown[0] == "11:00" and shown[1] == "Asia/Tokyo" and shown[2] == 18, shown
        await page.get_by_test_id("chat-input").fill("住民票の写しがほしい")
        await page.get_by_test_id("chat-send").click()
        first = page.get_by_test_id("chat-time").first
        await expect(first).to_be_visible(timeout=WAIT_MS)
        iso = await first.get_attribute("datetime")
        expected = await page.evaluate(
            "(iso) => new Intl.DateTimeFormat('ja-JP', {hour: '2-digit', minute: '2-digit', hourCycle: 'h23',"
            " timeZone: 'Asia/Tokyo'}).format(new Date(iso))",
            iso,
        )
        await expect(first).to_have_attribute("data-time", expected)  # drawn by CSS: not in the line's text
    finally:
        await context.close()
