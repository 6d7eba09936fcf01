"""A record the database refuses for its values is set aside; it never holds the records behind it.

Session 11: a NUL in one booth's question was acked ``ok``; PostgreSQL refused its record ("unsupported Unicode
escape sequence") every second, every record queued after it waited, the database counted as away, and new web
chats got ``unavailable``. The edge now refuses such text (tests/integration/test_control_characters.py); these
tests switch that check off to play a value the edge did not catch, and check the outbox's own defence: the bad
record leaves the outbox for the set-aside list (``madoguchi_records_set_aside``, ``GET
/api/admin/records/set-aside``, logged once), the other cases are written, the database is not taken for away.
On PostgreSQL (in-process live state, Redis, two processes on Redis), with a NUL, and on SQLite, which stores a NUL
(and pydantic refuses a lone surrogate before anything), with a trigger that refuses one note (a constraint).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from madoguchi import keys
from madoguchi.admin.records import records_set_aside
from madoguchi.settings import Settings
from madoguchi.signaling import events
from madoguchi.storage.db import Database
from madoguchi.storage.records import ConsultationRecords
from madoguchi.storage.testing import Backend, temporary_database_url
from tests.support import (
    REDIS_TEST_URL,
    LiveServer,
    agent_peer,
    answered_booth_call,
    booth_peer,
    delete_redis_keys,
    login_cookie,
    make_settings,
    ok,
    resident_peer,
    serve,
)
from tests.support import http_get as get

PASSWORD = "correct horse battery"

CASES = [
    pytest.param("postgresql", "memory", "メモ\x00", marks=pytest.mark.postgres, id="postgresql-memory"),
    pytest.param("postgresql", "redis", "メモ\x00", marks=pytest.mark.postgres, id="postgresql-redis"),
    pytest.param("postgresql", "two processes", "メモ\x00", marks=pytest.mark.postgres, id="postgresql-two-processes"),
    pytest.param("sqlite", "memory", "拒否されるメモ", id="sqlite-memory"),
]


async def metric(server: LiveServer, name: str) -> float:
    status, body = await get(f"{server.base_url}/metrics")
    assert status == 200
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    raise AssertionError(f"no {name} in /metrics")


async def eventually(probe: Any, *, within: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await probe():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def refuse_a_note_on_sqlite(server: LiveServer) -> None:
    """SQLite's own refusal of one value: a constraint (a trigger's ABORT) on the note of the SQLite case."""
    async with server.app[keys.DATABASE].transaction() as session:
        await session.execute(
            text(
                "CREATE TRIGGER refuse_note BEFORE UPDATE ON consultations WHEN NEW.note LIKE '%拒否%' "
                "BEGIN SELECT RAISE(ABORT, 'this note is refused'); END"
            )
        )


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


@pytest.mark.parametrize(("backend", "live_state", "bad_note"), CASES)
async def test_a_record_the_database_refuses_is_set_aside_and_the_records_behind_it_are_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    backend: Backend,
    live_state: str,
    bad_note: str,
) -> None:
    monkeypatch.setattr(events, "find_unsafe", lambda data: None)  # the edge's check off: a value it missed
    prefix = f"mdtest:{secrets.token_hex(6)}"
    redis: dict[str, Any] = {"redis_url": REDIS_TEST_URL, "redis_prefix": prefix} if live_state != "memory" else {}
    try:
        async with temporary_database_url(backend, tmp_path) as url:
            settings = make_settings(tmp_path, database_url=url, **redis)
            async with servers(settings, live_state) as (server, agent_side):
                if backend == "sqlite":
                    await refuse_a_note_on_sqlite(server)
                _, token_a, _ = await server.add_booth()
                _, token_b, _ = await server.add_booth()
                await server.add_agent("agent1", PASSWORD)
                await server.add_agent("admin1", PASSWORD, role="admin")
                booth_a = await booth_peer(server, token_a)
                booth_b = await booth_peer(server, token_b)
                agent = await agent_peer(agent_side, "agent1", PASSWORD)
                ok(await agent.call("agent.status", {"status": "available"}))

                bad = await answered_booth_call(booth_a, agent)
                ok(await booth_a.call("consultation.end", {"consultation_id": bad}))
                await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
                with caplog.at_level(logging.ERROR, logger="madoguchi.signaling.outbox"):
                    wrapup = {"consultation_id": bad, "disposition": "resolved", "note": bad_note}
                    ok(await agent.call("wrapup.submit", wrapup))  # the live state took it: the ack is ok
                    await agent.wait_for("agent.state", lambda s: s["status"] == "available")

                    # a normal case from another booth, after the bad record
                    good = ok(await booth_b.call("consultation.request", {"route": "tax"}))["consultation_id"]

                    async def settled() -> bool:
                        return await metric(server, "madoguchi_records_pending") == 0

                    await eventually(settled, within=6.0)
                set_aside_logs = [r for r in caplog.records if "set aside" in r.getMessage()]
                assert len(set_aside_logs) == 1, [r.getMessage() for r in set_aside_logs]  # once, by one process
                assert await metric(server, "madoguchi_records_set_aside") == 1
                assert await metric(agent_side, "madoguchi_records_set_aside") == 1  # the live state's number
                status, ready = await get(f"{server.base_url}/readyz")
                assert status == 200, ready  # a bad record is not a database away

                # a new web chat is served (it was ``unavailable`` while the outbox was blocked)
                resident = await resident_peer(server)
                ok(await resident.call("chat.send", {"text": "住民票がほしい", "client_id": "r1", "language": "ja"}))
                await resident.close()

                cookie = await login_cookie(server.base_url, "admin1", PASSWORD)
                async with (
                    aiohttp.ClientSession(cookies={"madoguchi_session": cookie}) as http,
                    http.get(f"{agent_side.base_url}/api/admin/records/set-aside") as resp,
                ):
                    assert resp.status == 200
                    listed = (await resp.json())["records"]
                assert [(r["consultation_id"], r["trigger"]) for r in listed] == [(bad, "wrap_up")]
                assert listed[0]["error"] and "メモ" not in listed[0]["error"]
                if live_state != "memory":  # the operator's command reads the Redis live state
                    capsys.readouterr()
                    dump = argparse.Namespace(json=True, clear=False, retry=False)
                    assert await records_set_aside(dump, settings) == 0
                    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
                    got = [(r["record"]["consultation"]["id"], r["record"]["trigger"]) for r in lines]
                    assert got == [(bad, "wrap_up")]
                    assert lines[0]["error"] == listed[0]["error"]
                    assert "メモ" in json.dumps(lines[0]["record"], ensure_ascii=False)  # a full copy: the words too
                    clear = argparse.Namespace(json=True, clear=True, retry=False)
                    assert await records_set_aside(clear, settings) == 0
                    assert "cleared 1 set-aside record(s)" in capsys.readouterr().err
                    assert await metric(agent_side, "madoguchi_records_set_aside") == 0
                for peer in (booth_a, booth_b, agent):
                    await peer.close()

            if live_state == "memory":  # session 12: the in-process list was forgotten by a restart
                async with serve(settings) as again:
                    cookie = await login_cookie(again.base_url, "admin1", PASSWORD)
                    async with (
                        aiohttp.ClientSession(cookies={"madoguchi_session": cookie}) as http,
                        http.get(f"{again.base_url}/api/admin/records/set-aside") as resp,
                    ):
                        assert resp.status == 200
                        assert (await resp.json())["records"] == listed
                    assert await metric(again, "madoguchi_records_set_aside") == 1
                capsys.readouterr()
                assert await records_set_aside(argparse.Namespace(json=True, clear=False, retry=False), settings) == 0
                lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
                assert [(r["record"]["consultation"]["id"], r["error"]) for r in lines] == [(bad, listed[0]["error"])]
                clear = argparse.Namespace(json=True, clear=True, retry=False)
                assert await records_set_aside(clear, settings) == 2
                assert "Redis only" in capsys.readouterr().err

            db = Database(url)
            try:
                records = ConsultationRecords(db)
                good_record = await records.get(good)
                assert good_record is not None  # the case behind the bad record reached the database
                bad_events = [(e.kind, e.state) for e in await records.events(bad)]
                assert bad_events == [
                    ("created", "waiting"),
                    ("offer", "offered"),
                    ("accept", "active"),
                    ("end", "wrap_up"),
                    # the restart (in-process live state) found the case unfinished: its wrap-up is set aside
                    *([("interrupt", "interrupted")] if live_state == "memory" else []),
                ]
            finally:
                await db.close()
    finally:
        if live_state != "memory":
            await delete_redis_keys(prefix)


@pytest.mark.postgres
async def test_a_chat_line_the_database_refuses_is_invalid_not_retried_for_ever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chat line is stored before it is delivered; refused for its values it was ``unavailable``, which the
    page sends again and again. Now ``invalid_payload``, and the next line goes through."""
    monkeypatch.setattr(events, "find_unsafe", lambda data: None)  # the edge's check off: a value it missed
    async with (
        temporary_database_url("postgresql", tmp_path) as url,
        serve(make_settings(tmp_path, database_url=url)) as server,
    ):
        _, token, _ = await server.add_booth()
        await server.add_agent("agent1", PASSWORD)
        booth = await booth_peer(server, token)
        agent = await agent_peer(server, "agent1", PASSWORD)
        try:
            ok(await agent.call("agent.status", {"status": "available"}))
            cid = await answered_booth_call(booth, agent)
            ack = await booth.call("chat.send", {"consultation_id": cid, "text": "a\x00b", "client_id": "b-1"})
            assert ack["error"]["code"] == "invalid_payload", ack
            ok(await booth.call("chat.send", {"consultation_id": cid, "text": "こんにちは", "client_id": "b-2"}))
            status, ready = await get(f"{server.base_url}/readyz")
            assert status == 200, ready
        finally:
            await booth.close()
            await agent.close()
