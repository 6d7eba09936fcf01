"""A kiosk whose network drops comes back where it was: the call, every chat line once, its place in line.

Why real Chromium with a real cut: the reconnect logic lives in the pages (socket.io's reconnection, the chat
outbox, the call rebuilt on a fresh RTCPeerConnection). ``BrowserContext.set_offline(True)`` makes Chromium fail
the kiosk's open WebSocket at once, as a Wi-Fi blip would; nothing in the client is mocked. The grace period is
15 s so a 3 s cut stays a blip for the server too. Screenshots of the "reconnecting" states go to
``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi.media.connection import login_agent
from madoguchi.media.peer import AgentPeer, BoothPeer
from tests.browser.calls import kiosk_in_a_video_call, offline_problems
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_call_flow import KIOSK_VIEWPORT, assert_video_playing
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

CUT_S = 3.0
LINE_GAP_S = 0.25
READ_LOG = """log => [...log.querySelectorAll('li')].map(li => ({
    seq: li.dataset.seq ? Number(li.dataset.seq) : null,
    pending: li.dataset.pending === 'true',
    sender: li.dataset.sender,
    text: li.querySelector('.chat-text').textContent,
}))"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path, grace_period_s=15.0, thanks_screen_s=2.0)) as live:
        yield live


async def read_log(page: Page) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = await page.get_by_test_id("chat-log").evaluate(READ_LOG)
    return lines


async def type_line(page: Page, text: str) -> None:
    box = page.get_by_test_id("chat-input")
    await box.fill(text)
    await box.press("Enter")


async def chatter(page: Page, prefix: str, sent: list[str], stop: asyncio.Event) -> None:
    """Send numbered lines every LINE_GAP_S until told to stop (at most 200)."""
    for number in range(1, 201):
        if stop.is_set():
            return
        text = f"{prefix}{number:03d}"
        await type_line(page, text)
        sent.append(text)
        await asyncio.sleep(LINE_GAP_S)


