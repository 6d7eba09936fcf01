"""Revocation reaches sockets that are already open: every way of ending a credential closes its sockets within
2 s, with an ``access.revoked`` event that says why, on one process and on two (Redis + PostgreSQL; the booth on
one process, staff on the other, the CLI in a process of its own)."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import socketio

from madoguchi import keys
from madoguchi.domain.participant import Participant
from tests.support import LiveServer, Peer, agent_peer, booth_peer, login_cookie, make_settings, ok, serve
from tests.support import on_both_topologies as both

PASSWORD = "correct horse battery"
WITHIN_S = 2.0


async def revoked(peer: Peer, reason: str) -> None:
    """The peer is told why and disconnected, both within :data:`WITHIN_S` of now."""
    started = time.monotonic()
    event = await peer.wait_for("access.revoked", within=WITHIN_S)
    assert event == {"reason": reason}
    while peer.sio.connected:
        assert time.monotonic() - started < WITHIN_S, "still connected"
        await asyncio.sleep(0.02)


async def run_cli(server: LiveServer, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")}
    env["MADOGUCHI_DATA_DIR"] = str(server.settings.data_dir)
    if server.settings.database_url is not None:
        env["MADOGUCHI_DATABASE_URL"] = server.settings.database_url
    if server.settings.redis_url is not None:
        env["MADOGUCHI_REDIS_URL"] = server.settings.redis_url
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("madoguchi")),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def staff_peer(server: LiveServer, username: str) -> tuple[Peer, str]:
    await server.add_agent(username, PASSWORD)
    cookie = await login_cookie(server.agent_url, username, PASSWORD)
    peer = Peer(server.agent_url, "/agent")
    await peer.connect(headers={"Cookie": f"madoguchi_session={cookie}"})
    await peer.wait_for("agent.state")
    return peer, cookie


@both
async def test_logout_closes_the_consoles_open_socket(live_server: LiveServer) -> None:
    peer, cookie = await staff_peer(live_server, "agent1")
    other, _ = await staff_peer(live_server, "agent2")  # someone else's session is not touched
    ok(await peer.call("agent.status", {"status": "available"}))
    found = await live_server.app[keys.ACCOUNTS].session(cookie, datetime.now(UTC))
    assert found is not None
    async with (
        aiohttp.ClientSession(cookies={"madoguchi_session": cookie}) as http,
        http.post(f"{live_server.agent_url}/logout", data={"csrf_token": found[1]}, allow_redirects=False) as resp,
    ):
        assert resp.status == 303
    await revoked(peer, "session_ended")
    ok(await other.call("agent.status", {"status": "available"}))
    await other.close()


@both
async def test_disabling_the_account_from_the_cli_closes_its_sockets(live_server: LiveServer) -> None:
    peer, _ = await staff_peer(live_server, "agent1")
    second = await agent_peer(live_server, "agent1", PASSWORD)  # a second tab, a second session
    await run_cli(live_server, "user", "disable", "agent1")
    await asyncio.gather(revoked(peer, "account_disabled"), revoked(second, "account_disabled"))


@both
async def test_booth_revoke_from_the_cli_closes_the_kiosk_socket(live_server: LiveServer) -> None:
    booth_id, token, _ = await live_server.add_booth()
    kiosk = await booth_peer(live_server, token)
    await kiosk.wait_for("booth.state")
    await run_cli(live_server, "booth", "revoke", booth_id)
    await revoked(kiosk, "booth_revoked")
    with pytest.raises(socketio.exceptions.ConnectionError):  # and cannot come back
        await booth_peer(live_server, token)


async def test_logout_closes_the_supervisors_view_too(live_server: LiveServer) -> None:
    await live_server.add_agent("boss", PASSWORD, role="supervisor")
    cookie = await login_cookie(live_server.agent_url, "boss", PASSWORD)
    view = Peer(live_server.agent_url, "/supervisor")
    await view.connect(headers={"Cookie": f"madoguchi_session={cookie}"})
    await view.wait_for("supervisor.snapshot")
    found = await live_server.app[keys.ACCOUNTS].session(cookie, datetime.now(UTC))
    assert found is not None
    async with (
        aiohttp.ClientSession(cookies={"madoguchi_session": cookie}) as http,
        http.post(f"{live_server.agent_url}/logout", data={"csrf_token": found[1]}, allow_redirects=False) as resp,
    ):
        assert resp.status == 303
    await revoked(view, "session_ended")


async def test_password_change_closes_the_sessions_sockets(live_server: LiveServer) -> None:
    peer, _ = await staff_peer(live_server, "agent1")
    await live_server.app[keys.ACCOUNTS].set_password("agent1", "a brand new password")
    await revoked(peer, "session_ended")


async def test_a_session_that_expires_while_connected_is_closed(tmp_path: Path) -> None:
    async with serve(make_settings(tmp_path, session_ttl_s=2)) as server:
        peer, _ = await staff_peer(server, "agent1")
        ok(await peer.call("agent.status", {"status": "available"}))
        started = time.monotonic()
        event = await peer.wait_for("access.revoked", within=2 + WITHIN_S)
        assert event == {"reason": "session_expired"}
        assert time.monotonic() - started >= 1.0  # not at once: when it expired
        while peer.sio.connected:
            assert time.monotonic() - started < 2 + WITHIN_S
            await asyncio.sleep(0.02)


async def test_token_rotation_closes_the_old_tokens_socket(live_server: LiveServer) -> None:
    booth_id, token, _ = await live_server.add_booth()
    kiosk = await booth_peer(live_server, token)
    await kiosk.wait_for("booth.state")
    out = await run_cli(live_server, "booth", "rotate", booth_id, "--json")
    await revoked(kiosk, "token_rotated")
    new_token = out.split('"token": "')[1].split('"')[0]
    fresh = await booth_peer(live_server, new_token)  # the new token works, and stays
    await fresh.wait_for("booth.state")
    await asyncio.sleep(1.2)
    assert fresh.sio.connected and "access.revoked" not in fresh.received
    await fresh.close()


@both
async def test_a_call_on_a_revoked_booth_ends_for_the_agent_with_the_reason(live_server: LiveServer) -> None:
    booth_id, token, _ = await live_server.add_booth()
    kiosk = await booth_peer(live_server, token)
    await kiosk.wait_for("booth.state")
    agent, _ = await staff_peer(live_server, "agent1")
    cid = ok(await kiosk.call("consultation.request", {"route": "tax"}))["consultation_id"]
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer")
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await kiosk.wait_for("call.start")
    await agent.wait_for("call.start")

    await run_cli(live_server, "booth", "revoke", booth_id)
    await revoked(kiosk, "booth_revoked")
    end = await agent.wait_for("call.end", within=WITHIN_S)
    assert end == {"consultation_id": cid, "reason": "revoked"}
    await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "other", "note": ""}))
    [record] = await live_server.export_records()
    assert record["consultation_id"] == cid and record["end_reason"] == "revoked"
    assert record["ended_at"]
    await agent.close()


async def test_a_revoked_booth_is_served_nothing_while_its_revocation_runs(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Session 12: between ``access.revoked`` and the close, the namespace ends what the credential held (awaits on
    the live state); the socket's packets kept being served meanwhile, and a revoked kiosk opened a new case."""
    from madoguchi.signaling.service import CounterService

    release = asyncio.Event()
    real = CounterService.revoke_resident

    async def slow(self: CounterService, participant: str) -> None:
        await release.wait()  # the live state slow to answer: the revocation is still running
        await real(self, participant)

    monkeypatch.setattr(CounterService, "revoke_resident", slow)
    booth_id, token, _ = await live_server.add_booth()
    kiosk = await booth_peer(live_server, token)
    await kiosk.wait_for("booth.state")
    await live_server.app[keys.BOOTHS].revoke(booth_id)
    await kiosk.wait_for("access.revoked", within=WITHIN_S)
    try:
        refused = await kiosk.call("consultation.request", {"route": "tax"})
        assert refused["error"]["code"] == "unauthorized", refused
        assert await live_server.app[keys.COUNTER].resident_view(str(Participant.booth(booth_id))) is None
    finally:
        release.set()
    await revoked(kiosk, "booth_revoked")
