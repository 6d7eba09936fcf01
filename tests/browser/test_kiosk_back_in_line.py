"""Back in line after a call, told truthfully on the kiosk and the chat page (real Chromium; the agents are
Socket.IO clients):

- the agent's link stays down past the grace period: the kiosk says the call was cut and, while someone can
  answer, that it connects the resident again, with the place in line and the time waited from the server (the
  wait before the call counts);
- the agent transfers the case to a topic nobody on duty covers (the agent covers every topic but sent it away):
  at once the "no one can answer" panel with the town's phone, never 「次が あなたの番です」/「すぐ です」, and never
  the "passing you to the right desk" sentence beside it.

The server's clock is shifted forward while the resident waits, so "waited" is minutes without sleeping."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, Peer, agent_peer, login_cookie, ok, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 1080, "height": 1920}


class ShiftedClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
async def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def server(tmp_path: Path, clock: ShiftedClock) -> AsyncIterator[LiveServer]:
    # a long heartbeat: a clock shifted by minutes must not make this process look dead
    settings = settings_for_tests(tmp_path, grace_period_s=3.0, heartbeat_interval_s=200.0)
    async with serve(settings, clock=clock) as live:
        yield live


async def waiting_three_minutes_then_answered(clock: ShiftedClock, booth: Page, agent: Peer, route: str) -> str:
    await booth.get_by_test_id("start-consultation").click()
    await booth.get_by_test_id(f"route-{route}").click()
    await expect(booth.get_by_test_id("waited")).to_have_text("1 分 未満", timeout=WAIT_MS)
    clock.offset += 185  # the resident waits three minutes before anyone answers
    ok(await agent.call("agent.status", {"status": "available"}))
    offer = await agent.wait_for("offer")
    cid = str(offer["consultation_id"])
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await expect(booth.get_by_test_id("end-call")).to_be_visible(timeout=WAIT_MS)
    return cid


async def test_a_call_cut_by_the_agents_lost_link_is_said_and_the_wait_counts(
    server: LiveServer, clock: ShiftedClock, browser: Browser
) -> None:
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("sato", "sato-password-1")
    await server.add_agent("kato", "kato-password-1")
    context, booth, problems = await new_page(browser, PORTRAIT)
    agent = await agent_peer(server, "sato", "sato-password-1")
    try:
        await booth.goto(server.base_url + kiosk_path)
        await waiting_three_minutes_then_answered(clock, booth, agent, "tax")
        lost = booth.get_by_test_id("call-lost")
        await expect(lost).to_be_hidden()
        await agent.close()  # the console's link dies for good: after the grace period the call goes back in line
        # meanwhile the video says what is happening and that the place is kept, never 「文字で やりとりを
        # つづけて」 to nobody (ux16 M5)
        notice = booth.locator("#call-notice")
        await expect(notice).to_contain_text("職員との 通信が 切れました", timeout=WAIT_MS)
        await expect(notice).to_contain_text("順番は そのまま")
        await shot(booth, "kiosk-call-peer-lost")

        await expect(lost).to_be_visible(timeout=WAIT_MS)
        await expect(lost).to_contain_text("職員との 通信が 切れました。")
        await expect(booth.get_by_test_id("waited")).to_have_text("3 分")  # the wait before the call, kept
        # nobody else is on duty: the panel says what to do, and "we connect you again" is not promised; that the
        # place is kept is (ux16 M5: the resident was not told)
        await expect(booth.get_by_test_id("no-answer")).to_be_visible()
        await expect(booth.get_by_test_id("call-lost-next")).to_have_text(
            "順番は そのままです。職員が もどったら、先に おつなぎします。"
        )
        await shot(booth, "kiosk-call-lost-nobody")
        await booth.reload()  # the server says so: a reload keeps it
        await expect(lost).to_be_visible(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("waited")).to_have_text("3 分")

        # someone comes on duty: rung at once (no promise while it rings), declines, and is still on duty: now
        # the kiosk says it connects the resident again, with the place in line
        other = await agent_peer(server, "kato", "kato-password-1")
        try:
            ok(await other.call("agent.status", {"status": "available"}))
            await expect(booth.get_by_test_id("call-coming")).to_be_visible(timeout=WAIT_MS)
            await expect(booth.get_by_test_id("call-lost-next")).to_be_hidden()
            offer = await other.wait_for("offer")
            ok(await other.call("offer.decline", {"consultation_id": offer["consultation_id"]}))
            await expect(booth.get_by_test_id("call-coming")).to_be_hidden(timeout=WAIT_MS)
            await expect(booth.get_by_test_id("no-answer")).to_be_hidden()
            await expect(booth.get_by_test_id("call-lost-next")).to_have_text(
                "もう一度 おつなぎします。このまま お待ちください。"
            )
            await expect(booth.get_by_test_id("queue-position")).to_have_attribute("data-position", "1")
            await shot(booth, "kiosk-call-lost-again")
        finally:
            await other.close()
    finally:
        await context.close()
    assert not [p for p in problems if "favicon" not in p], problems


async def test_a_transfer_nobody_can_answer_says_so_at_once(
    server: LiveServer, clock: ShiftedClock, browser: Browser
) -> None:
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("sato", "sato-password-1")  # covers every topic
    await server.add_agent("kato", "kato-password-1", routes=("tax",))  # on duty, but not for elderly care
    context, booth, problems = await new_page(browser, PORTRAIT)
    agent = await agent_peer(server, "sato", "sato-password-1")
    other = await agent_peer(server, "kato", "kato-password-1")
    try:
        await booth.goto(server.base_url + kiosk_path)
        cid = await waiting_three_minutes_then_answered(clock, booth, agent, "resident_records")
        ok(await other.call("agent.status", {"status": "available"}))
        transferred = {"consultation_id": cid, "route": "elderly_care", "note": "介護の 件"}
        ok(await agent.call("consultation.transfer", transferred))

        panel = booth.get_by_test_id("no-answer")
        await expect(panel).to_be_visible(timeout=WAIT_MS)
        await expect(panel).to_have_attribute("data-reason", re.compile("^(nobody|closed)$"))  # by the real hour
        await expect(booth.get_by_test_id("waiting-transferred")).to_be_hidden()
        await expect(booth.get_by_test_id("queue-position")).to_be_hidden()
        await expect(booth.get_by_test_id("wait-estimate")).to_be_hidden()
        await expect(booth.get_by_test_id("waiting-route")).to_contain_text("介護")
        await expect(booth.get_by_test_id("waited")).to_have_text("3 分")
        await shot(booth, "kiosk-transfer-nobody")
        # the sender's cool-down running out changes nothing: they are not rung with it, nor is it "soon"
        clock.offset += 60
        await booth.wait_for_timeout(1500)
        await expect(panel).to_be_visible()
        assert len(agent.received["offer"]) == 1, agent.received["offer"]
        assert "すぐ" not in await booth.locator(".screen-waiting").inner_text()
    finally:
        await agent.close()
        await other.close()
        await context.close()
    assert not [p for p in problems if "favicon" not in p], problems


async def test_the_chat_page_says_the_call_was_cut_too(server: LiveServer, browser: Browser) -> None:
    """A resident at home: the page went on saying 「職員と つながりました」 after the agent's link was gone."""
    await server.add_agent("sato", "sato-password-1")
    await server.add_agent("kato", "kato-password-1")
    context, home, problems = await new_page(browser, {"width": 390, "height": 844}, phone=True)
    agent = await agent_peer(server, "sato", "sato-password-1")
    try:
        await home.goto(f"{server.base_url}/chat")
        await home.get_by_test_id("handoff-request").click()
        await expect(home.get_by_test_id("queue-position")).to_be_visible(timeout=WAIT_MS)
        ok(await agent.call("agent.status", {"status": "available"}))
        offer = await agent.wait_for("offer")
        ok(await agent.call("offer.accept", {"consultation_id": offer["consultation_id"]}))
        await expect(home.get_by_test_id("talking")).to_be_visible(timeout=WAIT_MS)
        await agent.close()

        lost = home.get_by_test_id("call-lost")
        await expect(lost).to_be_visible(timeout=WAIT_MS)
        await expect(home.get_by_test_id("talking")).to_be_hidden()
        await expect(lost).to_have_text("職員との 通信が 切れました。")  # nobody on duty: no promise
        await expect(home.get_by_test_id("no-answer")).to_be_visible()
        await shot(home, "chat-call-lost-nobody")
        other = await agent_peer(server, "kato", "kato-password-1")
        try:
            ok(await other.call("agent.status", {"status": "available"}))
            again = await other.wait_for("offer")
            ok(await other.call("offer.decline", {"consultation_id": again["consultation_id"]}))
            await expect(lost).to_contain_text("もう一度 おつなぎします。", timeout=WAIT_MS)
            await expect(home.get_by_test_id("no-answer")).to_be_hidden()
        finally:
            await other.close()
    finally:
        await context.close()
    assert not [p for p in problems if "favicon" not in p], problems


