"""The kiosk's header names the booth whole, in real Chromium: a long booth name with its place, in every UI
language at the three kiosk sizes, is never cut (no …, nothing clipped) — it may take a second line or a smaller
size, down to 18 px, or on a portrait kiosk a row of its own under the other parts; the brand, the readiness and
the language buttons stay on one row; the screens below still fit without scrolling (the route screen, the
tallest). A phone's header keeps a name that fits on one line beside the readiness and the language buttons, else
puts it on its own row under them, one or two lines, never cut (tidy10: it was one line cut to 「汐見町役…」),
the bar at most 120 px high.
Screenshots in test-artifacts/ (kiosk-header-*)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from madoguchi import keys
from madoguchi.storage.municipalities import Municipalities
from madoguchi.ui import SUPPORTED_LANGUAGES
from tests.browser.chromium import SIZES, WAIT_MS, new_page, shot
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

LONG_NAME = "汐見町役場 凪島出張所 ふれあいセンター郵便局ブース"

MEASURE_JS = r"""() => {
  const el = document.getElementById('booth-place');
  const bar = document.querySelector('header');
  const style = getComputedStyle(el);
  const parts = [...bar.children].filter((c) => c !== el && c.offsetParent && c.getBoundingClientRect().height > 0);
  const rects = parts.map((c) => c.getBoundingClientRect());
  const own = el.getBoundingClientRect();
  return {
    text: el.textContent.trim(),
    // clipped sideways, or hidden below its box (a glyph's ink a pixel past its line box is neither)
    cut: el.scrollWidth > el.clientWidth + 1 ||
      (style.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + parseFloat(style.fontSize) / 4),
    ellipsis: style.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1,
    fontSize: parseFloat(style.fontSize),
    lines: Math.round(el.scrollHeight / parseFloat(style.lineHeight)),
    shownLines: Math.round(el.clientHeight / parseFloat(style.lineHeight)),
    oneRow: Math.max(...rects.map((r) => r.top)) < Math.min(...rects.map((r) => r.bottom)),
    ownRow: own.top >= Math.max(...rects.map((r) => r.bottom)) - 1,
    title: el.title,
    scrolls: document.documentElement.scrollHeight > innerHeight + 1,
    pageHeight: document.documentElement.scrollHeight,
    clientWidth: el.clientWidth, scrollWidth: el.scrollWidth,
    clientHeight: el.clientHeight, scrollHeight: el.scrollHeight,
    barHeight: Math.round(bar.getBoundingClientRect().height),
  };
}"""


def header_problems(where: str, tag: str, m: dict[str, object]) -> list[str]:
    out: list[str] = []
    if tag == "phone":  # tidy10: it was one line cut to 「汐見町役…」; now its own row, whole, two lines at most
        if m["cut"] or m["ellipsis"]:
            out.append(f"{where}: the name is cut on a phone ({m})")
        if int(str(m["lines"])) > 2 or float(str(m["fontSize"])) < 14 or (m["lines"] == 2 and not m["ownRow"]):
            out.append(f"{where}: a phone's name is one line beside, or one or two on its own row, 14 px+ ({m})")
        if float(str(m["barHeight"])) > 120:
            out.append(f"{where}: a phone's header is higher than 120 px ({m})")
        if m["title"] != m["text"] and not str(m["title"]).startswith(str(m["text"])):
            out.append(f"{where}: the whole name is not in title ({m})")
        return out
    if m["cut"] or m["ellipsis"]:
        out.append(f"{where}: the name is cut ({m})")
    if float(str(m["fontSize"])) < 18:
        out.append(f"{where}: {m['fontSize']} px, under 18")
    if not m["oneRow"]:
        out.append(f"{where}: the brand, readiness and language buttons are not on one row")
    if int(str(m["lines"])) > 2:
        out.append(f"{where}: {m['lines']} lines")
    if tag != "portrait" and m["ownRow"]:
        out.append(f"{where}: the name left the header's row on a landscape kiosk")
    if m["scrolls"]:
        out.append(f"{where}: the page scrolls ({m})")
    return out


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        yield live


async def test_a_long_booth_name_is_shown_whole_in_every_language_at_every_size(
    server: LiveServer, browser: Browser
) -> None:
    _, _, kiosk_path = await server.add_booth(LONG_NAME, location="汐見町 凪島 ふれあいセンター 1階")
    context, page, errors = await new_page(browser, SIZES["portrait"])
    problems: list[str] = []
    try:
        await page.goto(server.base_url + kiosk_path)
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        for screen in ("idle", "routes"):
            if screen == "routes":
                await page.set_viewport_size(SIZES["portrait"])
                await page.get_by_test_id("start-consultation").click()
            for tag, viewport in SIZES.items():
                await page.set_viewport_size(viewport)
                for code in SUPPORTED_LANGUAGES:
                    await page.evaluate("(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))", code)
                    await page.wait_for_timeout(60)
                    m = await page.evaluate(MEASURE_JS)
                    problems += header_problems(f"{screen} {tag} {code} [{m['text']}]", tag, m)
                    if code in ("ja", "en", "ne", "tl"):
                        await shot(page, f"kiosk-header-{screen}-{tag}-{code}")
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors


async def test_every_language_names_the_booth_as_the_japanese_header_does(server: LiveServer, browser: Browser) -> None:
    """tidy14: English showed the place alone (「Shiomi Post Office」) where Japanese said 「ブース1・汐見郵便局」, the
    booth's name lost; now every language says the parts Japanese says, the place in its own words when it has
    them, and the label stays whole at every size (header_problems)."""
    await server.add_municipality("shiomi")
    await Municipalities(server.app[keys.DATABASE]).add_place(
        "shiomi-post",
        municipality_id="shiomi",
        name="汐見郵便局",
        kind="post_office",
        names={"en": "Shiomi Post Office"},
        reading="Shiomi Yūbinkyoku",
    )
    booth, token = await server.app[keys.BOOTHS].add("ブース1", municipality_id="shiomi", place_id="shiomi-post")
    context, page, errors = await new_page(browser, SIZES["portrait"])
    problems: list[str] = []
    expected = {
        "ja": "ブース1・汐見郵便局",
        "en": "ブース1・Shiomi Post Office",
        "vi": "ブース1・汐見郵便局 (Shiomi Yūbinkyoku)",
        "easy-ja": "ブース1・汐見郵便局",
    }
    try:
        await page.goto(f"{server.base_url}/booth/{booth.id}#token={token}")
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        for tag, viewport in SIZES.items():
            await page.set_viewport_size(viewport)
            for code, label in expected.items():
                await page.evaluate("(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))", code)
                await expect(page.get_by_test_id("booth-place")).to_have_text(label)
                m = await page.evaluate(MEASURE_JS)
                problems += header_problems(f"{tag} {code} [{m['text']}]", tag, m)
                if code in ("en", "vi"):
                    await shot(page, f"kiosk-header-place-{tag}-{code}")
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors
