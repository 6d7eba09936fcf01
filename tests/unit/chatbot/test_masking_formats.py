"""Personal numbers as people really write them never survive masking; dates, amounts and short numbers do.

The property tests generate valid 個人番号, phone and card numbers, write each digit in ASCII, full width or kanji,
put up to three separators of any kind between any two digits (spaces, line breaks, 、, commas, slashes,
hyphens, dots, parentheses) and surround the number with words: no digit of it may be left in the result.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from madoguchi.domain.pii_words import CUE_WORDS, GROUP_SEPARATORS, KANJI_DIGITS
from madoguchi.domain.privacy import (
    CARD_MASK,
    MY_NUMBER_MASK,
    PHONE_MASK,
    POSTAL_MASK,
    digits_of,
    is_valid_my_number,
    luhn_valid,
    mask_pii,
    my_number_check_digit,
    reads_as_date_or_amount,
)

ASCII = "0123456789"
WIDE = "０１２３４５６７８９"
KANJI = "〇一二三四五六七八九"
DAIJI = "零壱弐参四伍六七八九"
SCRIPTS = (ASCII, WIDE, KANJI, DAIJI)
SEPARATORS = sorted(GROUP_SEPARATORS)
# Words around a number: no digit of any kind, and none of the marks that give digits another meaning
# (〒 postal code, 番/丁目/号 street number, @ e-mail, 円/¥/$ amount, + international prefix).
WORDS = st.text(
    alphabet="私の電話番号はですよろしくおねがいしますカードをなくしました連絡abcXYZ 、。？!ー・\n",
    max_size=15,
).filter(lambda s: "番" not in s)
PERSONAL_KINDS = {"my_number", "card", "phone"}


@st.composite
def written(draw: st.DrawFn, digits: str) -> str:
    """``digits`` as someone might type them: any script per digit, any separators between digits."""
    out = []
    for index, digit in enumerate(digits):
        out.append(draw(st.sampled_from(SCRIPTS))[int(digit)])
        if index < len(digits) - 1:
            out.append("".join(draw(st.lists(st.sampled_from(SEPARATORS), max_size=3))))
    return "".join(out)


@st.composite
def my_numbers(draw: st.DrawFn, *, valid: bool = True) -> str:
    first = draw(st.text(alphabet=ASCII, min_size=11, max_size=11))
    check = my_number_check_digit(first)
    last = check if valid else draw(st.sampled_from([d for d in range(10) if d != check]))
    return first + str(last)


@st.composite
def phones(draw: st.DrawFn) -> str:
    rest = draw(st.sampled_from([8, 9]))
    return "0" + draw(st.sampled_from("123456789")) + draw(st.text(alphabet=ASCII, min_size=rest, max_size=rest))


@st.composite
def cards(draw: st.DrawFn) -> str:
    length = draw(st.integers(min_value=13, max_value=19))
    body = draw(st.text(alphabet=ASCII, min_size=length - 1, max_size=length - 1))
    return next(body + d for d in ASCII if luhn_valid(body + d))


@st.composite
def in_a_sentence(draw: st.DrawFn, number: st.SearchStrategy[str]) -> tuple[str, str]:
    digits = draw(number)
    text = draw(written(digits))
    assume(not reads_as_date_or_amount(text))  # e.g. 123,456,789,018 reads as an amount (see the tests below)
    return digits, draw(WORDS) + text + draw(WORDS)


def assert_no_digit_survives(text: str) -> None:
    result = mask_pii(text)
    assert digits_of(result.text) == "", (text, result.text)
    assert result.masked_count >= 1
    assert set(result.kinds) <= PERSONAL_KINDS


@settings(max_examples=300, deadline=None)
@given(in_a_sentence(my_numbers()))
def test_a_valid_my_number_never_survives(case: tuple[str, str]) -> None:
    assert_no_digit_survives(case[1])


@settings(max_examples=300, deadline=None)
@given(in_a_sentence(phones()))
def test_a_phone_number_never_survives(case: tuple[str, str]) -> None:
    assert_no_digit_survives(case[1])


@settings(max_examples=300, deadline=None)
@given(in_a_sentence(cards()))
def test_a_card_number_never_survives(case: tuple[str, str]) -> None:
    assert_no_digit_survives(case[1])


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["+", "＋"]),
    in_a_sentence(st.builds(lambda national: "81" + national[1:], phones())),
)
def test_an_international_phone_number_never_survives(plus: str, case: tuple[str, str]) -> None:
    digits, text = case
    at = text.index(next(ch for ch in text if ch in "8８八"))
    assert_no_digit_survives(text[:at] + plus + text[at:])
    assert digits.startswith("81")


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(CUE_WORDS),
    WORDS.map(lambda s: s[:10]),
    my_numbers(valid=False),
    st.data(),
)
def test_a_mistyped_my_number_after_a_cue_word_never_survives(
    cue: str, between: str, digits: str, data: st.DataObject
) -> None:
    text = cue + between + data.draw(written(digits))
    assert not is_valid_my_number(digits)
    assert_no_digit_survives(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(my_numbers(), phones(), cards()), min_size=2, max_size=4), st.data())
def test_a_list_of_numbers_never_survives(numbers: list[str], data: st.DataObject) -> None:
    between = data.draw(st.sampled_from(["、", "\n", ", ", " / ", "と", "\n\n"]))
    text = between.join(data.draw(written(n)) for n in numbers)
    assume(not reads_as_date_or_amount(text))
    result = mask_pii(text)
    assert digits_of(result.text) == "", (text, result.text)


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("電話は090(1234)5678です", PHONE_MASK),
        ("03(1234)5678まで", PHONE_MASK),
        ("０３（１２３４）５６７８", PHONE_MASK),
        ("(03)1234-5678", PHONE_MASK),
        ("+81 90 1234 5678", PHONE_MASK),
        ("＋８１（０）９０－１２３４－５６７８", PHONE_MASK),
        ("+84 90 123 4567", PHONE_MASK),
        ("〇九〇ー一二三四ー五六七八", PHONE_MASK),
        ("090\n1234\n5678", PHONE_MASK),
        ("090、1234、5678", PHONE_MASK),
        ("1234 5678 9018", MY_NUMBER_MASK),
        ("1234\n5678\n9018", MY_NUMBER_MASK),
        ("1234、5678、9018", MY_NUMBER_MASK),
        ("1234,5678,9018", MY_NUMBER_MASK),
        ("1234/5678/9018", MY_NUMBER_MASK),
        ("１２３４．５６７８．９０１８", MY_NUMBER_MASK),
        ("一二三四 五六七八 九〇一八", MY_NUMBER_MASK),
        ("壱弐参四伍六七八九零壱八", MY_NUMBER_MASK),
        ("〇〇〇〇 〇〇〇〇 0000", MY_NUMBER_MASK),  # zeros only: a digit like any other
        ("4111/1111/1111/1111", CARD_MASK),
        ("4111-1111\n1111-1111", CARD_MASK),
    ],
)
def test_formats_people_use(text: str, token: str) -> None:
    result = mask_pii(text)
    assert token in result.text
    assert digits_of(result.text) == ""
    assert result.masked_count == 1


@pytest.mark.parametrize(
    "text",
    [
        "マイナンバーは 1234 5678 9019 です",
        "個人番号：123456789019",
        "まいなんばー 1234-5678-9019",
        "My Number is 1234 5678 9019",
        "ＭＹ　ＮＵＭＢＥＲ １２３４５６７８９０１９",
        "mynumber:123456789019",
        "số định danh của tôi là 123456789019",
        "我的号码是123456789019",
        "マイナンバーは一二三四五六七八九〇一九",
        "マイナンバーは 123,456,789,019",  # after a cue word not even the amount shape protects it
    ],
)
def test_a_cue_word_masks_a_wrong_check_digit(text: str) -> None:
    assert not is_valid_my_number("123456789019")
    result = mask_pii(text)
    assert MY_NUMBER_MASK in result.text
    assert "9019" not in digits_of(result.text)


def test_two_numbers_in_one_line_are_both_masked() -> None:
    result = mask_pii("090-1234-5678、03-1234-5678")
    assert result.text == f"{PHONE_MASK}、{PHONE_MASK}"
    assert result.masked_count == 2
    assert mask_pii("1234 5678 9018 090 1234 5678").kinds == ("my_number", "phone")


@pytest.mark.parametrize(
    "text",
    [
        # dates, also when their digits would pass a check (2024/12/03 + 2025/01/07 passes the Luhn check)
        "2024/12/03",
        "2024-12-03 10:00 に予約",
        "2024.12.3",
        "2024/12/03、2025/01/07",
        "2024/12/03-2025/01/07",
        "令和6年12月3日",
        "二〇二四年一二月三日",
        "12/3",
        "R6.12.3",
        # amounts, also when their digits are a valid 個人番号 or card number
        "12,000円",
        "1,234,567円",
        "¥3,500",
        "￥１２，０００",
        "123,456,789,018円",
        "4,111,111,111,111,111円",
        "12,000、15,000、20,000円",
        # years and ordinary short numbers
        "2024年",
        "平成31年",
        "1989年生まれ",
        "110番",
        "119に電話",
        "3番窓口",
        "3時15分",
        "内線 1234",
        "整理券 12番",
        "第2条",
        "3人で行きます",
        "一二三",
        # a 12-digit receipt number with a wrong check digit and no cue word
        "受付番号 1234 5678 9019",
    ],
)
def test_dates_amounts_years_and_short_numbers_are_kept(text: str) -> None:
    assert mask_pii(text).text == text


def test_the_negative_cases_would_pass_a_check() -> None:
    """The amounts and dates above are meaningful negatives: their digits alone would be masked."""
    assert is_valid_my_number("123456789018")
    assert luhn_valid("4111111111111111")
    assert luhn_valid(digits_of("2024/12/03 2025/01/07"))
    assert mask_pii("123456789018").text == MY_NUMBER_MASK
    assert mask_pii("4111111111111111").text == CARD_MASK
    assert mask_pii("20241203 20250107").text == CARD_MASK


@pytest.mark.parametrize("text", ["〒891-1234", "〒８９１－１２３４", "891-1234"])
def test_a_postal_code_is_a_postal_code_not_a_personal_number(text: str) -> None:
    assert mask_pii(text).kinds == ("postal_code",)
    assert mask_pii(text).text == POSTAL_MASK


def test_every_kanji_numeral_is_a_digit() -> None:
    assert sorted(set(KANJI_DIGITS.values())) == list(range(10))
    assert digits_of(KANJI + DAIJI + WIDE) == ASCII * 3


def test_masking_is_idempotent_and_counts_only_new_masks() -> None:
    once = mask_pii("マイナンバー 1234 5678 9018、電話 090-1234-5678")
    assert once.masked_count == 2
    twice = mask_pii(once.text)
    assert twice.text == once.text and twice.masked_count == 0
