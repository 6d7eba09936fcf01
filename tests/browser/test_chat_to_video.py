"""A web chat becomes a video call, in real Chromium: the resident chats on a phone (390x844), the agent invites
them to video, they accept with one tap (``video-invite-accept``) and both videos play (Chromium's fake camera).
A resident who declines keeps chatting in text."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 768}
PASSWORD = "sato-password-1"


async def assert_video_playing(page: Page, testid: str) -> None:
    """videoWidth > 0 and frames being decoded over about a second."""
    selector = f'[data-testid="{testid}"]'
    await page.wait_for_function(
        "sel => { const v = document.querySelector(sel); return v && v.videoWidth > 0 && v.currentTime > 0; }",
        arg=selector,
        timeout=WAIT_MS,
    )
    probe = "v => [v.currentTime, v.getVideoPlaybackQuality().totalVideoFrames]"
    time_before, frames_before = await page.eval_on_selector(selector, probe)
    await asyncio.sleep(1.0)
    time_after, frames_after = await page.eval_on_selector(selector, probe)
    assert time_after > time_before, f"{testid} is not advancing"
    assert frames_after - frames_before >= 5, f"{testid} decoded {frames_after - frames_before} frames in 1 s"


async def chat_with_an_agent(home: Page, agent: Page, server: LiveServer) -> None:
    await home.goto(server.base_url + "/chat")
    await expect(home.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
    await home.get_by_test_id("chat-input").fill("住民票の写しがほしい")
    await home.get_by_test_id("chat-send").click()
    await home.get_by_test_id("handoff-request").click(timeout=WAIT_MS)
    await expect(home.get_by_test_id("queue-position")).to_be_visible(timeout=WAIT_MS)
    await agent.goto(f"{server.base_url}/login")
    await agent.get_by_test_id("login-username").fill("sato")
    await agent.get_by_test_id("login-password").fill(PASSWORD)
    await agent.get_by_test_id("login-submit").click()
    await agent.wait_for_url("**/console")
    await agent.get_by_test_id("status-available").click()
    await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
    await expect(home.get_by_test_id("talking")).to_be_visible(timeout=WAIT_MS)
    await expect(agent.get_by_test_id("remote-video")).to_be_hidden()  # a text chat: no camera yet


async def test_a_chat_upgraded_to_video_plays_both_videos_on_a_phone(live_server: LiveServer, browser: Browser) -> None:
    await live_server.add_agent("sato", PASSWORD)
    home_context, home, home_problems = await new_page(browser, PHONE, phone=True)
    agent_context, agent, agent_problems = await new_page(browser, DESK)
    try:
        await chat_with_an_agent(home, agent, live_server)
        await expect(home.get_by_test_id("video-invite")).to_be_hidden()
        invite = agent.get_by_test_id("video-invite")
        await expect(invite).to_be_visible()
        await invite.click()
        await expect(agent.get_by_test_id("video-invite-status")).to_contain_text("誘いました")
        accept = home.get_by_test_id("video-invite-accept")
        await expect(accept).to_be_visible(timeout=WAIT_MS)
        await shot(home, "chat-video-1-invited")
        await accept.click()

        await expect(home.get_by_test_id("resident-video")).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("remote-video")).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("video-invite")).to_be_hidden()
        await expect(agent.get_by_test_id("video-invite-status")).to_be_hidden()
        for page in (home, agent):
            await assert_video_playing(page, "remote-video")
            await assert_video_playing(page, "local-video")
        # the chat goes on beside the video
        await agent.get_by_test_id("chat-input").fill("お顔が 見えました")
        await agent.get_by_test_id("chat-send").click()
        await expect(home.get_by_test_id("chat-log")).to_contain_text("お顔が 見えました", timeout=WAIT_MS)
        overflow = await home.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the phone page is {overflow}px too wide"
        await shot(home, "chat-video-2-phone")
        await shot(agent, "chat-video-3-console")

        await home.get_by_test_id("end-call").click()
        confirm = home.get_by_test_id("chat-end-confirm")
        if await confirm.count():
            await confirm.click()
        await expect(home.get_by_test_id("resident-video")).to_be_hidden(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("wrapup")).to_be_visible(timeout=WAIT_MS)
        assert home_problems == [] and agent_problems == []
    finally:
        await home_context.close()
        await agent_context.close()


async def test_a_declined_invitation_keeps_the_chat_in_text(live_server: LiveServer, browser: Browser) -> None:
    await live_server.add_agent("sato", PASSWORD)
    home_context, home, home_problems = await new_page(browser, PHONE, phone=True)
    agent_context, agent, agent_problems = await new_page(browser, DESK)
    try:
        await chat_with_an_agent(home, agent, live_server)
        await agent.get_by_test_id("video-invite").click()
        await home.get_by_test_id("video-invite-decline").click(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("video-invite-status")).to_contain_text("文字の まま", timeout=WAIT_MS)
        await expect(home.get_by_test_id("video-invite")).to_be_hidden()
        await expect(home.get_by_test_id("resident-video")).to_be_hidden()
        await expect(agent.get_by_test_id("remote-video")).to_be_hidden()
        assert home_problems == [] and agent_problems == []
    finally:
        await home_context.close()
        await agent_context.close()
