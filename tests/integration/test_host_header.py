"""Requests naming a host this server is not (session 15's outside attack, DNS rebinding): ``Host: evil.com`` with
``Origin: http://evil.com`` got the Socket.IO handshake (200) and passed the booking API's cross-site check, which
compares the two. Now such a request is a 400 before anything reads it (``host_guard``); the server's own names
(``MADOGUCHI_PUBLIC_URL``'s host, ``MADOGUCHI_ALLOWED_HOSTS``, localhost, an IP address) are answered as before."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from pydantic import ValidationError

from madoguchi.host_guard import allowed_names, host_allowed
from tests.support import make_settings, serve

EVIL = {"Host": "evil.com", "Origin": "http://evil.com"}
BOOKING = {"route": "tax", "place": "honcho", "name_kana": "ヤマダ", "start": "2026-12-08T09:00:00+09:00"}


async def test_a_foreign_host_is_refused_on_the_socket_handshake_the_api_and_the_pages(tmp_path: Path) -> None:
    async with serve(make_settings(tmp_path)) as server, aiohttp.ClientSession() as http:
        for method, path, body in (
            ("GET", "/socket.io/?EIO=4&transport=polling", None),
            ("POST", "/api/bookings", BOOKING),
            ("GET", "/login", None),
            ("GET", "/admin", None),
        ):
            async with http.request(method, f"{server.base_url}{path}", json=body, headers=EVIL) as resp:
                assert resp.status == 400, (path, await resp.text())
                answer = await resp.json()
            assert answer["error"]["code"] == "unknown_host" and "MADOGUCHI_ALLOWED_HOSTS" in answer["error"]["message"]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # the WebSocket upgrade too
            await http.ws_connect(f"{server.base_url}/socket.io/?EIO=4&transport=websocket", headers=EVIL)
        assert refused.value.status == 400
        async with http.get(f"{server.base_url}/healthz", headers=EVIL) as resp:
            assert resp.status == 200  # says nothing; a load balancer may probe it by a name of its own
        # the server's own addresses are answered: the IP address the tests use, and localhost
        port = server.base_url.rsplit(":", 1)[1]
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", "[::1]"):
            async with http.get(f"{server.base_url}/socket.io/?EIO=4&transport=polling", headers={"Host": host}) as r:
                assert r.status == 200, (host, await r.text())


async def test_the_public_url_and_allowed_hosts_are_answered(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, public_url="https://madoguchi.example.jp", allowed_hosts=["counter.shiomi.example"]
    )
    async with serve(settings) as server, aiohttp.ClientSession() as http:
        for host, status in (
            ("madoguchi.example.jp", 200),
            ("Madoguchi.Example.JP:443", 200),
            ("counter.shiomi.example", 200),
            ("evil.madoguchi.example.jp", 400),
            ("madoguchi.example.jp.evil.com", 400),
        ):
            async with http.get(
                f"{server.base_url}/socket.io/?EIO=4&transport=polling", headers={"Host": host}
            ) as resp:
                assert resp.status == status, host


def test_the_rule() -> None:
    names = allowed_names([], None)
    assert host_allowed("127.0.0.1:8080", names) and host_allowed("192.168.1.10", names)
    assert host_allowed("[2001:db8::1]:8080", names) and host_allowed("localhost", names)
    assert not host_allowed("evil.com", names) and not host_allowed("127.0.0.1.evil.com", names)
    assert not host_allowed("localhost:notaport", names) and not host_allowed("", names)
    assert host_allowed("evil.com", allowed_names(["*"], None))


def test_a_host_with_a_scheme_or_port_is_refused_in_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="allowed_hosts takes host names"):
        make_settings(tmp_path, allowed_hosts=["https://madoguchi.example.jp"])
