"""What an outside tester found on the booth's kiosk in session 13 (ux13), in real Chromium at 1080×1920 and 1366×768:

2. a resident who walked away from the waiting or "no one can answer" screen left the booth in their case for good:
   now, untouched for `booth_still_waiting_s`, the kiosk asks 「まだ お待ちですか？」 with はい／いいえ and a countdown;
   はい keeps the place, no answer cancels the case as the resident leaving (recorded "abandoned") and the kiosk goes
   back to its start; a reload never brings back a case that was left, and asks at once about a waiting case it has
   no record of;
4. the bot's answer on a booth, about a topic staff handle at the booth: 「職員と 話す」 first and primary.
(Item 1, the readiness pill, is in test_kiosk_ux12.py and test_kiosk_layouts.py.) Screenshots in test-artifacts/
(ux13-*)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi.ui import SUPPORTED_LANGUAGES
from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

SIZES = {"portrait": {"width": 1080, "height": 1920}, "wide": {"width": 1366, "height": 768}}
MORE_SIZES = {"full-hd": {"width": 1920, "height": 1080}, "phone": {"width": 390, "height": 844}}
SET_LANGUAGE_JS = "(code) => import('/static/js/i18n.js').then((m) => m.setLanguage(code))"
ASK_AFTER_S = 2.0
ANSWER_S = 4.0  # the countdown where it is let run out
LONG_ANSWER_S = 120.0  # where the question's looks are measured in every language first

# the question as an old eye and a finger meet it: whole, large, on screen
QUESTION_JS = r"""() => {
  const shown = (el) => el && !el.hidden && el.getClientRects().length > 0;
  const out = [];
  for (const id of ['still-waiting-question', 'still-waiting-countdown', 'still-waiting-yes', 'still-waiting-no']) {
    const el = document.getElementById(id);
    if (!shown(el)) { out.push(`${id} hidden`); continue; }
    const r = el.getBoundingClientRect();
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 24) out.push(`${id} ${size} px`);
    if (el.tagName === 'BUTTON' && r.height < 80) out.push(`${id} ${Math.round(r.height)} px tall`);
    if (r.top < 0 || r.bottom > innerHeight || r.left < 0 || r.right > innerWidth) out.push(`${id} off screen`);
    if (el.scrollWidth > el.clientWidth + 1) out.push(`${id} cut`);
  }
  return out;
}"""
RECORD_KEY_JS = "() => Object.keys(localStorage).find((k) => k.endsWith('.still_waiting'))"


def kiosk_settings(tmp_path: Path, answer_s: float = ANSWER_S) -> Any:
    return settings_for_tests(
        tmp_path, booth_still_waiting_s=ASK_AFTER_S, booth_still_waiting_answer_s=answer_s, grace_period_s=30.0
    )


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(kiosk_settings(tmp_path)) as live:
        yield live


@pytest.fixture
async def patient_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(kiosk_settings(tmp_path, LONG_ANSWER_S)) as live:
        yield live


async def wait_for_states(server: LiveServer, booth_id: str, states: list[str], within: float = 5.0) -> list[Any]:
    """The booth's records once their states are `states` (a record exists from the start, "waiting")."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        rows = [row for row in await server.export_records() if row["booth_id"] == booth_id]
        if [row["state"] for row in rows] == states or loop.time() > deadline:
            assert [row["state"] for row in rows] == states, rows
            return rows
        await asyncio.sleep(0.1)


async def start_waiting(server: LiveServer, browser: Browser, size: str) -> tuple[Any, Page, list[str], str, str]:
    booth_id, _, kiosk_path = await server.add_booth("凪島公民館ブース", location="凪島公民館")
    context, page, errors = await new_page(browser, SIZES[size])
    await page.goto(server.base_url + kiosk_path)
    await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
    await page.get_by_test_id("start-consultation").click()
    await page.get_by_test_id("route-tax").click()
    await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)  # nobody is on duty
    return context, page, errors, booth_id, kiosk_path


