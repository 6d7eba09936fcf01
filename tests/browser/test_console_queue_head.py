"""The console's queue with more residents waiting than it lists: the head of the queue (the cases served first), the
whole count, and a plain line saying how many more wait. Why: each change sent every agent the whole queue (27 MB of
socket writes per change with 200 agents and 2,000 waiting, ``bench/supervisor/RESULTS.md``); the snapshot now
lists the head and counts the rest, and the console must say so rather than look complete."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from madoguchi.signaling.views import AGENT_QUEUE_ITEMS
from tests.browser.chromium import WAIT_MS, new_page
from tests.support import LiveServer, Peer, booth_peer, office_hours_clock, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

WAITING = AGENT_QUEUE_ITEMS + 5
SIZES = {"1080x1920": (1080, 1920), "1366x768": (1366, 768), "1920x1080": (1920, 1080), "390x844": (390, 844)}
SHOTS = os.environ.get("MADOGUCHI_SHOTS")  # a folder: screenshots of the console at each size, for a person to look at


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path), clock=office_hours_clock()) as live:
        yield live


async def test_the_console_lists_the_head_of_a_long_queue_and_counts_everyone(
    server: LiveServer, browser: Browser
) -> None:
    await server.add_agent("sato", "sato-password-1", routes=("*",), languages=("ja",))
    booths: list[Peer] = []
    cids: list[str] = []
    try:
        for n in range(WAITING):
            _id, token, _path = await server.add_booth(f"ブース{n:02d}")
            booth = await booth_peer(server, token)
            booths.append(booth)
            ack = await booth.call("consultation.request", {"route": "tax" if n % 2 else "resident_records"})
            assert ack.get("ok"), ack
            cids.append(ack["consultation_id"])
        context, page, problems = await new_page(browser, {"width": 1366, "height": 768})
        try:
            await page.goto(f"{server.base_url}/login")
            await page.get_by_test_id("login-username").fill("sato")
            await page.get_by_test_id("login-password").fill("sato-password-1")
            await page.get_by_test_id("login-submit").click()
            await page.wait_for_url("**/console")
            items = page.get_by_test_id("queue-list").locator("li")
            await expect(items).to_have_count(AGENT_QUEUE_ITEMS, timeout=WAIT_MS)
            await expect(page.get_by_test_id("queue-count")).to_have_text(f"{WAITING} 人")
            more = page.get_by_test_id("queue-more")
            await expect(more).to_be_visible()
            await expect(more).to_contain_text(f"ほかに {WAITING - AGENT_QUEUE_ITEMS}人 待っています")
            # the head is the longest waiting: the cases in the order their booths asked
            listed = [await items.nth(i).get_attribute("data-consultation-id") for i in range(AGENT_QUEUE_ITEMS)]
            assert listed == cids[:AGENT_QUEUE_ITEMS]
            if SHOTS:
                for name, (width, height) in SIZES.items():
                    await page.set_viewport_size({"width": width, "height": height})
                    await page.screenshot(path=str(Path(SHOTS) / f"console-queue-head-{name}.png"), full_page=True)
                    await more.scroll_into_view_if_needed()  # the end of the list: the line saying how many more
                    await page.screenshot(path=str(Path(SHOTS) / f"console-queue-more-{name}.png"))
                    await page.evaluate("() => { document.getElementById('queue-list').parentElement.scrollTop = 0; }")
            # one leaves the head: the next in line moves up into the list, the count goes down
            await booths[0].call("consultation.cancel", {"consultation_id": cids[0]})
            await expect(page.get_by_test_id("queue-count")).to_have_text(f"{WAITING - 1} 人", timeout=WAIT_MS)
            await expect(items).to_have_count(AGENT_QUEUE_ITEMS)
            await expect(page.locator(f'[data-consultation-id="{cids[0]}"]')).to_have_count(0)
            await expect(items.last).to_have_attribute("data-consultation-id", cids[AGENT_QUEUE_ITEMS])
            await expect(more).to_contain_text(f"ほかに {WAITING - 1 - AGENT_QUEUE_ITEMS}人 待っています")
            assert problems == []
        finally:
            await context.close()
    finally:
        for booth in booths:
            await booth.close()
