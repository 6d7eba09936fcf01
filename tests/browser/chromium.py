"""Debian's Chromium driven by Playwright, shared by the browser tests: how it is launched, and pages that record
every console and page error (a test fails on any)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page

CHROMIUM = os.environ.get("MADOGUCHI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    # Loopback calls need host candidates; mDNS obfuscation would hide them on a headless box.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
CHROMIUM_PRESENT = Path(CHROMIUM).exists()
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WAIT_MS = 15_000
# the post-office clerk's long press on the kiosk's readiness pill (booth.js CLERK_HOLD_MS is 1000 ms)
CLERK_HOLD_MS = 1300


async def new_page(
    browser: Browser, viewport: dict[str, int], *, phone: bool = False
) -> tuple[BrowserContext, Page, list[str]]:
    """A page in its own context (own cookies and storage) that records console errors and page errors."""
    options: dict[str, Any] = {"viewport": viewport, "locale": "ja-JP"}
    if phone:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    context = await browser.new_context(**options)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: problems.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    return context, page, problems


def shot_path(name: str) -> str:
    """Where a screenshot for a person to look at goes (``test-artifacts/``, made here, outside the event loop)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / f"{name}.png")


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


async def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    """A member of staff signs in on the login page and lands on the console."""
    await page.goto(f"{base_url}/login")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_url("**/console")
