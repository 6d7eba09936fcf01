"""coturn's configuration, derived from the same settings that issue the TURN credentials.

Madoguchi hands each participant of a call a TURN REST login (``MADOGUCHI_TURN_SECRET``, ``_URLS``, ``_TTL_S``;
see :class:`madoguchi.signaling.turn.TurnIssuer`). coturn accepts those logins only if it shares the secret
(``use-auth-secret`` + ``static-auth-secret``) and listens where the URLs point. Writing that file by hand is how
the two drift apart (a port changed in one place, the secret rotated in the other), so it is rendered from the
settings: the ports and transports come from the URLs, the secret from the secret, and everything a closed
municipal network needs (no public STUN, peers limited to the town's own ranges, no multicast, no loopback
unless asked) is written out explicitly rather than left to coturn's defaults.

Pure: no I/O, so the rules are checked by unit tests and by a real coturn in the integration tests.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

DEFAULT_PORTS = {"turn": 3478, "turns": 5349}
TRANSPORTS = {"turn": ("udp", "tcp"), "turns": ("tcp",)}
_URL = re.compile(
    r"^(?P<scheme>turns?):(?P<host>\[[0-9A-Fa-f:.]+\]|[^?:\[\]]+)(?::(?P<port>\d{1,5}))?(?:\?transport=(?P<transport>[a-z]+))?$"
)

# Ranges a TURN server must never relay to, whatever the network (RFC 6890 special-purpose blocks that no booth
# or console uses). Used when no allow-list is given.
ALWAYS_DENIED = (
    "0.0.0.0/8",
    "169.254.0.0/16",
    "192.0.0.0/24",
    "198.18.0.0/15",
    "240.0.0.0/4",
    "::/128",
    "fe80::/10",
    "64:ff9b::/96",
)
EVERYTHING = ("0.0.0.0/0", "::/0")

# Fixed lines: what each is for is the comment written beside it in the file.
FIXED_LINES: tuple[tuple[str, str], ...] = (
    ("use-auth-secret", "TURN REST API logins: user = '<expiry>:<consultation>.<role>', password = HMAC-SHA1"),
    ("fingerprint", "browsers expect FINGERPRINT on TURN messages"),
    ("no-cli", "no telnet admin interface"),
    ("no-multicast-peers", "never relay to multicast"),
    ("no-dtls", "browsers speak TURN over UDP, TCP and TLS, never DTLS"),
    ("no-rfc5780", "no NAT behaviour discovery: nothing outside needs it"),
    ("no-stun-backward-compatibility", "only RFC 5389 STUN"),
    ("response-origin-only-with-rfc5780", "no RESPONSE-ORIGIN leaking the listener addresses"),
    ("no-software-attribute", "do not announce the coturn version"),
    ("stale-nonce=600", "nonces expire after 10 minutes"),
)


class TurnConfigError(ValueError):
    """The settings or options cannot make a working coturn configuration; the message says why."""


@dataclass(frozen=True)
class TurnUrl:
    scheme: str
    host: str
    port: int
    transport: str


@dataclass(frozen=True)
class CoturnOptions:
    """What the settings do not say: where coturn listens and relays, and to whom it may relay."""

    realm: str | None = None
    listening_ips: tuple[str, ...] = ()
    relay_ips: tuple[str, ...] = ()
    external_ip: str | None = None
    allowed_peers: tuple[str, ...] = ()
    min_port: int = 49152
    max_port: int = 65535
    cert: str | None = None
    pkey: str | None = None
    log_file: str = "syslog"
    pidfile: str | None = None
    userdb: str | None = None
    user_quota: int = 12
    total_quota: int = 1200
    extra: tuple[str, ...] = field(default=())


def parse_turn_url(url: str) -> TurnUrl:
    """``turn:host[:port][?transport=udp|tcp]`` or ``turns:host[:port][?transport=tcp]`` (RFC 7065)."""
    match = _URL.match(url.strip())
    if match is None:
        raise TurnConfigError(f"not a TURN URL (turn:host:port?transport=udp|tcp or turns:host:port): {url!r}")
    scheme = match["scheme"]
    port = int(match["port"]) if match["port"] else DEFAULT_PORTS[scheme]
    if not 1 <= port <= 65535:
        raise TurnConfigError(f"port out of range in {url!r}")
    transport = match["transport"] or ("udp" if scheme == "turn" else "tcp")
    if transport not in TRANSPORTS[scheme]:
        raise TurnConfigError(f"{scheme}: cannot use transport {transport!r} in {url!r}")
    return TurnUrl(scheme=scheme, host=match["host"].strip("[]"), port=port, transport=transport)


def _single_port(urls: Sequence[TurnUrl], what: str) -> int | None:
    ports = sorted({u.port for u in urls})
    if len(ports) > 1:
        raise TurnConfigError(f"all {what} URLs must use one port (coturn listens on one), got {ports}")
    return ports[0] if ports else None


def _ranges(cidrs: Sequence[str]) -> list[str]:
    """coturn takes ``first-last`` address ranges, not CIDR."""
    ranges = []
    for text in cidrs:
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            raise TurnConfigError(f"not an address range (CIDR, e.g. 10.20.0.0/16): {text!r}") from None
        first, last = network[0], network[-1]
        ranges.append(str(first) if first == last else f"{first}-{last}")
    return ranges


def _touches_loopback(cidrs: Sequence[str]) -> bool:
    loopbacks = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
    networks = [ipaddress.ip_network(c.strip(), strict=False) for c in cidrs]
    return any(n.version == lo.version and n.overlaps(lo) for n in networks for lo in loopbacks)


def _check_ip(text: str, what: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise TurnConfigError(f"{what} must be an IP address, got {text!r}") from None


def render_turnserver_conf(urls: Sequence[str], secret: str | None, options: CoturnOptions) -> str:
    """The whole ``turnserver.conf`` for ``urls`` (MADOGUCHI_TURN_URLS) and ``secret`` (MADOGUCHI_TURN_SECRET)."""
    if not urls:
        raise TurnConfigError("MADOGUCHI_TURN_URLS is empty: there is nothing for coturn to serve")
    if not secret:
        raise TurnConfigError("MADOGUCHI_TURN_SECRET is not set: coturn could not check Madoguchi's TURN logins")
    if len(secret) < 16:
        raise TurnConfigError("MADOGUCHI_TURN_SECRET is shorter than 16 characters: use a long random secret")
    parsed = [parse_turn_url(u) for u in urls]
    plain = [u for u in parsed if u.scheme == "turn"]
    tls = [u for u in parsed if u.scheme == "turns"]
    plain_port = _single_port(plain, "turn:")
    tls_port = _single_port(tls, "turns:")
    if plain_port is not None and plain_port == tls_port:
        raise TurnConfigError(f"turn: and turns: URLs cannot share port {plain_port}")
    if tls and not (options.cert and options.pkey):
        raise TurnConfigError("turns: URLs need a certificate and its key (--cert and --pkey)")
    if not 1024 <= options.min_port < options.max_port <= 65535:
        raise TurnConfigError(f"relay port range {options.min_port}-{options.max_port} is not a range in 1024-65535")
    realm = options.realm or parsed[0].host
    allowed = list(options.allowed_peers)
    _ranges(allowed)  # check them before anything is written

    lines = ["# turnserver.conf rendered by `madoguchi turn config` from MADOGUCHI_TURN_URLS and _SECRET.", ""]

    def put(line: str, why: str = "") -> None:
        if why:  # coturn reads whole-line comments only
            lines.append(f"# {why}")
        lines.append(line)

    put("# where: ports and transports follow the TURN URLs handed to browsers")
    for ip in options.listening_ips:
        put(f"listening-ip={_check_ip(ip, 'a listening IP')}")
    for ip in options.relay_ips:
        put(f"relay-ip={_check_ip(ip, 'a relay IP')}")
    if options.external_ip:
        put(f"external-ip={_check_ip(options.external_ip, 'the external IP')}")
    if plain_port is not None:
        put(f"listening-port={plain_port}")
        transports = {u.transport for u in plain}
        if "udp" not in transports:
            put("no-udp", "no turn: URL uses UDP")
        if "tcp" not in transports:
            put("no-tcp", "no turn: URL uses TCP")
    else:
        put("no-udp")
        put("no-tcp")
    if tls_port is not None:
        put(f"tls-listening-port={tls_port}")
        put(f"cert={options.cert}")
        put(f"pkey={options.pkey}")
        put("cipher-list=ECDHE+AESGCM:ECDHE+CHACHA20", "modern ciphers only")
    else:
        put("no-tls", "no turns: URL")
    put(f"min-port={options.min_port}")
    put(f"max-port={options.max_port}")
    lines.append("")
    put("# who: only Madoguchi's short-lived logins")
    put(f"realm={realm}")
    put(f"static-auth-secret={secret}", "the same value as MADOGUCHI_TURN_SECRET; keep this file mode 600")
    put(f"user-quota={options.user_quota}", "allocations per login (one call needs 1-4)")
    put(f"total-quota={options.total_quota}")
    for line, why in FIXED_LINES:
        put(line, why)
    lines.append("")
    put("# to whom: relaying is limited to the networks booths and consoles live in")
    if allowed:
        for network in EVERYTHING:
            put(f"denied-peer-ip={_ranges([network])[0]}")
        for peer_range in _ranges(allowed):
            put(f"allowed-peer-ip={peer_range}")
        if _touches_loopback(allowed):
            put("allow-loopback-peers", "an allowed range includes loopback (tests only)")
    else:
        for peer_range in _ranges(ALWAYS_DENIED):
            put(f"denied-peer-ip={peer_range}")
    lines.append("")
    put("# housekeeping")
    put(f"log-file={options.log_file}")
    put("simple-log")
    if options.pidfile:
        put(f"pidfile={options.pidfile}")
    if options.userdb:
        put(f"userdb={options.userdb}")
    lines.extend(options.extra)
    return "\n".join(lines) + "\n"
