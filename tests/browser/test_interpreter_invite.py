"""Calling an interpreter in, in real Chromium: a resident at the kiosk chooses Nepali; nobody on duty speaks it,
so the route's Japanese-speaking agent is rung at once and told plainly that the resident speaks Nepali; in the
call they press 通訳を よぶ, pick the one member of staff who speaks Nepali, and the state is said on every side:
the agent's 「…に 通訳を たのみました」 then 「…通訳として 参加しました」, the invitee's 参加する card, and the kiosk's
Nepali 「通訳の 人を よんでいます」 then 「…入りました」. The interpreter writes in the call's chat; the agent sees the
line labelled 通訳 and the kiosk shows it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi.ui import load_catalog
from tests.browser.chromium import WAIT_MS, new_page, shot, sign_in
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

NE = load_catalog("ne")
JA = load_catalog("ja")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path, interpreter_after_s=300.0)) as live:
        yield live


async def login(page: Page, server: LiveServer, username: str, password: str) -> None:
    await sign_in(page, server.base_url, username, password)  # lands on the console


@pytest.mark.parametrize(
    ("kiosk", "desk"),
    [
        ({"width": 1080, "height": 1920}, {"width": 1920, "height": 1080}),
        ({"width": 1366, "height": 768}, {"width": 1366, "height": 768}),
        ({"width": 390, "height": 844}, {"width": 390, "height": 844}),
    ],
    ids=["portrait-kiosk", "wide-kiosk", "phones"],
)
async def test_the_agent_calls_in_a_nepali_speaker_and_every_side_is_told(
    server: LiveServer, browser: Browser, kiosk: dict[str, int], desk: dict[str, int]
) -> None:
    tag = f"{kiosk['width']}x{kiosk['height']}"
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("sato", "sato-password-1", languages=("ja",))
    await server.add_agent("rai", "rai-password-1", languages=("ja", "ne"))
    pages = [await new_page(browser, kiosk), await new_page(browser, desk), await new_page(browser, desk)]
    (_, booth, booth_problems), (_, agent, agent_problems), (_, guest, guest_problems) = pages
    try:
        await login(agent, server, "sato", "sato-password-1")
        await login(guest, server, "rai", "rai-password-1")  # on the console, away: not rung, may be invited
        await agent.get_by_test_id("status-available").click()
        await booth.goto(server.base_url + kiosk_path)
        await booth.get_by_test_id("language-picker").click()
        await booth.get_by_test_id("language-ne").click()
        await booth.get_by_test_id("start-consultation").click()
        await booth.get_by_test_id("route-resident_records").click()

        need = agent.get_by_test_id("offer-interpreter")
        await expect(need).to_be_visible(timeout=WAIT_MS)
        await expect(need).to_contain_text("ネパール語を 話します")
        await shot(agent, f"interpreter-offer-{desk['width']}x{desk['height']}")
        await agent.get_by_test_id("offer-accept").click()
        await expect(agent.get_by_test_id("call-interpreter-need")).to_contain_text("ネパール語を 話します")

        await agent.get_by_test_id("interpreter-invite").click()
        option = agent.get_by_test_id("interpreter-option")
        await expect(option).to_have_count(1, timeout=WAIT_MS)
        await expect(agent.get_by_test_id("interpreter-options")).to_contain_text("rai さん")
        await expect(agent.get_by_test_id("interpreter-options")).to_contain_text(JA["console.status.now.away"])
        # the town's telephone interpretation service (the sample file's fictional one), a tel: link
        phone = agent.get_by_test_id("interpreter-phone")
        await expect(phone).to_be_visible()
        await expect(agent.get_by_test_id("interpreter-phone-name")).to_contain_text("しおみ多言語電話通訳センター")
        call = agent.get_by_test_id("interpreter-phone-call")
        await expect(call).to_have_attribute("href", "tel:0997005678")
        await expect(call).to_have_text(JA["console.interpreter.phone_call"].format(number="0997-00-5678"))
        await expect(agent.get_by_test_id("interpreter-phone-languages")).to_contain_text("ネパール語")
        await expect(agent.get_by_test_id("interpreter-phone-languages")).to_contain_text(
            "タイ語"
        )  # named by the browser
        await call.scroll_into_view_if_needed()
        box = await call.bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= desk["width"]
        await shot(agent, f"interpreter-list-{desk['width']}x{desk['height']}")
        await option.click()
        status = agent.get_by_test_id("interpreter-status")
        await expect(status).to_have_text(JA["console.interpreter.invited"].format(name="rai さん"))
        await expect(status).to_have_attribute("data-state", "invited")

        note = booth.get_by_test_id("interpreter-note")
        await expect(note).to_have_text(NE["media.interpreter.called"], timeout=WAIT_MS)
        card = guest.get_by_test_id("interpreter-invited")
        await expect(card).to_be_visible(timeout=WAIT_MS)
        await expect(card).to_contain_text("sato さん")
        await expect(card).to_contain_text("ネパール語")
        await shot(guest, f"interpreter-asked-{desk['width']}x{desk['height']}")
        await guest.get_by_test_id("interpreter-join").click()
        await expect(guest.get_by_test_id("interpreter-invited-text")).to_have_text(
            JA["console.interpreter.interpreting"].format(language="ネパール語")
        )
        await expect(status).to_have_attribute("data-state", "joined", timeout=WAIT_MS)
        await expect(status).to_have_text(JA["console.interpreter.joined"].format(name="rai さん"))
        await expect(note).to_have_text(NE["media.interpreter.joined"], timeout=WAIT_MS)

        await guest.get_by_test_id("interpreter-chat-input").fill("नमस्ते, म दोभाषे हुँ")
        await guest.get_by_test_id("interpreter-chat-send").click()
        line = agent.locator('[data-testid="chat-log"] li[data-author="interpreter"]')
        await expect(line).to_contain_text("नमस्ते", timeout=WAIT_MS)
        await expect(line).to_contain_text(JA["console.interpreter.sender"])
        await expect(booth.get_by_test_id("chat-log")).to_contain_text("नमस्ते", timeout=WAIT_MS)
        await expect(guest.get_by_test_id("interpreter-chat-log")).to_contain_text("नमस्ते")
        await shot(agent, f"interpreter-joined-{desk['width']}x{desk['height']}")
        await shot(guest, f"interpreter-joined-guest-{desk['width']}x{desk['height']}")
        await shot(booth, f"interpreter-kiosk-{tag}")
        for page in (booth, agent):  # nothing wider than the screen, no page scroll on the kiosk
            assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        if kiosk["width"] > 600:  # a phone may scroll down
            assert await booth.evaluate("document.documentElement.scrollHeight <= innerHeight")

        await guest.get_by_test_id("interpreter-leave").click()
        await expect(status).to_have_text(JA["console.interpreter.left"].format(name="rai さん"), timeout=WAIT_MS)
        await expect(note).to_have_text(NE["media.interpreter.left"], timeout=WAIT_MS)
        await expect(card).to_be_hidden()
    finally:
        for context, _, _ in pages:
            await context.close()
    for problems in (booth_problems, agent_problems, guest_problems):
        assert not [p for p in problems if "favicon" not in p], problems


async def call_in_rai(server: LiveServer, pages: list[tuple[object, Page, list[str]]]) -> None:
    """sato takes the Nepali resident's call at the kiosk and invites rai; the kiosk says one is being called."""
    (_, booth, _), (_, agent, _), (_, guest, _) = pages
    _booth_id, _token, kiosk_path = await server.add_booth("潮見港郵便局ブース")
    await server.add_agent("sato", "sato-password-1", languages=("ja",))
    await server.add_agent("rai", "rai-password-1", languages=("ja", "ne"))
    await login(agent, server, "sato", "sato-password-1")
    await login(guest, server, "rai", "rai-password-1")
    await agent.get_by_test_id("status-available").click()
    await booth.goto(server.base_url + kiosk_path)
    await booth.get_by_test_id("language-picker").click()
    await booth.get_by_test_id("language-ne").click()
    await booth.get_by_test_id("start-consultation").click()
    await booth.get_by_test_id("route-resident_records").click()
    await agent.get_by_test_id("offer-accept").click(timeout=WAIT_MS)
    await agent.get_by_test_id("interpreter-invite").click()
    rai = agent.locator("li.interpreter-option", has_text="rai さん").get_by_test_id("interpreter-option")
    await rai.click(timeout=WAIT_MS)
    await expect(booth.get_by_test_id("interpreter-note")).to_have_text(NE["media.interpreter.called"], timeout=WAIT_MS)


