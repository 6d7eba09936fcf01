"""Calls through a real coturn with relay-only ICE: the TURN logins Madoguchi issues in ``call.start`` work.

Both headless peers gather TURN candidates only (``madoguchi probe --relay-only``), so a call that carries
audio and video both ways went through coturn, over the transport named first in MADOGUCHI_TURN_URLS (aiortc
uses one TURN URL; browsers try them all, see test_udp_blocked.py). A server whose secret differs from coturn's
gets no call at all: the credentials are what lets media through, not the loopback.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.media.connection import login_agent
from madoguchi.media.probe import CallResult, ProbeTarget, run_server_call
from tests.links.coturn import Coturn
from tests.support import make_settings, serve

pytestmark = [pytest.mark.links, pytest.mark.media]

PASSWORD = "relay-probe-password-1"


async def _relay_only_call(tmp_path: Path, urls: list[str], secret: str, timeout_s: float = 10.0) -> CallResult:
    settings = make_settings(tmp_path, turn_urls=urls, turn_secret=secret, turn_ttl_s=600)
    async with serve(settings) as server:
        _, token, _ = await server.add_booth("リレー試験ブース")
        await server.add_agent("relay-agent", PASSWORD)
        target = ProbeTarget(server.booth_url, server.agent_url, token, "relay-agent", PASSWORD, relay_only=True)
        cookie = await login_agent(server.agent_url, "relay-agent", PASSWORD)
        return await run_server_call(target, cookie, timeout_s=timeout_s, hold_s=0.3)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_a_relay_only_call_goes_through_coturn(tmp_path: Path, coturn: Coturn, transport: str) -> None:
    result = await _relay_only_call(tmp_path, coturn.urls(transport), coturn.secret)

    assert result.ok, f"{result.error}\n{coturn.log_text()[-3000:]}"
    assert result.relay is True
    assert result.candidate_pairs["agent"][0] == "relay"
    assert result.candidate_pairs["booth"][0] == "relay"
    for side in ("agent", "booth"):
        assert result.frames_received[side]["audio"] >= 5, result.frames_received
        assert result.frames_received[side]["video"] >= 3, result.frames_received
    # coturn saw Madoguchi's per-consultation logins, one per side
    log = coturn.log_text()
    assert f"{result.consultation_id}.agent" in log
    assert f"{result.consultation_id}.resident" in log


async def test_a_relay_only_call_goes_through_coturn_over_tls(
    tmp_path: Path, coturn: Coturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aioice verifies the TURN server's certificate against the default trust store: trust the test one.
    monkeypatch.setenv("SSL_CERT_FILE", str(coturn.conf.parent / "turn.crt"))
    result = await _relay_only_call(tmp_path, coturn.urls("tls"), coturn.secret)

    assert result.ok, f"{result.error}\n{coturn.log_text()[-3000:]}"
    assert result.relay is True


async def test_logins_signed_with_another_secret_get_no_relay_and_no_call(tmp_path: Path, coturn: Coturn) -> None:
    result = await _relay_only_call(tmp_path, coturn.urls("udp"), "not-the-secret-coturn-has", timeout_s=3.0)

    assert not result.ok
    assert result.error is not None and "Traceback" not in result.error
    assert "401" in coturn.log_text() or "unauthorized" in coturn.log_text().lower()
