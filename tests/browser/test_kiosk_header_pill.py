"""The kiosk header's readiness pill is never cut (「準備できてい…」 at 1080×1920), in real Chromium: in every UI
language at 1080×1920, 1366×768 and 390×844, with the sample booth's name and with a long one, the pill's words
show whole, the page never scrolls sideways, and the booth's name is whole too — on a portrait kiosk it takes a
row of its own under the brand, the pill and the language buttons when it does not fit beside them (CSS wrap), and
on a phone when it is not one line beside them (tidy10: it was cut there).
Screenshots in test-artifacts/ (kiosk-pill-*)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from madoguchi.ui import SUPPORTED_LANGUAGES
from tests.browser.chromium import SIZES, WAIT_MS, new_page, shot
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

NAMES = {
    "short": ("凪島ブース", ""),
    "sample": ("潮見港郵便局ブース", ""),
    "medium": ("汐見町役場 凪島出張所ブース", ""),
    "long": ("汐見町役場 凪島出張所 ふれあいセンター郵便局ブース", "汐見町 凪島 ふれあいセンター 1階"),
}

MEASURE_JS = r"""() => {
  const bar = document.querySelector('header');
  const conn = document.querySelector('[data-testid="connection-status"]');
  const words = document.getElementById('conn-text');
  const place = document.getElementById('booth-place');
  const doc = document.documentElement;
  const shown = (el) => el.offsetParent && el.getBoundingClientRect().height > 0;
  const parts = [...bar.children].filter((c) => c !== place && shown(c));
  const rects = parts.map((c) => c.getBoundingClientRect());
  const pr = place.getBoundingClientRect();
  const ps = getComputedStyle(place);
  const range = document.createRange();
  range.selectNodeContents(words);
  const text = range.getBoundingClientRect();
  const box = conn.getBoundingClientRect();
  return {
    pill: words.textContent.trim(),
    pillCut: words.scrollWidth > words.clientWidth + 1 || text.right > box.right + 1 || text.left < box.left - 1
      || conn.scrollWidth > conn.clientWidth + 1,
    sideways: doc.scrollWidth > innerWidth + 1,
    barWider: bar.scrollWidth > bar.clientWidth + 1 || Math.max(...rects.map((r) => r.right)) > innerWidth + 1,
    place: place.textContent.trim(),
    placeCut: place.scrollWidth > place.clientWidth + 1
      || (ps.textOverflow === 'ellipsis' && place.scrollWidth > place.clientWidth),
    oneRow: Math.max(...rects.map((r) => r.top)) < Math.min(...rects.map((r) => r.bottom)),
    ownRow: pr.top >= Math.max(...rects.map((r) => r.bottom)) - 1,
    barHeight: Math.round(bar.getBoundingClientRect().height),
    scrollsDown: doc.scrollHeight > innerHeight + 1,
  };
}"""


# the longest thing the pill says in the page's language (a reconnect, a failed self-test), put in its place
LONGEST_PILL_JS = r"""() => import('/static/js/i18n.js').then(({ t }) => {
  const keys = ['booth.conn.ready', 'booth.conn.connecting', 'booth.conn.offline', 'booth.conn.reconnecting',
                'booth.conn.connected', 'booth.conn.check_fail'];
  const longest = keys.map((k) => t(k)).reduce((a, b) => (b.length > a.length ? b : a));
  document.getElementById('conn-text').textContent = longest;
})"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        yield live


@pytest.mark.parametrize("kind", list(NAMES))
async def test_the_readiness_pill_is_whole_and_nothing_scrolls_sideways_in_every_language(
    server: LiveServer, browser: Browser, kind: str
) -> None:
    name, location = NAMES[kind]
    _, _, kiosk_path = await server.add_booth(name, location=location)
    context, page, errors = await new_page(browser, SIZES["portrait"])
    problems: list[str] = []
    try:
        await page.goto(server.base_url + kiosk_path)
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
        for tag, viewport in SIZES.items():
            await page.set_viewport_size(viewport)
            for code in SUPPORTED_LANGUAGES:
                await page.evaluate("(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))", code)
                await page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
                for longest in (False, True):
                    if longest:
                        await page.evaluate(LONGEST_PILL_JS)
                        await page.evaluate(
                            "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
                        )
                    problems += measured(tag, code, await page.evaluate(MEASURE_JS))
                await shot(page, f"kiosk-pill-{kind}-{tag}-{code}")
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors


def measured(tag: str, code: str, m: dict[str, object]) -> list[str]:
    problems: list[str] = []
    where = f"{tag} {code} [{m['pill']}] [{m['place']}]"
    if m["pillCut"]:
        problems.append(f"{where}: the readiness pill is cut")
    if m["sideways"] or m["barWider"]:
        problems.append(f"{where}: the page scrolls sideways")
    if m["placeCut"]:  # tidy10: on a phone too (it was cut to 「汐見町役…」 there)
        problems.append(f"{where}: the booth's name is cut")
    if not m["oneRow"]:
        problems.append(f"{where}: brand, pill and language buttons are not on one row")
    if tag not in ("portrait", "phone") and m["ownRow"]:
        problems.append(f"{where}: the name left the header's row on a landscape kiosk")
    if tag == "phone" and m["barHeight"] > 120:  # the name's own row under the pill when it is not one line beside
        problems.append(f"{where}: a phone's header is {m['barHeight']} px tall")
    if tag != "phone" and m["scrollsDown"]:
        problems.append(f"{where}: the idle screen scrolls")
    return problems