async def test_the_question_is_large_in_every_language_and_yes_keeps_the_place(
    patient_server: LiveServer, browser: Browser
) -> None:
    server = patient_server
    context, page, errors, booth_id, _ = await start_waiting(server, browser, "wide")
    problems: list[str] = []
    try:
        ask = page.get_by_test_id("still-waiting")
        countdown = page.get_by_test_id("still-waiting-countdown")
        # touches keep it away: the call-back keypad counts as someone there
        for _ in range(3):
            await page.wait_for_timeout(ASK_AFTER_S * 1000 * 0.6)
            await page.locator('[data-callback-key="0"]').click()
            await expect(ask).to_be_hidden()
        await expect(ask).to_be_visible(timeout=ASK_AFTER_S * 1000 + 2000)
        await expect(page.get_by_test_id("still-waiting-yes")).to_have_text("はい、待ちます")
        await expect(page.get_by_test_id("still-waiting-no")).to_have_text("いいえ、やめます")
        await expect(countdown).to_contain_text("秒で 受付を やめて")
        first = int(await countdown.get_attribute("data-seconds") or 0)
        assert 0 < first <= LONG_ANSWER_S, first
        for tag, viewport in {**SIZES, **MORE_SIZES}.items():
            await page.set_viewport_size(viewport)
            for code in SUPPORTED_LANGUAGES:
                await page.evaluate(SET_LANGUAGE_JS, code)
                await page.wait_for_timeout(30)
                problems += [f"{tag} {code}: {p}" for p in await page.evaluate(QUESTION_JS)]
                if code in ("ja", "en", "ne"):
                    await shot(page, f"ux13-still-waiting-{code}-{tag}")
        await page.evaluate(SET_LANGUAGE_JS, "ja")
        await page.set_viewport_size(SIZES["wide"])
        # はい: the place is kept, the question goes and comes again after the same time untouched
        await page.get_by_test_id("still-waiting-yes").click()
        await expect(ask).to_be_hidden()
        await expect(page.get_by_test_id("no-answer")).to_be_visible()
        await expect(page.get_by_test_id("waited")).not_to_have_text("")
        await expect(ask).to_be_visible(timeout=ASK_AFTER_S * 1000 + 2000)
        # いいえ: the case is cancelled as the resident leaving, the kiosk starts over at once
        await page.get_by_test_id("still-waiting-no").click()
        await expect(page.get_by_test_id("start-consultation")).to_be_visible(timeout=2000)
        [record] = await wait_for_states(server, booth_id, ["abandoned"])
        assert record["route"] == "tax", record
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors


async def test_no_answer_leaves_the_line_and_a_reload_never_brings_back_a_case_left(
    server: LiveServer, browser: Browser
) -> None:
    context, page, errors, booth_id, _ = await start_waiting(server, browser, "portrait")
    try:
        ask = page.get_by_test_id("still-waiting")
        countdown = page.get_by_test_id("still-waiting-countdown")
        await expect(ask).to_be_visible(timeout=ASK_AFTER_S * 1000 + 2000)
        first = int(await countdown.get_attribute("data-seconds") or 0)
        assert 0 < first <= ANSWER_S, first
        await expect(countdown).not_to_have_attribute("data-seconds", str(first), timeout=3000)  # it counts down
        # no answer: the countdown runs out, the case is cancelled as the resident leaving, the kiosk starts over
        await expect(page.get_by_test_id("start-consultation")).to_be_visible(timeout=ANSWER_S * 1000 + 2000)
        await expect(page.get_by_test_id("waiting-route")).to_have_text("")
        await shot(page, "ux13-after-walkaway-portrait")
        [record] = await wait_for_states(server, booth_id, ["abandoned"])
        assert record["route"] == "tax", record
        # nothing of the case kept on the kiosk once its cancel was heard
        await page.wait_for_function(f"() => !({RECORD_KEY_JS})()", timeout=5000)
        # a second case, asked about
        await page.get_by_test_id("start-consultation").click()
        await page.get_by_test_id("route-water_sewer").click()
        await expect(ask).to_be_visible(timeout=ASK_AFTER_S * 1000 + 2000)
        # as if the first cancel never reached the server: the kiosk's mark says the case was left; a reload
        # (the kiosk restarting) cancels it again and shows the start, never the stranger's case
        key = await page.evaluate(RECORD_KEY_JS)
        await page.evaluate(
            "(key) => { const r = JSON.parse(localStorage.getItem(key)); r.left = true;"
            " localStorage.setItem(key, JSON.stringify(r)); }",
            key,
        )
        await page.reload()
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        await page.wait_for_timeout(500)
        assert await page.evaluate("() => document.body.dataset.screen") == "idle"
        await wait_for_states(server, booth_id, ["abandoned", "abandoned"])
    finally:
        await context.close()
    assert not errors, errors


