"""A 個人番号 given in parts with words that say how it goes on (「次の4桁は」, "next 4 digits", 「2つ目は」): the
digits that count or number the groups are no digits of the number (session 12's outside attack)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.domain.pii_lines import mask_across_lines
from madoguchi.domain.pii_runs import describing_spans
from madoguchi.domain.pii_words import CONNECTOR_WORDS, DIGIT_COUNT_WORDS, GROUP_SEPARATORS, POSITION_WORDS
from madoguchi.domain.privacy import MY_NUMBER_MASK, digits_of, mask_pii, my_number_check_digit

MY = "123456789018"
A, B, C = MY[:4], MY[4:8], MY[8:]


def _left(text: str) -> str:
    """The digits of the number still in ``text`` (the counts, 「4」 of 「4桁」, may stay)."""
    return "".join(g for g in (A, B, C) if g in text)


# one line, every language: the whole number is masked, no group stays
ONE_LINE: list[str] = [
    f"マイナンバーは{A}です。次の4桁は{B}です。最後の4桁は{C}です",
    f"番号は{A}です 2つ目は{B}です 3つ目は{C}です",
    f"番号は{A}です 次の四桁は{B}です 最後の四桁は{C}です",
    f"番号は{A}です 二つ目は{B}です 三つ目は{C}です",
    f"番号は{A}、2番目は{B}、3番目は{C}",
    f"マイナンバーの最初の4桁は{A}、次の4桁は{B}、最後の4桁は{C}",
    f"マイナンバーの最初の４桁は{A}、次の４桁は{B}、最後の４桁は{C}",
    f"まいなんばー さいしょの4けたは{A} つぎの4けたは{B} さいごの4けたは{C}",
    f"my number is {A}, next 4 digits {B}, last 4 digits {C}",
    f"my number is {A}, and the next 4 digits are {B}, and the last 4 digits are {C}",
    f"My Number: first 4 digits {A}, 2nd part {B}, 3rd part {C}",
    f"我的号码前四位是{A}，中间四位是{B}，后四位是{C}",
    f"个人编号 前4位{A} 中间4位{B} 后4位{C}",
    f"마이넘버 앞 4자리는 {A}, 다음 4자리는 {B}, 마지막 4자리는 {C}",
    f"개인번호 첫 4자리 {A} 두 번째 4자리 {B} 마지막 4자리 {C}",
    f"số định danh: 4 số đầu là {A}, 4 số tiếp theo là {B}, 4 số cuối là {C}",
    f"số định danh 4 chữ số đầu {A}, 4 chữ số tiếp {B}, 4 chữ số cuối {C}",
    f"número pessoal: os primeiros 4 dígitos são {A}, os próximos 4 dígitos {B}, os últimos 4 dígitos {C}",
    f"my number: unang 4 na numero {A}, susunod na 4 na numero {B}, huling 4 na numero {C}",
    f"my number पहिलो ४ अंक {A}, अर्को ४ अंक {B}, अन्तिम ४ अंक {C}",
    "मेरो my number पहिलो ४ अंक १२३४, अर्को ४ अंक ५६७८, अन्तिम ४ अंक ९०१८",
]


@pytest.mark.parametrize("text", ONE_LINE)
def test_a_number_given_in_described_parts_is_masked_whole(text: str) -> None:
    result = mask_pii(text)
    assert MY_NUMBER_MASK in result.text, result.text
    assert _left(result.text) == "" and "１２３４" not in result.text, result.text
    assert "९०१८" not in result.text and "5678" not in result.text


def test_the_span_covers_the_last_group_too() -> None:
    # the 4s of 「4桁」 made eleven digits after the cue and left 「9018」 behind
    assert mask_pii(f"マイナンバーの最初の4桁は{A}、次の4桁は{B}、最後の4桁は{C}").text == (
        f"マイナンバーの最初の4桁は{MY_NUMBER_MASK}"
    )


def test_a_mistyped_number_after_a_cue_takes_the_group_that_completes_twelve() -> None:
    assert mask_pii(f"マイナンバーは{A}、{B}です。最後の4桁は{C}").text == f"マイナンバーは{MY_NUMBER_MASK}"


# the same parts as separate chat lines: each alone holds four digits
LINES: list[tuple[str, str, str]] = [
    (f"マイナンバーは{A}です。", f"次の4桁は{B}です。", f"最後の4桁は{C}です"),
    (f"{A}です。", f"次の4桁は{B}です。", f"最後の4桁は{C}です"),
    (f"番号は{A}です", f"2つ目は{B}です", f"3つ目は{C}です"),
    (f"番号は{A}です", f"次の四桁は{B}です", f"最後の四桁は{C}です"),
    (f"my number is {A}", f"next 4 digits {B}", f"last 4 digits {C}"),
    (A, f"next 4 digits {B}", f"last 4 digits {C}"),
    (f"4桁 {A}", f"4桁 {B}", f"4桁 {C}"),  # the same words on each line: counts, not a numbered series
    (f"前四位 {A}", f"中间四位 {B}", f"后四位 {C}"),
    (f"앞 4자리 {A}", f"다음 4자리 {B}", f"마지막 4자리 {C}"),
    (f"4 số đầu {A}", f"4 số tiếp {B}", f"4 số cuối {C}"),
    (f"primeiros 4 dígitos {A}", f"próximos 4 dígitos {B}", f"últimos 4 dígitos {C}"),
    (f"unang 4 na numero {A}", f"susunod na 4 na numero {B}", f"huling 4 na numero {C}"),
    (f"पहिलो ४ अंक {A}", f"अर्को ४ अंक {B}", f"अन्तिम ४ अंक {C}"),
]


@pytest.mark.parametrize("lines", LINES)
def test_described_parts_over_three_lines_are_masked_in_every_line(lines: tuple[str, str, str]) -> None:
    earlier, last = mask_across_lines(list(lines[:2]), lines[2])
    for line in [*earlier, last]:
        assert MY_NUMBER_MASK in line and _left(line) == "", (lines, earlier, last)


def test_the_words_that_describe_the_parts_stay() -> None:
    earlier, last = mask_across_lines([f"{A}です。", f"次の4桁は{B}です。"], f"最後の4桁は{C}です")
    assert earlier == [f"{MY_NUMBER_MASK}です。", f"次の4桁は{MY_NUMBER_MASK}です。"]
    assert last == f"最後の4桁は{MY_NUMBER_MASK}です"


# ordinary text with counts, ordinals, dates, amounts, phone numbers and booking codes stays as written
ORDINARY: list[str] = [
    "2つ目の窓口で4桁の暗証番号を入れてください",
    "予約番号は4桁です。2024年12月3日 10:30、3名で伺います",
    "暗証番号は4桁、2回まちがえるとロックされます",
    "the PIN has 4 digits; enter the first 4 digits of your postcode",
    "2nd floor, room 1234, from 9:30 to 12:00, 3 people",
    "前4位是城市代码，后4位是门牌号",
    "4자리 비밀번호를 2번째 칸에 입력하세요",
    "nhập 4 số cuối của số điện thoại",
    "digite os últimos 4 dígitos do cartão",
    "ilagay ang huling 4 na numero ng card",
    "अन्तिम ४ अंक लेख्नुहोस्",
    "予約コードは 1234 5678 です。次の4桁はありません",
    "電話は 03-1234-5678 です。2つ目の番号は 090-1234-5678",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_counts_and_ordinals_stay(text: str) -> None:
    result = mask_pii(text)
    assert "my_number" not in result.kinds, result


@pytest.mark.parametrize("word", DIGIT_COUNT_WORDS)
def test_every_count_word_keeps_its_count_out_of_the_number(word: str) -> None:
    sep = " " if word[0].isascii() else ""
    result = mask_pii(f"マイナンバー {A} 次の 4{sep}{word} {B} 最後の 4{sep}{word} {C}")
    assert _left(result.text) == "" and MY_NUMBER_MASK in result.text, result.text


@pytest.mark.parametrize("word", POSITION_WORDS)
def test_every_position_word_keeps_its_count_out_of_the_number(word: str) -> None:
    sep = " " if word[-1].isascii() and word[-1].isalpha() else ""
    result = mask_pii(f"マイナンバー {A}, {word}{sep}4 are {B}, {word}{sep}4 are {C}")
    assert _left(result.text) == "" and MY_NUMBER_MASK in result.text, result.text


@st.composite
def described_number(draw: st.DrawFn) -> tuple[str, str]:
    first = draw(st.text(alphabet="0123456789", min_size=11, max_size=11))
    digits = first + str(my_number_check_digit(first))
    words = draw(st.lists(st.sampled_from(DIGIT_COUNT_WORDS), min_size=2, max_size=2))
    counts = draw(st.lists(st.sampled_from(["4", "四", "４", "2", "3"]), min_size=2, max_size=2))
    cue = draw(st.sampled_from(["マイナンバーは", "番号は ", "my number is ", "개인번호 ", "número pessoal "]))
    joins = [
        draw(st.sampled_from(["、次の", ", next ", "。", " ", "，"])) + count + (" " * w[0].isascii()) + w + " "
        for count, w in zip(counts, words, strict=True)
    ]
    return digits, f"{cue}{digits[:4]}{joins[0]}{digits[4:8]}{joins[1]}{digits[8:]}"


@settings(max_examples=200, deadline=None)
@given(described_number())
def test_a_number_in_described_parts_never_leaves_a_group(case: tuple[str, str]) -> None:
    digits, text = case
    result = mask_pii(text)
    assert "my_number" in result.kinds, text
    for group in (digits[:4], digits[4:8], digits[8:]):
        assert group not in digits_of(result.text), (text, result.text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 31), min_size=3, max_size=6),
    st.sampled_from(DIGIT_COUNT_WORDS),
    st.sampled_from(["円", "名", "日", "回", "号室"]),
)
def test_counts_and_ordinals_beside_ordinary_numbers_are_never_a_personal_number(
    values: list[int], word: str, counter: str
) -> None:
    text = "、".join(f"{v}{word}の{v * 37}{counter}" for v in values)
    assert "my_number" not in mask_pii(text).kinds, text


@pytest.mark.parametrize("pad", ["", " ", "\u3000"])
@pytest.mark.parametrize("word", sorted(CONNECTOR_WORDS))
def test_no_connector_word_between_groups_reads_as_a_description(word: str, pad: str) -> None:
    # 「0つぎは000…」: つ is a count word (「4つ目」), but here 「つぎは」 joins two groups of one number
    for before in ("1", "12", "123"):
        for after in ("1", "12", "1234"):
            text = f"{before}{pad}{word}{pad}{after}"
            assert describing_spans(text) == [], text


@pytest.mark.parametrize("mark", sorted(GROUP_SEPARATORS))
def test_no_separator_between_groups_reads_as_a_description(mark: str) -> None:
    for n in (1, 2, 3):
        assert describing_spans(f"12{mark * n}34") == []


@st.composite
def ordinary_booking_lines(draw: st.DrawFn) -> str:
    """A line with a date, a time, a head count, an amount, a booking code, a phone number and counts or ordinals."""
    digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
    code = draw(st.text(alphabet="0123456789", min_size=4, max_size=6))
    phone = "0" + draw(st.sampled_from("123456789")) + "".join(draw(digits) for _ in range(8))
    parts = [
        f"{draw(st.integers(2024, 2030))}年{draw(st.integers(1, 12))}月{draw(st.integers(1, 28))}日",
        f"{draw(st.integers(8, 17))}:{draw(st.sampled_from(['00', '15', '30', '45']))}",
        f"{draw(st.integers(1, 9))}名",
        f"{draw(st.integers(1, 99)) * 100:,}円",
        f"予約コード {code}",
        f"{draw(st.integers(2, 4))}つ目の窓口",
        f"暗証番号は{draw(st.sampled_from(['4', '四', '6']))}桁",
        f"最後の{draw(st.integers(2, 4))}桁",
        f"電話 {phone[:3]}-{phone[3:7]}-{phone[7:]}",
        f"{draw(st.integers(1, 3))}番目",
    ]
    return "、".join(draw(st.permutations(parts)))


@settings(max_examples=300, deadline=None)
@given(ordinary_booking_lines())
def test_ordinary_lines_with_counts_and_ordinals_hold_no_personal_number(text: str) -> None:
    assert "my_number" not in mask_pii(text).kinds, text
