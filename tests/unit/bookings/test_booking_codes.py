"""Booking codes: 12 digits for new bookings, 8 from before session 13 still taken, the Damm digit in both, and no
new code the chat's masking would take for a 個人番号 (docs/bookings.md, "The code space and the odds")."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from madoguchi.bookings import codes
from madoguchi.bookings.codes import BookingCode
from madoguchi.domain.privacy import MY_NUMBER_MASK, is_valid_my_number, mask_pii


def with_check_digit(body: str) -> str:
    return body + str(codes.damm(body))


OLD = with_check_digit("8191832")  # an 8-digit code given out before session 13
NEW = codes.new_code()


def test_new_codes_are_twelve_digits_and_old_ones_of_eight_still_well_formed() -> None:
    assert len(NEW) == 12 and NEW.isdigit() and codes.well_formed(NEW)
    assert len(OLD) == 8 and codes.well_formed(OLD)


@pytest.mark.parametrize("code", [NEW, OLD], ids=["12 digits", "8 digits"])
def test_every_typo_and_every_swap_of_neighbours_is_caught_in_both_lengths(code: str) -> None:
    for i, wrong in itertools.product(range(len(code)), "0123456789"):
        typo = code[:i] + wrong + code[i + 1 :]
        assert codes.well_formed(typo) == (typo == code)
        assert (BookingCode.parse(typo) is None) == (typo != code)
    for i in range(len(code) - 1):
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        assert codes.well_formed(swapped) == (swapped == code)


def test_both_lengths_parse_as_people_type_them_and_nothing_else_does() -> None:
    twelve = with_check_digit("12345678901")
    full_width = "".join(chr(ord(d) + 0xFEE0) for d in twelve)
    assert BookingCode.parse(f"{full_width[:4]} {full_width[4:8]}　{full_width[8:]}") == BookingCode(twelve)
    assert BookingCode.parse(f"{twelve[:4]}-{twelve[4:8]}-{twelve[8:]}") == BookingCode(twelve)
    assert BookingCode.parse(f"{OLD[:4]} {OLD[4:]}") == BookingCode(OLD)
    for length in (7, 9, 10, 11, 13, 16):  # the right check digit, the wrong length
        assert BookingCode.parse(with_check_digit("3" * (length - 1))) is None
    assert BookingCode.parse("abcdefgh") is None and BookingCode.parse("") is None
    assert BookingCode.parse("١٢٣٤٥٦٧٨") is None  # other scripts' digits are no code
    with pytest.raises(ValueError):
        BookingCode(twelve[:-1] + str((int(twelve[-1]) + 1) % 10))


def test_codes_are_grouped_by_four_for_reading_aloud() -> None:
    twelve = with_check_digit("12345678901")
    assert BookingCode(twelve).grouped == f"{twelve[:4]} {twelve[4:8]} {twelve[8:]}"
    assert str(BookingCode(twelve)) == twelve
    assert codes.grouped(OLD) == f"{OLD[:4]} {OLD[4:]}"
    assert codes.grouped("123") == "123" and codes.grouped("12345678901") == "12345678901"


def test_a_draw_that_passes_the_my_number_check_digit_is_drawn_again() -> None:
    shaped = next(
        body for n in range(10**6) if is_valid_my_number(with_check_digit(body := f"{n:011d}"))
    )  # eleven digits whose Damm code is a 個人番号 as the masker sees it
    assert _first_kept(shaped) == with_check_digit(OTHER)


def test_a_draw_the_masker_reads_as_a_phone_number_is_drawn_again() -> None:
    dialled_abroad = "00466719578"  # 「予約番号は 004667195784 です」 was masked as 「［電話番号］」
    assert mask_pii(with_check_digit(dialled_abroad)).text != with_check_digit(dialled_abroad)
    assert _first_kept(dialled_abroad) == with_check_digit(OTHER)


OTHER = "27182818284"


def _first_kept(first_body: str) -> str:
    """The code made when the first draw gives ``first_body`` and the next one :data:`OTHER`."""
    assert not is_valid_my_number(with_check_digit(OTHER))
    digits: Iterator[str] = iter(first_body + OTHER)
    code = codes.new_code(lambda _alphabet: next(digits))
    assert next(digits, None) is None  # both draws were used: the first was thrown away, not returned
    return code


def test_no_new_code_is_masked_as_a_personal_number_in_a_chat_line() -> None:
    drawn = [codes.new_code() for _ in range(3000)]  # about 270 draws of these would pass by chance without the redraw
    assert not any(is_valid_my_number(code) for code in drawn)
    for code in drawn[:300]:
        # a resident's line, and the last line of the console's 「予約を とりました」 (console.booking.chat.booked)
        for line in (f"予約番号は {code} です", f"日時: 2026-12-08 10:00\n予約番号: {codes.grouped(code)}"):
            masked = mask_pii(line).text
            assert MY_NUMBER_MASK not in masked, line
            assert code[-4:] in masked, line
