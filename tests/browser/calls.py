"""A kiosk in a video call with the console, in real Chromium, for the tests that cut the kiosk's network
(tests/browser/test_resume.py, tests/browser/test_booth_link_lost_ux15.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from playwright.async_api import Browser, BrowserContext, Page

from tests.browser.chromium import WAIT_MS, new_page, sign_in
from tests.browser.test_call_flow import CONSOLE_VIEWPORT, KIOSK_VIEWPORT, assert_video_playing
from tests.support import LiveServer


@dataclass(frozen=True)
class KioskCall:
    """The kiosk's context (to cut its network with ``set_offline``) and page, the console's page, and the
    problems each page logged so far."""

    booth_ctx: BrowserContext
    booth: Page
    agent: Page
    booth_problems: list[str]
    agent_problems: list[str]

    def unexpected_problems(self) -> list[str]:
        return offline_problems(self.booth_problems + self.agent_problems)


def offline_problems(problems: list[str]) -> list[str]:
    """The pages' problems but the favicon and the WebSocket Chromium logs as failed while offline."""
    return [p for p in problems if "favicon" not in p and "ERR_INTERNET_DISCONNECTED" not in p]


@asynccontextmanager
async def kiosk_in_a_video_call(
    server: LiveServer, browser: Browser, booth_name: str, agent: str, password: str
) -> AsyncIterator[KioskCall]:
    """A new booth ``booth_name``'s kiosk asks for tax; the new agent signs in on the console, goes available and
    accepts; yields once the kiosk plays the agent's video. Both pages' contexts are closed after."""
    _booth_id, _token, kiosk_path = await server.add_booth(booth_name)
    await server.add_agent(agent, password)
    booth_ctx, booth, booth_problems = await new_page(browser, KIOSK_VIEWPORT)
    agent_ctx, agent_page, agent_problems = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        await booth.goto(server.base_url + kiosk_path)
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-tax").click()
        await sign_in(agent_page, server.base_url, agent, password)
        await agent_page.get_by_test_id("status-available").click()
        await agent_page.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
        await assert_video_playing(booth, "remote-video")
        yield KioskCall(booth_ctx, booth, agent_page, booth_problems, agent_problems)
    finally:
        await booth_ctx.close()
        await agent_ctx.close()
