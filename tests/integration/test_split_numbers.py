"""A 個人番号 sent in pieces with other lines between them is masked in every stored piece, on the real server
(session 21's outside attack: 「9876 5432」, four lines of words, 「1093」 was kept in clear in ``chat_messages``
and in the transcript of the export, because only the last three lines were read together)."""

from __future__ import annotations

import json

from madoguchi import keys
from madoguchi.domain.pii_digits import my_number_check_digit
from tests.support import LiveServer, resident_peer

FIRST_ELEVEN = "98765432109"
MY_NUMBER = FIRST_ELEVEN + str(my_number_check_digit(FIRST_ELEVEN))  # 987654321093


async def test_pieces_with_words_between_them_are_masked_in_every_stored_line(live_server: LiveServer) -> None:
    assert MY_NUMBER == "987654321093"
    home = await resident_peer(live_server)
    await home.wait_for("resident.state")
    lines = ["9876 5432", "ちなみに", "わたしの", "番号の", "つづき", "1093"]
    cid = None
    for n, text in enumerate(lines):
        ack = await home.call("chat.send", {"text": text, "client_id": f"d-{n}", "language": "ja"})
        assert "error" not in ack, ack
        cid = ack.get("consultation_id", cid)
    masked = []
    for n, text in enumerate(["9876+5432+1093", "9876x5432x1093"]):  # one line, the groups joined by + or x
        masked.append((await home.call("chat.send", {"text": text, "client_id": f"p-{n}", "language": "ja"}))["masked"])
    await home.close()
    assert cid is not None

    stored = [line.text for line in await live_server.app[keys.RECORDS].chat(cid) if line.sender == "resident"]
    assert stored == [
        "［個人番号］",
        "ちなみに",
        "わたしの",
        "番号の",
        "つづき",
        "［個人番号］",
        "［個人番号］",
        "［個人番号］",
    ]
    for group in ("9876", "5432", "1093"):
        assert all(group not in text for text in stored), (group, stored)
    assert masked == [True, True]
    [row] = [row for row in await live_server.export_records() if row["consultation_id"] == cid]
    transcript = json.dumps(row["transcript"], ensure_ascii=False)
    assert "［個人番号］" in transcript
    for group in ("9876", "5432", "1093"):
        assert group not in transcript, group
