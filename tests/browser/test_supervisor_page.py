"""The supervisor's page in real Chromium: a stranded case shows with its alarm, the supervisor offers it to a
named agent, and the agent accepts on the console. At 1920×1080, 1366×768, 1080×1920 and 390×844 nothing is cut
or wider than the screen (the kiosk sweep's check); screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_kiosk_layouts import PROBLEMS_JS
from tests.support import LiveServer, booth_peer, ok, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
SIZES = ((1920, 1080), (1366, 768), (1080, 1920), (390, 844))


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    # a long grace: the supervisor who left the console stays listed (as watching) while the page is checked
    async with serve(settings_for_tests(tmp_path, offer_timeout_s=30.0, grace_period_s=60.0)) as live:
        yield live


async def login(page: Page, server: LiveServer, username: str) -> None:
    await page.goto(f"{server.base_url}/login")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()


async def test_supervisor_offers_a_stranded_case_to_a_named_agent(server: LiveServer, browser: Browser) -> None:
    _, token, _ = await server.add_booth("北港郵便局ブース")
    _, second_token, _ = await server.add_booth("南浜公民館ブース")
    _, third_token, _ = await server.add_booth("東崎出張所ブース")
    await server.add_agent("tanaka", PASSWORD, routes=("tax",))
    await server.add_agent("sato", PASSWORD, routes=("tax",))
    await server.add_agent("boss", PASSWORD, role="supervisor")

    agent_ctx, agent, agent_problems = await new_page(browser, {"width": 1440, "height": 900})
    sv_ctx, sv, sv_problems = await new_page(browser, {"width": 1920, "height": 1080})
    denied_ctx, denied, _ = await new_page(browser, {"width": 1366, "height": 768})
    booth = await booth_peer(server, token)
    try:
        # an agent who opens /supervisor is told, in words, that it is not for them
        await login(denied, server, "sato")
        await expect(denied.get_by_test_id("status-available")).to_be_visible(timeout=WAIT_MS)
        await expect(denied.get_by_test_id("staff-nav")).to_have_count(0)  # an agent has the console only
        response = await denied.goto(f"{server.base_url}/supervisor")
        assert response is not None and response.status == 403
        await expect(denied.get_by_test_id("page-message")).to_contain_text("監督者")

        await login(agent, server, "tanaka")
        available = agent.get_by_test_id("status-available")
        await expect(available).to_be_enabled(timeout=WAIT_MS)
        await available.click()
        await expect(agent.get_by_test_id("agent-status")).to_have_attribute("data-status", "available")

        # office8b: a supervisor lands on the live view; the top bar leads to the pages the role may open (not
        # /admin), the console among them, and back
        await login(sv, server, "boss")
        await sv.wait_for_url("**/supervisor", timeout=WAIT_MS)
        nav = sv.get_by_test_id("staff-nav")
        await expect(nav.locator("a")).to_have_text(["受付画面", "見守り", "集計"])
        await expect(sv.get_by_test_id("nav-supervisor")).to_have_attribute("aria-current", "page")
        await sv.get_by_test_id("nav-console").click()
        await expect(sv.get_by_test_id("status-available")).to_be_enabled(timeout=WAIT_MS)  # on the console first
        await expect(sv.get_by_test_id("nav-admin")).to_have_count(0)
        await sv.get_by_test_id("nav-supervisor").click()
        await sv.wait_for_url("**/supervisor", timeout=WAIT_MS)
        tanaka_row = sv.get_by_test_id("sv-agent").filter(has_text="tanaka")
        await expect(tanaka_row).to_contain_text("受付中", timeout=WAIT_MS)
        # time in a state in words (「0:06 前から」 read as a clock time), and the supervisor who came here from the
        # console is watching, not 未接続
        await expect(tanaka_row.locator(".since")).to_have_text(re.compile(r"^(\d+秒|\d+分\d+秒) 前から$"))
        boss_row = sv.get_by_test_id("sv-agent").filter(has_text="boss")
        await expect(boss_row).to_have_attribute("data-activity", "watching", timeout=WAIT_MS)
        await expect(boss_row).to_contain_text("この画面を 見ています")
        await expect(sv.get_by_test_id("sv-booth")).to_have_count(3)

        # a resident asks for バス・船, which nobody on duty covers
        cid = ok(await booth.call("consultation.request", {"route": "transport_ferry"}))["consultation_id"]
        case = sv.locator(f'[data-testid="sv-case"][data-consultation-id="{cid}"]')
        await expect(case).to_have_attribute("data-stranded", "true", timeout=WAIT_MS)
        await expect(case).to_contain_text("バス・船")
        alert = sv.locator('[data-testid="sv-alert"][data-kind="stranded"]')
        await expect(alert).to_contain_text("担当できる職員が いません")
        await expect(alert).to_contain_text("「この職員に 回す」")  # tanaka is free: pick him
        await expect(alert.get_by_test_id("sv-alert-todo")).to_have_attribute("data-advice", "sv.do.stranded")
        await expect(sv.get_by_test_id("sv-today-waiting")).to_have_text("1")
        # fix7b: times in words (「待ち 1:04」 read as an hour or a minute), and the figures say how they add up
        await expect(case.locator(".waited")).to_have_text(re.compile(r"^待ち \d+(分\d+)?秒$"))
        await expect(sv.get_by_test_id("sv-today-longest")).to_have_text(re.compile(r"^\d+(分\d+)?秒$"))
        await expect(sv.get_by_test_id("sv-today-sum")).to_contain_text("折り返し 0")
        # ux16: what the first figure counts (a case that asked for a person), not the report's 「相談件数」
        await expect(sv.get_by_test_id("sv-today-sum")).to_contain_text("職員を 呼んだ 1")
        await expect(sv.locator("body")).to_contain_text("職員を 呼んだ 相談")
        await shot(sv, "ux16-supervisor-today-labels")
        await sv.get_by_test_id("sv-sound").click()  # silence
        await expect(sv.get_by_test_id("sv-sound")).to_have_attribute("aria-pressed", "true")
        layout: list[str] = []
        for width, height in SIZES:  # nothing cut or wider than the screen, the phone included
            await sv.set_viewport_size({"width": width, "height": height})
            layout += [f"{width}x{height}: {p}" for p in await sv.evaluate(PROBLEMS_JS, True)]
            await shot(sv, f"supervisor-{width}x{height}")
        assert layout == []
        await sv.set_viewport_size({"width": 1366, "height": 768})

        # pressing without choosing says so in words and changes nothing
        await case.get_by_test_id("sv-assign").click()
        await expect(sv.get_by_test_id("message")).to_have_text("先に 職員を 選んでください。")
        await case.get_by_test_id("sv-assign-agent").select_option(label="tanaka さん")
        await case.get_by_test_id("sv-assign").click()
        await expect(sv.get_by_test_id("message")).to_contain_text("「tanaka さん」に 回しました")

        await expect(agent.get_by_test_id("offer")).to_be_visible(timeout=WAIT_MS)
        await agent.get_by_test_id("offer-accept").click()
        await booth.wait_for("call.start", within=WAIT_MS / 1000)
        await expect(tanaka_row).to_contain_text("通話中", timeout=WAIT_MS)
        await expect(case).to_have_count(0)
        await expect(sv.locator('[data-testid="sv-alert"][data-kind="stranded"]')).to_have_count(0)
        await shot(sv, "supervisor-after-assign-1366x768")

        # office8b: with tanaka on a call and sato not taking cases, nobody is free: 「この職員に 回す」 is greyed and a
        # sentence says why (the tester could press it for nothing)
        second = await booth_peer(server, second_token)
        try:
            other = ok(await second.call("consultation.request", {"route": "tax"}))["consultation_id"]
            waiting = sv.locator(f'[data-testid="sv-case"][data-consultation-id="{other}"]')
            await expect(waiting.get_by_test_id("sv-assign")).to_be_disabled(timeout=WAIT_MS)
            await expect(waiting.get_by_test_id("sv-assign-why")).to_have_text(
                "手の空いている職員が いないので、いまは 回せません。職員が 受付中に なると 選べます。"
            )
            # console9: a stranded case now, with nobody free: the alarm no longer says to pick someone and press the
            # greyed button; it says nobody can take it and what to do instead
            third = await booth_peer(server, third_token)
            try:
                ok(await third.call("consultation.request", {"route": "transport_ferry"}))
                alarm = sv.locator('[data-testid="sv-alert"][data-kind="stranded"]')
                todo = alarm.get_by_test_id("sv-alert-todo")
                await expect(todo).to_have_attribute("data-advice", "sv.do.stranded_nobody", timeout=WAIT_MS)
                await expect(todo).to_contain_text("いま 受けられる職員が いません（「この職員に 回す」は 使えません）")
                await expect(todo).to_contain_text("受付可に してもらう")
                await expect(todo).to_contain_text("窓口を 変える")
                await expect(todo).to_contain_text("折り返しの 電話")
                for width, height in SIZES:
                    await sv.set_viewport_size({"width": width, "height": height})
                    await alarm.evaluate("row => row.scrollIntoView({block: 'nearest'})")
                    await shot(sv, f"supervisor-alarm-nobody-free-{width}x{height}")
                await sv.set_viewport_size({"width": 1366, "height": 768})
            finally:
                await third.close()
            # the third booth left: its case stays (the resident may come back) and the queue is redrawn as the
            # booth's state changes, so rows are scrolled to in the page, where a replaced row is found again
            for width, height in SIZES:
                await sv.set_viewport_size({"width": width, "height": height})
                await waiting.evaluate("row => row.scrollIntoView({block: 'nearest'})")
                assert await sv.evaluate(PROBLEMS_JS, True) == [], (width, height)
                await shot(sv, f"supervisor-nobody-free-{width}x{height}")
            await sv.set_viewport_size({"width": 1366, "height": 768})
            # the call ends and the record is not sent: the row says so and since when, not 対応中
            ok(await booth.call("consultation.end", {"consultation_id": cid}))
            await expect(tanaka_row.get_by_test_id("sv-agent-wrap-up")).to_have_text(
                re.compile(r"^記録を まだ 書いています: バス・船（通話は (\d+秒|\d+分\d+秒) 前に 終わりました）$"),
                timeout=WAIT_MS,
            )
            await shot(sv, "supervisor-wrap-up-1366x768")
        finally:
            await second.close()
        assert not [p for p in sv_problems if "favicon" not in p], sv_problems
        assert not [p for p in agent_problems if "pageerror" in p], agent_problems
    finally:
        await booth.close()
        for ctx in (agent_ctx, sv_ctx, denied_ctx):
            await ctx.close()


async def test_each_booth_shows_its_last_self_test(server: LiveServer, browser: Browser) -> None:
    """The kiosk's self-test report (selftest.report) appears on the booth's card; a booth that never reported says
    so. Screenshots at four sizes go to ``test-artifacts/``."""
    _, token, _ = await server.add_booth("北港郵便局ブース")
    _, weak_token, _ = await server.add_booth("南浜公民館ブース")
    await server.add_booth("東崎出張所ブース")
    await server.add_agent("boss", PASSWORD, role="supervisor")
    booth, weak = await booth_peer(server, token), await booth_peer(server, weak_token)
    report = {"state": "ok", "items": [], "relay": True, "rtt_ms": 42, "loss_pct": 0, "audio": True}
    ok(await booth.call("selftest.report", report))
    ok(
        await weak.call(
            "selftest.report",
            {**report, "state": "warn", "items": ["network"], "rtt_ms": 1800, "loss_pct": 30, "audio": False},
        )
    )
    context, sv, problems = await new_page(browser, {"width": 1920, "height": 1080})
    try:
        await login(sv, server, "boss")
        await expect(sv).to_have_url(f"{server.base_url}/supervisor", timeout=WAIT_MS)  # a supervisor lands here
        lines = sv.get_by_test_id("sv-booth-self-test")
        await expect(lines).to_have_count(3, timeout=WAIT_MS)
        states = {await line.get_attribute("data-state") for line in await lines.all()}
        assert states == {"ok", "warn", "none"}
        ok_line = sv.locator('[data-testid="sv-booth-self-test"][data-state="ok"]')
        await expect(ok_line).to_contain_text("すべて 使えます")
        await expect(ok_line).to_contain_text("往復 42 ミリ秒")
        at = datetime.fromtimestamp(float(await ok_line.get_attribute("data-at") or 0), ZoneInfo("Asia/Tokyo"))
        # the town's zone, not UTC (#11), and the day with its weekday as a Japanese office reads it (session 15)
        await expect(ok_line).to_contain_text(f"{at.month}月{at.day}日（{'月火水木金土日'[at.weekday()]}） {at:%H:%M}")
        warn_line = sv.locator('[data-testid="sv-booth-self-test"][data-state="warn"]')
        await expect(warn_line).to_contain_text("通信を 確かめてください")
        await expect(warn_line).to_contain_text("音が 戻ってきませんでした")
        none_line = sv.locator('[data-testid="sv-booth-self-test"][data-state="none"]')
        await expect(none_line).to_have_text("点検: まだ 結果が ありません")
        for width, height in SIZES:
            await sv.set_viewport_size({"width": width, "height": height})
            await sv.get_by_test_id("sv-booths").scroll_into_view_if_needed()
            assert await sv.evaluate(PROBLEMS_JS, True) == [], (width, height)
            await shot(sv, f"supervisor-self-test-{width}x{height}")
        assert problems == []
    finally:
        await context.close()
        for peer in (booth, weak):
            await peer.close()
