"""A 個人番号 sent over three chat lines that say how it goes on (「マイナンバーは1234です。」, 「次の4桁は5678です。」,
「最後の4桁は9018です」), on the real server: the stored lines, the agent's screen (its lines with ``chat.redact``
applied), the agent's transcript after a reload and the CSV export hold no group of it (session 12's outside
attack: the 「4」 of 「4桁」 broke the pieces, and the CSV export showed 123456789018)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from madoguchi import keys
from madoguchi.domain.privacy import MY_NUMBER_MASK, is_valid_my_number
from tests.integration.storage.conftest import cli_env, run_cli
from tests.support import LiveServer, agent_peer, ok, resident_peer

PASSWORD = "correct horse battery"
MY = "123456789018"
GROUPS = (MY[:4], MY[4:8], MY[8:])
LINES = (f"マイナンバーは{GROUPS[0]}です。", f"次の4桁は{GROUPS[1]}です。", f"最後の4桁は{GROUPS[2]}です")


def no_group_in(texts: list[str]) -> None:
    joined = "\n".join(texts)
    assert not any(group in joined for group in GROUPS), joined
    assert MY not in "".join(ch for ch in joined if ch.isdigit())


def screen(events: dict[str, list[Any]], cid: str) -> dict[int, str]:
    """What a console shows: each line's latest text, ``chat.redact`` applied in the order events came."""
    shown: dict[int, str] = {}
    for name, payload in events:
        if payload["consultation_id"] != cid:
            continue
        if name == "chat.message":
            shown.setdefault(payload["seq"], payload["text"])
        else:
            for line in payload["lines"]:
                shown[line["seq"]] = line["text"]
    return shown


async def test_three_described_pieces_leave_no_number_on_screen_in_the_transcript_or_the_export(
    live_server: LiveServer, tmp_path: Path
) -> None:
    assert is_valid_my_number(MY)
    await live_server.add_agent("agent1", PASSWORD)
    agent = await agent_peer(live_server, "agent1", PASSWORD)
    home = await resident_peer(live_server)
    await home.wait_for("resident.state")
    first = ok(await home.call("chat.send", {"text": "人と話したい", "client_id": "r-0", "language": "ja"}))
    cid = first["consultation_id"]
    await home.wait_for("queue.position")
    ok(await agent.call("agent.status", {"status": "available"}))
    await agent.wait_for("offer", lambda o: o["consultation_id"] == cid)
    ok(await agent.call("offer.accept", {"consultation_id": cid}))
    await home.wait_for("call.start")

    order: list[tuple[str, Any]] = []
    original_on_any = agent._on_any

    async def keep_order(event: str, data: Any = None) -> None:
        if event in ("chat.message", "chat.redact"):
            order.append((event, data))
        await original_on_any(event, data)

    agent.sio.on("*", keep_order, namespace=agent.namespace)
    seqs = []
    for n, text in enumerate(LINES):
        sent = {"text": text, "client_id": f"r-{n + 1}", "language": "ja"}
        seqs.append(ok(await home.call("chat.send", sent))["seq"])
    redact = await agent.wait_for("chat.redact", lambda r: r["consultation_id"] == cid)
    assert sorted(line["seq"] for line in redact["lines"]) == seqs[:2]
    await agent.wait_for("chat.message", lambda m: m["seq"] == seqs[2])
    on_screen = screen(order, cid)
    assert [on_screen[seq] for seq in seqs] == [
        f"マイナンバーは{MY_NUMBER_MASK}です。",
        f"次の4桁は{MY_NUMBER_MASK}です。",
        f"最後の4桁は{MY_NUMBER_MASK}です",
    ]
    no_group_in(list(on_screen.values()))
    # the resident's own page is told too
    await home.wait_for("chat.redact", lambda r: r["consultation_id"] == cid)

    # the agent's transcript, as a reload (a second console) reads it
    again = await agent_peer(live_server, "agent1", PASSWORD)
    state = await again.wait_for("agent.state", lambda s: s.get("consultation") is not None)
    transcript = [line["text"] for line in state["consultation"]["chat"]]
    assert any(MY_NUMBER_MASK in text for text in transcript)
    no_group_in(transcript)
    await again.close()

    stored = [line.text for line in await live_server.app[keys.RECORDS].chat(cid)]
    no_group_in(stored)

    ok(await home.call("consultation.end", {"consultation_id": cid}))
    await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
    ok(await agent.call("wrapup.submit", {"consultation_id": cid, "disposition": "resolved", "note": "案内済み"}))
    await agent.close()
    await home.close()

    env = cli_env(tmp_path / "cli-data", live_server.settings.effective_database_url)
    result = await run_cli(env, "records", "export", "--format", "csv")
    assert result.status == 0, result
    cells = [cell for row in csv.reader(io.StringIO(result.stdout)) for cell in row]
    transcript_cells = [cell for cell in cells if "最後の4桁は" in cell]
    assert transcript_cells and all(MY_NUMBER_MASK in cell for cell in transcript_cells), transcript_cells
    no_group_in(transcript_cells)
    assert MY not in result.stdout


async def test_described_pieces_told_to_the_bot_are_masked_in_the_record_and_the_ack_says_so(
    live_server: LiveServer,
) -> None:
    home = await resident_peer(live_server)
    await home.wait_for("resident.state")
    acks = []
    for n, text in enumerate(LINES):
        acks.append(ok(await home.call("chat.send", {"text": text, "client_id": f"b-{n}", "language": "ja"})))
    cid = acks[0]["consultation_id"]
    assert [ack["masked"] for ack in acks] == [False, False, True]
    redact = await home.wait_for("chat.redact", lambda r: r["consultation_id"] == cid)
    assert sorted(line["seq"] for line in redact["lines"]) == [acks[0]["seq"], acks[1]["seq"]]
    await home.close()
    [row] = [row for row in await live_server.export_records() if row["consultation_id"] == cid]
    exported = json.dumps(row, ensure_ascii=False)
    assert MY_NUMBER_MASK in exported
    no_group_in([exported])
