"""The kiosk's header (static/js/boothplace.js) says the same parts in every language as in Japanese: the booth's
name, its place, or both, the place in the page's language (tidy14: English showed 「Shiomi Post Office」 where
Japanese showed 「汐見郵便局ブース」, and dropped 「ブース1」 from 「ブース1・汐見郵便局」). The place's name in each
language comes from the server as it does for a kiosk (``madoguchi.domain.place_names``)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from madoguchi.domain.languages import PAGE_LANGUAGES
from madoguchi.domain.place_names import booth_names_in_every_language, place_names_in_every_language

BOOTHPLACE = Path(__file__).resolve().parents[2] / "madoguchi" / "static" / "js" / "boothplace.js"

PLACE = "汐見郵便局"
NAMES = {"en": "Shiomi Post Office", "zh": "汐见邮局", "easy-ja": "しおみ ゆうびんきょく"}
READING = "Shiomi Yūbinkyoku"


def labels(booth: dict[str, object]) -> dict[str, str]:
    script = (
        f"const m = await import({json.dumps(BOOTHPLACE.as_uri())});"
        f"const booth = {json.dumps(booth)};"
        f"console.log(JSON.stringify(Object.fromEntries({json.dumps(PAGE_LANGUAGES)}.map((l) => "
        "[l, m.placeLabelIn(booth, l)]))));"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


@pytest.mark.parametrize(
    ("name", "japanese", "parts"),
    [
        ("汐見郵便局ブース", "汐見郵便局ブース", "name"),  # the name says the place: the name alone
        ("ブース1", "ブース1・汐見郵便局", "both"),  # the name says nothing of the place: both
        ("汐見", "汐見郵便局", "place"),  # the place says the name: the place alone
    ],
)
def test_every_language_says_the_parts_the_japanese_header_says(name: str, japanese: str, parts: str) -> None:
    place_names = place_names_in_every_language(PLACE, NAMES, READING)
    shown = labels({"name": name, "place": PLACE, "place_names": place_names})
    assert shown["ja"] == japanese
    for language in PAGE_LANGUAGES:
        local = place_names[language]
        expected = {"name": name, "place": local, "both": f"{name}・{local}"}[parts]
        assert shown[language] == expected, (language, shown)
    if parts != "name":  # the place in the page's words where Japanese says the place
        assert PLACE not in shown["en"] and "Shiomi Post Office" in shown["en"]
        assert shown["vi"].endswith(f"{PLACE} ({READING})")  # no name of its own: the Japanese with its reading


def test_a_booth_without_a_place_says_its_name_and_location_in_every_language() -> None:
    shown = labels({"name": "テストブース", "place": None, "location": "汐見町 1階", "place_names": {}})
    assert set(shown.values()) == {"テストブース・汐見町 1階"}


def test_the_booths_own_name_in_the_page_language_stands_for_the_japanese_one() -> None:
    """Session 16: a booth's display name given per language (``booth_names_in_every_language``: the admin's own,
    else Japanese) is the name part of the header in that language; the parts shown stay the Japanese header's."""
    booth_names = booth_names_in_every_language(
        "汐見郵便局ブース", {"en": "Shiomi Post Office booth", "vi": "Quầy Shiomi"}
    )
    place_names = place_names_in_every_language(PLACE, NAMES, READING)
    shown = labels({"name": "汐見郵便局ブース", "names": booth_names, "place": PLACE, "place_names": place_names})
    assert shown["ja"] == shown["easy-ja"] == shown["zh"] == "汐見郵便局ブース"  # none of their own: Japanese
    assert shown["en"] == "Shiomi Post Office booth"
    assert shown["vi"] == "Quầy Shiomi"
    both = labels({"name": "ブース1", "names": {"en": "Booth 1"}, "place": PLACE, "place_names": place_names})
    assert both["en"] == "Booth 1・Shiomi Post Office"
    assert both["ja"] == "ブース1・汐見郵便局"
