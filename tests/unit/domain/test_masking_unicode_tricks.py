"""Unicode tricks around personal numbers: invisible characters between digits, unusual spaces, compatibility
digits (superscript, circled, parenthesised) and bidi overrides never let a number through masking.

Found by the red-team pass (issue 9): each of these left a valid 個人番号, phone or card number verbatim in the
text that is stored, exported and shown, while looking like the plain number on screen.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.domain.privacy import (
    CARD_MASK,
    MY_NUMBER_MASK,
    PHONE_MASK,
    digits_of,
    mask_pii,
    my_number_check_digit,
)

MY_NUMBER = "12345678901" + str(my_number_check_digit("12345678901"))
PHONE = "09012345678"
CARD = "4111111111111111"

# Zero-width and format characters (Cf), combining marks (Mn, Me: accents, variation selectors, the keycap)
INVISIBLE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u200e",
    "\u200f",
    "\u0301",
    "\ufe0f",
    "\u20e3",
]
# Spaces other than the usual ones (every Zs character is a space to a reader)
SPACES = sorted(ch for ch in map(chr, range(0x10000)) if unicodedata.category(ch) == "Zs")
SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹"
CIRCLED = "⓪①②③④⑤⑥⑦⑧⑨"
NEGATIVE_CIRCLED = "⓿❶❷❸❹❺❻❼❽❾"
COMPAT_SCRIPTS = (SUPERSCRIPT, CIRCLED, NEGATIVE_CIRCLED)


def assert_masked(text: str, token: str) -> None:
    result = mask_pii(text)
    assert token in result.text, (text, result.text)
    assert digits_of(result.text) == "", (text, result.text)


@pytest.mark.parametrize("number,token", [(MY_NUMBER, MY_NUMBER_MASK), (PHONE, PHONE_MASK), (CARD, CARD_MASK)])
@pytest.mark.parametrize("mark", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_an_invisible_character_between_digits_does_not_split_a_number(number: str, token: str, mark: str) -> None:
    assert_masked("番号は " + mark.join(number) + " です", token)
    assert_masked(number[:4] + mark + "-" + mark + number[4:], token)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_space_character_separates_digit_groups(data: st.DataObject) -> None:
    space = data.draw(st.sampled_from(SPACES))
    assert_masked(f"{MY_NUMBER[:4]}{space}{MY_NUMBER[4:8]}{space}{MY_NUMBER[8:]}", MY_NUMBER_MASK)
    assert_masked(f"電話 {PHONE[:3]}{space}{PHONE[3:7]}{space}{PHONE[7:]}", PHONE_MASK)


@pytest.mark.parametrize("script", COMPAT_SCRIPTS)
def test_superscript_and_circled_digits_are_digits(script: str) -> None:
    assert_masked("".join(script[int(d)] for d in PHONE), PHONE_MASK)
    assert_masked("".join(script[int(d)] for d in MY_NUMBER), MY_NUMBER_MASK)


@pytest.mark.parametrize(
    "text",
    [
        "\u202e" + MY_NUMBER[::-1] + "\u202c",  # shown as the number, stored backwards
        "\u2067" + PHONE[::-1] + "\u2069",
        MY_NUMBER[:6] + "\u202e" + MY_NUMBER[6:],
    ],
)
def test_bidi_controls_are_dropped_so_what_is_stored_reads_as_it_is_shown(text: str) -> None:
    result = mask_pii(text)
    assert not any(unicodedata.category(ch) == "Cf" for ch in result.text)


def test_a_bidi_override_cannot_hide_a_number_that_reads_forwards() -> None:
    assert mask_pii("\u202d" + MY_NUMBER + "\u202c").text == MY_NUMBER_MASK


def test_ordinary_text_with_joiners_and_list_markers_is_kept() -> None:
    family = "家族 👨\u200d👩\u200d👧 で行きます"
    assert mask_pii(family).text == family
    steps = "①住民票 ②印鑑証明 ③本人確認書類"
    assert mask_pii(steps).text == steps
    nepali = "नमस्ते\u200d म आउँछु"
    assert mask_pii(nepali).text == nepali


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("携帯2 090-1234-5678", "携帯2 "),
        ("No.5 090 1234 5678", "No.5 "),
        ("ブース２ 09012345678", "ブース２ "),
        ("連絡先: 2 " + MY_NUMBER, "連絡先: 2 "),
        ("123 " + CARD, "123 "),
        (PHONE + " 5", " 5"),
    ],
)
def test_a_stray_short_group_beside_a_number_does_not_hide_it(text: str, kept: str) -> None:
    result = mask_pii(text)
    assert result.masked_count == 1, result.text
    assert kept.strip() in result.text
    assert digits_of(result.text) == digits_of(kept)
