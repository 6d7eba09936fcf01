"""Phone numbers as the console shows them (static/js/numbers.js, run in Node on the vendored libphonenumber-js):
every Japanese area-code length groups as the national table says — 03 and 06 (2 digits), 045 (3), 0853 and 0996
(4), 09969 (5) — not 3-3-4 for everything outside Tokyo and Osaka; mobiles, toll-free and navi dial keep their
groups; what is not a valid Japanese number is shown as it was given."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

STATIC = Path(__file__).resolve().parents[3] / "madoguchi" / "static"

SHOWN = {
    "09012345678": "090-1234-5678",
    "+81 80 1234 5678": "080-1234-5678",
    "0081 80 1234 5678": "080-1234-5678",
    "05012345678": "050-1234-5678",
    "0312345678": "03-1234-5678",
    "0612345678": "06-1234-5678",
    "0451234567": "045-123-4567",
    "0112345678": "011-234-5678",
    "0853212345": "0853-21-2345",  # 出雲
    "0996221234": "0996-22-1234",  # 薩摩川内
    "0996912345": "09969-1-2345",  # 甑島
    "0155234567": "0155-23-4567",  # 帯広
    "01267 2 3456": "01267-2-3456",  # 岩見沢の一部
    "0120123456": "0120-123-456",
    "0570-123-456": "0570-123-456",
    "08001234567": "0800-123-4567",
    "123": "123",
    "+1 555 0100": "+1 555 0100",
    "+1 202 555 0100": "+1 202 555 0100",
    "電話 090": "電話 090",
}


def test_every_area_code_shape_is_grouped_as_the_national_table_says() -> None:
    bundle = json.dumps(str(STATIC / "vendor" / "libphonenumber-min.js"))
    module = json.dumps((STATIC / "js" / "numbers.js").as_uri())
    script = (
        "import { createRequire } from 'node:module';"
        f"globalThis.libphonenumber = createRequire(import.meta.url)({bundle});"
        f"const m = await import({module});"
        f"console.log(JSON.stringify({json.dumps(list(SHOWN))}.map((raw) => m.formatPhone(raw))));"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    assert dict(zip(SHOWN, json.loads(out.stdout), strict=True)) == SHOWN


BOOKING_CODES = {
    "819183204417": "8191 8320 4417",  # a code since session 13
    "81918320": "8191 8320",  # one given before, still valid until its day
    "8191832044": "8191832044",  # neither: shown as given
    "８１９１８３２０": "８１９１８３２０",
}


def test_booking_codes_of_both_lengths_are_grouped_by_four() -> None:
    bundle = json.dumps(str(STATIC / "vendor" / "libphonenumber-min.js"))
    module = json.dumps((STATIC / "js" / "numbers.js").as_uri())
    script = (
        "import { createRequire } from 'node:module';"
        f"globalThis.libphonenumber = createRequire(import.meta.url)({bundle});"
        f"const m = await import({module});"
        f"console.log(JSON.stringify({json.dumps(list(BOOKING_CODES))}.map((raw) => m.formatBookingCode(raw))));"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    assert dict(zip(BOOKING_CODES, json.loads(out.stdout), strict=True)) == BOOKING_CODES
