"""/healthz, /readyz and /metrics on real servers: in-process state, Redis, Redis unreachable, Redis going away.

Liveness must not depend on Redis (restarting a process does not bring Redis back); readiness must, and must
recover by itself when Redis returns.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import socketio
from prometheus_client.parser import text_string_to_metric_families

from madoguchi.observability import Metrics
from madoguchi.signaling.live import socketio_channel
from tests.integration.redis.conftest import REDIS_TEST_URL, redis_settings
from tests.support import LiveServer, Peer, TcpProxy, agent_peer, booth_peer, ok, serve
from tests.support import http_get as get
from tests.support import make_settings as plain_settings

PASSWORD = "correct horse battery"
OUTAGE_S = 9.0


async def scrape(server: LiveServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    status, body = await get(f"{server.base_url}/metrics")
    assert status == 200
    samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def wait_ready(server: LiveServer, expected: int, *, within: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        status, body = await get(f"{server.base_url}/readyz")
        if status == expected or loop.time() > deadline:
            assert status == expected, body
            return dict(body)
        await asyncio.sleep(0.1)


async def test_readyz_and_metrics_with_in_process_state(live_server: LiveServer) -> None:
    status, body = await get(f"{live_server.base_url}/readyz")
    assert status == 200 and body["status"] == "ready"
    assert set(body["checks"]) == {"database"} and body["checks"]["database"]["ok"] is True

    _, token, _ = await live_server.add_booth()
    await live_server.add_agent("agent1", PASSWORD)
    booth = await booth_peer(live_server, token)
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
    before = await scrape(live_server)
    assert before[("madoguchi_socket_connections", (("namespace", "/booth"),))] == 1
    assert before[("madoguchi_socket_connections", (("namespace", "/agent"),))] == 1
    assert before[("madoguchi_queue_length", (("municipality", "shiomi"), ("route", "tax")))] == 1
    assert before[("madoguchi_consultations_open", (("state", "waiting"),))] == 1
    assert before[("madoguchi_live_state_up", ())] == 1
    assert before.get(("madoguchi_offers_made_total", ()), 0) == 0

    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer")
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await booth.wait_for("call.start")
    after = await scrape(live_server)
    assert after[("madoguchi_offers_made_total", ())] == 1
    assert after[("madoguchi_consultations_open", (("state", "active"),))] == 1
    assert after[("madoguchi_consultations_open", (("state", "waiting"),))] == 0
    assert ("madoguchi_queue_length", (("municipality", "shiomi"), ("route", "tax"))) not in after
    assert after[("madoguchi_wait_seconds_count", (("outcome", "answered"),))] == 1
    assert after[("madoguchi_agents", (("activity", "busy"),))] == 1

    ok(await agent.call("consultation.end", {"consultation_id": cid}))
    await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": ""}))
    await agent.wait_for("agent.state", lambda s: s["status"] == "available")
    await booth.close()
    done = await scrape(live_server)
    assert done[("madoguchi_consultations_finished_total", (("state", "closed"),))] == 1
    assert done[("madoguchi_socket_connections", (("namespace", "/booth"),))] == 0
    await agent.close()


async def test_metrics_of_two_apps_are_separate(tmp_path: Path) -> None:
    async with (
        serve(plain_settings(tmp_path / "a")) as a,
        serve(plain_settings(tmp_path / "b")) as b,
    ):
        _, token, _ = await a.add_booth()
        booth = await booth_peer(a, token)
        assert (await scrape(a))[("madoguchi_socket_connections", (("namespace", "/booth"),))] == 1
        assert (await scrape(b))[("madoguchi_socket_connections", (("namespace", "/booth"),))] == 0
        await booth.close()


def test_socket_events_and_errors_are_counted_by_code() -> None:
    metrics = Metrics()
    metrics.socket_event("/booth", "chat.send", {"ok": True, "seq": 1})
    metrics.socket_event("/booth", "chat.send", {"error": {"code": "forbidden", "message": "no"}})
    metrics.socket_event("/agent", "made.up", {"error": {"code": "unknown_event", "message": "?"}})
    metrics.error("rate_limited")
    text = metrics.render(counter=None, connections={}).decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("madoguchi_socket_events_total", (("event", "chat.send"), ("namespace", "/booth")))] == 2
    assert samples[("madoguchi_socket_events_total", (("event", "unknown"), ("namespace", "/agent")))] == 1
    assert samples[("madoguchi_errors_total", (("code", "forbidden"),))] == 1
    assert samples[("madoguchi_errors_total", (("code", "rate_limited"),))] == 1
    assert samples[("madoguchi_errors_total", (("code", "unknown_event"),))] == 1
    assert samples[("madoguchi_live_state_up", ())] == 0


async def test_readyz_checks_redis_when_configured(tmp_path: Path, redis_prefix: str) -> None:
    settings = redis_settings(tmp_path, database_url=None, redis_url=REDIS_TEST_URL, prefix=redis_prefix)
    async with serve(settings) as server:
        body = await wait_ready(server, 200, within=0)
        assert body["checks"]["redis"]["ok"] is True and body["checks"]["database"]["ok"] is True


async def test_unreachable_redis_process_is_alive_but_not_ready(tmp_path: Path, redis_prefix: str) -> None:
    settings = redis_settings(tmp_path, database_url=None, redis_url="redis://127.0.0.1:1/0", prefix=redis_prefix)
    async with serve(settings) as server:
        status, body = await get(f"{server.base_url}/healthz")
        assert status == 200 and body["status"] == "ok"
        body = await wait_ready(server, 503, within=0)
        assert body["status"] == "not_ready"
        assert body["checks"]["database"]["ok"] is True
        assert body["checks"]["redis"]["ok"] is False and body["checks"]["redis"]["error"]
        samples = await scrape(server)  # the process's own numbers are still served
        assert samples[("madoguchi_live_state_up", ())] == 0
        assert samples[("madoguchi_socket_connections", (("namespace", "/booth"),))] == 0


@pytest.fixture
async def redis_proxy() -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy("127.0.0.1", 6379)
    await proxy.restore()
    yield proxy
    await proxy.cut()


async def test_redis_outage_readiness_fails_and_recovers_with_nothing_lost(
    tmp_path: Path, redis_prefix: str, redis_proxy: TcpProxy
) -> None:
    settings = redis_settings(
        tmp_path,
        database_url=None,
        redis_url=f"redis://127.0.0.1:{redis_proxy.port}/0",
        prefix=redis_prefix,
        offer_timeout_s=1.0,
    )
    peers: list[Peer] = []
    async with serve(settings) as server:
        try:
            await wait_ready(server, 200, within=0)
            booth_id, token, _ = await server.add_booth()
            await server.add_agent("agent1", PASSWORD)
            booth = await booth_peer(server, token)
            peers.append(booth)
            cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]

            await redis_proxy.cut()  # Redis goes away
            body = await wait_ready(server, 503, within=5.0)
            assert body["checks"]["redis"]["ok"] is False and body["checks"]["database"]["ok"] is True
            assert (await get(f"{server.base_url}/healthz"))[0] == 200
            ack = await booth.call("consultation.cancel", {"consultation_id": cid})
            assert ack["error"]["code"] == "internal"
            # Long enough for the timers to meet the outage whatever their phase, and for python-socketio's own
            # listener to have backed off to 8 s between attempts (it would hear nothing until ~7 s after Redis
            # is back; madoguchi's retries at most every 2 s).
            await asyncio.sleep(OUTAGE_S)

            await redis_proxy.restore()  # Redis is back, same address
            body = await wait_ready(server, 200, within=3.0)
            assert body["checks"]["events"]["ok"] is True
            # what another process publishes reaches this process's clients again
            other_process = socketio.AsyncRedisManager(
                REDIS_TEST_URL, channel=socketio_channel(settings), write_only=True
            )
            await other_process.emit(
                "booth.notice", {"from": "elsewhere"}, room=f"booth:{booth_id}", namespace="/booth"
            )
            try:
                assert await booth.wait_for("booth.notice", within=2.0) == {"from": "elsewhere"}
            finally:
                await other_process.redis.aclose()
            agent = await agent_peer(server, "agent1", PASSWORD)
            peers.append(agent)
            ok(await agent.call("agent.status", {"status": "available"}))
            offer = await agent.wait_for("offer")  # the resident kept their place through the outage
            assert offer["consultation_id"] == cid
            # and the timers work again: the unanswered offer runs out
            withdrawn = await agent.wait_for("offer.withdrawn", within=5.0)
            assert withdrawn["reason"] == "timeout"
        finally:
            for peer in peers:
                await peer.close()


async def test_readiness_does_not_queue_behind_a_writer_on_sqlite(tmp_path: Path) -> None:
    """Another process holding SQLite's write lock (a long export, a migration) must not make every process look
    unready: the probe only reads."""
    settings = plain_settings(tmp_path)
    async with serve(settings) as server:
        url = settings.effective_database_url.replace("sqlite+aiosqlite:///", "")
        writer = sqlite3.connect(url, timeout=0.1, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")
            loop = asyncio.get_running_loop()
            started = loop.time()
            status, body = await get(f"{server.base_url}/readyz")
            assert status == 200 and body["checks"]["database"]["ok"] is True, body
            assert loop.time() - started < 1.0
        finally:
            writer.execute("ROLLBACK")
            writer.close()
