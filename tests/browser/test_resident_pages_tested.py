"""The resident pages as an outside tester found them (issue 13, round 7), in real Chromium:

- the phone chat waiting after an urgent line (hotlines, waiting card, "no one can answer"): the page does not
  scroll, the input is on screen, the conversation keeps room, and 110/119 stay on screen and one tap away;
- the phone chat opens in the browser's first offered language (English here), and a choice made stays;
- the kiosk: 「順番をお待ちください」 gives way to the no-answer panel, the call-back keys group the digits as they are
  typed, and after a transfer 「窓口を かえています」 shows while the new desk rings, until someone answers;
- /book says Latin letters are accepted for the name."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.chromium import WAIT_MS, new_page, shot
from tests.browser.test_kiosk_layouts import close_all_week
from tests.support import LiveServer, agent_peer, ok

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PORTRAIT = {"width": 1080, "height": 1920}

# where things are on the phone: page scroll, the composer's bottom, the conversation's height, the 110 link's box
LAYOUT = """() => {
  const rect = (el) => el.getBoundingClientRect();
  const tel110 = document.querySelector('#urgent-banner a[href="tel:110"]');
  const r110 = tel110 && rect(tel110);
  const panel = document.getElementById('no-answer');
  const inside = (el) => { const r = rect(el), p = rect(panel);
    return r.height > 0 && r.top >= p.top && r.bottom <= p.bottom && r.bottom <= innerHeight; };
  return {
    scroll: document.documentElement.scrollHeight - innerHeight,
    composerBottom: rect(document.getElementById('composer')).bottom,
    conversation: rect(document.getElementById('res-main')).height,
    tel110: r110 && r110.height > 0 && r110.top >= 0 && r110.bottom <= innerHeight,
    height: innerHeight,
    // the no-answer panel whole: no hidden scroll, the town's phone and the call-back button inside its box
    panelHidden: panel.scrollHeight - panel.clientHeight,
    phoneInside: inside(document.getElementById('no-answer-phone')),
    callbackInside: inside(document.querySelector('#callback-more summary')),
    place: document.getElementById('queue-place').textContent + document.getElementById('queue-ahead').textContent,
  };
}"""


async def urgent_and_nobody_answers(page: Page, server: LiveServer) -> None:
    await page.goto(server.base_url + "/chat")
    await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
    await page.get_by_test_id("chat-input").fill("もう死にたい")
    await page.get_by_test_id("chat-send").click()
    await expect(page.get_by_test_id("urgent-banner")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_test_id("queue-position")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)


async def test_phone_waiting_is_compact_and_in_the_browsers_language(live_server: LiveServer, browser: Browser) -> None:
    await close_all_week(live_server)  # closed now: the start page says so, as the kiosk does (ux7 item 8)
    context, page, problems = await new_page(browser, PHONE, phone=True)
    try:
        await page.goto(live_server.base_url + "/chat")
        await expect(page.get_by_test_id("closed-now")).to_be_visible(timeout=WAIT_MS)
        await expect(page.get_by_test_id("closed-now-hours")).to_contain_text("月〜日 お休み")
        await expect(page.get_by_test_id("closed-now-phone")).to_have_attribute("href", "tel:0997001234")
        await shot(page, "phone-closed-start-ja")
        await urgent_and_nobody_answers(page, live_server)
        await expect(page.get_by_test_id("closed-now")).to_be_hidden()  # waiting: the no-answer panel says it
        layout = await page.evaluate(LAYOUT)
        await shot(page, "phone-urgent-waiting-ja")
        assert layout["scroll"] <= 0, layout
        assert layout["composerBottom"] <= layout["height"], layout
        assert layout["conversation"] >= layout["height"] * 0.25, layout
        assert layout["tel110"], layout
        # ux7 item 3: the panel was a 148 px box scrolling without a cue, the phone cut, the call-back button out
        # of sight, and the card said "No. 1" beside "nobody can answer"
        assert layout["panelHidden"] <= 1, layout
        assert layout["phoneInside"] and layout["callbackInside"], layout
        assert layout["place"] == "", layout
        await expect(page.get_by_test_id("office-phone")).to_be_visible()  # the town's phone, one tap away
        await expect(page.get_by_test_id("office-phone")).to_have_attribute("href", "tel:0997001234")
    finally:
        await context.close()
    assert not [p for p in problems if "favicon" not in p], problems

    # a phone set to English: the page (banner, waiting card, buttons) in English from the first paint on
    english = await browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    try:
        page = await english.new_page()
        await urgent_and_nobody_answers(page, live_server)
        await expect(page.get_by_test_id("cancel-waiting")).to_have_text("Stop waiting")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await shot(page, "phone-urgent-waiting-en")
        picked = await page.evaluate(
            """() => import('/static/js/i18n.js').then(({ browserLanguage }) => [
                 browserLanguage(['fr-FR', 'pt-BR']), browserLanguage(['zh-CN']), browserLanguage(['fil-PH']),
                 browserLanguage(['ne-NP']), browserLanguage(['vi']), browserLanguage(['ko-KR', 'en']),
                 browserLanguage(['de'])])"""
        )
        assert picked == ["pt", "zh", "tl", "ne", "vi", "ko", None], picked
        # the resident's own choice stays over the browser's
        await page.get_by_test_id("language-picker").click()
        await page.get_by_test_id("language-ja").click()
        await page.reload()
        await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "ready", timeout=WAIT_MS)
        await expect(page.locator("html")).to_have_attribute("lang", "ja")
    finally:
        await english.close()


async def test_kiosk_wording_keys_and_transfer(live_server: LiveServer, browser: Browser) -> None:
    _booth_id, _token, kiosk_path = await live_server.add_booth("潮見港郵便局ブース")
    await live_server.add_agent("sato", "sato-password-1")  # covers every topic
    await live_server.add_agent("kato", "kato-password-1", routes=("elderly_care",))
    context, booth, problems = await new_page(browser, PORTRAIT)
    sato = await agent_peer(live_server, "sato", "sato-password-1")
    kato = await agent_peer(live_server, "kato", "kato-password-1")
    try:
        await booth.goto(live_server.base_url + kiosk_path)
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-tax").click()
        await expect(booth.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)  # nobody on duty
        await expect(booth.locator("#waiting-heading")).to_be_hidden()
        for key in "0996912345":
            await booth.locator(f'[data-callback-key="{key}"]').click()
        await expect(booth.get_by_test_id("callback-phone")).to_have_value("09969-1-2345")
        await booth.locator('[data-callback-key="delete"]').click()
        await expect(booth.get_by_test_id("callback-phone")).to_have_value("09969-1-234")
        await shot(booth, "kiosk-no-answer-keys")

        ok(await sato.call("agent.status", {"status": "available"}))
        offer = await sato.wait_for("offer")
        cid = str(offer["consultation_id"])
        ok(await sato.call("offer.accept", {"consultation_id": cid}))
        await expect(booth.get_by_test_id("end-call")).to_be_visible(timeout=WAIT_MS)
        ok(await kato.call("agent.status", {"status": "available"}))
        transfer = {"consultation_id": cid, "route": "elderly_care", "note": "介護の 件"}
        ok(await sato.call("consultation.transfer", transfer))
        # kato's console rings: the booth says both that the desk changes and that the call is coming
        await expect(booth.get_by_test_id("call-coming")).to_be_visible(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("waiting-transferred")).to_be_visible()
        await expect(booth.get_by_test_id("no-answer")).to_be_hidden()
        await expect(booth.locator("#waiting-heading")).to_be_visible()
        await shot(booth, "kiosk-transfer-ringing")
        await booth.reload()  # the resident's view carries the transfer too
        await expect(booth.get_by_test_id("waiting-transferred")).to_be_visible(timeout=WAIT_MS)
        offer = await kato.wait_for("offer")
        ok(await kato.call("offer.accept", {"consultation_id": cid}))
        await expect(booth.get_by_test_id("end-call")).to_be_visible(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("waiting-transferred")).to_be_hidden()

        # /book: the name may be written in Latin letters, and the label says so
        for lang in ("ja", "easy-ja"):
            await booth.goto(f"{live_server.base_url}/book/shiomi?lang={lang}")
            assert "ローマ字" in await booth.content()
    finally:
        await sato.close()
        await kato.close()
        await context.close()
    assert not [p for p in problems if "favicon" not in p], problems
