"""No personal number survives anywhere: every input channel, on the real server, with real Socket.IO clients.

Generated 個人番号 (valid, and mistyped after a cue word), phone and card numbers, written in every width and in
kanji with any separators, go in through the resident's chat (bot, then a person), the booth's free-text
question and preview, the booth's chat, the agent's chat and the wrap-up note. Then everything the server kept
is searched for their digits: every table (through SQL), the SQLite file's bytes, the server's log, every Redis
key of the deployment (two processes) and both exports (the real ``madoguchi records export``).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import random
from pathlib import Path

import pytest
from sqlalchemy import select

from madoguchi.signaling.redis_store import connect_redis
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.db import open_database
from madoguchi.storage.models import Base
from tests.integration.storage.conftest import cli_env, run_cli
from tests.pii import Leaks, Sample, samples
from tests.support import REDIS_TEST_URL, LiveServer, agent_peer, booth_peer, ok, on_both_topologies, resident_peer

pytestmark = on_both_topologies

PASSWORD = "correct horse battery"


FIXED_SEED = 20261207


def masks(numbers: list[Sample]) -> int:
    """Mask tokens the samples become (ゆうちょ's 記号 and 番号 are two)."""
    return sum(n.masks for n in numbers)


def say(*numbers: Sample) -> str:
    return "番号は " + " と ".join(n.written for n in numbers) + " です。"


async def search_database(leaks: Leaks, database_url: str) -> int:
    db = await open_database(database_url)
    rows = 0
    try:
        async with db.read() as session:
            for table in Base.metadata.sorted_tables:
                for row in (await session.execute(select(table))).all():
                    rows += 1
                    for column, value in zip(table.columns, row, strict=True):
                        leaks.data(f"db:{table.name}.{column.name}", value)
    finally:
        await db.close()
    return rows


async def search_redis(leaks: Leaks, prefix: str) -> int:
    client = connect_redis(REDIS_TEST_URL)
    keys = 0
    try:
        async for key in client.scan_iter(match=f"{prefix}*"):
            keys += 1
            kind = await client.type(key)
            if kind == "string":
                values = [await client.get(key)]
            elif kind == "hash":
                values = [*(await client.hgetall(key)).items()]
            elif kind == "list":
                values = await client.lrange(key, 0, -1)
            elif kind == "set":
                values = list(await client.smembers(key))
            elif kind == "zset":
                values = await client.zrange(key, 0, -1)
            else:
                values = [await client.dump(key)]
            leaks.data(f"redis:{key}", [v for v in values if v is not None])
            leaks.raw(f"redis:{key}", json.dumps(values, default=str).encode())
    finally:
        await client.aclose()
    return keys


async def test_no_personal_number_is_kept_anywhere(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="madoguchi")
    # A fixed seed in CI: session 12's run drew a card number the masking then missed (a word joiner before one digit
    # and a comma after it; closed for its class in session 13, test_masking_hidden_and_foreign_marks.py), and a suite
    # that fails one run in twenty on a gap found holds every other change back. MADOGUCHI_PII_SEED=random explores.
    chosen = os.environ.get("MADOGUCHI_PII_SEED", str(FIXED_SEED))
    seed = random.randrange(2**32) if chosen == "random" else int(chosen)
    rng = random.Random(seed)
    numbers = iter(samples(rng, 18, sendable=True))
    typed: list[Sample] = []

    def take(n: int) -> list[Sample]:
        got = [next(numbers) for _ in range(n)]
        typed.extend(got)
        return got

    _booth_id, token, _ = await live_server.add_booth()
    agent_id = await live_server.add_agent("agent1", PASSWORD)
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    booth = await booth_peer(live_server, token)
    home = await resident_peer(live_server)
    await home.wait_for("resident.state")
    await booth.wait_for("booth.state")

    # --- the resident at home: bot first (triage record, summary), then a person
    first = ok(await home.call("chat.send", {"text": "人と話したい。" + say(*take(2)), "client_id": "r-1"}))
    assert first["masked"] is True
    home_case = first["consultation_id"]
    await home.wait_for("queue.position")
    ok(await agent.call("agent.status", {"status": "available"}))
    offer = await agent.wait_for("offer", lambda o: o["consultation_id"] == home_case)
    ok(await agent.call("offer.accept", {"consultation_id": home_case}))
    await home.wait_for("call.start")
    ok(await home.call("chat.send", {"text": say(*take(2)), "client_id": "r-2"}))
    await agent.wait_for("chat.message", lambda m: m["seq"] >= 3 and m["sender"] == "resident")
    said = take(2)
    ack = ok(await agent.call("chat.send", {"consultation_id": home_case, "text": say(*said), "client_id": "a-1"}))
    assert ack["masked"] == masks(said)
    await home.wait_for("chat.message", lambda m: m["sender"] == "agent")
    ok(await home.call("consultation.end", {"consultation_id": home_case}))
    await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    said = take(2)
    note = "\n".join(n.written for n in said)
    wrap = ok(
        await agent.call("wrapup.submit", {"consultation_id": home_case, "disposition": "resolved", "note": note})
    )
    assert wrap["masked"] == masks(said)
    await agent.wait_for("agent.state", lambda s: s["status"] == "available" and s["consultation"] is None)

    # --- the booth: a preview, a free-text question, then chat with the agent
    preview = ok(await booth.call("triage.preview", {"text": say(*take(1))}))
    assert not any(s.digits in preview["triage"]["masked_text"] for s in typed)
    said = take(2)
    request = ok(await booth.call("consultation.request", {"route": "tax", "question": say(*said)}))
    assert request["masked"] == masks(said)
    booth_case = request["consultation_id"]
    offer = await agent.wait_for("offer", lambda o: o["consultation_id"] == booth_case)
    ok(await agent.call("offer.accept", {"consultation_id": booth_case}))
    await booth.wait_for("call.start")
    said = take(2)
    line = ok(await booth.call("chat.send", {"consultation_id": booth_case, "text": say(*said), "client_id": "b-1"}))
    assert line["masked"] == masks(said)
    await agent.wait_for("chat.message", lambda m: m["consultation_id"] == booth_case and m["sender"] == "resident")
    ok(await agent.call("chat.send", {"consultation_id": booth_case, "text": say(*take(2)), "client_id": "a-2"}))
    await booth.wait_for("chat.message", lambda m: m["sender"] == "agent")
    ok(await agent.call("consultation.end", {"consultation_id": booth_case}))
    await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    said = take(3)
    note = "、".join(n.written for n in said)
    wrap = ok(
        await agent.call("wrapup.submit", {"consultation_id": booth_case, "disposition": "resolved", "note": note})
    )
    assert wrap["masked"] == masks(said)
    await agent.wait_for("agent.state", lambda s: s["status"] == "available" and s["consultation"] is None)
    for peer in (home, booth, agent):
        await peer.close()

    assert len(typed) == 18
    leaks = Leaks(typed)
    seen_by_clients = [*home.received.values(), *booth.received.values(), *agent.received.values()]
    leaks.data("sent to clients", seen_by_clients)
    assert offer["summary"] is not None

    # --- the database, through SQL, and the SQLite file's bytes
    database_url = live_server.settings.effective_database_url
    assert await search_database(leaks, database_url) > 10
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        files = sorted(path.parent.glob(path.name + "*"))
        assert files
        for file in files:
            leaks.raw(f"file:{file.name}", file.read_bytes())

    # --- every Redis key of this deployment
    if live_server.settings.redis_url:
        assert await search_redis(leaks, live_server.settings.redis_prefix) >= 1

    # --- both exports, by the real command
    env = cli_env(tmp_path / "cli-data", database_url)
    exported = {}
    for fmt in ("jsonl", "csv"):
        result = await run_cli(env, "records", "export", "--format", fmt)
        assert result.status == 0, result
        exported[fmt] = result
        leaks.raw(f"export:{fmt}", result.raw_stdout)
    rows = [json.loads(line) for line in exported["jsonl"].stdout.splitlines()]
    assert {row["consultation_id"] for row in rows} == {home_case, booth_case}
    leaks.data("export:jsonl", rows)
    for cells in csv.reader(io.StringIO(exported["csv"].stdout)):
        for cell in cells:
            leaks.text("export:csv", cell)
    assert all(row["note"] for row in rows) and all(row["transcript"] for row in rows)

    # --- staff access is audited: who was shown each case, who exported
    db = await open_database(database_url)
    try:
        audit = await AuditLog(db).recent()
    finally:
        await db.close()
    views = {(e.actor, e.detail["consultation_id"], e.detail["via"]) for e in audit if e.action == "record.view"}
    assert {(f"staff:{agent_id}", case, "accept") for case in (home_case, booth_case)} <= views
    assert [e.detail["format"] for e in audit if e.action == "records.export"] == ["csv", "jsonl"]

    # --- the server's log
    leaks.lines("log", (record.getMessage() for record in caplog.records))
    leaks.raw("log", caplog.text.encode())

    assert leaks.found == [], f"seed {seed}: {leaks.found}"
