"""A booth call whose console answers the booth's ringing offer too slowly for the accept to carry the answer.

The console waits at most 1 s (callscreen.js RINGING_ANSWER_WAIT_MS) for its answer to the booth's `ringing.offer`
before the accept leaves; on a loaded machine the answer can take longer. The accept then goes without it, the
booth's `call.start` has no answer, and the booth sends its offer again as a signal. That offer must be answered:
it used to reach the console while the ringing answer was still being made, the console (impolite) took it for a
collision and ignored it, and the answer it finished was never sent — the booth said 「つないでいます」 for good
(CI, session 13: test_counter_ux's hang-up test, 1 run in about 10 under load).

Deterministic here: the console's first createAnswer() is held for 4 s, and accept is pressed only once the booth's
ringing offer is on the console's connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, expect

from tests.browser.chromium import WAIT_MS
from tests.browser.test_counter_ux import KIOSK_VIEWPORT, booth_and_console
from tests.support import LiveServer, serve
from tests.support import make_settings as settings_for_tests

pytestmark = pytest.mark.browser

# longer than the accept's wait (1 s) and than the booth's offer takes to come back after call.start
FIRST_ANSWER_HELD_MS = 4000

SLOW_FIRST_ANSWER = """
(() => {
  window.__remoteOffers = 0;
  const setRemote = RTCPeerConnection.prototype.setRemoteDescription;
  RTCPeerConnection.prototype.setRemoteDescription = function (description) {
    if (description && description.type === "offer") window.__remoteOffers += 1;
    return setRemote.call(this, description);
  };
  let held = false;
  const createAnswer = RTCPeerConnection.prototype.createAnswer;
  RTCPeerConnection.prototype.createAnswer = function (...args) {
    if (held) return createAnswer.apply(this, args);
    held = true;
    return new Promise((resolve) => setTimeout(resolve, %d)).then(() => createAnswer.apply(this, args));
  };
})();
"""


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with serve(settings_for_tests(tmp_path)) as live:
        yield live


async def test_an_accept_that_left_without_the_ringing_answer_still_connects(
    server: LiveServer, browser: Browser
) -> None:
    async with booth_and_console(server, browser, KIOSK_VIEWPORT) as (booth, agent):
        steps: list[str] = []

        def keep(message: ConsoleMessage) -> None:
            if message.text.startswith("call:"):
                steps.append(message.text)

        agent.on("console", keep)
        await agent.add_init_script(SLOW_FIRST_ANSWER % FIRST_ANSWER_HELD_MS)
        await agent.reload()
        await agent.get_by_test_id("status-available").click()

        await booth.get_by_test_id("route-tax").click()
        await expect(agent.get_by_test_id("offer-accept")).to_be_visible(timeout=WAIT_MS)
        # the booth's ringing offer is on the console's connection; its answer is being made (held)
        await agent.wait_for_function("() => window.__remoteOffers > 0", timeout=WAIT_MS)
        await agent.get_by_test_id("offer-accept").click()

        await expect(booth.get_by_test_id("end-call")).to_be_visible(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("call-notice")).to_be_hidden(timeout=WAIT_MS)
        await expect(agent.get_by_test_id("call-notice")).to_be_hidden(timeout=WAIT_MS)
        await expect(booth.get_by_test_id("remote-video")).to_have_attribute("data-connection", "connected")
        # the race this test is for: the accept went without the answer, and the booth's offer came again
        assert not [s for s in steps if s.startswith("call: the accept carries")], steps
        assert [s for s in steps if s.startswith("call: signal: offer")], steps
