"""Every UI catalog says everything Japanese says, with the same placeholders, and nothing else.

Why here, without a server: a missing key shows a raw key (or silently Japanese) to a resident who chose their
language, and a dropped ``{minutes}`` shows a sentence with a hole; both are caught by reading the files. The
placeholder pattern is the one ``static/js/i18n.js`` and ``madoguchi.ui.translate_text`` fill: ``{name}``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest

from madoguchi import ui
from madoguchi.domain.languages import DEFAULT_LANGUAGE, PAGE_LANGUAGES

PLACEHOLDER = re.compile(r"\{(\w+)\}")  # as in i18n.js t(): text.replace(/\{(\w+)\}/g, ...)
CATALOG_FILES = sorted(ui.I18N_DIR.glob("*.json"))


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = Counter(key for key, _ in pairs)
    twice = sorted(key for key, count in keys.items() if count > 1)
    assert not twice, f"keys written more than once (the last would silently win): {twice}"
    return dict(pairs)


def read(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
    assert isinstance(data, dict), f"{path.name}: not one JSON object"
    return data


def problems(reference: Mapping[str, object], catalog: Mapping[str, object]) -> list[str]:
    """What is wrong with ``catalog`` measured against the Japanese one, one line each (empty: nothing)."""
    found = [f"missing key {key}" for key in reference if key not in catalog]
    found += [f"extra key {key}" for key in catalog if key not in reference]
    for key, text in catalog.items():
        if not isinstance(text, str):
            found.append(f"{key}: not a string")
            continue
        if not text.strip():
            found.append(f"{key}: empty")
        wanted = reference.get(key)
        if isinstance(wanted, str) and Counter(PLACEHOLDER.findall(text)) != Counter(PLACEHOLDER.findall(wanted)):
            found.append(
                f"{key}: placeholders {sorted(PLACEHOLDER.findall(text))} != {sorted(PLACEHOLDER.findall(wanted))}"
            )
    return found


@pytest.mark.parametrize("path", CATALOG_FILES, ids=[path.stem for path in CATALOG_FILES])
def test_every_catalog_matches_japanese_key_for_key_and_placeholder_for_placeholder(path: Path) -> None:
    japanese = read(ui.I18N_DIR / f"{DEFAULT_LANGUAGE}.json")
    assert problems(japanese, read(path)) == []


def test_every_page_language_has_a_catalog_and_a_name_in_every_catalog() -> None:
    assert {path.stem for path in CATALOG_FILES} == set(PAGE_LANGUAGES)
    japanese = read(ui.I18N_DIR / f"{DEFAULT_LANGUAGE}.json")
    # the console names the resident's language with lang.<code>, in the agent's own language
    assert [code for code in PAGE_LANGUAGES if f"lang.{code}" not in japanese] == []


def test_the_check_catches_a_missing_an_extra_an_empty_and_a_changed_placeholder() -> None:
    reference = {"a": "{count} 人", "b": "はい", "c": "{x}{x}"}
    assert problems(reference, {"a": "{count} people", "b": "yes", "c": "{x} and {x}"}) == []
    assert problems(reference, {"a": "{count} people", "c": "{x}{x}"}) == ["missing key b"]
    assert problems(reference, {**reference, "d": "more"}) == ["extra key d"]
    assert problems(reference, {**reference, "b": "  "}) == ["b: empty"]
    assert problems(reference, {**reference, "a": "{n} people"}) == ["a: placeholders ['n'] != ['count']"]
    assert problems(reference, {**reference, "c": "{x}"}) == ["c: placeholders ['x'] != ['x', 'x']"]
    assert problems(reference, {**reference, "b": 3}) == ["b: not a string"]


def test_a_key_written_twice_is_caught(tmp_path: Path) -> None:
    twice = tmp_path / "xx.json"
    twice.write_text('{"a": "1", "b": "2", "a": "3"}', encoding="utf-8")
    with pytest.raises(AssertionError, match="more than once"):
        read(twice)


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: p.stem)
def test_the_waiting_cards_say_different_things(path: Path) -> None:
    """The two figure cards stand side by side: 「待ち時間の めやす」 and 「お待ちの時間」 read alike, and 「まもなく」
    was both the estimate and the ringing line at once. Each card's label is its own, and the short estimate's words are
    not in the ringing line (both can show together)."""
    texts = read(path)
    estimate, elapsed = str(texts["booth.waiting.estimate_label"]), str(texts["booth.waiting.elapsed_label"])
    soon, ringing = str(texts["booth.waiting.estimate_soon"]), str(texts["booth.waiting.ringing"])
    assert estimate != elapsed and estimate not in elapsed and elapsed not in estimate, (estimate, elapsed)
    assert soon not in ringing and ringing not in soon, (soon, ringing)


def test_the_supervisors_selftest_lines_join_the_particle_to_the_word() -> None:
    """ux6: 「通信 を 確かめてください」 read as a stray space; the item names are words the particle belongs to."""
    for language in ("ja", "easy-ja"):
        catalog = ui.load_catalog(language)
        for key in ("sv.booth.selftest.warn", "sv.booth.selftest.fail"):
            assert "{items} " not in catalog[key], (language, key)


def test_the_japanese_catalog_names_each_language_as_the_staff_table_does() -> None:
    """The console names a case's language from ``lang.<code>`` (caselabels.js; the call-back list said the picker's
    「नेपाली」): on a Japanese console that is :attr:`Language.name_ja`, the one table the summary and export use."""
    from madoguchi.domain.languages import JA_NAMES

    japanese = read(ui.I18N_DIR / f"{DEFAULT_LANGUAGE}.json")
    assert {code: japanese.get(f"lang.{code}") for code in JA_NAMES} == JA_NAMES


@pytest.mark.parametrize("path", CATALOG_FILES, ids=[path.stem for path in CATALOG_FILES])
def test_the_kiosk_headers_readiness_tells_the_truth(path: Path) -> None:
    """ux12 item 1: after the booth's self-test found that no sound came back, its header still said
    「準備できています」 (a yellow dot its only sign) while the supervisors read 「通信を 確かめてください」. Ready,
    check needed and not ready are three different plain sentences in every language, none of them naming a device."""
    catalog = read(path)
    said = [str(catalog[f"booth.conn.{key}"]) for key in ("ready", "connected", "check_fail")]
    assert len(set(said)) == 3, said
    items = ("camera", "microphone", "speaker", "network")
    names = [str(catalog[f"booth.selftest.{item}"]).casefold() for item in items]
    assert not [text for text in said for name in names if name in text.casefold()], (said, names)


def test_the_vietnamese_text_names_the_town_office_one_way() -> None:
    """tidy10: the Vietnamese text said 「ủy ban thị trấn」 (the town's office, as Vietnam's own town committee:
    the word a Vietnamese resident of a Japanese town knows, matching 町政府, 읍사무소, munisipyo) in most places
    and 「tòa thị chính」 (a city hall) in others: one word for 役場 in the catalog, the sample knowledge base and
    the seeded place names."""
    root = ui.I18N_DIR.parents[1]
    texts = {
        "vi.json": (ui.I18N_DIR / "vi.json").read_text(encoding="utf-8"),
        "storage/seed.py": (root / "storage" / "seed.py").read_text(encoding="utf-8"),
    }
    for path in sorted((root / "chatbot" / "data" / "shiomi").rglob("*.yaml")):
        texts[str(path.relative_to(root))] = path.read_text(encoding="utf-8")
    mixed = [name for name, text in texts.items() if "tòa thị chính" in text.lower()]
    assert mixed == [], mixed
    assert "ủy ban thị trấn" in texts["vi.json"].lower()


def test_the_korean_text_names_the_town_office_one_way() -> None:
    """tidy13: the Korean catalog said 마을 사무소 (a village's office) where the sample knowledge base, its
    answers and the seeded places say 읍사무소 (the office of a 읍, a town: a 町役場). One word now, wherever
    Korean is written for residents (the catalogs, the knowledge base, the templates, the scripts, the seed)."""
    root = ui.I18N_DIR.parents[1]
    places = [
        root / "static" / "i18n",
        root / "chatbot" / "data" / "shiomi",
        root / "templates",
        root / "static" / "js",
    ]
    files = [path for place in places for path in sorted(place.rglob("*")) if path.is_file()]
    files.append(root / "storage" / "seed.py")
    mixed = [
        str(path.relative_to(root)) for path in files if re.search(r"마을\s*사무소", path.read_text(encoding="utf-8"))
    ]
    assert mixed == [], mixed
    korean = read(ui.I18N_DIR / "ko.json")
    assert "읍사무소" in str(korean["booth.idle.heading"])


def test_the_kiosk_calls_itself_a_screen_not_a_terminal() -> None:
    """tidy10: 「この端末は いま 使えません」: 端末 is office jargon; an 80-year-old reads 「この 画面」."""
    japanese = read(ui.I18N_DIR / "ja.json")
    jargon = sorted(key for key, text in japanese.items() if key.startswith("booth.") and "端末" in str(text))
    assert jargon == [], jargon
