"""The step-down ladder on a capped link: a booth at 128 kbit/s steps down to small video or voice, at 48 kbit/s to
voice (or chat), back up to video when the cap is lifted, and the agent's 「声だけに する」 puts both sides on voice,
its 「文字だけに する」 on writing only (the kiosk offering a call back), 「映像に もどす」 back on video.

The booth is real Chromium in a network namespace whose veth link is capped by ``tc tbf`` both ways; the console is
Chromium on the host. Both screens are read through their ``media-mode`` and ``link-quality`` elements only: they
must say the same thing. One call goes through every phase (about two minutes), nobody clicks except the agent's
force buttons.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from tests.browser.chromium import CHROMIUM, CHROMIUM_PRESENT
from tests.links.calls import WAIT_MS, call_pages, launch, modes, place_call, wait_mode
from tests.links.netns import BoothNetwork
from tests.support import make_settings, serve

pytestmark = [pytest.mark.links, pytest.mark.browser]

DOWN_WITHIN_S = 35.0
UP_WITHIN_S = 75.0


async def test_the_ladder_steps_down_on_a_capped_link_and_back_up_and_the_agent_can_force_voice(
    tmp_path: Path, booth_net: BoothNetwork, record_property: pytest.RecordProperty
) -> None:
    if not CHROMIUM_PRESENT:
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    # The production grace period: a starved link may drop the signaling socket for a while too.
    settings = make_settings(tmp_path, grace_period_s=30.0)
    took: dict[str, float | None] = {}
    async with serve(settings, host=booth_net.host_ip) as server, async_playwright() as playwright:
        booth_browser = await launch(
            playwright, executable=booth_net.wrapper(tmp_path, CHROMIUM), origins=(server.base_url,)
        )
        agent_browser = await launch(playwright, origins=(server.base_url,))
        try:
            async with call_pages(server, booth_browser, agent_browser) as (booth, agent):
                pages = {"booth": booth, "agent": agent}
                times = await place_call(booth, agent)
                assert times.accept_to_media_ms is not None, times
                for page in pages.values():
                    assert await modes(page) == ("video", "good")

                booth_net.cap_rate(128)
                took["128"] = await wait_mode(pages, {"low-video", "audio"}, DOWN_WITHIN_S)
                assert took["128"] is not None, [await modes(p) for p in pages.values()]
                for page in pages.values():
                    assert (await modes(page))[1] in {"weak", "bad"}

                booth_net.cap_rate(48)
                took["48"] = await wait_mode(pages, {"audio", "chat"}, DOWN_WITHIN_S)
                assert took["48"] is not None, [await modes(p) for p in pages.values()]
                await expect(booth.get_by_test_id("media-mode")).to_contain_text("弱いため")

                booth_net.uncap()
                took["lifted"] = await wait_mode(pages, {"video"}, UP_WITHIN_S)
                assert took["lifted"] is not None, [await modes(p) for p in pages.values()]
                for page in pages.values():
                    await expect(page.get_by_test_id("link-quality")).to_have_attribute("data-state", "good")

                force = agent.get_by_test_id("force-audio-only")
                await force.click()
                await expect(force).to_have_attribute("aria-pressed", "true")
                took["forced"] = await wait_mode(pages, {"audio"}, 10.0)
                assert took["forced"] is not None, [await modes(p) for p in pages.values()]
                mode = booth.get_by_test_id("media-mode")
                await expect(mode).to_have_attribute("data-forced", "true")
                await expect(mode).to_have_text("いまは 声だけで お話ししています")
                await expect(booth.get_by_test_id("link-quality")).to_have_attribute("data-state", "good")
                # from voice straight to writing only: the kiosk offers a call back, the console says to offer it
                text_only = agent.get_by_test_id("force-chat")
                await text_only.click()
                await expect(text_only).to_have_attribute("aria-pressed", "true")
                await expect(force).to_have_attribute("aria-pressed", "false")
                took["forced chat"] = await wait_mode(pages, {"chat"}, 10.0)
                assert took["forced chat"] is not None, [await modes(p) for p in pages.values()]
                await expect(mode).to_have_attribute("data-forced", "true")
                await expect(mode).to_contain_text("いまは 文字で お話ししています。お電話で 折り返すことも")
                await expect(agent.get_by_test_id("media-mode")).to_contain_text("折り返しを おすすめして")
                await text_only.click()
                took["released"] = await wait_mode(pages, {"video"}, 10.0)
                assert took["released"] is not None, [await modes(p) for p in pages.values()]
                await expect(booth.get_by_test_id("remote-video")).to_have_attribute(
                    "data-connection", "connected", timeout=WAIT_MS
                )
        finally:
            await booth_browser.close()
            await agent_browser.close()

    record_property("ladder_seconds", took)
    print(f"\nladder: seconds to reach each phase's step on both screens: {took}")
