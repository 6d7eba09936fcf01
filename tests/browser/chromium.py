"""Debian's Chromium driven by Playwright, shared by the browser tests: how it is launched, and pages that record
every console and page error (a test fails on any).

Every page made by :func:`new_page` also keeps its last console lines of every kind (warnings, logs, debug), so a
failing test shows what the pages said (``call:`` warnings, the call's steps) next to the failure: conftest.py adds
them to the failed test's report. A race that CI hits once in many runs is then read from that one run's output.
"""

from __future__ import annotations

import os
import time
from collections import deque
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Error, Page

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
# the last console lines each page keeps for the report of a failed test
PAGE_LOG_LINES = 300


class PageLog:
    """One page's last console lines and page errors, each with the wall-clock time it came (to line up pages)."""

    def __init__(self, name: str, page: Page) -> None:
        self.name = name
        self.page = page
        self.lines: deque[str] = deque(maxlen=PAGE_LOG_LINES)
        self.dropped = 0

    def add(self, line: str) -> None:
        if len(self.lines) == self.lines.maxlen:
            self.dropped += 1
        now = time.time()
        self.lines.append(f"{time.strftime('%H:%M:%S', time.gmtime(now))}.{int(now % 1 * 1000):03d} {line}")

    def text(self) -> str:
        head = f"== {self.name} {self.page.url}" + (f" ({self.dropped} older lines dropped)" if self.dropped else "")
        return "\n".join([head, *self.lines])


_page_logs: list[PageLog] = []


def forget_page_logs() -> None:
    """A new test: the pages of the last one are not its pages."""
    _page_logs.clear()


def page_logs_text() -> str:
    """What every page of the current test said, page by page ("" when no page said anything)."""
    return "\n".join(log.text() for log in _page_logs if log.lines)


# the post-office clerk's long press on the kiosk's readiness pill (booth.js CLERK_HOLD_MS is 1000 ms)
CLERK_HOLD_MS = 1300


async def new_page(
    browser: Browser, viewport: dict[str, int], *, phone: bool = False, timezone_id: str | None = None
) -> tuple[BrowserContext, Page, list[str]]:
    """A page in its own context (own cookies and storage) that records console errors and page errors; with
    ``timezone_id``, a browser set to that zone (the system's otherwise)."""
    options: dict[str, Any] = {"viewport": viewport, "locale": "ja-JP"}
    if timezone_id is not None:
        options["timezone_id"] = timezone_id
    if phone:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    context = await browser.new_context(**options)
    page = await context.new_page()
    problems: list[str] = []
    log = PageLog(f"page {len(_page_logs) + 1} ({viewport['width']}x{viewport['height']})", page)
    _page_logs.append(log)

    def on_console(msg: ConsoleMessage) -> None:
        log.add(f"console.{msg.type}: {msg.text}")
        if msg.type == "error":
            problems.append(f"console.{msg.type}: {msg.text}")

    def on_pageerror(exc: Error) -> None:
        log.add(f"pageerror: {exc}")
        problems.append(f"pageerror: {exc}")

    page.on("console", on_console)
    page.on("pageerror", on_pageerror)
    page.on("crash", lambda _page: log.add("page crashed"))
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


SIZES: dict[str, dict[str, int]] = {
    "portrait": {"width": 1080, "height": 1920},
    "wide": {"width": 1366, "height": 768},
    "full-hd": {"width": 1920, "height": 1080},
    "phone": {"width": 390, "height": 844},
}
"""The four sizes every screen is looked at (the brief's rule): the kiosk portrait, a 1366×768 laptop or landscape
kiosk, the console's full HD, a phone. Shared so that no test's copy drifts from the others."""
