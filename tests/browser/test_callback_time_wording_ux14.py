"""The call-back line names when the number was taken with the browser's own date format (dates.js), which in some
languages starts or carries its own "at": the Vietnamese line said 「lúc lúc 03:26 Thứ 3」 (ux14 item 5), the
English one "at Tue, December 8 at 03:26", the Portuguese one "às ter., 8 de dezembro às 03:26". In every page
language the word before {when} must not be said again by the date itself."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page
from tests.support import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

RENDER = """async () => {
  const i18n = await import('/static/js/i18n.js');
  const { formatDayAndTime } = await import('/static/js/dates.js');
  const langs = document.querySelector('meta[name="languages"]').content.split(' ');
  const out = {};
  for (const lang of langs) {
    await i18n.setLanguage(lang);
    const template = i18n.t('resident.callback.standing');
    const when = formatDayAndTime(new Date(Date.UTC(2026, 11, 7, 18, 26)), { timeZone: 'Asia/Tokyo' });
    out[lang] = { template, when, line: i18n.t('resident.callback.standing', { when, digits: '4444' }) };
  }
  return out;
}"""


async def test_no_language_says_the_time_word_twice(live_server: LiveServer, browser: Browser) -> None:
    context, page, _ = await new_page(browser, PHONE, phone=True)
    try:
        await page.goto(live_server.base_url + "/chat")
        await expect(page.get_by_test_id("chat-input")).to_be_visible(timeout=WAIT_MS)
        rendered = await page.evaluate(RENDER)
    finally:
        await context.close()
    assert len(rendered) == 9, rendered
    doubled = {}
    for lang, r in rendered.items():
        before = r["template"].split("{when}")[0].split()
        word = before[-1].lower() if before else ""
        if word and word in r["when"].lower().replace(",", " ").split():
            doubled[lang] = r["line"]
    assert not doubled, doubled
