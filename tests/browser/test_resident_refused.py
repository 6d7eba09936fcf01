"""A resident at home refused because too many chats are open from the same connection (another person behind
the same address, or a flood): a plain sentence about the connection, their words back in the box, and the numbers
for life and safety in reach (red team 5, issue 9: the words vanished and 「死にたい」 got no number at all)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, make_settings, ok, resident_peer, serve

pytestmark = pytest.mark.browser
REFUSED = (
    "いま この 端末、または 同じ 回線（同じ 場所の インターネット）から 開かれている 相談が 多すぎるため、"
    "受け付けられませんでした。ほかの 画面の 相談を 終えるか、少し 待ってから もう一度 お試しください。"
)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(make_settings(tmp_path, resident_open_per_address=1)) as live:
        yield live


async def test_a_refused_resident_keeps_their_words_and_sees_the_numbers(server: LiveServer, browser: Browser) -> None:
    other = await resident_peer(server)  # someone else on the same connection has a chat open
    ok(await other.call("chat.send", {"text": "住民票の 写しが ほしい", "client_id": "other-1"}))
    context, page, problems = await new_page(browser, {"width": 390, "height": 844}, phone=True)
    try:
        await page.goto(f"{server.base_url}/chat")
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
        await page.get_by_test_id("chat-input").fill("死にたい")
        await page.get_by_test_id("chat-send").click()

        await expect(page.get_by_test_id("message")).to_have_text(REFUSED, timeout=WAIT_MS)
        await expect(page.get_by_test_id("chat-input")).to_have_value("死にたい")
        urgent = page.get_by_test_id("urgent-banner")
        await expect(urgent).to_be_visible()
        await expect(urgent.locator("a[href='tel:110']")).to_be_visible()
        await expect(urgent.locator("a[href='tel:119']")).to_be_visible()
        await shot(page, "resident-refused-source-limit")
        assert problems == []
    finally:
        await other.close()
        await context.close()
