"""A resident at home refused because too many chats are open from the same connection (another person behind
the same address, or a flood): a plain sentence about the connection, their words back in the box, and the numbers
for life and safety in reach (red team 5, issue 9: the words vanished and 「死にたい」 got no number at all)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, make_settings, office_hours_clock, ok, resident_peer, serve

pytestmark = pytest.mark.browser
CALL_TOWN = "お急ぎの ときは、0997-00-1234 に お電話ください。"  # the sample town's number (municipality.yaml)
REFUSED = (
    "いま この 端末、または 同じ 回線（同じ 場所の インターネット）から 開かれている 相談が 多すぎるため、"
    "受け付けられませんでした。ほかの 画面の 相談を 終えるか、少し 待ってから もう一度 お試しください。 " + CALL_TOWN
)
BUSY = "いま 窓口が とても こんでいます。少し 時間を おいて お試しください。 " + CALL_TOWN
EVICTED = (
    "窓口が とても こんでいるため、この 相談を 終えました。つづける ときは、もう一度 書いてください。 " + CALL_TOWN
)
VIEWPORTS = {"phone": (390, 844), "kiosk": (1080, 1920), "laptop": (1366, 768), "console": (1920, 1080)}


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


async def test_a_full_town_says_so_with_its_number_and_a_chat_that_made_room_says_why(
    tmp_path: Path, browser: Browser
) -> None:
    """Session 12: a flood fills the town's web chats. A resident refused (``busy``) reads why and the town's number;
    later, a bot chat left idle makes room for a newcomer and its resident reads why, with the number too."""
    settings = make_settings(tmp_path, resident_open_per_municipality=1, resident_idle_evict_s=60.0)
    office = office_hours_clock()
    skew = [0.0]
    async with serve(settings, clock=lambda: office() + skew[0]) as live:
        other = await resident_peer(live)
        ok(await other.call("chat.send", {"text": "住民票の 写しが ほしい", "client_id": "other-1"}))
        context, page, problems = await new_page(browser, {"width": 390, "height": 844}, phone=True)
        newcomer = None
        try:
            await page.goto(f"{live.base_url}/chat")
            await expect(page.get_by_test_id("connection-status")).to_have_attribute(
                "data-state", "ready", timeout=WAIT_MS
            )
            await page.get_by_test_id("chat-input").fill("住民票の 写しが ほしい")
            await page.get_by_test_id("chat-send").click()
            await expect(page.get_by_test_id("message")).to_have_text(BUSY, timeout=WAIT_MS)  # the other is not idle
            await expect(page.get_by_test_id("chat-input")).to_have_value("住民票の 写しが ほしい")
            await shot(page, "resident-refused-busy")

            skew[0] += 120.0  # the other chat is idle now: this resident's takes its place
            await page.get_by_test_id("chat-send").click()
            await expect(page.get_by_test_id("chat-log").locator(".from-bot").first).to_be_visible(timeout=WAIT_MS)
            closed = await other.wait_for("consultation.closed")
            assert closed["reason"] == "evicted"

            skew[0] += 120.0  # and now this resident's chat is the idle one
            newcomer = await resident_peer(live)
            ok(await newcomer.call("chat.send", {"text": "ごみの 出し方", "client_id": "new-1"}))
            await expect(page.get_by_test_id("chat-closed")).to_be_visible(timeout=WAIT_MS)
            await expect(page.locator("#closed-text")).to_have_text(EVICTED)
            for name, (width, height) in VIEWPORTS.items():
                await page.set_viewport_size({"width": width, "height": height})
                await shot(page, f"resident-evicted-{name}")
            assert problems == []
        finally:
            await other.close()
            if newcomer is not None:
                await newcomer.close()
            await context.close()
