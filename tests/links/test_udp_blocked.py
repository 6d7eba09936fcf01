"""A booth whose network drops every UDP datagram still gets its call, through TURN over TCP, with no setting
changed: the same MADOGUCHI_TURN_URLS (UDP and TCP) every booth gets.

The booth is real Chromium running inside a network namespace (``ip netns exec`` wrapper as Playwright's
executable) whose only link is a veth pair to this host, with nftables dropping UDP both ways; the console is
Chromium on the host. Server and coturn listen on the host end of the veth pair.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.links.netns import BoothNetwork
from tests.links.relayed import assert_relayed_over, call_through_narrowed_link

pytestmark = [pytest.mark.links, pytest.mark.browser]


async def test_a_booth_with_udp_blocked_connects_through_turn_over_tcp(
    tmp_path: Path, booth_net: BoothNetwork, record_property: pytest.RecordProperty
) -> None:
    call = await call_through_narrowed_link(tmp_path, booth_net, transports=("udp", "tcp"))

    connect_ms = assert_relayed_over(call, "tcp", booth_net, record_property)
    print(
        f"\nUDP blocked, TURN/TCP: booth connected {connect_ms} ms after accept;"
        f" media both ways {call.times.accept_to_media_ms} ms"
    )