async def test_a_supervisors_move_is_said_in_plain_words(server: LiveServer, browser: Browser) -> None:
    """ux6: after a supervisor moved the case the kiosk showed 「ご用件：税金」 and nothing else: now it says staff
    changed the desk and the place in line is kept."""
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("boss", "boss-password-1", role="supervisor")
    context, booth, problems = await new_page(browser, PORTRAIT)
    boss = Peer(server.agent_url, "/supervisor")
    cookie = await login_cookie(server.agent_url, "boss", "boss-password-1")
    await boss.connect(headers={"Cookie": f"madoguchi_session={cookie}"})
    try:
        await booth.goto(server.base_url + kiosk_path)
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-child_family").click()
        await expect(booth.get_by_test_id("waiting-route")).to_contain_text("子育て", timeout=WAIT_MS)
        await expect(booth.get_by_test_id("waiting-moved")).to_be_hidden()
        snapshot = await boss.wait_for("supervisor.snapshot", lambda s: bool(s["queue"]))
        cid = snapshot["queue"][0]["consultation_id"]
        ok(await boss.call("supervisor.move_route", {"consultation_id": cid, "route": "tax"}))
        await expect(booth.get_by_test_id("waiting-route")).to_contain_text("税金", timeout=WAIT_MS)
        await expect(booth.get_by_test_id("waiting-moved")).to_have_text(
            "係の者が 窓口を 変えました。順番は そのままです"
        )
        await shot(booth, "kiosk-moved-by-supervisor")
    finally:
        await boss.close()
        await context.close()
    assert not [p for p in problems if "favicon" not in p], problems
