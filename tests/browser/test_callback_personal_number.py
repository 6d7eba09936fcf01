"""A 個人番号 typed as the call-back number, in real Chromium (session 11): the panel refuses it beside the box with
the chat's sentence about personal numbers, sends nothing, keeps the case waiting; a phone number then goes through.
The chat's own masked note for a 個人番号 uses the same sentence. Screenshots at the four sizes go to
test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.chromium import WAIT_MS, new_page, shot_path
from tests.support import LiveServer

pytestmark = pytest.mark.browser

SIZES = {
    "phone": {"width": 390, "height": 844},
    "wide": {"width": 1366, "height": 768},
    "full": {"width": 1920, "height": 1080},
    "portrait": {"width": 1080, "height": 1920},
}
SENTENCE = "個人番号（マイナンバー）は 書かないでください。"


async def snap(page: Page, name: str) -> None:
    await page.screenshot(path=shot_path(name))


@pytest.mark.parametrize("size", list(SIZES))
async def test_a_personal_number_as_the_callback_number_is_refused_beside_the_box(
    live_server: LiveServer, browser: Browser, size: str
) -> None:
    context, page, problems = await new_page(browser, SIZES[size], phone=size == "phone")
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(str(frame))))
    try:
        await page.goto(f"{live_server.base_url}/chat")
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready")
        await page.get_by_test_id("chat-input").fill("マイナンバーは 1234 5678 9018 です")
        await page.get_by_test_id("chat-send").click()
        await expect(page.locator("#banner")).to_contain_text(SENTENCE, timeout=WAIT_MS)
        await snap(page, f"g_{size}_chat_personal_number_note")

        await page.get_by_test_id("handoff-request").click()
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
        await page.locator("#callback-more summary").click()
        await page.get_by_test_id("callback-phone").fill("1234 5678 9018")
        await page.get_by_test_id("callback-submit").click()
        error = page.get_by_test_id("callback-error")
        await expect(error).to_have_text(SENTENCE, timeout=WAIT_MS)
        await expect(page.get_by_test_id("callback-standing")).to_be_hidden()
        await snap(page, f"g_{size}_callback_personal_number")
        assert not any("callback.request" in frame for frame in sent), "nothing was sent"

        await page.get_by_test_id("callback-phone").fill("0997-22-1234")
        await expect(error).to_be_hidden()
        await page.get_by_test_id("callback-submit").click()
        await expect(page.get_by_test_id("callback-standing")).to_be_visible(timeout=WAIT_MS)
        assert problems == []
    finally:
        await context.close()
