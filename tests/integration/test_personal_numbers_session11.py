"""Session 11's outside attack on the real server, read back in the stored form: a 個人番号 sent as three lines
each ended with です, corrected in its last group, or joined by colons (a booth question, an agent's line), reached
``chat_messages``, the case summary and the exports; a ``client_id`` and an admin's username of twelve such digits
were stored. Now every piece is masked, and the ids and names are refused with a sentence that does not repeat
them."""

from __future__ import annotations

import json
from pathlib import Path

from madoguchi import keys
from madoguchi.domain.privacy import MY_NUMBER_MASK
from tests.integration.test_admin_web import PASSWORD, signed_in
from tests.integration.test_pii_everywhere import search_database
from tests.pii import Leaks, Sample
from tests.support import (
    LiveServer,
    Peer,
    make_settings,
    office_hours_clock,
    resident_lines,
    serve,
    written_up_booth_case,
)

MY_NUMBER = "123456789018"  # the right check digit
GROUPS = ("1234", "5678", "9018", "9017")


def leaks() -> Leaks:
    return Leaks([Sample("my_number", MY_NUMBER, MY_NUMBER), Sample("my_number", "123456789017", "1234 5678 9017")])


async def refuse_a_personal_number_client_id(home: Peer) -> None:
    """A client id that is a personal number: refused, and the answer does not repeat it."""
    refused = await home.call("chat.send", {"text": "はい", "client_id": MY_NUMBER, "language": "ja"})
    assert refused["error"]["code"] == "invalid_payload" and "personal number" in refused["error"]["message"]
    assert not any(group in json.dumps(refused) for group in GROUPS)


async def stored_lines(server: LiveServer, lines: list[str], prefix: str) -> tuple[str, list[str]]:
    """A new resident sends ``lines`` and a client id that is a personal number; (their case, the lines as stored),
    the refused client id stored nowhere."""
    cid, said = await resident_lines(server, lines, prefix, before_leaving=refuse_a_personal_number_client_id)
    assert MY_NUMBER not in [line.client_id for line in await server.app[keys.RECORDS].chat(cid)]
    return cid, said


async def test_pieces_corrections_and_colons_are_stored_masked(tmp_path: Path) -> None:
    async with serve(make_settings(tmp_path), clock=office_hours_clock()) as server:
        await server.add_agent("agent1", PASSWORD)
        _booth_id, token, _ = await server.add_booth()
        cid, said = await stored_lines(server, ["1234です", "5678です", "9018です"], "desu")
        assert said == [f"{MY_NUMBER_MASK}です"] * 3
        corrected, said = await stored_lines(server, ["番号は 1234 5678", "9017", "9018"], "fix")
        assert said == [f"番号は {MY_NUMBER_MASK}", MY_NUMBER_MASK, MY_NUMBER_MASK]

        # the booth's question and the agent's line, groups joined by colons
        case = await written_up_booth_case(
            server,
            token,
            ("agent1", PASSWORD),
            question="税金の相談 1234:5678:9018",
            line="1234：5678：9018です",
            note="済",
        )
        assert case.request["masked"] == 1 and case.line["masked"] == 1
        summary = case.offer["summary"]
        assert summary is not None and MY_NUMBER_MASK in json.dumps(summary, ensure_ascii=False)

        found = leaks()
        assert await search_database(found, server.settings.effective_database_url) > 10
        rows = await server.export_records()
        assert {row["consultation_id"] for row in rows} >= {cid, corrected, case.consultation_id}
        found.data("export", rows)
        assert found.found == []


async def test_an_admin_cannot_name_staff_booths_or_places_with_a_personal_number(live_server: LiveServer) -> None:
    await live_server.add_agent("admin-a", PASSWORD, role="admin", municipality="shiomi")
    staff = {"role": "agent", "municipality_id": "shiomi", "routes": ["*"], "languages": ["ja"]}
    async with signed_in(live_server, "admin-a") as admin:
        for body in (
            {**staff, "username": MY_NUMBER},
            {**staff, "username": "sato-1234-5678-9018"},
            {**staff, "username": "sato", "display_name": "佐藤 1234:5678:9018"},
        ):
            status, refused = await admin.post("/api/admin/staff", body)
            assert (status, refused["error"]["code"]) == (400, "personal_number"), refused
            assert "personal number" in refused["error"]["message"]
            assert not any(group in json.dumps(refused) for group in GROUPS)
        status, refused = await admin.post(
            "/api/admin/booths", {"name": f"ブース {MY_NUMBER}", "municipality_id": "shiomi"}
        )
        assert (status, refused["error"]["code"]) == (400, "personal_number"), refused
        status, refused = await admin.post(
            "/api/admin/places",
            {"place_id": MY_NUMBER, "municipality_id": "shiomi", "name": "北局", "kind": "post_office"},
        )
        assert status == 400 and "personal number" in refused["error"]["message"], refused
        status, refused = await admin.post(
            "/api/admin/places",
            {"place_id": "kita", "municipality_id": "shiomi", "name": "北局 1234-5678-9018", "kind": "post_office"},
        )
        assert status == 400 and "personal number" in refused["error"]["message"], refused
    assert await live_server.app[keys.ACCOUNTS].by_username(MY_NUMBER) is None
    found = leaks()
    assert await search_database(found, live_server.settings.effective_database_url) > 0
    assert found.found == []