async def test_the_invitee_declines_and_the_agent_and_the_kiosk_are_told(server: LiveServer, browser: Browser) -> None:
    """ことわる sent nothing: the kiosk said 「よんでいます」 until the call ended, the agent waited for nobody."""
    pages = [
        await new_page(browser, {"width": 1080, "height": 1920}),
        await new_page(browser, {"width": 1366, "height": 768}),
        await new_page(browser, {"width": 1366, "height": 768}),
    ]
    (_, booth, _), (_, agent, _), (_, guest, _) = pages
    try:
        await call_in_rai(server, pages)
        await expect(guest.get_by_test_id("interpreter-invited")).to_be_visible(timeout=WAIT_MS)
        await guest.get_by_test_id("interpreter-dismiss").click()
        await expect(guest.get_by_test_id("interpreter-invited")).to_be_hidden()
        status = agent.get_by_test_id("interpreter-status")
        await expect(status).to_have_attribute("data-state", "declined", timeout=WAIT_MS)
        await expect(status).to_have_text(JA["console.interpreter.declined"].format(name="rai さん"))
        await expect(booth.get_by_test_id("interpreter-note")).to_be_hidden(timeout=WAIT_MS)
        await shot(agent, "interpreter-declined-1366x768")
        await shot(booth, "interpreter-declined-kiosk-1080x1920")
    finally:
        for context, _, _ in pages:
            await context.close()


