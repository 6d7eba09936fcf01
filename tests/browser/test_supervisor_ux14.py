"""UX14 finding 4 on the supervisor page at 1366×768: the agent and route boxes show their prompt (they showed
blank), each has a label and its button on the same line, and a booked resident's case says 予約あり as on the
console."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, expect

from tests.bookings_support import running
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.integration.bookings.test_booking_checkin_socket import TEN_TO_NINE, booked_at_nine, live
from tests.support import booth_peer, ok

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 768}
PASSWORD = "correct horse battery"

SHOWN = "(s) => s.selectedIndex >= 0 ? s.options[s.selectedIndex].text : ''"


async def middle(locator: Locator) -> float:
    box = await locator.bounding_box()
    assert box is not None
    return box["y"] + box["height"] / 2


async def test_boxes_show_their_prompt_beside_their_button_and_a_booking_is_marked(
    browser: Browser, tmp_path: Path
) -> None:
    async with running(tmp_path, start=TEN_TO_NINE, session_ttl_s=365 * 86400) as api:
        code = await booked_at_nine(api, route="tax")
        server = live(api)
        _, walk_in_token, _ = await server.add_booth("汐見郵便局ブース")
        _, booked_token, _ = await server.add_booth("凪島公民館ブース")
        await server.add_agent("boss", PASSWORD, role="supervisor")
        walk_in = await booth_peer(server, walk_in_token)
        booked = await booth_peer(server, booked_token)
        context, page, problems = await new_page(browser, WIDE)
        try:
            ok(await walk_in.call("consultation.request", {"route": "tax"}))
            ok(await booked.call("consultation.request", {"booking": code}))
            await page.goto(f"{api.base_url}/login")
            await page.get_by_test_id("login-username").fill("boss")
            await page.get_by_test_id("login-password").fill(PASSWORD)
            await page.get_by_test_id("login-submit").click()
            await page.wait_for_url("**/supervisor", timeout=WAIT_MS)  # a supervisor lands on their page
            cases = page.get_by_test_id("sv-case")
            await expect(cases).to_have_count(2, timeout=WAIT_MS)
            first = cases.filter(has_text="凪島公民館ブース")  # the booked resident (listed by time waited)
            second = cases.filter(has_text="汐見郵便局ブース")
            # the booked resident is marked as on the console; the walk-in is not
            await expect(first.get_by_test_id("sv-case-booked")).to_have_text("予約あり")
            await expect(second.get_by_test_id("sv-case-booked")).to_have_count(0)
            for case in (first, second):
                agents = case.get_by_test_id("sv-assign-agent")
                routes = case.get_by_test_id("sv-move-route-select")
                assert await agents.evaluate(SHOWN) == "いま 手の空いている職員は いません"
                assert await routes.evaluate(SHOWN) == "窓口を 選ぶ"
                for select, word in ((agents, "回す 職員"), (routes, "窓口")):
                    select_id = await select.get_attribute("id")
                    await expect(page.locator(f'label[for="{select_id}"]')).to_have_text(word)
                # each button on its box's line
                move = case.get_by_test_id("sv-move-route")
                assign = case.get_by_test_id("sv-assign")
                assert abs(await middle(move) - await middle(routes)) < 8
                assert abs(await middle(assign) - await middle(agents)) < 8
            await shot(page, "ux14-supervisor-1366x768")
            # a route chosen stays shown after the view is drawn again
            await first.get_by_test_id("sv-move-route-select").select_option("insurance_pension")
            await page.wait_for_timeout(1500)
            assert await first.get_by_test_id("sv-move-route-select").evaluate(SHOWN) != ""
        finally:
            await context.close()
            await walk_in.close()
            await booked.close()
        assert not [p for p in problems if "favicon" not in p], problems
