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
from tests.support import make_settings, office_hours_clock, resident_lines, serve, written_up_booth_case

CLEAR = ("1-2-3-101", "１－２－３", "123-4")


def clear_in(value: Any) -> list[str]:
    """The clear pieces found in ``value`` (any JSON-like value): the street numbers as written, and the phone's
    groups standing as digits of their own."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    found = [piece for piece in CLEAR if piece in text]
    return found + [group for group in ("090", "1234", "5678") if re.search(f"(?<!\\d){group}(?!\\d)", text)]


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
        case = await written_up_booth_case(
            server,
            token,
            ("agent1", PASSWORD),
            question="〒891-3701 鹿児島県汐見町汐見123-4 の税金",
            line="住所は汐見1-2-3-101ですね",
            note="汐見町汐見１－２－３の方、090 えっと 1234-5678",
        )
        assert clear_in(case.offer) == []

        records = server.app[keys.RECORDS]
        for cid in (one, two, three, case.consultation_id):
            assert clear_in([line.text for line in await records.chat(cid)]) == [], cid
        rows = await server.export_records()
        assert {row["consultation_id"] for row in rows} >= {one, two, three, case.consultation_id}
        assert clear_in(rows) == []
