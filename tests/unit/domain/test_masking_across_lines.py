"""A personal number sent in pieces over several chat lines is masked in every piece (``domain.pii_lines``)."""

from __future__ import annotations

from madoguchi.domain.pii_lines import mask_across_lines
from madoguchi.domain.privacy import MY_NUMBER_MASK, PHONE_MASK, digits_of


def test_a_my_number_in_three_lines_is_masked_in_all_three() -> None:
    earlier: list[str] = []
    for piece in ("私のマイナンバーは 1234", "5678"):
        earlier, text = mask_across_lines(earlier, piece)
        earlier.append(text)
    assert earlier == ["私のマイナンバーは 1234", "5678"]  # no piece alone, nor two, is a number yet
    earlier, text = mask_across_lines(earlier, "9018")
    assert earlier == [f"私のマイナンバーは {MY_NUMBER_MASK}", MY_NUMBER_MASK] and text == MY_NUMBER_MASK


def test_a_phone_in_two_lines_and_lines_before_it_untouched() -> None:
    earlier, text = mask_across_lines(["予約は 12月8日 10:30", "電話は 090-1234"], "-5678 です")
    assert earlier[0] == "予約は 12月8日 10:30"
    assert PHONE_MASK in earlier[1] and digits_of(earlier[1]) == "" and text == f"-{PHONE_MASK} です"


def test_a_cue_word_in_the_line_before_counts() -> None:
    earlier, text = mask_across_lines(["マイナンバーを 言います"], "123456789012")  # wrong check digit
    assert text == MY_NUMBER_MASK and earlier == ["マイナンバーを 言います"]


def test_ordinary_lines_stay_as_written() -> None:
    lines = ["3階の 301号室です", "2026年12月8日 10:30 に", "手数料は 300円"]
    assert mask_across_lines(lines[:2], lines[2]) == (lines[:2], lines[2])
    assert mask_across_lines(["1234"], "はい") == (["1234"], "はい")
