"""What the headless peer takes from the server: ICE servers from ``call.start`` and connection refusals."""

from __future__ import annotations

from typing import Any

import pytest

from madoguchi.media.connection import refusal_text as _refusal_text
from madoguchi.media.session import MediaError, ice_servers_from_protocol


def test_ice_servers_keep_urls_and_turn_credentials() -> None:
    servers = ice_servers_from_protocol(
        [
            {"urls": "stun:stun.town.lg.jp:3478"},
            {"urls": ["turn:turn.town.lg.jp:3478?transport=udp"], "username": "1700000000:c1.agent", "credential": "x"},
        ]
    )
    assert [s.urls for s in servers] == [["stun:stun.town.lg.jp:3478"], ["turn:turn.town.lg.jp:3478?transport=udp"]]
    assert (servers[1].username, servers[1].credential) == ("1700000000:c1.agent", "x")
    assert servers[0].username is None


def test_no_ice_servers_means_none_not_aiortcs_public_default() -> None:
    assert ice_servers_from_protocol([]) == []


@pytest.mark.parametrize("server", [{}, {"urls": []}, {"urls": 5}, {"urls": ["stun:a", 7]}])
def test_an_ice_server_without_usable_urls_is_refused(server: dict[str, Any]) -> None:
    with pytest.raises(MediaError, match="without usable urls"):
        ice_servers_from_protocol([server])


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"code": "unauthorized", "message": "unknown or revoked booth token"}, "unauthorized: unknown or revoked"),
        ({"message": "refused", "data": {"code": "unauthorized", "message": "please log in first"}}, "unauthorized"),
        ({"message": "Connection rejected by server"}, "Connection rejected by server"),
        (None, None),
    ],
)
def test_connection_refusals_are_explained(payload: Any, expected: str | None) -> None:
    text = _refusal_text(payload)
    if expected is None:
        assert text is None
    else:
        assert text is not None and expected in text