async def test_the_kiosk_stops_saying_an_interpreter_is_called_when_the_invitation_runs_out(
    tmp_path: Path, browser: Browser
) -> None:
    """The note ignored ``expires_at``: nobody came and the kiosk went on saying one was being called. The server's
    clock runs 292 s behind here, so its 300 s invitation runs out 8 s from now as the kiosk's clock sees it."""
    lag = 292.0
    async with serve(settings_for_tests(tmp_path, interpreter_after_s=300.0), clock=lambda: time.time() - lag) as live:
        pages = [
            await new_page(browser, {"width": 1080, "height": 1920}),
            await new_page(browser, {"width": 1366, "height": 768}),
            await new_page(browser, {"width": 1366, "height": 768}),
        ]
        (_, booth, _), _, _ = pages
        try:
            await call_in_rai(live, pages)
            await expect(booth.get_by_test_id("interpreter-note")).to_be_hidden(timeout=20_000)
        finally:
            for context, _, _ in pages:
                await context.close()


async def test_with_two_asked_one_declining_leaves_the_other_invitation_said_on_every_side(
    server: LiveServer, browser: Browser
) -> None:
    """Two invitations out, one ことわる cleared the kiosk's 「よんでいます」 for both and the console's state said
    only the last one. Each is followed apart now: the kiosk keeps saying one is being called, and the console
    says rai declined and gurung is still asked, each by name."""
    pages = [
        await new_page(browser, {"width": 1080, "height": 1920}),
        await new_page(browser, {"width": 1366, "height": 768}),
        await new_page(browser, {"width": 1366, "height": 768}),
        await new_page(browser, {"width": 390, "height": 844}),
    ]
    (_, booth, _), (_, agent, _), (_, guest, _), (_, other, _) = pages
    try:
        await server.add_agent("gurung", "gurung-password-1", languages=("ne",))
        await login(other, server, "gurung", "gurung-password-1")
        await call_in_rai(server, pages[:3])
        await agent.get_by_test_id("interpreter-invite").click()
        gurung = agent.locator("li.interpreter-option", has_text="gurung さん").get_by_test_id("interpreter-option")
        await gurung.click(timeout=WAIT_MS)
        await expect(other.get_by_test_id("interpreter-invited")).to_be_visible(timeout=WAIT_MS)
        await expect(guest.get_by_test_id("interpreter-invited")).to_be_visible(timeout=WAIT_MS)
        await guest.get_by_test_id("interpreter-dismiss").click()
        status = agent.get_by_test_id("interpreter-status")
        await expect(status).to_contain_text(
            JA["console.interpreter.declined"].format(name="rai さん"), timeout=WAIT_MS
        )
        await expect(status).to_contain_text(JA["console.interpreter.invited"].format(name="gurung さん"))
        note = booth.get_by_test_id("interpreter-note")
        await booth.wait_for_timeout(1000)  # the decline has reached the kiosk too (the console said it)
        await expect(note).to_have_text(NE["media.interpreter.called"])  # gurung is still being asked
        await shot(agent, "interpreter-two-asked-one-declined-1366x768")
        await shot(booth, "interpreter-two-asked-one-declined-kiosk-1080x1920")
        await other.get_by_test_id("interpreter-join").click()
        await expect(note).to_have_text(NE["media.interpreter.joined"], timeout=WAIT_MS)
        await expect(status).to_contain_text(JA["console.interpreter.joined"].format(name="gurung さん"))
    finally:
        for context, _, _ in pages:
            await context.close()


