"""What an outside tester found on the booth's kiosk in session 12 (ux12), in real Chromium at the kiosk's sizes:

1. a self-test finding: the header's pill's words at 24 px and its touch area 64 px tall; a long press opens the
   check's own words (no tooltip: a touch screen never shows one) and 「もう一度 点検する」, large; nothing of a
   resident in it. A finding is never called ready (ux13 had it say 「準備できています」; ux14 found that green over
   the clerk's 「音を 確かめてください」) nor a diagnostic a resident can do nothing about (ux16 dropped ux14's
   「確認が 必要です」): 「役場と つながっています」 with the clerk's yellow dot, and a resident's tap opens nothing;
2. a typed question on an ordinary-Japanese page is answered with the knowledge-base entry's own text (the spaced
   words of a kiosk keyboard made it easy Japanese, rendered by machine); on an easy-Japanese page the rendering,
   with no phrase said twice;
3. the call's chat on a landscape kiosk has room: four lines whole at 1366×768, the newest in view also when the
   log's box changes;
4. the number keys' 「ぜんぶ 消す」 and 「1つ 消す」 at least 24 px, as large keys, whole, in every language.
Screenshots in test-artifacts/ (ux12-*)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.ui import SUPPORTED_LANGUAGES
from tests.browser.chromium import CLERK_HOLD_MS, SIZES, WAIT_MS, new_page, shot
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

KIOSK_SIZES = {tag: size for tag, size in SIZES.items() if tag != "phone"}
SET_LANGUAGE_JS = "(code) => import('/static/js/i18n.js').then((m) => m.setLanguage(code))"

# The self-test finds something to look at whatever the machine: no loudspeaker, and the echo call's tone never
# counted as back (as on the tester's booth: 「音が 戻ってきませんでした」).
FINDING_JS = """
(() => {
  const enumerate = navigator.mediaDevices.enumerateDevices.bind(navigator.mediaDevices);
  navigator.mediaDevices.enumerateDevices = async () => (await enumerate()).filter((d) => d.kind !== 'audiooutput');
  const stats = RTCPeerConnection.prototype.getStats;
  RTCPeerConnection.prototype.getStats = async function (...args) {
    const report = await stats.apply(this, args);
    const kept = new Map();
    report.forEach((r, id) => { if (!(r.type === 'inbound-rtp' && r.kind === 'audio')) kept.set(id, r); });
    return kept;
  };
})();
"""

# The pill and the panel as a finger and an old eye meet them.
PILL_JS = r"""() => {
  const pill = document.querySelector('[data-testid="connection-status"]');
  const r = pill.getBoundingClientRect();
  const cx = r.left + r.width / 2;
  const cy = r.top + r.height / 2;
  // the touch area: what a finger 32 px above or below the pill's middle hits
  const hits = [cy - 31.5, cy + 31.5].map((y) => {
    const el = document.elementFromPoint(cx, y);
    return Boolean(el && pill.contains(el));
  });
  const textSize = parseFloat(getComputedStyle(document.getElementById('conn-text')).fontSize);
  const titled = [...document.querySelectorAll('#connection-status, #connection-status *, #check-panel *')]
    .filter((el) => el.title).map((el) => el.id || el.className);
  const header = document.querySelector('header').getBoundingClientRect();
  return { text: document.getElementById('conn-text').textContent, textSize, hits, titled,
           tag: pill.tagName.toLowerCase(), top: r.top, bottom: r.bottom, headerBottom: header.bottom };
}"""

PANEL_JS = r"""() => {
  const panel = document.querySelector('[data-testid="check-panel"]');
  const shown = (el) => el && !el.hidden && el.getClientRects().length > 0;
  const small = [];
  for (const el of panel.querySelectorAll('h2, p, li, button')) {
    if (!shown(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 24) small.push(`${el.id || el.tagName} ${size} px`);
    if (el.tagName === 'BUTTON' && el.getBoundingClientRect().height < 64) {
      small.push(`${el.id} ${Math.round(el.getBoundingClientRect().height)} px tall`);
    }
    const r = el.getBoundingClientRect();
    if (r.bottom > innerHeight || r.top < 0 || r.right > innerWidth) small.push(`${el.id || el.tagName} off screen`);
    if (el.scrollWidth > el.clientWidth + 1) small.push(`${el.id || el.tagName} cut`);
  }
  return { shown: shown(panel), small, text: panel.innerText };
}"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        yield live


async def open_kiosk(server: LiveServer, browser: Browser, viewport: dict[str, int]) -> tuple[object, Page, list[str]]:
    _, _, kiosk_path = await server.add_booth("汐見郵便局ブース", location="汐見郵便局")
    context, page, errors = await new_page(browser, viewport)
    await page.add_init_script(FINDING_JS)
    await page.goto(server.base_url + kiosk_path)
    await expect(page.get_by_test_id("start-consultation")).to_be_enabled(timeout=WAIT_MS)
    return context, page, errors


async def test_a_self_test_finding_is_the_clerks_and_its_words_open_on_a_long_press(
    server: LiveServer, browser: Browser
) -> None:
    context, page, errors = await open_kiosk(server, browser, KIOSK_SIZES["wide"])
    problems: list[str] = []
    try:
        status = page.get_by_test_id("self-test-status")
        await expect(status).to_have_attribute("data-state", "warn", timeout=2 * WAIT_MS)  # camera, echo call
        pill = page.get_by_test_id("connection-status")
        await expect(pill).to_have_attribute("data-check", "warn")
        # a finding is never called ready (ux14) nor a staff diagnostic (ux16): connected, yellow, nothing to tap
        await expect(pill).to_have_text("役場と つながっています")
        await expect(pill).to_have_attribute("data-tone", "warn")
        await shot(page, "ux13-warn-pill-ja-wide")
        panel = page.get_by_test_id("check-panel")
        await pill.click()  # a resident's tap
        await page.wait_for_timeout(300)
        await expect(panel).to_be_hidden()
        await pill.click(delay=CLERK_HOLD_MS)  # the clerk's long press
        await expect(panel).to_be_visible()
        await expect(status).to_be_visible()
        await expect(status).to_contain_text("スピーカー")
        await expect(status).to_contain_text("確かめてください")
        if await status.get_attribute("data-echo") == "connected":  # the echo call connected, its tone not back
            await expect(page.get_by_test_id("self-test-details")).to_contain_text("音が 戻ってきませんでした")
            # the headline names the part that failed, the sound — not the network (ux14)
            await expect(status).to_contain_text("スピーカー・音を 確かめてください")
            await expect(status).not_to_contain_text("通信")
        await expect(page.get_by_test_id("check-rerun")).to_be_visible()
        await page.get_by_test_id("check-close").click()
        await expect(panel).to_be_hidden()
        for tag, viewport in KIOSK_SIZES.items():
            await page.set_viewport_size(viewport)
            for code in ("ja", "en", "ne", *[c for c in SUPPORTED_LANGUAGES if c not in ("ja", "en", "ne")]):
                await page.evaluate(SET_LANGUAGE_JS, code)
                await page.wait_for_timeout(40)
                seen = await page.evaluate(PILL_JS)
                where = f"{tag} {code}"
                if seen["tag"] != "button" or not all(seen["hits"]):
                    problems.append(f"{where}: the pill is no 64 px touch target {seen}")
                if seen["textSize"] < 24:
                    problems.append(f"{where}: the pill's words are {seen['textSize']} px")
                if seen["titled"]:
                    problems.append(f"{where}: a tooltip (title) a touch screen never shows: {seen['titled']}")
                await pill.click(delay=CLERK_HOLD_MS)
                await expect(panel).to_be_visible()
                opened = await page.evaluate(PANEL_JS)
                problems += [f"{where}: check panel {p}" for p in opened["small"]]
                if code in ("ja", "en", "ne"):
                    await shot(page, f"ux12-check-panel-{code}-{tag}")
                await page.get_by_test_id("check-close").click()
                await expect(panel).to_be_hidden()
                if code in ("ja", "en", "ne"):
                    await shot(page, f"ux12-check-pill-{code}-{tag}")
        await page.evaluate(SET_LANGUAGE_JS, "ja")
        # the clerk checks again from the panel
        await pill.click(delay=CLERK_HOLD_MS)
        await page.get_by_test_id("check-rerun").click()
        await expect(status).to_have_attribute("data-running", "true")
        await expect(status).not_to_have_attribute("data-running", "true", timeout=2 * WAIT_MS)
        await expect(status).to_have_attribute("data-state", "warn")
        await page.get_by_test_id("check-close").click()
        # during a consultation the panel says when it can be checked again, instead of the button
        await page.get_by_test_id("start-consultation").click()
        await expect(pill).to_have_text("役場と つながっています")  # on the resident's screens too (ux14)
        await pill.click(delay=CLERK_HOLD_MS)
        await expect(page.get_by_test_id("check-rerun")).to_be_hidden()
        await expect(page.locator("#check-later")).to_be_visible()
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors


def juminhyo_answer() -> str:
    entry = next(e for e in load_knowledge_base(bundled_kb_dir()).entries if e.id == "juminhyo-copy")
    return entry.answer.ja


# Where 「証明書は」 is drawn: at the start of a line it reads as standing alone (every copy posted?)
STARTS_A_LINE_JS = r"""() => {
  const answer = document.querySelector('[data-testid="question-answer"]');
  const walker = document.createTreeWalker(answer, NodeFilter.SHOW_TEXT);
  const node = walker.nextNode();
  const at = node.textContent.indexOf('証明書は');
  const range = document.createRange();
  range.setStart(node, at);
  range.setEnd(node, at + 1);
  const left = answer.getBoundingClientRect().left + parseFloat(getComputedStyle(answer).paddingLeft);
  return range.getBoundingClientRect().left < left + 30;
}"""

# as the tester typed it: a kiosk keyboard's spaces between the words
SPACED_QUESTION = "住民票を とりたいのですが、どうすれば いいですか"


async def test_ordinary_japanese_shows_the_entrys_own_text(server: LiveServer, browser: Browser) -> None:
    context, page, errors = await open_kiosk(server, browser, KIOSK_SIZES["portrait"])
    try:
        await page.get_by_test_id("start-consultation").click()
        await page.get_by_test_id("question-input").fill(SPACED_QUESTION)
        await page.get_by_test_id("question-submit").click()
        answer = page.get_by_test_id("question-answer")
        await expect(answer).to_be_visible(timeout=WAIT_MS)
        shown = (await answer.text_content() or "").strip()
        assert shown == juminhyo_answer().strip(), shown
        for tag, viewport in KIOSK_SIZES.items():
            await page.set_viewport_size(viewport)
            assert not await page.evaluate(STARTS_A_LINE_JS), tag
            await shot(page, f"ux12-answer-ja-{tag}")
        # easy Japanese when the resident chose it: the rendering, with no phrase said twice
        await page.set_viewport_size(KIOSK_SIZES["portrait"])
        await page.get_by_test_id("question-other-topics").click()
        await page.evaluate(SET_LANGUAGE_JS, "easy-ja")
        await page.get_by_test_id("question-input").fill(SPACED_QUESTION)
        await page.get_by_test_id("question-submit").click()
        await expect(answer).to_be_visible(timeout=WAIT_MS)
        easy = (await answer.text_content() or "").strip()
        assert easy != shown and "もうしこめます" in easy, easy
        assert easy.count("マイナンバーカード") == juminhyo_answer().count("マイナンバーカード"), easy
        assert "証明書は 郵便でお届けします" not in easy.splitlines(), easy  # beside the remote counters
        for tag, viewport in KIOSK_SIZES.items():
            await page.set_viewport_size(viewport)
            assert not await page.evaluate(STARTS_A_LINE_JS), tag  # nor drawn at the start of a line
            await shot(page, f"ux12-answer-easy-ja-{tag}")
    finally:
        await context.close()
    assert not errors, errors


# The call screen as booth.js shows it, with the chat lines as chat.js draws them: the agent's long first line,
# then three more. What is measured is the layout (kiosk.css) and the log's keeping its newest line in view.
CALL_JS = r"""() => {
  document.body.dataset.screen = 'call';
  for (const s of document.querySelectorAll('section[data-screen]')) s.hidden = s.dataset.screen !== 'call';
  const log = document.getElementById('chat-log');
  const said = [
    ['agent', '担当の 佐藤です。\n本人確認書類は\nお持ちですか？'], ['resident', 'はい、保険証があります'],
    ['agent', 'ありがとうございます。\nカメラに 見せてください'], ['resident', 'これで いいですか'],
  ];
  said.forEach(([sender, text], n) => {
    const li = document.createElement('li');
    li.className = sender === 'resident' ? 'chat-line mine' : 'chat-line';
    li.dataset.sender = sender;
    li.dataset.seq = String(n + 1);
    const who = document.createElement('span');
    who.className = 'chat-sender';
    who.textContent = sender === 'resident' ? 'あなた' : '職員';
    const body = document.createElement('span');
    body.className = 'chat-text';
    body.textContent = text;
    const time = document.createElement('time');
    time.className = 'chat-time';
    time.dataset.time = '20:54';
    li.append(who, body, time);
    log.append(li);
  });
  log.scrollTop = log.scrollHeight;
}"""
CHAT_SEEN_JS = r"""() => {
  const log = document.getElementById('chat-log').getBoundingClientRect();
  const lines = [...document.querySelectorAll('#chat-log li')].map((li) => {
    const r = li.getBoundingClientRect();
    return r.top >= log.top - 1 && r.bottom <= log.bottom + 1;
  });
  const video = document.querySelector('.screen-call .video-stage').getBoundingClientRect();
  return { whole: lines.filter(Boolean).length, newest: lines[lines.length - 1], logHeight: Math.round(log.height),
           videoHeight: Math.round(video.height) };
}"""


async def test_the_calls_chat_has_room_on_a_landscape_kiosk(server: LiveServer, browser: Browser) -> None:
    context, page, errors = await open_kiosk(server, browser, KIOSK_SIZES["wide"])
    problems: list[str] = []
    try:
        await page.evaluate(CALL_JS)
        for tag, viewport in KIOSK_SIZES.items():
            await page.set_viewport_size(viewport)
            for code in ("ja", "en", "ne"):
                await page.evaluate(SET_LANGUAGE_JS, code)
                await page.wait_for_timeout(60)
                seen = await page.evaluate(CHAT_SEEN_JS)
                if tag != "portrait" and seen["whole"] < 4:
                    problems.append(f"{tag} {code}: {seen['whole']} of 4 chat lines whole ({seen})")
                if not seen["newest"]:
                    problems.append(f"{tag} {code}: the newest chat line is not whole ({seen})")
                if seen["videoHeight"] < 240:
                    problems.append(f"{tag} {code}: the picture is {seen['videoHeight']} px tall")
                await shot(page, f"ux12-call-chat-{code}-{tag}")
        # the log's box shrinks (the 'your microphone is off' notice takes room in portrait): the newest stays whole
        await page.evaluate(SET_LANGUAGE_JS, "ja")
        await page.set_viewport_size(KIOSK_SIZES["portrait"])
        await page.wait_for_timeout(60)
        await page.evaluate("() => { document.getElementById('self-muted').hidden = false; }")
        await page.wait_for_timeout(100)
        seen = await page.evaluate(CHAT_SEEN_JS)
        if not seen["newest"]:
            problems.append(f"portrait, a notice took room: the newest chat line is not whole ({seen})")
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors


EDIT_KEYS_JS = r"""() => [...document.querySelectorAll('.numpad-edit')].filter((k) => k.offsetParent).map((k) => {
  const r = k.getBoundingClientRect();
  return { text: k.textContent.trim(), size: parseFloat(getComputedStyle(k).fontSize), height: Math.round(r.height),
           width: Math.round(r.width), cut: k.scrollWidth > k.clientWidth + 1 || k.scrollHeight > k.clientHeight + 1,
           digit: parseFloat(getComputedStyle(k.parentElement.querySelector('.numpad-key:not(.numpad-edit)')).fontSize),
  };
})"""


async def edit_key_problems(page: Page, screen: str) -> list[str]:
    problems = []
    for tag, viewport in KIOSK_SIZES.items():
        await page.set_viewport_size(viewport)
        for code in SUPPORTED_LANGUAGES:
            await page.evaluate(SET_LANGUAGE_JS, code)
            await page.wait_for_timeout(40)
            keys = await page.evaluate(EDIT_KEYS_JS)
            if len(keys) != 2:
                problems.append(f"{screen} {tag} {code}: {len(keys)} edit keys shown")
            for key in keys:
                if key["size"] < 24 or key["height"] < 64 or key["cut"]:
                    problems.append(f"{screen} {tag} {code}: {key}")
            if code in ("ja", "en", "ne"):
                await shot(page, f"ux12-{screen}-keys-{code}-{tag}")
    await page.evaluate(SET_LANGUAGE_JS, "ja")
    return problems


async def test_the_number_keys_edit_labels_are_as_readable_as_the_digits(server: LiveServer, browser: Browser) -> None:
    context, page, errors = await open_kiosk(server, browser, KIOSK_SIZES["wide"])
    problems: list[str] = []
    try:
        await page.get_by_test_id("checkin-start").click()
        problems += await edit_key_problems(page, "checkin")
        await page.get_by_test_id("checkin-back").click()
        await page.get_by_test_id("start-consultation").click()
        await page.get_by_test_id("route-tax").click()
        await expect(page.get_by_test_id("no-answer")).to_be_visible(timeout=WAIT_MS)  # nobody is on duty
        problems += await edit_key_problems(page, "callback")
    finally:
        await context.close()
    assert not problems, "\n".join(problems)
    assert not errors, errors
