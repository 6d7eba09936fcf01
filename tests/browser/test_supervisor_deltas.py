"""The supervisor's page through deltas, in real Chromium (#11 perf): after the whole view on joining, updates come
as ``supervisor.delta`` (what changed) and the page applies them row by row. Rows that did not change keep their
elements; a row whose offer-to list changes keeps its <select> — the same element, its choice and its focus (the
known bug "supervisor partial redraw can lose a row's select"); a big town's booth list shows the booths needing
attention first with a count of the rest, and the rest on request. Screenshots at four sizes to ``test-artifacts/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_kiosk_layouts import PROBLEMS_JS
from tests.support import LiveServer, agent_peer, booth_peer, ok, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
SIZES = ((1920, 1080), (1366, 768), (1080, 1920), (390, 844))


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path, offer_timeout_s=30.0)) as live:
        yield live


async def login(page: Page, server: LiveServer, username: str) -> None:
    await page.goto(f"{server.base_url}/login")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(PASSWORD)
    await page.get_by_test_id("login-submit").click()


FRAMES_JS = """() => {
  // the supervisor frames the page's socket receives, by event name (a whole view or a delta)
  window.__events = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        const m = typeof e.data === 'string' && /^42\\/supervisor,(?:\\d+)?\\["(supervisor\\.[a-z]+)"/.exec(e.data);
        if (m) window.__events.push(m[1]);
      });
    }
  };
}"""


async def test_the_page_stays_right_through_deltas_and_keeps_a_rows_select(
    server: LiveServer, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    import madoguchi.signaling.supervision as supervision

    monkeypatch.setattr(supervision, "BOOTH_ROWS", 3)  # a "big town" of five booths
    tokens = [(await server.add_booth(f"ブース{n}"))[1] for n in range(5)]
    await server.add_agent("tanaka", PASSWORD, routes=("tax",))
    await server.add_agent("sato", PASSWORD, routes=("tax",))
    await server.add_agent("boss", PASSWORD, role="supervisor")
    tanaka = await agent_peer(server, "tanaka", PASSWORD)
    sato = await agent_peer(server, "sato", PASSWORD)
    ok(await sato.call("agent.status", {"status": "available"}))  # free; tanaka stays away: nobody is rung
    booths = [await booth_peer(server, token) for token in tokens[:4]]  # the fifth is offline
    context, sv, problems = await new_page(browser, {"width": 1366, "height": 768})
    try:
        await sv.add_init_script(f"({FRAMES_JS})()")
        await login(sv, server, "boss")
        await sv.wait_for_url("**/supervisor", timeout=WAIT_MS)
        # the booths needing attention first (the offline one), three listed, the others counted and on request
        await expect(sv.get_by_test_id("sv-booth")).to_have_count(3, timeout=WAIT_MS)
        await expect(sv.get_by_test_id("sv-booth").first).to_have_attribute("data-online", "false")
        more = sv.get_by_test_id("sv-booths-more")
        await expect(more).to_have_text(
            "ほかに 2台 あります（うち 4台 接続中）。見てほしい ブースから 3台を 表示しています。"
        )

        # ferry: nobody covers it, so nobody is rung and the case waits (tanaka is away and sato covers tax only)
        first = ok(await booths[0].call("consultation.request", {"route": "transport_ferry"}))["consultation_id"]
        row = sv.locator(f'[data-testid="sv-case"][data-consultation-id="{first}"]')
        await expect(row).to_have_attribute("data-state", "waiting", timeout=WAIT_MS)
        await expect(sv.get_by_test_id("sv-today-waiting")).to_have_text("1")
        select = row.get_by_test_id("sv-assign-agent")
        await expect(select.locator("option")).to_have_text(["職員を 選ぶ", "sato さん"])
        await select.select_option(label="sato さん")
        await select.focus()
        await row.evaluate("r => { r.__mark = 'kept'; r.querySelector('select').__mark = 'kept'; }")

        # changes elsewhere and in the row's own list of free staff, each a delta
        second = ok(await booths[1].call("consultation.request", {"route": "transport_ferry"}))["consultation_id"]
        await expect(sv.get_by_test_id("sv-case")).to_have_count(2, timeout=WAIT_MS)
        await expect(sv.get_by_test_id("sv-today-waiting")).to_have_text("2")
        ok(await tanaka.call("agent.status", {"status": "available"}))  # a second free agent: the list grows
        await expect(select.locator("option")).to_have_text(
            ["職員を 選ぶ", "sato さん", "tanaka さん"], timeout=WAIT_MS
        )
        await booths[2].close()  # a booth goes offline: the booth list changes
        await expect(sv.locator('[data-testid="sv-booth"][data-online="false"]')).to_have_count(2, timeout=WAIT_MS)
        await expect(more).to_contain_text("うち 3台 接続中")
        ok(await booths[1].call("consultation.cancel", {"consultation_id": second}))
        await expect(sv.locator(f'[data-consultation-id="{second}"]')).to_have_count(0, timeout=WAIT_MS)
        await expect(sv.get_by_test_id("sv-today-waiting")).to_have_text("1")

        # the first row, its select, the choice and the focus are the ones from before every delta
        kept = await row.evaluate(
            "r => [r.__mark, r.querySelector('select').__mark, document.activeElement === r.querySelector('select')]"
        )
        assert kept == ["kept", "kept", True]
        assert await select.evaluate("s => s.selectedOptions[0].textContent") == "sato さん"
        events = await sv.evaluate("() => window.__events")
        assert events[0] == "supervisor.snapshot" and events.count("supervisor.snapshot") == 1, events
        assert events.count("supervisor.delta") >= 4, events

        # sato is no longer free: the choice goes (it cannot be offered), the element stays
        ok(await sato.call("agent.status", {"status": "away"}))
        await expect(select.locator("option")).to_have_text(["職員を 選ぶ", "tanaka さん"], timeout=WAIT_MS)
        await expect(select).to_have_value("")
        assert await row.evaluate("r => r.querySelector('select').__mark") == "kept"

        # the other booths on request
        await sv.get_by_test_id("sv-booths-show-more").click()
        await expect(sv.get_by_test_id("sv-booth")).to_have_count(5, timeout=WAIT_MS)
        await expect(sv.get_by_test_id("sv-booths-show-more")).to_be_hidden()
        for width, height in SIZES:
            await sv.set_viewport_size({"width": width, "height": height})
            await more.scroll_into_view_if_needed()
            assert await sv.evaluate(PROBLEMS_JS, True) == [], (width, height)
            await shot(sv, f"supervisor-booths-more-{width}x{height}")
        assert not [p for p in problems if "favicon" not in p], problems
    finally:
        await context.close()
        for peer in (*booths, tanaka, sato):
            await peer.close()


async def test_the_booths_shown_on_request_follow_the_live_changes(
    server: LiveServer, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tidy14: the booths beyond the view's (「ほかの ブースも 見る」) were fetched once and never again: a change to
    one of them alone sent no delta (its self-test said 「まだ 結果が ありません」 until a reload), and a booth that
    moved from the view to the rest vanished from both lists. They follow the live changes as the rest of the page
    does."""
    import madoguchi.signaling.supervision as supervision

    monkeypatch.setattr(supervision, "BOOTH_ROWS", 2)  # two listed, three on request
    tokens = [(await server.add_booth(f"ブース{n}"))[1] for n in range(5)]
    await server.add_agent("boss", PASSWORD, role="supervisor")
    booths = [await booth_peer(server, token) for token in tokens]  # all online: listed by name
    context, sv, problems = await new_page(browser, {"width": 1366, "height": 768})
    try:
        await login(sv, server, "boss")
        await sv.wait_for_url("**/supervisor", timeout=WAIT_MS)
        listed = sv.locator("#sv-booth-list [data-testid=sv-booth]")
        extra = sv.locator("#sv-booth-extra [data-testid=sv-booth]")
        await expect(listed).to_have_count(2, timeout=WAIT_MS)
        await sv.get_by_test_id("sv-booths-show-more").click()
        await expect(extra).to_have_count(3, timeout=WAIT_MS)
        last = sv.locator('#sv-booth-extra [data-testid="sv-booth"]:has(.name:text-is("ブース4"))')
        await expect(last.get_by_test_id("sv-booth-self-test")).to_have_attribute("data-state", "none")

        # a change to a booth on request alone: the view's rows stay as they were
        report = {"state": "ok", "items": [], "relay": True, "rtt_ms": 42, "loss_pct": 0, "audio": True}
        ok(await booths[4].call("selftest.report", report))
        await expect(last.get_by_test_id("sv-booth-self-test")).to_have_attribute("data-state", "ok", timeout=WAIT_MS)

        # a booth on request goes offline: it moves to the top of the view, and the one it pushed out is on request
        await booths[3].close()
        await expect(listed.first).to_contain_text("ブース3", timeout=WAIT_MS)
        await expect(listed.first).to_have_attribute("data-online", "false")
        await expect(extra).to_have_count(3, timeout=WAIT_MS)
        await expect(extra.locator(".name")).to_have_text(["ブース1", "ブース2", "ブース4"])
        await expect(sv.get_by_test_id("sv-booth")).to_have_count(5)
        await sv.get_by_test_id("sv-booths").scroll_into_view_if_needed()
        await shot(sv, "supervisor-booths-live-1366x768")
        assert not [p for p in problems if "favicon" not in p], problems
    finally:
        await context.close()
        for peer in booths:
            await peer.close()
