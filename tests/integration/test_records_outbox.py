"""A database that goes away (a PostgreSQL failover) must neither strand the people in a call nor lose a record.

The server's connections to PostgreSQL go through a proxy the test cuts. While it is cut a whole consultation
runs: request, offer, accept, call, hang-up, wrap-up. Every ack is ``ok`` and every notification arrives (the
live state is the truth for the live interaction); the records wait in the live state's outbox
(``madoguchi_records_pending`` > 0, ``/readyz`` names the database). When the proxy is restored the timer loop
writes them, once each and in order, within a few seconds. Run with the in-process live state, with Redis, and
with two processes on Redis (booth on one, agent on the other: both flush the same outbox).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from madoguchi.settings import Settings
from madoguchi.signaling.outbox import RECORD_WRITE_TIMEOUT_S
from madoguchi.storage.db import Database
from madoguchi.storage.records import ConsultationRecord, ConsultationRecords
from madoguchi.storage.testing import temporary_database_url
from tests.support import (
    REDIS_TEST_URL,
    LiveServer,
    TcpProxy,
    agent_peer,
    booth_peer,
    delete_redis_keys,
    make_settings,
    ok,
    serve,
)
from tests.support import (
    http_get as get,
)

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"


async def pending(server: LiveServer) -> float:
    status, body = await get(f"{server.base_url}/metrics")
    assert status == 200
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == "madoguchi_records_pending":
                return float(sample.value)
    raise AssertionError("no madoguchi_records_pending in /metrics")


async def stored(database_url: str, cid: str) -> tuple[list[tuple[str, str]], ConsultationRecord | None]:
    """What the database holds for ``cid``, read directly (not through the proxy): (kind, state) of each event,
    and the record."""
    db = Database(database_url)
    try:
        records = ConsultationRecords(db)
        return [(e.kind, e.state) for e in await records.events(cid)], await records.get(cid)
    finally:
        await db.close()


async def eventually(probe: Any, *, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await probe():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


@asynccontextmanager
async def servers(settings: Settings, live_state: str) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    """(booth side, agent side): one process, or two sharing Redis (each with its own flusher)."""
    if live_state != "two processes":
        async with serve(settings) as server:
            yield server, server
        return
    async with serve(settings) as booth_side, serve(settings) as agent_side:
        agent_side.booth_url = agent_side.agent_url = agent_side.base_url
        yield booth_side, agent_side


@pytest.mark.parametrize("live_state", ["memory", "redis", "two processes"])
async def test_a_whole_consultation_while_the_database_is_away_is_recorded_once_it_returns(
    tmp_path: Path, live_state: str
) -> None:
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.restore()
    prefix = f"mdtest:{secrets.token_hex(6)}"
    redis: dict[str, Any] = {"redis_url": REDIS_TEST_URL, "redis_prefix": prefix} if live_state != "memory" else {}
    try:
        async with temporary_database_url("postgresql", tmp_path) as direct_url:
            proxied_url = direct_url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{proxy.port}/")
            assert proxied_url != direct_url
            settings = make_settings(tmp_path, database_url=proxied_url, **redis)
            async with servers(settings, live_state) as (server, agent_side):
                _, token, _ = await server.add_booth()
                await server.add_agent("agent1", PASSWORD)
                booth = await booth_peer(server, token)
                agent = await agent_peer(agent_side, "agent1", PASSWORD)

                await proxy.cut()  # the failover begins

                ok(await agent.call("agent.status", {"status": "available"}))
                cid = ok(await booth.call("consultation.request", {"route": "tax"}))["consultation_id"]
                offer = await agent.wait_for("offer")
                assert offer["consultation_id"] == cid
                ok(await agent.call("offer.accept", {"consultation_id": cid}))
                await booth.wait_for("call.start", lambda d: d["consultation_id"] == cid)
                await agent.wait_for("call.start", lambda d: d["consultation_id"] == cid)
                ok(await booth.call("consultation.end", {"consultation_id": cid}))
                await agent.wait_for("call.end", lambda d: d["consultation_id"] == cid)
                await booth.wait_for("consultation.closed", lambda d: d["consultation_id"] == cid)
                await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
                ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": "済"}))
                await agent.wait_for("agent.state", lambda s: s["status"] == "available")

                assert await pending(server) == 5  # request, offer, accept, end, wrap-up
                assert await pending(agent_side) == 5  # the live state's number: the same on every process
                status, body = await get(f"{server.base_url}/readyz")
                assert status == 503 and body["checks"]["database"]["ok"] is False

                await proxy.restore()  # the database is back

                async def flushed() -> bool:
                    return await pending(server) == 0

                await eventually(flushed, within=6.0)
                status, body = await get(f"{server.base_url}/readyz")
                assert status == 200, body
                await booth.close()
                await agent.close()

            events, record = await stored(direct_url, cid)
            assert events == [
                ("created", "waiting"),
                ("offer", "offered"),
                ("accept", "active"),
                ("end", "wrap_up"),
                ("wrap_up", "closed"),
            ]
            assert record is not None
            assert record.state == "closed" and record.disposition == "resolved" and record.note == "済"
            assert record.answered_at is not None and record.ended_at is not None and record.closed_at is not None
            assert record.end_reason == "hung_up_by_resident"
    finally:
        await proxy.cut()
        if live_state != "memory":
            await delete_redis_keys(prefix)


async def test_a_database_that_hangs_costs_one_wait_not_one_per_operation(tmp_path: Path) -> None:
    """Packets to the database vanish (a partition, not a refusal): the first operation waits out the write limit,
    the ones after it answer at once and leave their records to the flusher, which writes them when the link is
    back."""
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.restore()
    loop = asyncio.get_running_loop()
    try:
        async with temporary_database_url("postgresql", tmp_path) as direct_url:
            proxied_url = direct_url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{proxy.port}/")
            async with serve(make_settings(tmp_path, database_url=proxied_url)) as server:
                _, token, _ = await server.add_booth()
                await server.add_agent("agent1", PASSWORD)
                booth = await booth_peer(server, token)
                agent = await agent_peer(server, "agent1", PASSWORD)
                ok(await agent.call("agent.status", {"status": "available"}))

                proxy.freeze()  # requests still reach PostgreSQL; its answers never come back
                started = loop.time()
                ack = await booth.sio.call("consultation.request", {"route": "tax"}, namespace="/booth", timeout=15)
                cid = ok(ack)["consultation_id"]
                first_wait = loop.time() - started
                assert first_wait < RECORD_WRITE_TIMEOUT_S + 2.0

                await agent.wait_for("offer", lambda d: d["consultation_id"] == cid)
                started = loop.time()
                ok(await agent.call("offer.accept", {"consultation_id": cid}))
                assert loop.time() - started < 1.0  # no second wait for the same hanging database
                await booth.wait_for("call.start", lambda d: d["consultation_id"] == cid)
                assert await pending(server) == 3  # request, offer, accept

                await proxy.cut()  # the partition heals the usual way: stale connections are reset
                await proxy.restore()

                async def flushed() -> bool:
                    return await pending(server) == 0

                await eventually(flushed, within=RECORD_WRITE_TIMEOUT_S + 8.0)
                await booth.close()
                await agent.close()

            events, _ = await stored(direct_url, cid)
            assert events == [
                ("created", "waiting"),
                ("offer", "offered"),
                ("accept", "active"),
            ]
    finally:
        await proxy.cut()
