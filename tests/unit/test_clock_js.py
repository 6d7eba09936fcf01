"""One clock for every page (tidy16): dates.js's formatDayAndTime wrote its 24-hour clock by padding the hour and
minute itself beside clock.js's formatTime; now formatTime takes the zone and formatDayAndTime writes its clock
with it. The words stay the same (「12月9日(水) 08:05」 where the browser has no date data for the language)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

JS = Path(__file__).resolve().parents[2] / "madoguchi" / "static" / "js"
JA = Path(__file__).resolve().parents[2] / "madoguchi" / "static" / "i18n" / "ja.json"

# the least of a page for i18n.js and clock.js under node: the Japanese catalog embedded, the town's zone on <body>
_PAGE = f"""
const catalog = {json.dumps(JA.read_text(encoding="utf-8"))};
globalThis.window = {{ location: {{ search: "" }} }};
globalThis.navigator = {{ languages: ["ja"] }};
globalThis.CustomEvent = class {{}};
globalThis.document = {{
  querySelector: () => null,
  querySelectorAll: () => [],
  getElementById: (id) => (id === "i18n-catalog" ? {{ textContent: catalog }} : null),
  documentElement: {{ lang: "ja" }},
  body: {{ dataset: {{ timeZone: "Asia/Tokyo" }} }},
  dispatchEvent: () => true,
}};
"""


def run(script: str) -> object:
    code = (
        _PAGE
        + f"const clock = await import({json.dumps((JS / 'clock.js').as_uri())});"
        + f"const dates = await import({json.dumps((JS / 'dates.js').as_uri())});"
        + f"const i18n = await import({json.dumps((JS / 'i18n.js').as_uri())});"
        + "await i18n.initI18n();"
        + script
    )
    # the code on stdin, not as an argument: the embedded catalog is over the 128 KiB a single argument may hold
    out = subprocess.run(["node", "--input-type=module"], input=code, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


MOMENTS = [
    datetime(2026, 12, 8, 23, 5, tzinfo=UTC),  # 08:05 the next day in Tokyo: the hour padded
    datetime(2026, 12, 8, 15, 0, tzinfo=UTC),  # midnight in Tokyo
    datetime(2026, 12, 9, 4, 30, tzinfo=UTC),
]
ZONES = ["Asia/Tokyo", "UTC", "America/New_York"]


def test_format_time_takes_the_zone_it_is_given() -> None:
    epochs = [int(m.timestamp()) for m in MOMENTS]
    shown = run(
        f"console.log(JSON.stringify({json.dumps(epochs)}.map((e) => "
        "[clock.formatTime(e), clock.formatTime(e, 'America/New_York'), clock.formatTime(e, 'UTC')])));"
    )
    expected = [
        [m.astimezone(ZoneInfo(zone)).strftime("%H:%M") for zone in ("Asia/Tokyo", "America/New_York", "UTC")]
        for m in MOMENTS
    ]
    assert shown == expected


@pytest.mark.parametrize("zone", ZONES)
def test_the_day_and_time_words_stay_the_same_without_the_languages_date_data(zone: str) -> None:
    """The catalog's day words and a two-digit 24-hour clock, as before (no Intl data: Nepali on Debian's Chromium)."""
    epochs = [int(m.timestamp()) for m in MOMENTS]
    shown = run(
        "Intl.DateTimeFormat.supportedLocalesOf = () => [];"
        f"console.log(JSON.stringify({json.dumps(epochs)}.map((e) => "
        f"dates.formatDayAndTime(new Date(e * 1000), {{ timeZone: {json.dumps(zone)} }}))));"
    )
    weekdays = "日月火水木金土"
    expected = []
    for moment in MOMENTS:
        local = moment.astimezone(ZoneInfo(zone))
        day = f"{local.month}月{local.day}日({weekdays[(local.weekday() + 1) % 7]})"
        expected.append(f"{day} {local:%H:%M}")
    assert shown == expected


def test_one_notice_clock_writes_every_minute_as_the_booking_pages_admin_and_hours_did() -> None:
    """book.js and staffbooking.js (「08:30」 of an ISO time without its first 0), townhours.js (「08:30」 → 「8:30」)
    and admin.js (the zoned hour and the padded minute) each wrote the unpadded clock their own way; now all four
    call clock.js's noticeClock. Every minute of a day reads as each of them wrote it."""
    shown = run(
        "const out = [];"
        "for (let m = 0; m < 1440; m += 1) {"
        "  const hhmm = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;"
        "  const iso = `2026-12-08T${hhmm}:00+09:00`;"
        "  const epoch = Date.parse(iso) / 1000;"
        "  const p = clock.zonedParts(epoch);"
        "  out.push([clock.noticeClock(iso.slice(11, 16)), iso.slice(11, 16).replace(/^0/, ''),"
        "    clock.noticeClock(` ${hhmm} `), hhmm.trim().replace(/^0(\\d)/, '$1'),"
        "    clock.noticeClock(clock.formatTime(epoch)), `${p.hour}:${String(p.minute).padStart(2, '0')}`]);"
        "}"
        "console.log(JSON.stringify(out));"
    )
    assert isinstance(shown, list) and len(shown) == 1440
    for new_book, old_book, new_hours, old_hours, new_admin, old_admin in shown:
        assert (new_book, new_hours, new_admin) == (old_book, old_hours, old_admin)
    assert shown[8 * 60 + 30][0] == "8:30" and shown[5][0] == "0:05" and shown[13 * 60][0] == "13:00"
