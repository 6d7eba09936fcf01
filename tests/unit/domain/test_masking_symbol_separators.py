"""Digit groups joined by any symbol (``domain/pii_symbols.py``): session 11's outside attack stored
「税金の相談 1234:5678:9018」 and 「1234：5678：9018です」 as typed. The class is Unicode punctuation and symbols, at
most three between two groups, and only twelve digits with the right check digit count; times, ratios, sums and
lists keep their digits."""

from __future__ import annotations

import pytest

from madoguchi.domain.pii_lines import mask_across_lines
from madoguchi.domain.pii_symbols import SYMBOL_RUN, symbol
from madoguchi.domain.privacy import MY_NUMBER_MASK, mask_pii

# 123456789018 is a valid 個人番号; 123456789017 is not
SYMBOLS = [":", "：", "=", "＝", "#", "＃", ";", "；", "─", "━", "&", "＆", "→", "⇒", "!", "?", "^", "§", "※", "★", "▶"]


@pytest.mark.parametrize("mark", SYMBOLS)
def test_any_symbol_between_the_groups_of_a_my_number(mark: str) -> None:
    assert symbol(mark)
    for text in (f"1234{mark}5678{mark}9018", f"1234 {mark} 5678 {mark} 9018", f"１２３４{mark}５６７８{mark}９０１８"):
        assert mask_pii(text).text == MY_NUMBER_MASK, text
        assert mask_pii(text).kinds == ("my_number",)


def test_the_attackers_lines() -> None:
    assert mask_pii("税金の相談 1234:5678:9018").text == f"税金の相談 {MY_NUMBER_MASK}"
    assert mask_pii("1234：5678：9018です").text == f"{MY_NUMBER_MASK}です"
    assert mask_pii("1234-5678:9018").text == MY_NUMBER_MASK  # a usual separator and a symbol mixed
    assert mask_pii("番号 1234=5678=9018 です").text == f"番号 {MY_NUMBER_MASK} です"
    assert mask_pii("1234:5678:9018:7777").text == f"{MY_NUMBER_MASK}:7777"
    assert mask_pii("12:1234:5678:9018").text == f"12:{MY_NUMBER_MASK}"


def test_at_most_three_symbols_between_two_groups() -> None:
    joined = "━" * SYMBOL_RUN
    assert mask_pii(f"1234{joined}5678{joined}9018").text == MY_NUMBER_MASK
    apart = "━" * (SYMBOL_RUN + 1)
    assert mask_pii(f"1234{apart}5678{apart}9018").text == f"1234{apart}5678{apart}9018"


KEPT = [
    "1234:5678:9017",  # wrong check digit
    "12:30",
    "12:30 と 13:45",
    "12:30-13:00 9:00-10:30、15:00〜16:45",
    "会議 10:30:15 から",
    "比率は 3:1、16:9",
    "1920x1080 で 16:9",
    "1+1=2、12×12=144",
    "12,000円 + 3,500円 = 15,500円",
    "#1 #2 #3",
    "1; 2; 3;",
    "No.12 → No.13",
    "2024/12/03 → 2024/12/10",
    "300円→400円→500円",
    "1234%5678%9018",  # a percentage counts something
    "1234━━━━5678━━━━9018",  # four symbols: a rule drawn between numbers
    "1234 と 5678: 9018 は",  # a word between
]


@pytest.mark.parametrize("text", KEPT)
def test_times_ratios_sums_and_lists_are_kept(text: str) -> None:
    assert mask_pii(text).text == text


def test_pieces_over_lines_with_symbols() -> None:
    earlier, text = mask_across_lines(["1234:", "5678:"], "9018")
    assert earlier == [f"{MY_NUMBER_MASK}:", f"{MY_NUMBER_MASK}:"] and text == MY_NUMBER_MASK


def test_letters_and_kana_are_no_symbols() -> None:
    for ch in "aあア漢ー0０〇":  # ー is the long-vowel mark, a letter (the run reader joins by it on its own)
        assert not symbol(ch), ch
