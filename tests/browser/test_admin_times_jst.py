"""Times on /admin are the town's (JST), written the Japanese way, whatever zone the admin's browser is set to
(tidy14: 「この画面で 変えた 時間を 使っています」 gave the browser's own clock and format, e.g. a laptop left on
Los Angeles time said 「2026/12/7 15:30:00」 for a change made at 8:30 on the 8th in the town)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from madoguchi import keys
from madoguchi.domain.opening_hours import HoursSpec
from madoguchi.storage.opening_hours import OpeningHoursStore
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

PASSWORD = "admin-password-1"
WEEK = {day: "08:30-17:15" for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        await live.add_agent("kanri", PASSWORD, role="admin")
        yield live


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Europe/London"])
async def test_the_hours_last_change_is_said_in_the_towns_time(server: LiveServer, browser: Browser, zone: str) -> None:
    # 23:30 UTC on Monday 7 December is 8:30 on Tuesday the 8th in the town (15:30 on the 7th in Los Angeles)
    changed = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    await OpeningHoursStore(server.app[keys.DATABASE]).save(
        "shiomi", HoursSpec(weekly=WEEK), actor="staff:kanri", by="kanri", at=changed
    )
    context, page, problems = await new_page(browser, {"width": 1366, "height": 768}, timezone_id=zone)
    try:
        assert await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == zone
        await page.goto(f"{server.base_url}/login")
        await page.get_by_test_id("login-username").fill("kanri")
        await page.get_by_test_id("login-password").fill(PASSWORD)
        await page.get_by_test_id("login-submit").click()
        await page.wait_for_url("**/console")
        await page.goto(f"{server.base_url}/admin")
        source = page.get_by_test_id("hours-source")
        await expect(source).to_contain_text("この画面で 変えた", timeout=WAIT_MS)
        await expect(source).to_contain_text("2026年12月8日（火） 8:30")
        await source.scroll_into_view_if_needed()
        await shot(page, f"admin-times-jst-{zone.replace('/', '-')}")
        assert problems == []
    finally:
        await context.close()