async def transfer_to_tax(agent: Page) -> None:
    await agent.get_by_test_id("transfer").click()
    await agent.get_by_test_id("transfer-route").select_option("tax")
    await agent.get_by_test_id("transfer-submit").click()


@pytest.mark.parametrize(
    "desk", [{"width": 1920, "height": 1080}, {"width": 1366, "height": 768}, {"width": 390, "height": 844}]
)
async def test_a_transfer_withdraws_the_invitation_on_the_invitees_console_and_the_kiosk(
    server: LiveServer, browser: Browser, desk: dict[str, int]
) -> None:
    """Session 13's outside attack: the invitation outlived a transfer and its invitee joined the next agent's call
    in another department. Now 参加する goes from the invitee's console with a sentence saying why, and the kiosk
    stops saying an interpreter is being called."""
    tag = f"{desk['width']}x{desk['height']}"
    pages = [
        await new_page(browser, {"width": 1080, "height": 1920}),
        await new_page(browser, {"width": 1366, "height": 768}),
        await new_page(browser, desk),
    ]
    (_, booth, booth_problems), (_, agent, _), (_, guest, guest_problems) = pages
    try:
        await call_in_rai(server, pages)
        card = guest.get_by_test_id("interpreter-invited")
        await expect(card).to_be_visible(timeout=WAIT_MS)
        await transfer_to_tax(agent)
        await expect(card).to_be_hidden(timeout=WAIT_MS)
        banner = guest.get_by_test_id("message")
        await expect(banner).to_have_text(JA["console.interpreter.withdrawn_transfer"])
        await expect(booth.get_by_test_id("interpreter-note")).to_be_hidden(timeout=WAIT_MS)
        assert await guest.evaluate("document.documentElement.scrollWidth <= innerWidth")
        await shot(guest, f"interpreter-withdrawn-{tag}")
        await shot(booth, "interpreter-withdrawn-kiosk-1080x1920")
    finally:
        for context, _, _ in pages:
            await context.close()
    for problems in (booth_problems, guest_problems):
        assert not [p for p in problems if "favicon" not in p], problems


async def test_a_joined_interpreter_is_told_the_case_went_to_another_desk(server: LiveServer, browser: Browser) -> None:
    pages = [
        await new_page(browser, {"width": 1080, "height": 1920}),
        await new_page(browser, {"width": 1366, "height": 768}),
        await new_page(browser, {"width": 1366, "height": 768}),
    ]
    (_, booth, _), (_, agent, _), (_, guest, _) = pages
    try:
        await call_in_rai(server, pages)
        await guest.get_by_test_id("interpreter-join").click(timeout=WAIT_MS)
        note = booth.get_by_test_id("interpreter-note")
        await expect(note).to_have_text(NE["media.interpreter.joined"], timeout=WAIT_MS)
        await transfer_to_tax(agent)
        await expect(guest.get_by_test_id("interpreter-invited")).to_be_hidden(timeout=WAIT_MS)
        await expect(guest.get_by_test_id("message")).to_have_text(JA["console.interpreter.transferred"])
        await expect(note).to_be_hidden(timeout=WAIT_MS)
        await shot(guest, "interpreter-transferred-1366x768")
    finally:
        for context, _, _ in pages:
            await context.close()
