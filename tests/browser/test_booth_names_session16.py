"""Session 16 in real Chromium: an admin gives a booth its display name in other languages (folded under the
Japanese name), a refused one is said beside its own field, and the kiosk's header names the booth in the page's
language (the Japanese name where none was given), whole at the kiosk sizes. Screenshots in test-artifacts/
(booth-names-*)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from madoguchi import keys
from madoguchi.storage.municipalities import Municipalities
from tests.browser.chromium import SIZES, WAIT_MS, new_page, shot, sign_in
from tests.browser.test_kiosk_header import MEASURE_JS, header_problems
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

PASSWORD = "admin-password-1"
SET_LANGUAGE_JS = "(c) => import('/static/js/i18n.js').then((m) => m.setLanguage(c))"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        await live.add_agent("kanri", PASSWORD, role="admin")
        await live.add_agent("tanaka", PASSWORD)
        await Municipalities(live.app[keys.DATABASE]).add_place(
            "shiomi-post",
            municipality_id="shiomi",
            name="汐見郵便局",
            kind="post_office",
            names={"en": "Shiomi Post Office"},
            reading="Shiomi Yūbinkyoku",
        )
        yield live


async def test_an_admin_names_a_booth_in_english_and_the_kiosk_says_it(server: LiveServer, browser: Browser) -> None:
    context, page, problems = await new_page(browser, {"width": 1366, "height": 768})
    try:
        await sign_in(page, server.base_url, "kanri", PASSWORD)
        await page.goto(f"{server.base_url}/admin")
        form = page.get_by_test_id("admin-booth-add")
        await expect(form.get_by_test_id("admin-booth-add-name-en")).to_be_hidden(timeout=WAIT_MS)  # folded
        await page.get_by_test_id("admin-booth-name").fill("汐見郵便局ブース")
        await form.locator('select[name="place_id"]').select_option("shiomi-post")
        await form.get_by_test_id("admin-booth-add-names").locator("summary").click()
        await form.get_by_test_id("admin-booth-add-name-en").fill("Shiomi Post Office booth")
        await form.get_by_test_id("admin-booth-add-name-vi").fill("Quầy 1234 5678 9018")  # a 個人番号
        await shot(page, "booth-names-admin-add-1366x768")
        await page.get_by_test_id("admin-booth-submit").click()
        error = form.get_by_test_id("admin-field-error")
        await expect(error).to_have_text(
            "個人番号（マイナンバー）の ような 数字は 入れられません。別の ものに してください。"
        )
        beside = await error.evaluate("e => e.parentElement.querySelector('input')?.name")
        assert beside == "names.vi", "said beside the Vietnamese field"
        await shot(page, "booth-names-admin-refused-1366x768")
        await expect(page.get_by_test_id("admin-booth")).to_have_count(0)
        await form.get_by_test_id("admin-booth-add-name-vi").fill("")
        await page.get_by_test_id("admin-booth-submit").click()
        await expect(page.get_by_test_id("admin-booth")).to_have_count(1, timeout=WAIT_MS)
        row = page.get_by_test_id("admin-booth")
        await expect(row.get_by_test_id("admin-booth-names").locator("summary")).to_have_text("ほかの言語での名前 (1)")
        await row.get_by_test_id("admin-booth-names").locator("summary").click()
        [booth] = await server.app[keys.BOOTHS].list("shiomi")
        await expect(row.get_by_test_id(f"admin-booth-{booth.id}-name-en")).to_have_value("Shiomi Post Office booth")
        for width, height in ((1366, 768), (1920, 1080)):
            await page.set_viewport_size({"width": width, "height": height})
            await row.scroll_into_view_if_needed()
            await shot(page, f"booth-names-admin-row-{width}x{height}")
        link = await page.get_by_test_id("admin-kiosk-link").get_attribute("href")
        assert link is not None
        # the server's refusal, asked for above, is the only failed request
        assert [p for p in problems if "status of 400" not in p] == []
    finally:
        await context.close()

    context, kiosk, errors = await new_page(browser, SIZES["portrait"])
    found: list[str] = []
    expected = {
        "ja": "汐見郵便局ブース",
        "en": "Shiomi Post Office booth",
        "vi": "汐見郵便局ブース",  # none given: the Japanese one
        "easy-ja": "汐見郵便局ブース",
    }
    try:
        await kiosk.goto(link)
        await expect(kiosk.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        for tag in ("portrait", "wide"):
            await kiosk.set_viewport_size(SIZES[tag])
            for code, label in expected.items():
                await kiosk.evaluate(SET_LANGUAGE_JS, code)
                await expect(kiosk.get_by_test_id("booth-place")).to_have_text(label)
                m = await kiosk.evaluate(MEASURE_JS)
                found += header_problems(f"{tag} {code} [{m['text']}]", tag, m)
                if code in ("en", "vi"):
                    await shot(kiosk, f"booth-names-kiosk-{tag}-{code}")
        # the agent's console in English names the waiting booth in English, in Japanese in Japanese
        await kiosk.evaluate(SET_LANGUAGE_JS, "ja")
        await kiosk.get_by_test_id("start-consultation").click()
        await kiosk.get_by_test_id("route-tax").click()
        console_ctx, console, console_errors = await new_page(browser, SIZES["wide"])
        try:
            await sign_in(console, server.base_url, "tanaka", PASSWORD)
            place = console.locator("#queue-list .q-place")
            await expect(place).to_have_text("汐見郵便局ブース（汐見郵便局）", timeout=WAIT_MS)
            await console.evaluate(SET_LANGUAGE_JS, "en")
            await expect(place).to_contain_text("Shiomi Post Office booth", timeout=WAIT_MS)
            await shot(console, "booth-names-console-en-1366x768")
            assert not console_errors, console_errors
        finally:
            await console_ctx.close()
    finally:
        await context.close()
    assert not found, "\n".join(found)
    assert not errors, errors