async def test_a_reload_while_waiting_resumes_and_asks_when_the_kiosk_has_no_record(
    server: LiveServer, browser: Browser
) -> None:
    context, page, errors, _, _ = await start_waiting(server, browser, "wide")
    try:
        ask = page.get_by_test_id("still-waiting")
        # a reload right after a touch: the resident may be right there; the case resumes, the count goes on
        await page.reload()
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
        await expect(page.get_by_test_id("waiting-route")).to_contain_text("税金")
        await expect(ask).to_be_visible(timeout=ASK_AFTER_S * 1000 + 2000)
        await page.get_by_test_id("still-waiting-yes").click()
        await expect(ask).to_be_hidden()
        # a reload with no record of the case (another browser profile, storage wiped): asked at once
        await page.evaluate(
            "() => localStorage.removeItem(Object.keys(localStorage).find((k) => k.endsWith('.still_waiting')))"
        )
        await page.reload()
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)
        await expect(ask).to_be_visible(timeout=1500)
        await page.get_by_test_id("still-waiting-yes").click()
        await expect(ask).to_be_hidden()
        await expect(page.get_by_test_id("waiting-route")).to_contain_text("税金")
    finally:
        await context.close()
    assert not errors, errors


async def test_on_a_booth_talking_to_staff_leads_after_an_answer_about_a_counters_topic(
    server: LiveServer, browser: Browser
) -> None:
    _, _, kiosk_path = await server.add_booth("汐見郵便局ブース", location="汐見郵便局")
    context, page, errors = await new_page(browser, SIZES["portrait"])
    try:
        await page.goto(server.base_url + kiosk_path)
        await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
        await page.get_by_test_id("start-consultation").click()
        await page.get_by_test_id("question-input").fill("住民票が ほしいです")
        await page.get_by_test_id("question-submit").click()
        await expect(page.get_by_test_id("question-answer")).to_be_visible(timeout=WAIT_MS)
        choices = page.locator(".question-choices button")
        await expect(choices.first).to_have_attribute("data-testid", "question-talk")
        await expect(choices.first).to_have_text("職員と 話す（住民票・印鑑）")
        await expect(choices.first).to_have_class("btn btn-primary btn-large question-talk")
        await expect(page.get_by_test_id("question-done")).not_to_have_class("btn btn-primary btn-large question-done")
        for tag, viewport in SIZES.items():
            await page.set_viewport_size(viewport)
            order = await page.evaluate(
                "() => [...document.querySelectorAll('.question-choices button')].map((b) => {"
                " const r = b.getBoundingClientRect(); return [b.dataset.testid, Math.round(r.top), Math.round(r.left),"
                " r.bottom <= innerHeight]; })"
            )
            first, *rest = order
            assert first[0] == "question-talk" and all((first[1], first[2]) <= (o[1], o[2]) for o in rest), order
            assert all(o[3] for o in order), f"{tag}: a choice below the screen {order}"
            await shot(page, f"ux13-answer-talk-first-{tag}")
        await choices.first.click()
        await expect(page.get_by_test_id("waiting-route")).to_contain_text("住民票", timeout=WAIT_MS)
    finally:
        await context.close()
    assert not errors, errors
