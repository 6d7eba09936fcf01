"""The network an address belongs to, for limits that one allocation must not get around by using many addresses.

A per-address limit counts an IPv6 client by its /64 (``ui.address_key``), the block one home or phone is given;
but one allocation (a hosting provider's, some homes' and offices' IPv6 prefix) is a /48 holding 65,536 of those.
So the limits that must hold against one allocation also count the network: an IPv4 address's /24, an IPv6
address's (or /64's) /48. Moved here from ``booking_desk.guesses`` (session 13) so the counter's chat pool counts
the same networks.
"""

from __future__ import annotations

import ipaddress
from typing import Final

IPV4_NETWORK: Final = 24
IPV6_NETWORK: Final = 48


def network_of(source: str) -> str:
    """The network a source also counts against: an IPv4 address's /24, an IPv6 address's (or /64's) /48; any
    other source (a booth) is its own network."""
    try:
        network = ipaddress.ip_network(source, strict=False)
    except ValueError:
        return source
    prefix = IPV4_NETWORK if network.version == 4 else IPV6_NETWORK
    return str(network.supernet(new_prefix=prefix)) if network.prefixlen > prefix else str(network)


def ipv6_network_of(source: str) -> str | None:
    """:func:`network_of` for an IPv6 source (an address or its /64), else ``None``: an IPv4 /24 is no one
    allocation (a carrier-NAT pool's homes share it)."""
    try:
        network = ipaddress.ip_network(source, strict=False)
    except ValueError:
        return None
    return network_of(source) if network.version == 6 else None
