"""UX16 finding 10 (part): an administrator cannot read an existing booth's kiosk URL again — only its hash is
stored, so nobody can, by design — and the page said nothing about it; the booths section now says the URL is shown
once and how to get one again, and the button says what it does: 「URLを 出し直す（新しく 作る）」. The new link is
shown at once, and the old one stops working at once: a booth screen open with it is closed within about a second."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browser.chromium import WAIT_MS, new_page, shot, sign_in
from tests.support import LiveServer, booth_peer, make_settings, serve

pytestmark = pytest.mark.browser

PASSWORD = "admin-password-1"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(make_settings(tmp_path)) as live:
        await live.add_agent("kanri", PASSWORD, role="admin")
        yield live


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
async def test_an_admin_gets_a_booths_link_again_and_the_old_one_stops(
    server: LiveServer, browser: Browser, size: tuple[int, int]
) -> None:
    booth_id, old_token, _ = await server.add_booth("汐見郵便局ブース")
    kiosk = await booth_peer(server, old_token)
    await kiosk.wait_for("booth.state")
    context, page, problems = await new_page(browser, {"width": size[0], "height": size[1]})
    try:
        await sign_in(page, server.base_url, "kanri", PASSWORD)
        await page.goto(f"{server.base_url}/admin")
        note = page.get_by_test_id("admin-booth-url-note")
        await expect(note).to_contain_text("作った ときに 一度だけ 表示します", timeout=WAIT_MS)
        await expect(note).to_contain_text("「URLを 出し直す（新しく 作る）」")
        row = page.locator(f'[data-testid="admin-booth"][data-booth-id="{booth_id}"]')
        rotate = row.get_by_test_id("admin-booth-rotate")
        await expect(rotate).to_have_text("URLを 出し直す（新しく 作る）")
        messages: list[str] = []

        async def accept(dialog: object) -> None:
            messages.append(dialog.message)  # type: ignore[attr-defined]
            await dialog.accept()  # type: ignore[attr-defined]

        page.on("dialog", accept)
        await rotate.click()
        link = page.get_by_test_id("admin-kiosk-link")
        await expect(link).to_contain_text("#token=", timeout=WAIT_MS)
        assert messages and "すぐに 使えなくなり" in messages[0], messages
        new_token = (await link.inner_text()).split("#token=")[1]
        assert new_token != old_token
        revoked = await kiosk.wait_for("access.revoked", within=3.0)  # the old link stops at once
        assert revoked["reason"] == "token_rotated", revoked
        await note.scroll_into_view_if_needed()
        await shot(page, f"ux16-admin-booth-url-{size[0]}x{size[1]}")
        await page.get_by_test_id("admin-kiosk").scroll_into_view_if_needed()
        fresh = await booth_peer(server, new_token)
        state = await fresh.wait_for("booth.state")
        assert state["booth_id"] == booth_id
        await fresh.close()
    finally:
        await context.close()
        await kiosk.close()
    assert not problems, problems
