"""The pages clean what a person typed or pasted before sending (static/js/cleantext.js): a word processor's
vertical tab becomes a newline, a NUL is dropped, so the server's text rule (docs/protocol.md, "Text") never
refuses a person; and what the pages clean passes that rule (madoguchi.domain.safe_text)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from madoguchi.domain.safe_text import find_unsafe

CLEANTEXT = Path(__file__).resolve().parents[3] / "madoguchi" / "static" / "js" / "cleantext.js"

PAYLOAD = {
    "question": "一行目\v二行目\f三行目\x85四行目",
    "text": "税金\x00の\x1b相談\x7f\x9f",
    "note": "keep\ttab\r\nand newline 🙂 \u200b\u2028",
    "nested": [{"sdp": "v=0\r\no=- 1\r\n"}, 3, True, None],
    "key\x01": "x",
}


def test_pasted_controls_are_cleaned_and_what_is_sent_passes_the_server_rule() -> None:
    script = (
        f"const m = await import({json.dumps(CLEANTEXT.as_uri())});"
        f"console.log(JSON.stringify(m.cleanPayload({json.dumps(PAYLOAD)})));"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    sent = json.loads(out.stdout)
    assert sent == {
        "question": "一行目\n二行目\n三行目\n四行目",
        "text": "税金の相談",
        "note": "keep\ttab\r\nand newline 🙂 \u200b\u2028",
        "nested": [{"sdp": "v=0\r\no=- 1\r\n"}, 3, True, None],
        "key": "x",
    }
    assert find_unsafe(sent) is None
    assert find_unsafe(PAYLOAD) is not None
