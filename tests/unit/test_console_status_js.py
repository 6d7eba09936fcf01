"""The console's status words (static/js/consolestatus.js, pure part): ux16's tester saw 着信中 in the badge and the
idle heading over 「相談が 届くのを 待っています」 after a transfer — the server's "ringing" reached a page whose offer
was not on screen. 着信中 is shown only with the offer view; otherwise the agent reads 受付中."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

MODULE = Path(__file__).resolve().parents[2] / "madoguchi" / "static" / "js" / "consolestatus.js"
CASES = [("ringing", "offer"), ("ringing", "idle"), ("ringing", "call"), ("available", "idle"), ("busy", "call")]


def test_ringing_is_said_only_with_the_offer_on_screen() -> None:
    script = (
        f"const m = await import({json.dumps(MODULE.as_uri())});"
        f"console.log(JSON.stringify({json.dumps(CASES)}.map(([s, v]) => "
        "[m.shownStatus(s, v), m.statusKey(m.shownStatus(s, v))])));"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    said = json.loads(out.stdout)
    assert said == [
        ["ringing", "console.status.now.ringing"],
        ["available", "console.status.now.available"],
        ["available", "console.status.now.available"],
        ["available", "console.status.now.available"],
        ["busy", "console.status.now.busy"],
    ], said
