"""A place's name per page language: its own, else the Japanese one with the romaji reading (not English)."""

from __future__ import annotations

from madoguchi.domain.place_names import place_name_in, place_names_in_every_language


def test_a_language_with_its_own_name_shows_it() -> None:
    assert place_name_in("汐見郵便局", {"vi": "Bưu điện Shiomi"}, "Shiomi Yūbinkyoku", "vi") == "Bưu điện Shiomi"


def test_without_one_the_japanese_name_stands_in_with_its_reading_for_non_japanese_readers() -> None:
    names = {"en": "Shiomi Post Office", "ne": "  "}
    assert place_name_in("汐見郵便局", names, "Shiomi Yūbinkyoku", "ne") == "汐見郵便局 (Shiomi Yūbinkyoku)"
    assert place_name_in("汐見郵便局", names, "Shiomi Yūbinkyoku", "easy-ja") == "汐見郵便局"
    assert place_name_in("汐見郵便局", None, None, "pt") == "汐見郵便局"


def test_every_page_language_gets_a_name() -> None:
    shown = place_names_in_every_language("凪島公民館", {"en": "Nagishima Community Centre"}, "")
    assert shown["ja"] == "凪島公民館" and shown["en"] == "Nagishima Community Centre" and shown["tl"] == "凪島公民館"
    assert len(shown) == 9
