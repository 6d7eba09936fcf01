"""A booking code written after its word keeps its digits whatever follows it, and masking stays whole both ways.

Staff read a code out in the chat with what goes with it (「予約番号 3236 4056 2241、1230時から」, the code and a
phone number): the run reader took the code and the digits after it for one card number (one time in ten, the
Luhn check passing by chance) and the resident read 「予約番号 ［カード番号］」. A code is twelve digits with a Damm
check digit and never a 個人番号 (``bookings.codes``), so after a word that names one it is read on its own; the
check digits keep every personal number masked: a 個人番号 beside a code, one that merely looks like an old
8-digit code and four digits more, a card whose first twelve digits pass the Damm check.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from madoguchi.bookings.codes import damm, grouped, new_code, well_formed
from madoguchi.domain.privacy import digits_of, is_valid_my_number, luhn_valid, mask_pii, my_number_check_digit

digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=1)


@st.composite
def codes(draw: st.DrawFn) -> str:
    """A code as bookings.codes draws it (its own generator, fed by hypothesis)."""
    seed = draw(st.integers(min_value=0, max_value=2**32))
    return new_code(random.Random(seed).choice)


@st.composite
def my_numbers(draw: st.DrawFn) -> str:
    first = "".join(draw(st.lists(digit_strings, min_size=11, max_size=11)))
    return first + str(my_number_check_digit(first))


@st.composite
def my_numbers_shaped_like_an_old_code(draw: st.DrawFn) -> str:
    """A 個人番号 whose first eight digits are a well-formed 8-digit booking code (one in ten are)."""
    body = "".join(draw(st.lists(digit_strings, min_size=7, max_size=7)))
    rest = "".join(draw(st.lists(digit_strings, min_size=3, max_size=3)))
    first = body + str(damm(body)) + rest
    return first + str(my_number_check_digit(first))


@st.composite
def cards_that_start_like_a_code(draw: st.DrawFn) -> str:
    """A 16-digit card number (Luhn) whose first twelve digits are a well-formed code that is no 個人番号."""
    body = "".join(draw(st.lists(digit_strings, min_size=11, max_size=11)))
    head = body + str(damm(body))
    assume(not is_valid_my_number(head))
    rest = "".join(draw(st.lists(digit_strings, min_size=3, max_size=3)))
    last = next(d for d in "0123456789" if luhn_valid(head + rest + d))
    return head + rest + last


def shown(code: str, written: str) -> str:
    return grouped(code) if written == "grouped" else code


home_phones = st.builds(lambda rest: "090" + rest, st.text(alphabet="0123456789", min_size=8, max_size=8))
written_as = st.sampled_from(["grouped", "plain"])


@pytest.mark.parametrize(
    "line",
    [
        "予約番号 3236 4056 2241、1230時から",
        "予約番号は 3236 4056 2241 です。1230",
        "予約番号 3236 4056 2241 の 1230",
        "予約番号: 323640562241、1230",
    ],
)
def test_the_code_of_the_report_keeps_its_digits(line: str) -> None:
    code = "323640562241"  # bookings.codes gives it: well formed, not hidden on its own
    assert well_formed(code) and mask_pii(code).text == code and mask_pii(grouped(code)).text == grouped(code)
    assert luhn_valid(code + "1230"), "with the digits after it, it passes the card check: what hid it"
    assert digits_of(mask_pii(line).text).startswith(code), mask_pii(line).text


@settings(max_examples=300, deadline=None)
@given(
    code=codes(),
    written=written_as,
    n=st.integers(min_value=0, max_value=9999),
    template=st.sampled_from(
        [
            "予約番号 {code} の {n}時",
            "予約番号 {code}、{n}時から",
            "予約番号は {code} です。{n}",
            "予約番号: {code}\n{n}",
            "よやく番号 {code} の {n}",
            "Booking number {code}, {n}",
        ]
    ),
)
def test_a_code_keeps_its_digits_whatever_follows_it(code: str, written: str, n: int, template: str) -> None:
    line = template.format(code=shown(code, written), n=n)
    assert shown(code, written) in mask_pii(line).text, (line, mask_pii(line).text)


@settings(max_examples=300, deadline=None)
@given(code=codes(), written=written_as, phone=home_phones, between=st.sampled_from([" ", "、", " 電話 ", "、携帯 "]))
def test_a_phone_number_after_a_code_is_masked_and_the_code_kept(
    code: str, written: str, phone: str, between: str
) -> None:
    for typed in (phone, f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"):
        masked = mask_pii(f"予約番号 {shown(code, written)}{between}{typed}")
        assert shown(code, written) in masked.text and digits_of(masked.text) == code, masked.text
        assert masked.kinds == ("phone",)


@settings(max_examples=300, deadline=None)
@given(
    code=codes(),
    written=written_as,
    number=my_numbers(),
    template=st.sampled_from(
        # not 「予約番号 {code} マイナンバー {mn}」: a number just before that word is read as a 個人番号 itself
        ["予約番号 {code} {mn}", "予約番号 {code}、{mn}", "予約番号 {code} の {mn}", "予約番号 {code}、電話 {mn}"]
    ),
    number_written=written_as,
)
def test_a_my_number_beside_a_code_is_masked_whole(
    code: str, written: str, number: str, template: str, number_written: str
) -> None:
    line = template.format(code=shown(code, written), mn=shown(number, number_written))
    masked = mask_pii(line)
    assert "my_number" in masked.kinds, masked.text
    assert digits_of(masked.text) == code, masked.text  # the code whole, nothing of the 個人番号


@settings(max_examples=300, deadline=None)
@given(
    number=my_numbers_shaped_like_an_old_code(),
    layout=st.sampled_from(["{a} {b} {c}", "{a}-{b}-{c}", "{a} {b}、{c}", "{a}{b} {c}", "{a} {b} の {c}", "{a}{b}{c}"]),
    word=st.sampled_from(["予約番号 ", "予約番号は ", "booking code: "]),
)
@example(number="818559700013", layout="{a} {b}、{c}", word="予約番号 ")
def test_a_my_number_is_never_read_as_a_code_and_four_digits(number: str, layout: str, word: str) -> None:
    """Its first eight digits are an old code's shape: the 個人番号's check digit decides, after the word too."""
    line = word + layout.format(a=number[:4], b=number[4:8], c=number[8:])
    masked = mask_pii(line)
    assert masked.kinds == ("my_number",) and not digits_of(masked.text), (line, masked.text)


@settings(max_examples=300, deadline=None)
@given(
    card=cards_that_start_like_a_code(),
    layout=st.sampled_from(["{a} {b} {c} {d}", "{a}-{b}-{c}-{d}", "{a}{b}{c} {d}", "{a}{b}{c}{d}"]),
    word=st.sampled_from(["予約番号 ", "予約番号は ", "Booking number "]),
)
def test_a_card_that_starts_like_a_code_stays_masked_whole(card: str, layout: str, word: str) -> None:
    """One card in ten has twelve first digits that pass the Damm check: written as cards are, in groups of four or
    together, it is not a code and four digits."""
    line = word + layout.format(a=card[:4], b=card[4:8], c=card[8:12], d=card[12:])
    masked = mask_pii(line)
    assert masked.kinds == ("card",) and not digits_of(masked.text), (line, masked.text)


@settings(max_examples=200, deadline=None)
@given(code=codes(), written=written_as)
def test_after_a_my_number_word_a_code_shape_is_still_a_my_number(code: str, written: str) -> None:
    """A mistyped 個人番号 is one whatever its check digit: the code's shape does not unmask it after its cue."""
    masked = mask_pii(f"マイナンバーと予約番号は {shown(code, written)}")
    assert masked.kinds == ("my_number",) and not digits_of(masked.text), masked.text
