"""Every kiosk screen in every UI language at the three kiosk sizes and a phone, in real Chromium: no element wider
than its box, no scrolling, no control covering another, no way out below the screen's edge, no text squeezed
against its button's border, no one-line label broken, no emoji drawn as an icon (a box without an emoji font), the
header's readiness agreeing with the self-test line; a screenshot of each (test-artifacts/). Also the "no one can
answer" panel with a call-back from the kiosk (the place in line gives way to it; the topic and the time waited
stay), and clock times in JST whatever the browser's time zone. One browser, one page and one walk through the
screens serve every size: the viewport is resized at each screen."""

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
from tests.browser.chromium import SIZES, WAIT_MS, new_page, shot
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

# What does not fit: the page scrolls, or a visible block's content is wider than its box.
# A phone (390 wide) may scroll down, never sideways; and no button or field may cover another.
PROBLEMS_JS = r"""(mayScrollDown) => {
  const out = [];
  const doc = document.documentElement;
  if (!mayScrollDown && doc.scrollHeight > innerHeight + 1) {
    out.push(`page scrolls: ${doc.scrollHeight} > ${innerHeight}`);
  }
  if (doc.scrollWidth > innerWidth + 1) out.push(`page scrolls sideways: ${doc.scrollWidth} > ${innerWidth}`);
  // a telephone number is read on one line (tidy10: 「0997-00-」 / 「1234」 on a Vietnamese phone)
  for (const el of document.querySelectorAll('[data-testid="closed-now-phone"], [data-testid="office-phone"]')) {
    const lines = new Set([...el.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
    if (el.offsetParent && lines.size > 1) out.push(`${el.dataset.testid} broken over ${lines.size} lines`);
  }
  for (const el of document.querySelectorAll('header *, main *, .no-answer *')) {
    if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
    const style = getComputedStyle(el);
    if (['inline', 'contents', 'none'].includes(style.display)) continue;
    // a label cut on purpose (text-overflow: ellipsis, its whole text in title) and visually hidden text are fine
    if (style.textOverflow === 'ellipsis' || el.clientWidth <= 1) continue;
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
  // the kiosk's ways out must be on screen without scrolling (a phone hid 「やめる」 under the call-back keys)
  const kiosk = document.body.classList.contains('kiosk');
  for (const id of kiosk ? ['cancel-waiting', 'routes-back', 'checkin-back', 'mute', 'end-call'] : []) {
    for (const el of document.querySelectorAll(`[data-testid="${id}"]`)) {
      const r = el.getBoundingClientRect();
      if (el.offsetParent && r.height > 0 && (r.bottom > innerHeight + 1 || r.top < 0)) {
        out.push(`${id} off screen: ${Math.round(r.top)}..${Math.round(r.bottom)} of ${innerHeight}`);
      }
    }
  }
  // a phone's header stays compact (it took ~180 px of 844): the pill and language buttons, and under them the
  // booth's name on a row of its own, one or two lines (tidy10: one line cut it to 「汐見町役…」)
  const bar = document.querySelector('header');
  if (kiosk && bar && innerWidth < 600 && bar.getBoundingClientRect().height > 120) {
    out.push(`header ${Math.round(bar.getBoundingClientRect().height)} px tall on a phone`);
  }
  // a one-line label (the booth's name) stays on one line: cut with … , never broken inside a word
  for (const el of document.querySelectorAll('[data-one-line]')) {
    if (!el.offsetParent || !el.textContent.trim()) continue;
    const line = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.6;
    if (el.getBoundingClientRect().height > line * 1.5) out.push(`#${el.id} wraps [${el.textContent.trim()}]`);
  }
  // no emoji as an icon: without an emoji font it is an empty box
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const host = node.parentElement;
    if (!host || host.closest('script, style') || !host.getClientRects().length) continue;
    const found = node.textContent.match(/\p{Extended_Pictographic}/u);
    if (found) out.push(`emoji ${found[0]} in ${host.tagName.toLowerCase()} [${node.textContent.trim().slice(0, 20)}]`);
  }
  // the kiosk's header is one row at every size (a long readiness line pushed the language button to a second row);
  // the booth's name may have a row of its own under it (a portrait kiosk: test_kiosk_header.py)
  const shown = (el) => el.offsetParent && el.getBoundingClientRect().height > 0;
  const parts = kiosk && bar ? [...bar.children].filter(shown).filter((el) => el.id !== 'booth-place') : [];
  if (parts.length) {
    const rects = parts.map((el) => el.getBoundingClientRect());
    if (Math.max(...rects.map((r) => r.top)) >= Math.min(...rects.map((r) => r.bottom))) {
      out.push(`header on more than one row (${Math.round(bar.getBoundingClientRect().height)} px)`);
    }
  }
  // 「下の ボタンに…」/"the button below": the start button is below the line that says so
  const lead = document.getElementById('idle-lead');
  const start = document.getElementById('start');
  if (lead && start && lead.offsetParent && start.offsetParent &&
      lead.getBoundingClientRect().bottom > start.getBoundingClientRect().top + 1) {
    out.push('the idle line says "the button below" but sits under the start button');
  }
  // the clerk's self-test is said by the header's pill and opens from it (ux12): no small control of its own
  const test = document.getElementById('self-test-status');
  if (test && test.offsetParent && !test.closest('#check-panel')) out.push('the self-test drawn outside its panel');
  // number keys on the portrait kiosk: big, each label on one line (「ぜんぶ 消す」 wrapped inside its key); on
  // any kiosk (not a phone) the check-in keys at least 64 px tall and on one line (ux7 item 11: 54–56 px at 1366×768)
  const portraitKiosk = innerWidth > 600 && innerHeight > innerWidth;
  const kioskSized = innerWidth > 600;
  for (const key of document.querySelectorAll('.screen-checkin .numpad-key')) {
    if (!key.offsetParent || !kioskSized) continue;
    const r = key.getBoundingClientRect();
    if (r.height < 63.5) out.push(`check-in key [${key.textContent.trim()}] ${Math.round(r.height)} px tall`);
    const words = document.createRange();
    words.selectNodeContents(key);
    const lines = new Set([...words.getClientRects()].map((q) => Math.round(q.top)));
    if (lines.size > 1) out.push(`check-in key [${key.textContent.trim()}] on ${lines.size} lines`);
  }
  for (const key of document.querySelectorAll('.numpad-key')) {
    if (!key.offsetParent) continue;
    const r = key.getBoundingClientRect();
    // tidy13: an elderly resident reads every key (the call-back number's 「1つ 消す」 was 15 px on a phone) and
    // hits it: labels at least 24 px, keys at least 48 px each way, at every size
    const size = parseFloat(getComputedStyle(key).fontSize);
    if (size < 24) out.push(`key [${key.textContent.trim()}] label ${size} px`);
    const [w, h] = [Math.round(r.width), Math.round(r.height)];
    if (h < 48 || w < 48) out.push(`key [${key.textContent.trim()}] ${w}×${h} px`);
    if (portraitKiosk && r.height < 96) out.push(`key [${key.textContent.trim()}] ${Math.round(r.height)} px tall`);
    const words = document.createRange();
    words.selectNodeContents(key);
    const lines = new Set([...words.getClientRects()].map((q) => Math.round(q.top)));
    if (portraitKiosk && lines.size > 1) out.push(`key [${key.textContent.trim()}] on ${lines.size} lines`);
  }
  // the header's readiness and the clerk's self-test line say the same thing (readiness.js)
  const conn = document.querySelector('[data-testid="connection-status"]');
  const check = document.querySelector('[data-testid="self-test-status"]');
  const checked = check && check.dataset.state;
  if (conn && checked && conn.dataset.state === 'ready' && conn.dataset.check !== check.dataset.state) {
    out.push(`header says check=${conn.dataset.check}, the self-test line says ${check.dataset.state}`);
  }
  // text squeezed against its button's border (two-line route descriptions at 1366×768)
  const range = document.createRange();
  for (const el of document.querySelectorAll('.route-button')) {
    if (!el.offsetParent) continue;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    range.selectNodeContents(el);
    const text = range.getBoundingClientRect();
    const top = text.top - box.top - parseFloat(style.borderTopWidth);
    const bottom = box.bottom - parseFloat(style.borderBottomWidth) - text.bottom;
    if (Math.min(top, bottom) < 5) {
      out.push(`route ${el.dataset.route} text ${Math.round(Math.min(top, bottom))} px from its border`);
    }
    for (const part of el.children) {
      const ps = getComputedStyle(part);
      const tight = parseFloat(ps.lineHeight) < parseFloat(ps.fontSize) * 1.2;
      if (tight) out.push(`route ${el.dataset.route} lines too tight`);
    }
  }
  // controls, and the call's picture, chat and link line (the picture once slid over the link line)
  const blocks = 'button, input, a.btn, .route-button, .video-stage, .chat-panel, .link-status';
  const controls = [...document.querySelectorAll(blocks)].filter((el) => {
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


NEXT_FRAME_JS = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"

# The header with its longest readiness line in the page's language (a self-test warning pushed the language button
# to a second row at 1080 wide).
LONGEST_HEADER_JS = r"""() => import('/static/js/i18n.js').then(({ t }) => {
  const keys = ['booth.conn.ready', 'booth.conn.connecting', 'booth.conn.offline', 'booth.conn.reconnecting',
                'booth.conn.connected', 'booth.conn.check_fail'];
  const text = document.getElementById('conn-text');
  if (text) text.textContent = keys.map((k) => t(k)).reduce((a, b) => (b.length > a.length ? b : a));
})"""


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


async def in_every_language(page: Page, screen: str) -> list[str]:
    """Sweep ``screen`` at every size in every language; the page ends at the first size, in Japanese."""
    found = []
    for tag, viewport in SIZES.items():
        await page.set_viewport_size(viewport)
        may_scroll_down = viewport["width"] < 600
        for code in SUPPORTED_LANGUAGES:
            await page.evaluate("(code) => import('/static/js/i18n.js').then((m) => m.setLanguage(code))", code)
            await page.wait_for_timeout(40)
            await page.evaluate(LONGEST_HEADER_JS)
            await page.evaluate(NEXT_FRAME_JS)  # what reacts to a size change (the booth's name) has reacted
            found += [f"{screen} {code} {tag}: {p}" for p in await page.evaluate(PROBLEMS_JS, may_scroll_down)]
            if code in ("ja", "en", "ne"):
                await shot(page, f"kiosk-{screen}-{code}-{tag}")
    await page.evaluate("() => import('/static/js/i18n.js').then((m) => m.setLanguage('ja'))")
    await page.set_viewport_size(SIZES["portrait"])
    return found


async def test_every_kiosk_screen_fits_in_every_language_at_every_size(server: LiveServer, browser: Browser) -> None:
    _, _, kiosk_path = await server.add_booth("潮見港郵便局ブース", location="潮見港郵便局")
    await close_all_week(server)  # the idle screen's "closed now" notice is on: the most it ever shows
    context, page, errors = await new_page(browser, SIZES["portrait"])
    problems: list[str] = []
    try:
        await page.goto(server.base_url + kiosk_path)
        try:
            await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        except AssertionError:
            raise AssertionError(errors) from None
        await expect(page.get_by_test_id("booth-place")).to_have_text("潮見港郵便局ブース")  # the place said once
        await expect(page.get_by_test_id("closed-now")).to_be_visible(timeout=WAIT_MS)
        await expect(page.get_by_test_id("closed-now-hours")).to_contain_text("月〜日 お休み")
        await expect(page.get_by_test_id("closed-now-phone")).to_have_text("0997-00-1234")
        # a kiosk cannot dial: the number is large plain text, not a tel: link (ux7 item 12)
        assert await page.get_by_test_id("closed-now-phone").get_attribute("href") is None
        problems += await in_every_language(page, "idle")
        await page.get_by_test_id("checkin-start").click()
        problems += await in_every_language(page, "checkin")
        await page.get_by_test_id("checkin-back").click()
        await page.get_by_test_id("start-consultation").click()
        await page.evaluate("() => { document.getElementById('question-mic').hidden = false; }")  # as with speech input
        problems += await in_every_language(page, "routes")
        await page.get_by_test_id("route-tax").click()
        # nobody is on duty: the booth says so at once and offers a call-back
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
        await expect(page.get_by_test_id("office-phone")).to_have_text("0997-00-1234")
        assert await page.get_by_test_id("office-phone").get_attribute("href") is None
        await expect(page.locator("#no-answer-hours")).to_contain_text("月〜日 お休み")  # the stored hours
        # what is not true gives way (nobody can take the call: no "you are next"); what is true stays
        for tag, viewport in SIZES.items():
            await page.set_viewport_size(viewport)
            await expect(page.get_by_test_id("queue-position"), tag).to_be_hidden()
            await expect(page.get_by_test_id("waiting-route"), tag).to_have_text("ご用件：税金")
            await expect(page.get_by_test_id("waited"), tag).to_be_visible()
        problems += await in_every_language(page, "no-answer")
        await page.get_by_test_id("callback-submit").click()
        await expect(page.get_by_test_id("callback-error")).to_be_visible()
        for digit in "09012345678":
            await page.locator(f'[data-callback-key="{digit}"]').click()
        await expect(page.get_by_test_id("callback-phone")).to_have_value("090-1234-5678")  # grouped as typed
        await page.get_by_test_id("callback-submit").click()
        await expect(page.get_by_test_id("thanks")).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#thanks-body")).to_contain_text("折り返し")
        await expect(page.get_by_test_id("csat")).to_be_hidden()
        problems += await in_every_language(page, "thanks-callback")
        await page.goto(server.base_url + kiosk_path.split("#")[0] + "#")
        await page.evaluate("() => localStorage.clear()")
        await page.reload()
        await expect(page.get_by_test_id("kiosk-error")).to_be_visible(timeout=WAIT_MS)
        problems += await in_every_language(page, "error")
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors


async def pure_kiosk_helpers_hold(page: Page) -> None:
    """readiness.js: connected and checked "warn" is never called ready: 「確認が 必要です」 with a yellow dot (ux14:
    a green 「準備できています」 stood over the clerk's 「音を 確かめてください」), "fail" 「準備が できていません」;
    offline is offline whatever the check.
    boothplace.js: the booth's name and place said once."""
    said = await page.evaluate(
        """() => import('/static/js/readiness.js').then(({ readiness }) => [
             readiness('ready', null), readiness('ready', 'ok'), readiness('ready', 'warn'),
             readiness('ready', 'fail'), readiness('offline', 'ok', 'booth.conn.reconnecting'),
             readiness('connecting', 'ok')].map((r) => `${r.key}/${r.tone}`))"""
    )
    assert said == [
        "booth.conn.ready/ready",
        "booth.conn.ready/ready",
        "booth.conn.connected/warn",  # a finding is never "ready" (ux14), nor a diagnostic to residents (ux16)
        "booth.conn.check_fail/fail",
        "booth.conn.reconnecting/fail",
        "booth.conn.connecting/checking",
    ], said
    labels = await page.evaluate(
        """() => import('/static/js/boothplace.js').then(({ placeLabel }) => [
             placeLabel('汐見郵便局ブース', '汐見郵便局'), placeLabel('凪島', '凪島 公民館'),
             placeLabel('ブース1', '汐見郵便局'), placeLabel('', '汐見郵便局'), placeLabel('ブース1', null)])"""
    )
    assert labels == ["汐見郵便局ブース", "凪島 公民館", "ブース1・汐見郵便局", "汐見郵便局", "ブース1"], labels


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
        await pure_kiosk_helpers_hold(page)
    finally:
        await context.close()
