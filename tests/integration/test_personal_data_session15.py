"""Session 15's outside attack on the real server, read back in the stored form: a phone number sent over chat
lines with filler lines between the pieces, and a street number written with hyphens, reached the transcript, the
handoff summary, the wrap-up and transfer notes and the export in clear. Now each is masked wherever it is kept."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from madoguchi import keys
from madoguchi.domain.privacy import ADDRESS_MASK, PHONE_MASK
from tests.integration.test_admin_web import PASSWORD
from tests.support import (
    LiveServer,
    agent_peer,
    booth_peer,
    make_settings,
    office_hours_clock,
    ok,
    resident_peer,
    serve,
)

CLEAR = ("1-2-3-101", "１－２－３", "123-4")


def clear_in(value: Any) -> list[str]:
    """The clear pieces found in ``value`` (any JSON-like value): the street numbers as written, and the phone's
    groups standing as digits of their own."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    found = [piece for piece in CLEAR if piece in text]
    return found + [group for group in ("090", "1234", "5678") if re.search(f"(?<!\\d){group}(?!\\d)", text)]


async def resident_lines(server: LiveServer, lines: list[str], prefix: str) -> tuple[str, list[str]]:
    home = await resident_peer(server)
    await home.wait_for("resident.state")
    cid = None
    for n, text in enumerate(lines):
        ack = await home.call("chat.send", {"text": text, "client_id": f"{prefix}-{n}", "language": "ja"})
        assert "error" not in ack, ack
        cid = ack.get("consultation_id", cid)
    await home.close()
    assert cid is not None
    records = server.app[keys.RECORDS]
    mine = {records.client_key(cid, f"{prefix}-{n}") for n in range(len(lines))}
    return cid, [line.text for line in await records.chat(cid) if line.client_id in mine]


async def test_phone_pieces_with_fillers_and_hyphen_addresses_are_stored_masked(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, resident_lines_per_address_per_minute=1000, resident_line_burst_per_address=100)
    async with serve(settings, clock=office_hours_clock()) as server:
        await server.add_agent("agent1", PASSWORD)
        _booth_id, token, _ = await server.add_booth()
        one, said = await resident_lines(server, ["職員と話したい。電話は", "090", "1234", "えっと", "5678"], "f1")
        assert said == ["職員と話したい。電話は", PHONE_MASK, PHONE_MASK, "えっと", PHONE_MASK]
        two, said = await resident_lines(
            server, ["職員と話したい。電話は", "090", "1234", "すみません", "ちょっと待ってください", "5678"], "f2"
        )
        assert said[1:3] == [PHONE_MASK, PHONE_MASK] and said[-1] == PHONE_MASK
        three, said = await resident_lines(
            server, ["住所は汐見1-2-3-101です", "鹿児島県熊毛郡汐見町汐見１－２－３", "090 えっと 1234-5678"], "f3"
        )
        assert said == [f"住所は汐見{ADDRESS_MASK}です", f"鹿児島県熊毛郡汐見町汐見{ADDRESS_MASK}", PHONE_MASK]

        # at the booth: the question, the agent's transfer note and the wrap-up note
        agent = await agent_peer(server, "agent1", PASSWORD)
        booth = await booth_peer(server, token)
        await booth.wait_for("booth.state")
        ok(await agent.call("agent.status", {"status": "available"}))
        request = ok(
            await booth.call(
                "consultation.request", {"route": "tax", "question": "〒891-3701 鹿児島県汐見町汐見123-4 の税金"}
            )
        )
        case = request["consultation_id"]
        offer = await agent.wait_for("offer", lambda o: o["consultation_id"] == case)
        assert clear_in(offer) == []
        ok(await agent.call("offer.accept", {"consultation_id": case}))
        await booth.wait_for("call.start")
        ok(
            await agent.call(
                "chat.send", {"consultation_id": case, "text": "住所は汐見1-2-3-101ですね", "client_id": "a1"}
            )
        )
        ok(await agent.call("consultation.end", {"consultation_id": case}))
        await agent.wait_for("agent.state", lambda s: s["status"] == "wrap_up")
        note = "汐見町汐見１－２－３の方、090 えっと 1234-5678"
        ok(await agent.call("wrapup.submit", {"consultation_id": case, "disposition": "resolved", "note": note}))
        for peer in (agent, booth):
            await peer.close()

        records = server.app[keys.RECORDS]
        for cid in (one, two, three, case):
            assert clear_in([line.text for line in await records.chat(cid)]) == [], cid
        rows = await server.export_records()
        assert {row["consultation_id"] for row in rows} >= {one, two, three, case}
        assert clear_in(rows) == []
