"""A booth whose way out is narrowed to one TURN transport calls a console through coturn: the set-up and the checks
test_udp_blocked.py and test_turn_tls.py share.

The booth is real Chromium inside the test's network namespace (an ``ip netns exec`` wrapper as Playwright's
executable) with nftables dropping every UDP datagram both ways, and with ``close_plain_tcp`` TCP to coturn's plain
port too. The console is Chromium on the host. Server and coturn listen on the host end of the veth pair, and the
server hands out ``transports`` (the same MADOGUCHI_TURN_URLS every booth gets): the booth has to find the one that
still gets out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import async_playwright

from tests.browser.chromium import CHROMIUM, CHROMIUM_PRESENT
from tests.links.calls import CallTimes, Window, call_pages, launch, measure, place_call, stats
from tests.links.coturn import run_coturn, spki_hash
from tests.links.netns import BoothNetwork
from tests.support import make_settings, serve


@dataclass(frozen=True)
class RelayedCall:
    times: CallTimes
    booth_stats: dict[str, Any]
    window: Window
    """The console's view of the call over 3 s."""
    turn_log: str


async def call_through_narrowed_link(
    tmp_path: Path, booth_net: BoothNetwork, *, transports: tuple[str, ...], close_plain_tcp: bool = False
) -> RelayedCall:
    """One call from a booth in ``booth_net`` with UDP dropped (and plain TURN over TCP, with ``close_plain_tcp``)
    to a console on the host, through a coturn whose URLs for ``transports`` the server hands out."""
    if not CHROMIUM_PRESENT:
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    subnet = f"{booth_net.host_ip}/30"
    with run_coturn(
        tmp_path / "coturn",
        listen=(booth_net.host_ip,),
        relay=booth_net.host_ip,
        allow_peers=(subnet,),
        tls="tls" in transports,
    ) as turn:
        booth_net.block_udp()
        if close_plain_tcp:
            booth_net.block_tcp_port(turn.port)
        # Chromium checks a TURN server's certificate as it checks a web site's: the booth trusts coturn's test key.
        trusted = () if turn.cert is None else (spki_hash(turn.cert),)
        settings = make_settings(tmp_path, turn_urls=turn.urls(*transports), turn_secret=turn.secret)
        async with serve(settings, host=booth_net.host_ip) as server, async_playwright() as playwright:
            booth_browser = await launch(
                playwright,
                executable=booth_net.wrapper(tmp_path, CHROMIUM),
                origins=(server.base_url,),
                trusted_keys=trusted,
            )
            agent_browser = await launch(playwright, origins=(server.base_url,))
            try:
                async with call_pages(server, booth_browser, agent_browser) as (booth, agent):
                    times = await place_call(booth, agent)
                    booth_stats = await stats(booth)
                    window = await measure(agent, 3.0)
            finally:
                await booth_browser.close()
                await agent_browser.close()
        return RelayedCall(times, booth_stats, window, turn.log_text())


def assert_relayed_over(
    call: RelayedCall, protocol: str, booth_net: BoothNetwork, record_property: pytest.RecordProperty
) -> float:
    """The booth's call went through a relay over ``protocol`` with good media; its connect time (ms from the
    accept), also recorded with the time to media both ways."""
    pair = call.booth_stats["pair"]
    assert pair is not None, (call.booth_stats, call.turn_log[-3000:])
    assert (pair["local"], pair["relayProtocol"]) == ("relay", protocol), pair
    assert booth_net.udp_dropped() > 0, "the booth never even tried UDP: the test did not test the block"
    window = call.window
    assert window.video_fps is not None and window.video_fps > 5, window
    assert window.concealment is not None and window.concealment < 0.2, window
    connect_ms = call.times.connect_ms["booth"]
    assert connect_ms is not None
    record_property("accept_to_media_ms", call.times.accept_to_media_ms)
    record_property("booth_connect_ms", connect_ms)
    return connect_ms
