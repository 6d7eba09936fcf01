"""A booth whose network drops every UDP datagram still gets its call, through TURN over TCP, with no setting
changed: the same MADOGUCHI_TURN_URLS (UDP and TCP) every booth gets.

The booth is real Chromium running inside a network namespace (``ip netns exec`` wrapper as Playwright's
executable) whose only link is a veth pair to this host, with nftables dropping UDP both ways; the console is
Chromium on the host. Server and coturn listen on the host end of the veth pair.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from tests.browser.chromium import CHROMIUM, CHROMIUM_PRESENT
from tests.links.calls import call_pages, launch, measure, place_call, stats
from tests.links.coturn import run_coturn
from tests.links.netns import BoothNetwork
from tests.support import make_settings, serve

pytestmark = [pytest.mark.links, pytest.mark.browser]


async def test_a_booth_with_udp_blocked_connects_through_turn_over_tcp(
    tmp_path: Path, booth_net: BoothNetwork, record_property: pytest.RecordProperty
) -> None:
    if not CHROMIUM_PRESENT:
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    booth_net.block_udp()
    subnet = f"{booth_net.host_ip}/30"
    with run_coturn(
        tmp_path / "coturn", listen=(booth_net.host_ip,), relay=booth_net.host_ip, allow_peers=(subnet,)
    ) as turn:
        settings = make_settings(tmp_path, turn_urls=turn.urls("udp", "tcp"), turn_secret=turn.secret)
        async with serve(settings, host=booth_net.host_ip) as server, async_playwright() as playwright:
            wrapper = booth_net.wrapper(tmp_path, CHROMIUM)
            booth_browser = await launch(playwright, executable=wrapper, origins=(server.base_url,))
            agent_browser = await launch(playwright, origins=(server.base_url,))
            try:
                async with call_pages(server, booth_browser, agent_browser) as (booth, agent):
                    times = await place_call(booth, agent)
                    booth_stats = await stats(booth)
                    window = await measure(agent, 3.0)
            finally:
                await booth_browser.close()
                await agent_browser.close()

    pair = booth_stats["pair"]
    assert pair is not None, booth_stats
    assert (pair["local"], pair["relayProtocol"]) == ("relay", "tcp"), pair
    assert booth_net.udp_dropped() > 0, "the booth never even tried UDP: the test did not test the block"
    assert window.video_fps is not None and window.video_fps > 5, window
    assert window.concealment is not None and window.concealment < 0.2, window
    connect_ms = times.connect_ms["booth"]
    assert connect_ms is not None
    record_property("accept_to_media_ms", times.accept_to_media_ms)
    record_property("booth_connect_ms", connect_ms)
    print(
        f"\nUDP blocked, TURN/TCP: booth connected {connect_ms} ms after accept;"
        f" media both ways {times.accept_to_media_ms} ms"
    )
