"""A booth whose network lets out only TLS (no UDP, no plain TURN over TCP) gets its call through TURN over TLS
(``turns:``), in real Chromium, with the same MADOGUCHI_TURN_URLS every booth gets (UDP, TCP and TLS).

Chromium checks a TURN server's certificate as it checks a web site's: chain to a trusted root and the name in the
``turns:`` URL (here an IP address, so an IP SAN). The test's coturn has a throwaway self-signed certificate, so
the booth's Chromium is told to trust exactly that key (``--ignore-certificate-errors-spki-list``, a flag of the
test browser, nothing in the product); without it the TLS allocation fails and so does the call (see
docs/deployment.md, "TLS on 443"). The console is Chromium on the host, where UDP is open.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.links.netns import BoothNetwork
from tests.links.relayed import assert_relayed_over, call_through_narrowed_link

pytestmark = [pytest.mark.links, pytest.mark.browser]


async def test_a_booth_that_only_gets_tls_out_connects_through_turn_over_tls(
    tmp_path: Path, booth_net: BoothNetwork, record_property: pytest.RecordProperty
) -> None:
    # plain TURN over TCP is closed too: only the TLS port is left
    call = await call_through_narrowed_link(tmp_path, booth_net, transports=("udp", "tcp", "tls"), close_plain_tcp=True)

    connect_ms = assert_relayed_over(call, "tls", booth_net, record_property)
    print(
        f"\nonly TLS out, TURN/TLS: booth connected {connect_ms} ms after accept;"
        f" media both ways {call.times.accept_to_media_ms} ms"
    )
