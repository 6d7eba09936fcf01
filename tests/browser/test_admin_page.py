"""The admin page in real Chromium: an admin adds a booth, sees its link and QR code, and the kiosk opens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from madoguchi import keys
from madoguchi.storage.municipalities import Municipalities
from tests.browser.chromium import ARTIFACTS, WAIT_MS, new_page, shot
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

PASSWORD = "admin-password-1"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        await live.add_agent("kanri", PASSWORD, role="admin")
        await live.add_agent("tanaka", PASSWORD)
        await live.add_agent("other-admin", PASSWORD, role="admin", municipality="nagi")
        await live.add_booth("凪町ブース", municipality="nagi")
        await Municipalities(live.app[keys.DATABASE]).add_place(
            "shiomi-post", municipality_id="shiomi", name="汐見郵便局", kind="post_office"
        )
        yield live


async def test_admin_adds_a_booth_and_opens_its_kiosk(server: LiveServer, browser: Browser) -> None:
    context, page, problems = await new_page(browser, {"width": 1920, "height": 1080})
    try:
        await page.goto(f"{server.base_url}/login")
        await page.get_by_test_id("login-username").fill("kanri")
        await page.get_by_test_id("login-password").fill(PASSWORD)
        await page.get_by_test_id("login-submit").click()
        await page.wait_for_url("**/console")
        await page.goto(f"{server.base_url}/admin")
        await expect(page.get_by_test_id("admin-staff-row")).to_have_count(2, timeout=WAIT_MS)  # kanri, tanaka
        await expect(page.get_by_test_id("admin-booth")).to_have_count(0)  # nagi's booth is not shown

        form = page.get_by_test_id("admin-booth-add")
        await page.get_by_test_id("admin-booth-name").fill("汐見郵便局ブース")
        await form.locator('select[name="place_id"]').select_option("shiomi-post")
        await page.get_by_test_id("admin-booth-submit").click()

        link = page.get_by_test_id("admin-kiosk-link")
        await expect(link).to_be_visible(timeout=WAIT_MS)
        await expect(page.get_by_test_id("admin-booth")).to_have_count(1)
        await expect(page.get_by_test_id("admin-notice")).to_contain_text("汐見郵便局ブース")
        qr = page.get_by_test_id("admin-kiosk-qr")
        assert (await qr.get_attribute("src") or "").startswith("data:image/svg+xml")
        assert await qr.evaluate("img => img.complete && img.naturalWidth > 0")
        url = await link.get_attribute("href")
        assert url is not None and url.startswith(f"{server.base_url}/booth/b_") and "#token=" in url
        await shot(page, "admin-1920")
        await page.set_viewport_size({"width": 1366, "height": 768})
        await shot(page, "admin-1366")
        await page.screenshot(path=str(ARTIFACTS / "admin-1366-full.png"), full_page=True)

        async with context.expect_page() as opened:
            await link.click()
        kiosk = await opened.value
        await expect(kiosk.get_by_test_id("connection-status")).to_have_attribute(
            "data-state", "ready", timeout=WAIT_MS
        )
        await expect(kiosk.get_by_test_id("start-consultation")).to_be_enabled()
        await shot(kiosk, "admin-opened-kiosk")
        assert problems == []
    finally:
        await context.close()


async def test_an_agent_gets_a_plain_403_page(server: LiveServer, browser: Browser) -> None:
    context, page, _problems = await new_page(browser, {"width": 1366, "height": 768})
    try:
        await page.goto(f"{server.base_url}/login")
        await page.get_by_test_id("login-username").fill("tanaka")
        await page.get_by_test_id("login-password").fill(PASSWORD)
        await page.get_by_test_id("login-submit").click()
        await page.wait_for_url("**/console")
        response = await page.goto(f"{server.base_url}/admin")
        assert response is not None and response.status == 403
        await expect(page.get_by_test_id("page-message")).to_contain_text("管理者だけ")
        await shot(page, "admin-403")
    finally:
        await context.close()
