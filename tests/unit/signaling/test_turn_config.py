"""The coturn configuration rendered from Madoguchi's TURN settings (a real coturn reads it in tests/links)."""

from __future__ import annotations

import pytest

from madoguchi.signaling.coturn import CoturnOptions, TurnConfigError, parse_turn_url, render_turnserver_conf

SECRET = "s3cret-shared-with-coturn"
CLOSED_NETWORK = [
    "turn:turn.shiomi.lg.jp:3478?transport=udp",
    "turn:turn.shiomi.lg.jp:3478?transport=tcp",
    "turns:turn.shiomi.lg.jp:443?transport=tcp",
]
TLS = CoturnOptions(cert="/etc/coturn/fullchain.pem", pkey="/etc/coturn/privkey.pem")


def _settings_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "transport"),
    [
        ("turn:turn.example:3478?transport=udp", "turn", "turn.example", 3478, "udp"),
        ("turn:turn.example?transport=tcp", "turn", "turn.example", 3478, "tcp"),
        ("turn:10.0.0.5", "turn", "10.0.0.5", 3478, "udp"),
        ("turns:turn.example", "turns", "turn.example", 5349, "tcp"),
        ("turns:turn.example:443?transport=tcp", "turns", "turn.example", 443, "tcp"),
        ("turn:[fd00::5]:3478", "turn", "fd00::5", 3478, "udp"),
    ],
)
def test_turn_urls_are_read_as_rfc_7065_says(url: str, scheme: str, host: str, port: int, transport: str) -> None:
    parsed = parse_turn_url(url)
    assert (parsed.scheme, parsed.host, parsed.port, parsed.transport) == (scheme, host, port, transport)


@pytest.mark.parametrize(
    "url", ["stun:stun.example:3478", "turns:t.example?transport=udp", "turn:t.example:99999", "http://t", ""]
)
def test_a_url_coturn_cannot_serve_is_refused_with_the_url_in_the_message(url: str) -> None:
    with pytest.raises(TurnConfigError) as refused:
        parse_turn_url(url)
    assert repr(url.strip()) in str(refused.value) or "port out of range" in str(refused.value)


def test_a_closed_network_config_listens_where_the_urls_point_and_shares_the_secret() -> None:
    text = render_turnserver_conf(
        CLOSED_NETWORK, SECRET, CoturnOptions(cert=TLS.cert, pkey=TLS.pkey, allowed_peers=("10.20.0.0/16",))
    )
    lines = _settings_lines(text)
    assert "listening-port=3478" in lines
    assert "tls-listening-port=443" in lines
    assert f"static-auth-secret={SECRET}" in lines
    assert "use-auth-secret" in lines
    assert "realm=turn.shiomi.lg.jp" in lines
    assert "no-multicast-peers" in lines
    assert "no-cli" in lines
    assert "no-tls" not in lines and "no-udp" not in lines and "no-tcp" not in lines
    assert "cert=/etc/coturn/fullchain.pem" in lines
    # deny everything, then allow the town's own range; no loopback relaying
    assert "denied-peer-ip=0.0.0.0-255.255.255.255" in lines
    assert "allowed-peer-ip=10.20.0.0-10.20.255.255" in lines
    assert "allow-loopback-peers" not in lines
    assert not any(line.startswith(("stun-only", "external-ip")) for line in lines)


def test_only_the_transports_the_urls_name_are_opened() -> None:
    lines = _settings_lines(render_turnserver_conf(["turn:t.example:3478?transport=tcp"], SECRET, CoturnOptions()))
    assert "no-udp" in lines and "no-tls" in lines and "no-tcp" not in lines
    lines = _settings_lines(render_turnserver_conf(["turns:t.example:443"], SECRET, TLS))
    assert {"no-udp", "no-tcp"} <= set(lines)
    assert "tls-listening-port=443" in lines


def test_without_an_allow_list_only_the_special_purpose_ranges_are_denied() -> None:
    lines = _settings_lines(render_turnserver_conf(["turn:t.example"], SECRET, CoturnOptions()))
    denied = [line for line in lines if line.startswith("denied-peer-ip=")]
    assert "denied-peer-ip=169.254.0.0-169.254.255.255" in denied
    assert "denied-peer-ip=0.0.0.0-255.255.255.255" not in denied
    assert not [line for line in lines if line.startswith("allowed-peer-ip=")]


def test_an_allowed_loopback_range_turns_on_loopback_peers_and_a_single_address_is_not_a_range() -> None:
    options = CoturnOptions(allowed_peers=("127.0.0.0/8", "192.0.2.7/32"))
    lines = _settings_lines(render_turnserver_conf(["turn:127.0.0.1:3478"], SECRET, options))
    assert "allow-loopback-peers" in lines
    assert "allowed-peer-ip=127.0.0.0-127.255.255.255" in lines
    assert "allowed-peer-ip=192.0.2.7" in lines


@pytest.mark.parametrize(
    ("urls", "secret", "options", "message"),
    [
        ([], SECRET, CoturnOptions(), "MADOGUCHI_TURN_URLS is empty"),
        (CLOSED_NETWORK, None, TLS, "MADOGUCHI_TURN_SECRET is not set"),
        (CLOSED_NETWORK, "short", TLS, "shorter than 16"),
        (CLOSED_NETWORK, SECRET, CoturnOptions(), "need a certificate"),
        (["turn:t:3478", "turn:t:3479?transport=tcp"], SECRET, CoturnOptions(), "one port"),
        (["turn:t:443?transport=tcp", "turns:t:443"], SECRET, TLS, "cannot share port 443"),
        (["turn:t"], SECRET, CoturnOptions(allowed_peers=("10.0.0.0/33",)), "not an address range"),
        (["turn:t"], SECRET, CoturnOptions(listening_ips=("turn.example",)), "must be an IP address"),
        (["turn:t"], SECRET, CoturnOptions(min_port=50000, max_port=40000), "relay port range"),
    ],
)
def test_settings_that_cannot_work_are_refused_with_a_reason(
    urls: list[str], secret: str | None, options: CoturnOptions, message: str
) -> None:
    with pytest.raises(TurnConfigError, match=message):
        render_turnserver_conf(urls, secret, options)
