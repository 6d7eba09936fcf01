"""A 個人番号 is masked whatever digits stand beside it with only a space between.

The run reader judged 「123456789018 1230」 (a 個人番号 and a time), or a 個人番号 after any other twelve digits
(「受付番号 3416 7211 0684 <個人番号>」), as one 16- or 24-digit number, which is no personal number, and left
every digit as written (found while making booking codes keep their digits, conv14). Twelve digits with the right
check digit now stand on their own anywhere in a run of digits.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.domain.privacy import digits_of, mask_pii, my_number_check_digit

digits = st.text(alphabet="0123456789", min_size=1, max_size=12)


@st.composite
def my_numbers(draw: st.DrawFn) -> str:
    first = draw(st.text(alphabet="0123456789", min_size=11, max_size=11))
    return first + str(my_number_check_digit(first))


def written(number: str, grouped: bool) -> str:
    return " ".join(number[i : i + 4] for i in range(0, 12, 4)) if grouped else number


def test_the_cases_that_were_left_as_written() -> None:
    for line in ("123456789018 1230", "1234 5678 9018 1230", "番号は 1234 5678 9018 1230 です", "0000 1234 5678 9018"):
        masked = mask_pii(line)
        assert "my_number" in masked.kinds and "9018" not in masked.text, (line, masked.text)


@settings(max_examples=400, deadline=None)
@given(
    number=my_numbers(),
    grouped=st.booleans(),
    before=st.one_of(st.just(""), digits),
    after=st.one_of(st.just(""), digits),
    word=st.sampled_from(["", "受付番号 ", "注文 ", "番号は "]),
)
def test_a_my_number_beside_other_digits_is_never_shown_whole(
    number: str, grouped: bool, before: str, after: str, word: str
) -> None:
    line = word + " ".join(part for part in (before, written(number, grouped), after) if part)
    masked = mask_pii(line)
    assert written(number, grouped) not in masked.text and masked.kinds, (line, masked.text)
    assert len(digits_of(line)) - len(digits_of(masked.text)) >= 12, (line, masked.text)  # none of it shown