async def wait_until_all_shown(page: Page, expected: set[str], within_s: float = 20.0) -> list[dict[str, Any]]:
    """The log once every expected line is recorded (has a seq) and nothing is pending any more."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        lines = await read_log(page)
        recorded = {line["text"] for line in lines if line["seq"] is not None}
        if expected <= recorded and not any(line["pending"] for line in lines):
            return lines
        if loop.time() > deadline:
            missing = sorted(expected - recorded)
            raise AssertionError(f"missing {missing[:10]} (of {len(expected)}); log: {lines[-12:]}")
        await asyncio.sleep(0.2)


def assert_once_in_seq_order(lines: list[dict[str, Any]], expected: set[str], side: str) -> None:
    assert all(line["seq"] is not None for line in lines), f"{side}: a line without seq stayed: {lines}"
    seqs = [line["seq"] for line in lines]
    assert seqs == sorted(seqs), f"{side}: lines out of seq order: {seqs}"
    assert len(seqs) == len(set(seqs)), f"{side}: a seq shown twice: {seqs}"
    texts = [line["text"] for line in lines]
    doubled = sorted({text for text in texts if texts.count(text) > 1})
    assert not doubled, f"{side}: lines shown twice: {doubled}"
    assert set(texts) == expected, f"{side}: unexpected lines {set(texts) ^ expected}"


async def frames_decoded(page: Page) -> int:
    count: int = await page.get_by_test_id("remote-video").evaluate("v => v.getVideoPlaybackQuality().totalVideoFrames")
    return count


async def test_a_call_survives_the_kiosk_network_dropping_for_three_seconds(
    server: LiveServer, browser: Browser
) -> None:
    async with kiosk_in_a_video_call(server, browser, "潮見港郵便局ブース", "kato", "kato-password-1") as call:
        booth_ctx, booth, agent = call.booth_ctx, call.booth, call.agent
        stop = asyncio.Event()
        chat_tasks: list[asyncio.Task[None]] = []
        try:
            await assert_video_playing(agent, "remote-video")

            booth_sent: list[str] = []
            agent_sent: list[str] = []
            chat_tasks = [
                asyncio.ensure_future(chatter(booth, "住民", booth_sent, stop)),
                asyncio.ensure_future(chatter(agent, "職員", agent_sent, stop)),
            ]
            await asyncio.sleep(1.5)

            # --- the kiosk's network drops for about three seconds while both keep typing
            await booth_ctx.set_offline(True)
            sent_before_cut = len(booth_sent)
            await expect(booth.get_by_test_id("connection-status")).to_have_attribute("data-state", "offline")
            await expect(booth.locator("body")).to_have_attribute("data-reconnecting", "true")
            await expect(booth.get_by_test_id("call-notice")).to_be_visible()
            # the other side is told the resident's link is down
            await expect(agent.get_by_test_id("call-notice")).to_have_attribute(
                "data-i18n", "media.peer_lost", timeout=WAIT_MS
            )
            await asyncio.sleep(1.0)
            await expect(booth.locator('[data-testid="chat-log"] li[data-pending="true"]').first).to_be_visible()
            await shot(booth, "resume-1-kiosk-reconnecting-call")
            await shot(agent, "resume-2-console-peer-lost")
            await asyncio.sleep(max(0.0, CUT_S - 1.0))
            cut_lines = booth_sent[sent_before_cut:]
            await booth_ctx.set_offline(False)

            await expect(booth.get_by_test_id("connection-status")).to_have_attribute(
                "data-state", "ready", timeout=WAIT_MS
            )
            await asyncio.sleep(1.5)  # keep talking a little after the link is back
            stop.set()
            await asyncio.gather(*chat_tasks)
            assert len(cut_lines) >= 5, f"only {len(cut_lines)} lines were typed during the cut"

            # --- every line of both people exactly once on both screens, in seq order
            expected = set(booth_sent) | set(agent_sent)
            booth_lines = await wait_until_all_shown(booth, expected)
            agent_lines = await wait_until_all_shown(agent, expected)
            assert_once_in_seq_order(booth_lines, expected, "kiosk")
            assert_once_in_seq_order(agent_lines, expected, "console")
            assert [line["seq"] for line in booth_lines] == [line["seq"] for line in agent_lines]
            records = await server.export_records()
            transcript = [line["text"] for line in records[0]["transcript"]]
            assert sorted(transcript) == sorted(expected), "the record holds every line once"

            # --- the media came back on fresh connections without anyone pressing anything
            for page in (booth, agent):
                resumes = await page.get_by_test_id("remote-video").get_attribute("data-resumes")
                assert resumes is not None and int(resumes) >= 1, "the call was not rebuilt after the cut"
            await expect(booth.get_by_test_id("remote-video")).to_have_attribute(
                "data-connection", "connected", timeout=WAIT_MS
            )
            await expect(agent.get_by_test_id("remote-video")).to_have_attribute(
                "data-connection", "connected", timeout=WAIT_MS
            )
            before = {"booth": await frames_decoded(booth), "agent": await frames_decoded(agent)}
            await assert_video_playing(booth, "remote-video")
            await assert_video_playing(agent, "remote-video")
            assert await frames_decoded(booth) > before["booth"]
            assert await frames_decoded(agent) > before["agent"]
            await expect(booth.get_by_test_id("call-notice")).to_be_hidden(timeout=WAIT_MS)
            await expect(agent.get_by_test_id("call-notice")).to_be_hidden(timeout=WAIT_MS)
            await expect(booth.get_by_test_id("message")).to_be_hidden()
            await shot(booth, "resume-3-kiosk-back")
            await shot(agent, "resume-4-console-back")

            # Chromium logs the WebSocket it failed while offline; nothing else may go wrong.
            unexpected = call.unexpected_problems()
            assert not unexpected, unexpected
        finally:
            stop.set()
            for task in chat_tasks:
                with contextlib.suppress(Exception):
                    await task


async def test_a_waiting_kiosk_keeps_its_place_through_a_network_drop(server: LiveServer, browser: Browser) -> None:
    _first_id, _first_token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    _second_id, second_token, _ = await server.add_booth("潮見公民館ブース")
    await server.add_agent("ito", "ito-password-1")
    context, booth, problems = await new_page(browser, KIOSK_VIEWPORT)
    agent = AgentPeer(server.base_url)
    other_booth = BoothPeer(server.base_url)
    try:
        await booth.goto(server.base_url + kiosk_path)
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-tax").click()
        position = booth.get_by_test_id("queue-position")
        await expect(position).to_have_attribute("data-position", "1", timeout=WAIT_MS)
        # someone else queues behind: losing the place would put the kiosk second
        await other_booth.connect(second_token)
        await other_booth.request_consultation("tax")

        await context.set_offline(True)
        await expect(booth.get_by_test_id("connection-status")).to_have_attribute("data-state", "offline")
        await expect(booth.locator("body")).to_have_attribute("data-reconnecting", "true")
        banner = booth.get_by_test_id("message")
        await expect(banner).to_be_visible()
        assert "お待ちください" in (await banner.inner_text()) or "順番" in (await banner.inner_text())
        await shot(booth, "resume-5-kiosk-reconnecting-waiting")
        await asyncio.sleep(CUT_S)
        await context.set_offline(False)

        await expect(booth.get_by_test_id("connection-status")).to_have_attribute(
            "data-state", "ready", timeout=WAIT_MS
        )
        await expect(banner).to_be_hidden()
        await expect(booth.locator("body")).to_have_attribute("data-reconnecting", "false")
        await expect(position).to_have_attribute("data-position", "1")
        await expect(booth.get_by_test_id("waiting-route")).to_contain_text("税金")
        await shot(booth, "resume-6-kiosk-waiting-restored")

        # the first in line is still the kiosk: it is the one offered to the agent
        await agent.connect(await login_agent(server.base_url, "ito", "ito-password-1"))
        await agent.set_status("available")
        offer = await agent.wait_event("offer", timeout_s=10)
        assert offer["booth_name"] == "潮見港郵便局ブース"
        await agent.call("offer.accept", {"consultation_id": offer["consultation_id"]})
        await expect(booth.get_by_test_id("end-call")).to_be_visible(timeout=WAIT_MS)
        unexpected = offline_problems(problems)
        assert not unexpected, unexpected
    finally:
        await agent.close()
        await other_booth.close()
        await context.close()
