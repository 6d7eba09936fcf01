"""Masking gaps found and not yet fixed, each a strict xfail: it fails the suite the day the gap closes, so the
mark is taken off and the case joins the ordinary tests."""

from __future__ import annotations

import pytest

from madoguchi.domain.privacy import mask_pii


@pytest.mark.xfail(strict=True, reason="session 12: a word joiner before one digit and a comma after it hide a card")
def test_a_card_number_with_a_word_joiner_before_a_lone_digit_and_a_comma_after_it() -> None:
    # drawn by test_pii_everywhere's random samples in CI: 59343934665922 written with circled and superscript
    # digits, a kanji numeral, word joiners, a bracket, a comma and a soft hyphen; the plain shape below is enough
    assert mask_pii("番号は 59343(934\u20606,659\xad22 です。").kinds == ("card",)
