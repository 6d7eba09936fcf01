"""The reports page in real Chromium: a supervisor sees today's figures and the hourly chart for consultations
this test made over the real sockets, downloads the CSV for Excel, and an agent is refused in plain words."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi.reports.kpis import JST
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, agent_peer, answered_booth_call, booth_peer, ok, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1440, "height": 1000}
PASSWORD = "kacho-password-1"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        yield live


async def make_consultations(server: LiveServer) -> None:
    """One answered, talked and wrapped-up booth call, one resident who gave up waiting, and one who left a number
    for a call-back instead (counted as a call-back request, never as an abandon)."""
    _, token, _ = await server.add_booth("汐見港ブース")
    await server.add_agent("sato", PASSWORD)
    booth = await booth_peer(server, token)
    agent = await agent_peer(server, "sato", PASSWORD)
    try:
        ok(await agent.call("agent.status", {"status": "available"}))
        cid = await answered_booth_call(booth, agent)
        ok(await agent.call("consultation.end", {"consultation_id": cid}))
        await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
        ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": "案内した"}))
        await agent.wait_for("agent.state", lambda s: s["status"] == "available" and s["consultation"] is None)
        ok(await agent.call("agent.status", {"status": "away"}))
        await booth.wait_for("consultation.closed")
        second = ok(await booth.call("consultation.request", {"route": "resident_records"}))["consultation_id"]
        ok(await booth.call("consultation.cancel", {"consultation_id": second}))
        await booth.wait_for("consultation.closed", lambda c: c["consultation_id"] == second)
        third = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
        ok(await booth.call("callback.request", {"consultation_id": third, "phone": "09012345678"}))
        await booth.wait_for("consultation.closed", lambda c: c["consultation_id"] == third)
    finally:
        await booth.close()
        await agent.close()


async def login(page: Page, server: LiveServer, username: str) -> None:
    await page.goto(f"{server.base_url}/login")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_url(re.compile(r".*/(console|supervisor)$"))  # a supervisor lands on the live view


async def test_supervisor_reads_todays_figures_and_downloads_the_csv(server: LiveServer, browser: Browser) -> None:
    await make_consultations(server)
    await server.add_agent("kacho", PASSWORD, role="supervisor")
    hour_now = datetime.now(JST).hour
    context, page, problems = await new_page(browser, VIEWPORT)
    try:
        await login(page, server, "kacho")
        await page.goto(f"{server.base_url}/reports")
        await expect(page.get_by_test_id("report-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)

        await expect(page.get_by_test_id("kpi-volume").locator(".kpi-value")).to_have_text("3")
        # ux16: the tile says it counts bot-only chats too (the supervisor's 「職員を 呼んだ 相談」 does not)
        await expect(page.get_by_test_id("kpi-volume")).to_contain_text("自動案内だけの 分も 含む")
        await shot(page, "ux16-reports-volume-label")
        await expect(page.get_by_test_id("kpi-answered").locator(".kpi-value")).to_have_text("1")
        await expect(page.get_by_test_id("kpi-abandoned").locator(".kpi-value")).not_to_have_text("—")
        callbacks = page.get_by_test_id("kpi-callbacks")
        await expect(callbacks.locator(".kpi-label")).to_have_text("折り返し電話の依頼")
        await expect(callbacks.locator(".kpi-value")).to_have_text("1")
        await expect(page.get_by_test_id("kpi-service-level").locator(".kpi-value")).to_contain_text("%")
        await expect(page.get_by_test_id("kpi-aht").locator(".kpi-value")).to_contain_text("秒")
        await expect(page.get_by_test_id("kpi-bot-containment").locator(".kpi-value")).to_have_text("—")  # no chats
        hourly = await page.evaluate(
            "() => { const c = Chart.getChart('chart-hourly'); return c ? c.data.datasets[0].data : null; }"
        )
        assert hourly is not None and len(hourly) == 24
        assert hourly[hour_now] == 3 or (hour_now > 0 and hourly[hour_now - 1] + hourly[hour_now] == 3)
        drawn = (
            await page.get_by_test_id("report-chart-hourly")
            .locator("canvas")
            .evaluate("canvas => canvas.width > 0 && canvas.height > 0")
        )
        assert drawn
        by_route = page.get_by_test_id("report-by-route")
        await expect(by_route).to_contain_text("税金")
        await expect(by_route.locator("thead")).to_contain_text("折り返し電話の依頼")
        tax_row = await by_route.locator("tbody tr", has_text="税金").locator("td").all_inner_texts()
        assert tax_row[:5] == ["税金", "2", "1", "0", "1"], tax_row  # volume, answered, abandoned, call-backs
        await expect(page.get_by_test_id("report-by-agent").locator("thead")).not_to_contain_text("折り返し")
        await expect(page.get_by_test_id("report-by-agent")).to_contain_text("sato さん")
        await shot(page, "reports-supervisor")

        async with page.expect_download() as waiting:
            await page.get_by_test_id("report-export-csv").click()
        download = await waiting.value
        data = await asyncio.to_thread(Path(await download.path()).read_bytes)
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
        assert len(rows) == 3
        assert {row["担当窓口"] for row in rows} == {"税金", "住民票・印鑑"}  # ux6: names under Japanese headers
        # ux7: 状態 and 集計の区分 tell the page's story (a call-back is no "gave up", nor is a cancel within seconds)
        assert sorted((row["状態"], row["集計の区分"]) for row in rows) == sorted(
            [("完了", "職員が応対"), ("折り返し電話の依頼で終了", "折り返し電話の依頼"), ("すぐに終了", "すぐに帰った")]
        )
        assert {(row["自治体"], row["言語"], row["緊急"]) for row in rows} == {("汐見町", "日本語", "いいえ")}
        today = datetime.now(JST).date().isoformat()
        assert all(row["受付日時"].startswith(today) for row in rows), rows  # Japan time

        # ux7: "from" after "to" takes the old figures away and says what to do, in the status line too
        tomorrow = datetime.now(JST).date() + timedelta(days=1)
        await page.get_by_test_id("report-from").fill(tomorrow.isoformat())
        await page.get_by_test_id("report-show").click()
        await expect(page.get_by_test_id("report-filter-error")).to_contain_text("それより後の日付を選んでください")
        status = page.get_by_test_id("report-status")
        await expect(status).to_have_attribute("data-state", "error")
        await expect(status).to_contain_text("同じ日か、それより後の日付を選んでください")
        for tile in ("kpi-volume", "kpi-answered", "kpi-callbacks", "kpi-aht"):
            await expect(page.get_by_test_id(tile).locator(".kpi-value")).to_have_text("—")
        await expect(page.get_by_test_id("report-extra")).to_have_text("")
        await expect(page.get_by_test_id("report-by-route").locator("tbody tr")).to_have_count(0)
        assert await page.evaluate("() => Chart.getChart('chart-hourly') === undefined")
        # session 8: the downloads follow the figures on screen; none shown, no address and a sentence why
        for link in ("report-export-csv", "report-export-xlsx", "report-export-bookings-xlsx"):
            await expect(page.get_by_test_id(link)).not_to_have_attribute("href", re.compile("."))
            await expect(page.get_by_test_id(link)).to_have_attribute("aria-disabled", "true")
        await expect(page.get_by_test_id("report-export-note")).to_contain_text("いまは ダウンロードできません")
        await shot(page, "reports-range-reversed")

        # a right range shown again: the links carry it; a filter changed but not shown leaves them alone
        await page.get_by_test_id("report-from").fill(today)
        await page.get_by_test_id("report-show").click()
        await expect(status).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
        csv_link = page.get_by_test_id("report-export-csv")
        await expect(csv_link).to_have_attribute("href", re.compile(rf"from={today}&to={today}&.*headers=ja"))
        await expect(csv_link).not_to_have_attribute("aria-disabled", "true")
        await expect(page.get_by_test_id("report-export-note")).to_contain_text(f"{today} から {today} まで")
        await page.get_by_test_id("report-from").fill(tomorrow.isoformat())
        await page.get_by_test_id("report-route").select_option("tax")
        await expect(csv_link).to_have_attribute("href", re.compile(rf"from={today}&to={today}&.*headers=ja"))
        await expect(csv_link).not_to_have_attribute("href", re.compile("route="))
        bookings_link = page.get_by_test_id("report-export-bookings-xlsx")
        await expect(bookings_link).to_have_attribute("href", re.compile(rf"from={today}&to={today}"))
        assert problems == []
    finally:
        await context.close()


async def test_an_agent_is_refused_in_plain_words(server: LiveServer, browser: Browser) -> None:
    await server.add_agent("sato", PASSWORD)
    context, page, problems = await new_page(browser, VIEWPORT)
    try:
        await login(page, server, "sato")
        response = await page.goto(f"{server.base_url}/reports")
        assert response is not None and response.status == 403
        await expect(page.get_by_test_id("page-message")).to_contain_text("この画面は見られません")
        await expect(page.get_by_test_id("page-message")).to_contain_text("管理者に頼んでください")
        assert await page.get_by_test_id("kpi-volume").count() == 0
        await shot(page, "reports-agent-refused")
        assert [p for p in problems if "status of 403" not in p] == []  # the refusal itself is logged
    finally:
        await context.close()


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("size", [(390, 844), (1366, 768)])
async def test_the_reports_page_signs_out_on_a_shared_pc(
    server: LiveServer, browser: Browser, size: tuple[int, int], lang: str
) -> None:
    """The console, supervisor and admin pages had ログアウト; /reports had none (UX round 12), so whoever read the
    figures on a shared PC left the session open. The same form, with the session's CSRF token."""
    await server.add_agent("kacho", PASSWORD, role="supervisor")
    width, height = size
    context, page, problems = await new_page(browser, {"width": width, "height": height}, phone=width < 500)
    try:
        await login(page, server, "kacho")
        await page.goto(f"{server.base_url}/reports?lang={lang}")
        logout = page.get_by_test_id("logout")
        await expect(logout).to_be_visible(timeout=WAIT_MS)
        await expect(logout).to_have_text("ログアウト" if lang == "ja" else "Log out")
        box = await logout.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, box  # on screen, not past the right edge
        await shot(page, f"reports_logout_{lang}_{width}x{height}")
        await logout.click()
        await page.wait_for_url(re.compile(r"/login"))
        await page.goto(f"{server.base_url}/reports")
        await page.wait_for_url(re.compile(r"/login"))  # the session is gone
        assert problems == []
    finally:
        await context.close()
