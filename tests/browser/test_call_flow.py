"""The whole booth → agent flow in real Chromium against the real server, with fake camera and microphone.

Why a browser test: the kiosk and the console are JavaScript talking WebRTC; only a browser shows that the
video actually plays on both sides, that the chat reaches the durable record, and that the kiosk forgets the
resident afterwards. Screenshots of every screen go to ``test-artifacts/`` for a human to look at.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi.media.connection import login_agent
from madoguchi.media.peer import AgentPeer
from tests.browser.chromium import WAIT_MS, new_page, shot, sign_in
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

KIOSK_VIEWPORT = {"width": 1280, "height": 900}
CONSOLE_VIEWPORT = {"width": 1440, "height": 900}
THANKS_SECONDS = 2.0

RESIDENT_LINE = "住民票の写しが ほしいです"
AGENT_LINE = "はい、お手伝いします。お名前を 教えてください"
WRAPUP_NOTE = "住民票の写しを 郵送で 案内した"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path, thanks_screen_s=THANKS_SECONDS)) as live:
        yield live


async def assert_video_playing(page: Page, testid: str) -> None:
    """videoWidth > 0, currentTime advancing and new frames decoded over about a second."""
    selector = f'[data-testid="{testid}"]'
    await page.wait_for_function(
        "sel => { const v = document.querySelector(sel); return v && v.videoWidth > 0 && v.currentTime > 0; }",
        arg=selector,
        timeout=WAIT_MS,
    )
    probe = "v => [v.currentTime, v.getVideoPlaybackQuality().totalVideoFrames, v.videoWidth]"
    time_before, frames_before, _ = await page.eval_on_selector(selector, probe)
    await asyncio.sleep(1.0)
    time_after, frames_after, width = await page.eval_on_selector(selector, probe)
    assert width > 0
    assert time_after - time_before > 0.5, f"{testid} is not advancing: {time_before} → {time_after}"
    assert frames_after - frames_before >= 5, f"{testid} decoded {frames_after - frames_before} frames in 1 s"


async def test_booth_calls_agent_end_to_end(server: LiveServer, browser: Browser) -> None:
    booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("sato", "sato-password-1")

    booth_ctx, booth, booth_problems = await new_page(browser, KIOSK_VIEWPORT)
    agent_ctx, agent, agent_problems = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        # --- booth: the token is taken from the fragment, stored, and removed from the address bar
        await booth.goto(server.base_url + kiosk_path)
        start = booth.get_by_test_id("start-consultation")
        await expect(start).to_be_enabled(timeout=WAIT_MS)
        assert "#token" not in booth.url
        stored = await booth.evaluate(f"() => localStorage.getItem('madoguchi.booth.{booth_id}.token')")
        assert stored == _token
        await expect(booth.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready")
        await expect(start).to_have_text("相談をはじめる")
        await shot(booth, "booth-1-idle")

        await start.click()
        await expect(booth.get_by_test_id("route-resident_records")).to_be_visible()
        assert await booth.locator('[data-testid^="route-"]').count() == 16
        await shot(booth, "booth-2-routes")

        await booth.get_by_test_id("route-resident_records").click()
        position = booth.get_by_test_id("queue-position")
        await expect(position).to_have_attribute("data-position", "1", timeout=WAIT_MS)
        await expect(position).to_contain_text("1")
        await expect(booth.get_by_test_id("cancel-waiting")).to_be_visible()
        # nobody is on duty yet: the wait is honestly unknown
        await expect(booth.get_by_test_id("wait-estimate")).to_contain_text("わかりません")
        await shot(booth, "booth-3-waiting")

        # --- agent: login, sees the queue item while away, goes available, gets the offer
        await sign_in(agent, server.base_url, "sato", "sato-password-1")
        await agent.wait_for_url("**/console")
        queue_item = agent.get_by_test_id("queue-list").locator("li")
        await expect(queue_item).to_have_count(1, timeout=WAIT_MS)
        await expect(queue_item).to_contain_text("住民票・印鑑")
        await expect(queue_item).to_contain_text("潮見港郵便局ブース")
        waited_before = await queue_item.get_by_test_id("queue-waited").inner_text()
        await asyncio.sleep(2.2)  # the display refreshes every second: after 2.2 s it must show a later second
        assert await queue_item.get_by_test_id("queue-waited").inner_text() != waited_before, "waiting time ticks"
        await shot(agent, "console-1-queue")

        await agent.get_by_test_id("status-available").click()
        accept = agent.get_by_test_id("offer-accept")
        await expect(accept).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("offer-countdown")).to_contain_text("秒")
        await expect(agent.get_by_test_id("offer-decline")).to_be_visible()
        await shot(agent, "console-2-offer")
        await accept.click()

        # --- both sides see and hear each other
        await expect(booth.get_by_test_id("remote-video")).to_be_visible(timeout=WAIT_MS)
        await assert_video_playing(booth, "remote-video")
        await assert_video_playing(agent, "remote-video")
        await assert_video_playing(booth, "local-video")

        # --- chat both ways
        await booth.get_by_test_id("chat-input").fill(RESIDENT_LINE)
        await booth.get_by_test_id("chat-send").click()
        await expect(agent.get_by_test_id("chat-log")).to_contain_text(RESIDENT_LINE, timeout=WAIT_MS)
        await agent.get_by_test_id("chat-input").fill(AGENT_LINE)
        await agent.get_by_test_id("chat-input").press("Enter")
        await expect(booth.get_by_test_id("chat-log")).to_contain_text(AGENT_LINE, timeout=WAIT_MS)
        for page in (booth, agent):
            await expect(page.get_by_test_id("chat-log").locator("li")).to_have_count(2)
            await expect(page.get_by_test_id("chat-log")).to_contain_text(RESIDENT_LINE)
        await expect(booth.get_by_test_id("call-notice")).to_be_hidden()
        mute = booth.get_by_test_id("mute")
        await mute.click()
        await expect(mute).to_have_attribute("aria-pressed", "true")
        await expect(mute).to_have_text("マイクを 入れる")
        await mute.click()
        await expect(mute).to_have_attribute("aria-pressed", "false")
        await shot(booth, "booth-4-call")
        await shot(agent, "console-3-call")

        # --- the agent ends and wraps up; the booth thanks the resident and forgets them
        await agent.get_by_test_id("end-call").click()
        await agent.get_by_test_id("end-call-confirm").click()  # it asks once
        await expect(agent.get_by_test_id("wrapup-submit")).to_be_visible(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("thanks")).to_be_visible(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("thanks")).to_contain_text("ありがとうございました")
        await shot(booth, "booth-5-thanks")
        await agent.get_by_test_id("wrapup-disposition").select_option("resolved")
        await agent.get_by_test_id("wrapup-note").fill(WRAPUP_NOTE)
        await shot(agent, "console-4-wrapup")
        await agent.get_by_test_id("wrapup-submit").click()
        await expect(agent.get_by_test_id("wrapup-submit")).to_be_hidden(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("chat-log").locator("li")).to_have_count(0)
        await shot(agent, "console-5-after")

        await expect(start).to_be_visible(timeout=(THANKS_SECONDS + 5) * 1000)
        await expect(booth.get_by_test_id("chat-log").locator("li")).to_have_count(0)
        leftovers = await booth.evaluate(
            """() => ({
                remote: document.querySelector('[data-testid="remote-video"]').srcObject,
                local: document.querySelector('[data-testid="local-video"]').srcObject,
                text: document.body.textContent,
                input: document.querySelector('[data-testid="chat-input"]').value,
            })"""
        )
        assert leftovers["remote"] is None and leftovers["local"] is None
        assert leftovers["input"] == ""
        for trace in (RESIDENT_LINE, AGENT_LINE, "sato さん"):
            assert trace not in leftovers["text"], f"{trace!r} left on the kiosk"
        await shot(booth, "booth-6-idle-again")

        # --- the durable record holds what happened
        records = await wait_for_record(server, lambda r: r.get("disposition") == "resolved")
        assert records["booth_id"] == booth_id
        assert records["route"] == "resident_records"
        assert records["agent_username"] == "sato"
        assert records["note"] == WRAPUP_NOTE
        texts = [(line["sender"], line["text"]) for line in records["transcript"]]
        assert ("resident", RESIDENT_LINE) in texts
        assert ("agent", AGENT_LINE) in texts
        for stamp in ("requested_at", "offered_at", "answered_at", "ended_at", "wrapped_up_at"):
            assert records[stamp], f"{stamp} missing from the record"

        assert not [p for p in booth_problems if "favicon" not in p], booth_problems
        assert not [p for p in agent_problems if "favicon" not in p], agent_problems
    finally:
        await booth_ctx.close()
        await agent_ctx.close()


async def wait_for_record(server: LiveServer, predicate: Any, within: float = 5.0) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        rows = await server.export_records()
        found = [row for row in rows if predicate(row)]
        if found:
            assert len(found) == 1, found
            return found[0]
        if loop.time() > deadline:
            raise AssertionError(f"no matching record in {rows}")
        await asyncio.sleep(0.1)


async def test_wrong_login_shows_a_readable_error(server: LiveServer, browser: Browser) -> None:
    await server.add_agent("tanaka", "tanaka-password-1")
    context, page, _problems = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        responses: list[int] = []
        page.on("response", lambda r: responses.append(r.status) if r.request.method == "POST" else None)
        await page.goto(f"{server.base_url}/login")  # not sign_in: it waits for the console this never reaches
        await page.get_by_test_id("login-username").fill("tanaka")
        await page.get_by_test_id("login-password").fill("not-the-password")
        await page.get_by_test_id("login-submit").click()
        error = page.get_by_test_id("login-error")
        await expect(error).to_be_visible(timeout=WAIT_MS)
        await expect(error).to_have_text("ユーザー名 または パスワードが 違います。")
        assert responses == [401]
        await expect(page.get_by_test_id("login-username")).to_have_value("tanaka")
        await shot(page, "login-error")
        cookies = {c["name"] for c in await context.cookies()}
        assert "madoguchi_session" not in cookies

        await page.goto(f"{server.base_url}/console")
        assert page.url.endswith("/login"), "the console needs a session"
    finally:
        await context.close()


async def test_kiosk_with_a_bad_token_says_so_in_plain_words(server: LiveServer, browser: Browser) -> None:
    booth_id, _token, _path = await server.add_booth("潮見公民館ブース")
    context, page, _problems = await new_page(browser, KIOSK_VIEWPORT)
    try:
        await page.goto(f"{server.base_url}/booth/{booth_id}#token=not-a-real-token")
        message = page.get_by_test_id("kiosk-error-text")
        await expect(message).to_be_visible(timeout=WAIT_MS)
        await expect(message).to_contain_text("係の人に お知らせください")
        text = await page.locator("body").inner_text()
        assert "unauthorized" not in text and "token" not in text.lower()
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "unauthorized")
        await shot(page, "booth-bad-token")

        # a kiosk never given a token says it is not set up yet
        fresh = await context.new_page()
        await page.evaluate("() => localStorage.clear()")
        await fresh.goto(f"{server.base_url}/booth/{booth_id}")
        await expect(fresh.get_by_test_id("kiosk-error-text")).to_contain_text("まだ 設定されていません")
    finally:
        await context.close()


async def test_kiosk_reopened_without_fragment_uses_stored_token(server: LiveServer, browser: Browser) -> None:
    booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    context, page, problems = await new_page(browser, KIOSK_VIEWPORT)
    try:
        await page.goto(server.base_url + kiosk_path)
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        await page.goto(f"{server.base_url}/booth/{booth_id}")
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)

        # English through the same catalogs, and back to Japanese for the next resident
        await page.get_by_test_id("language-switch").click()
        await expect(page.get_by_test_id("start-consultation")).to_have_text("Start a consultation")
        await page.get_by_test_id("start-consultation").click()
        await expect(page.get_by_test_id("route-tax")).to_contain_text("Taxes")
        await shot(page, "booth-routes-en")
        await page.get_by_test_id("routes-back").click()
        await expect(page.get_by_test_id("start-consultation")).to_have_text("相談をはじめる")
        assert not problems, problems

        unknown = await page.goto(f"{server.base_url}/booth/no-such-booth")
        assert unknown is not None and unknown.status == 404
        await expect(page.get_by_test_id("page-message")).to_contain_text("アドレスが 正しくありません")
    finally:
        await context.close()


async def test_reloads_restore_the_waiting_screen_and_the_call(server: LiveServer, browser: Browser) -> None:
    """A kiosk reloaded while waiting keeps its place; either side reloaded mid-call gets the call back."""
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("suzuki", "suzuki-password-1")
    booth_ctx, booth, _ = await new_page(browser, KIOSK_VIEWPORT)
    agent_ctx, agent, _ = await new_page(browser, CONSOLE_VIEWPORT)
    try:
        await booth.goto(server.base_url + kiosk_path)
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-tax").click()
        await expect(booth.get_by_test_id("queue-position")).to_have_attribute("data-position", "1", timeout=WAIT_MS)

        await booth.reload()
        await expect(booth.get_by_test_id("queue-position")).to_have_attribute("data-position", "1", timeout=WAIT_MS)
        await expect(booth.get_by_test_id("waiting-route")).to_contain_text("税金")

        await sign_in(agent, server.base_url, "suzuki", "suzuki-password-1")
        await agent.get_by_test_id("status-available").click()
        await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
        await assert_video_playing(agent, "remote-video")
        await booth.get_by_test_id("chat-input").fill(RESIDENT_LINE)
        await booth.get_by_test_id("chat-send").click()
        await expect(agent.get_by_test_id("chat-log")).to_contain_text(RESIDENT_LINE, timeout=WAIT_MS)

        await agent.reload()
        await expect(agent.get_by_test_id("end-call")).to_be_visible(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("chat-log")).to_contain_text(RESIDENT_LINE)
        await assert_video_playing(agent, "remote-video")
        await assert_video_playing(booth, "remote-video")
        await shot(agent, "console-reloaded-call")

        await booth.reload()  # the kiosk side reloads too: its new connection must replace the old one
        await expect(booth.get_by_test_id("end-call")).to_be_visible(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("chat-log")).to_contain_text(RESIDENT_LINE)
        await assert_video_playing(booth, "remote-video")
        await assert_video_playing(agent, "remote-video")
    finally:
        await booth_ctx.close()
        await agent_ctx.close()


async def test_resident_can_stop_waiting(server: LiveServer, browser: Browser) -> None:
    booth_id, _token, kiosk_path = await server.add_booth("潮見公民館ブース")
    context, page, problems = await new_page(browser, KIOSK_VIEWPORT)
    try:
        await page.goto(server.base_url + kiosk_path)
        await page.get_by_test_id("start-consultation").click()
        await page.get_by_test_id("route-water_sewer").click()
        await expect(page.get_by_test_id("queue-position")).to_have_attribute("data-position", "1", timeout=WAIT_MS)
        await expect(page.get_by_test_id("cancel-waiting")).to_have_text("やめる")
        await page.get_by_test_id("cancel-waiting").click()
        await page.get_by_test_id("cancel-yes").click()  # 「やめる」 asks once (ux14)
        await expect(page.get_by_test_id("start-consultation")).to_be_visible(timeout=WAIT_MS)
        await expect(page.get_by_test_id("queue-position")).to_have_text("")
        record = await wait_for_record(server, lambda r: r["booth_id"] == booth_id)
        assert record["state"] == "abandoned"
        assert record["route"] == "water_sewer"
        assert not problems, problems
    finally:
        await context.close()


async def test_kiosk_calls_a_headless_aiortc_agent(server: LiveServer, browser: Browser) -> None:
    """The browser trickles ICE, aiortc sends complete SDPs: the same kiosk code talks to both."""
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("probe", "probe-password-1")
    context, booth, problems = await new_page(browser, KIOSK_VIEWPORT)
    agent = AgentPeer(server.base_url)
    try:
        await agent.connect(await login_agent(server.base_url, "probe", "probe-password-1"))
        await booth.goto(server.base_url + kiosk_path)
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-general_inquiry").click()
        await agent.set_status("available")
        offer = await agent.wait_event("offer", timeout_s=10)
        await agent.call("offer.accept", {"consultation_id": offer["consultation_id"]})
        session = await agent.wait_session(timeout_s=10)
        await session.wait_connected(timeout_s=15)
        await session.wait_frames("video", at_least=10, timeout_s=15)
        await session.wait_frames("audio", at_least=10, timeout_s=15)
        await assert_video_playing(booth, "remote-video")
        await agent.call("consultation.end", {"consultation_id": offer["consultation_id"]})
        await expect(booth.get_by_test_id("thanks")).to_be_visible(timeout=WAIT_MS)
        assert not problems, problems
    finally:
        await agent.close()
        await context.close()
