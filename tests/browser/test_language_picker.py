"""The language picker: each language named in its own script on the kiosk, the resident chat and the console,
the page's text switching to it, and the kiosk back in Japanese for the next resident.

The expected texts are read from the catalogs (the thing under test is the switching, not the wording), and
each is checked to differ from the Japanese one, so a page that did not switch fails.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi import ui
from madoguchi.domain.languages import DEFAULT_LANGUAGE, PAGE_LANGUAGES, language_name
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, agent_peer, ok, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

KIOSK_PORTRAIT = {"width": 1080, "height": 1920}
PHONE_VIEWPORT = {"width": 390, "height": 844}
CONSOLE_VIEWPORT = {"width": 1920, "height": 1080}
PASSWORD = "picker-password-1"
CATALOGS = {code: json.loads((ui.I18N_DIR / f"{code}.json").read_text(encoding="utf-8")) for code in PAGE_LANGUAGES}


def text(code: str, key: str) -> str:
    value = CATALOGS[code][key]
    assert isinstance(value, str)
    return value


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path, thanks_screen_s=1.0)) as live:
        await live.add_agent("picker", PASSWORD)
        yield live


async def pick(page: Page, code: str) -> None:
    """Open the picker, check it names every language in its own script, and choose ``code``."""
    await page.get_by_test_id("language-picker").click()
    for each in PAGE_LANGUAGES:
        await expect(page.get_by_test_id(f"language-{each}")).to_have_text(language_name(each))
    await page.get_by_test_id(f"language-{code}").click()
    await expect(page.get_by_test_id(f"language-{code}")).to_be_hidden()  # the panel closed
    await expect(page.locator("html")).to_have_attribute("lang", code)


async def expect_texts(page: Page, code: str, expected: dict[str, tuple[str, str]]) -> None:
    """Each test id shows its catalog text in ``code`` (or the attribute named after the key, "key@attr")."""
    for testid, spec in expected.items():
        key, attribute = spec
        wanted = text(code, key)
        if code not in (DEFAULT_LANGUAGE, "easy-ja"):
            assert wanted != text(DEFAULT_LANGUAGE, key), (code, key)
        if attribute:
            await expect(page.get_by_test_id(testid)).to_have_attribute(attribute, wanted)
        else:
            await expect(page.get_by_test_id(testid)).to_have_text(wanted)


KIOSK_IDLE = {"start-consultation": ("booth.idle.start", "")}
KIOSK_ROUTES = {"routes-back": ("booth.routes.back", "")}
KIOSK_WAITING = {"cancel-waiting": ("booth.waiting.cancel", "")}


async def test_kiosk_picker_switches_every_language_and_the_next_resident_starts_in_japanese(
    server: LiveServer, browser: Browser
) -> None:
    _booth_id, _token, kiosk_path = await server.add_booth("汐見郵便局ブース")
    context, page, problems = await new_page(browser, KIOSK_PORTRAIT)
    try:
        await page.goto(server.base_url + kiosk_path)
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        for code in PAGE_LANGUAGES:
            await pick(page, code)
            await expect_texts(page, code, KIOSK_IDLE)
            await expect(page.get_by_test_id("route-tax")).to_contain_text(text(code, "route.tax"))
        await shot(page, "picker-kiosk-ne-idle")

        # a resident who cancels while waiting leaves the kiosk in Japanese
        await pick(page, "vi")
        await page.get_by_test_id("start-consultation").click()
        await expect_texts(page, "vi", KIOSK_ROUTES)
        await page.get_by_test_id("route-tax").click()
        await expect(page.get_by_test_id("queue-position")).to_have_attribute("data-position", "1", timeout=WAIT_MS)
        await expect_texts(page, "vi", KIOSK_WAITING)
        await page.get_by_test_id("cancel-waiting").click()
        await expect_texts(page, "vi", {"cancel-yes": ("booth.cancel.yes", ""), "cancel-no": ("booth.cancel.no", "")})
        await page.get_by_test_id("cancel-yes").click()
        await expect_texts(page, DEFAULT_LANGUAGE, KIOSK_IDLE)
        await expect(page.locator("html")).to_have_attribute("lang", DEFAULT_LANGUAGE)

        # a resident who talks to staff and hangs up: thanks in their language, then Japanese again. Easy
        # Japanese: the agent speaks ja and en only, and Japanese-speaking staff serve easy Japanese.
        agent = await agent_peer(server, "picker", PASSWORD)
        try:
            ok(await agent.call("agent.status", {"status": "available"}))
            await pick(page, "easy-ja")
            await page.get_by_test_id("start-consultation").click()
            await page.get_by_test_id("route-tax").click()
            offer = await agent.wait_for("offer", within=WAIT_MS / 1000)
            assert offer["language"] == "easy-ja"
            ok(await agent.call("offer.accept", {"consultation_id": offer["consultation_id"]}))
            await expect_texts(page, "easy-ja", {"end-call": ("booth.call.end", "")})
            await page.get_by_test_id("end-call").click()
            await expect_texts(page, "easy-ja", {"hangup-yes": ("booth.hangup.yes", "")})  # asked once, in easy-ja
            await page.get_by_test_id("hangup-yes").click()
            await expect(page.get_by_test_id("thanks")).to_be_visible()
            await expect(page.get_by_test_id("thanks")).to_contain_text(text("easy-ja", "booth.thanks.heading"))
        finally:
            await agent.close()
        await expect_texts(page, DEFAULT_LANGUAGE, KIOSK_IDLE)
        await expect(page.locator("html")).to_have_attribute("lang", DEFAULT_LANGUAGE)

        # the one-tap switch: English from Japanese, Japanese from anything else
        await page.get_by_test_id("language-switch").click()
        await expect_texts(page, "en", KIOSK_IDLE)
        await pick(page, "tl")
        await expect(page.get_by_test_id("language-switch")).to_have_text("日本語")
        await page.get_by_test_id("language-switch").click()
        await expect_texts(page, DEFAULT_LANGUAGE, KIOSK_IDLE)
        assert problems == []
    finally:
        await context.close()


CHAT_TEXTS = {
    "handoff-request": ("resident.handoff.button", ""),
    "chat-send": ("chat.send", ""),
    "chat-input": ("resident.input.placeholder", "placeholder"),
}


async def test_chat_page_picker_switches_every_language_and_keeps_it_over_a_reload(
    server: LiveServer, browser: Browser
) -> None:
    context, page, problems = await new_page(browser, PHONE_VIEWPORT, phone=True)
    try:
        await page.goto(server.base_url + "/chat")
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
        for code in PAGE_LANGUAGES:
            await pick(page, code)
            await expect_texts(page, code, CHAT_TEXTS)
        await pick(page, "easy-ja")
        await expect(page.locator("#town-name")).to_have_text("汐見町")  # data-town-easy-ja, via the fallback
        await pick(page, "ko")
        await page.reload()
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
        await expect_texts(page, "ko", CHAT_TEXTS)
        await shot(page, "picker-chat-ko")
        await page.get_by_test_id("language-switch").click()
        await expect_texts(page, DEFAULT_LANGUAGE, CHAT_TEXTS)
        assert problems == []
    finally:
        await context.close()


async def test_console_picker_switches_the_agents_language_and_keeps_it(server: LiveServer, browser: Browser) -> None:
    context, page, problems = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        await page.goto(f"{server.base_url}/login")
        await page.get_by_test_id("login-username").fill("picker")
        await page.get_by_test_id("login-password").fill(PASSWORD)
        await page.get_by_test_id("login-submit").click()
        await expect(page.get_by_test_id("status-available")).to_be_enabled(timeout=WAIT_MS)
        for code in ("zh", "pt", "ne", DEFAULT_LANGUAGE, "en"):
            await pick(page, code)
            await expect_texts(page, code, {"status-available": ("console.status.available", "")})
        await page.reload()
        await expect(page.get_by_test_id("status-available")).to_have_text(text("en", "console.status.available"))
        assert problems == []
    finally:
        await context.close()
