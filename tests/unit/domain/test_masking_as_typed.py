"""Personal numbers as residents and staff really type them, and ordinary numbers that must stay as written.

Written from the outside (red-team pass 5, issue 9), without looking at how the masker finds numbers: each row
is a way someone at a booth, at home or at the console types a 個人番号 (12 digits), a card (15/16 digits) or a
phone number, or a line of ordinary text with dates, times, amounts and room numbers. Then every entry of the
masker's own tables (``pii_words.py``: separators, connector words, number cue words) is checked on its own.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.domain.pii_words import (
    CONNECTOR_WORDS,
    COUNTER_WORDS,
    GROUP_SEPARATORS,
    LIST_SEPARATORS,
    NUMBER_CUE_WORDS,
)
from madoguchi.domain.privacy import (
    ADDRESS_MASK,
    CARD_MASK,
    MAX_GAP_CHARS,
    MY_NUMBER_MASK,
    PHONE_MASK,
    POSTAL_MASK,
    digits_of,
    is_valid_my_number,
    luhn_valid,
    mask_pii,
    my_number_check_digit,
)

MY = "123456789018"  # a valid 個人番号: 1234 5678 9018
assert is_valid_my_number(MY)

# (as typed, the one token it must become); every digit of the number must be gone
AS_TYPED: list[tuple[str, str]] = [
    # 個人番号
    ("マイナンバーは123456789018です", MY_NUMBER_MASK),
    ("個人番号：1234-5678-9018", MY_NUMBER_MASK),
    ("1234 5678 9018", MY_NUMBER_MASK),
    ("1234\u30005678\u30009018", MY_NUMBER_MASK),
    ("１２３４　５６７８　９０１８", MY_NUMBER_MASK),
    ("1234ー5678ー9018", MY_NUMBER_MASK),  # the IME's long-vowel mark for a hyphen
    ("1234\n5678\n9018", MY_NUMBER_MASK),
    ("1234\n\n\n\n5678\n\n\n\n9018", MY_NUMBER_MASK),  # four line breaks between the groups
    ("1234\r\n5678\r\n9018", MY_NUMBER_MASK),
    ("1234、5678、9018", MY_NUMBER_MASK),
    ("1234、、、、5678、、、、9018", MY_NUMBER_MASK),
    ("1234, 5678, 9018", MY_NUMBER_MASK),
    ("1234 / 5678 / 9018", MY_NUMBER_MASK),
    ("1234 / / 5678 / / 9018", MY_NUMBER_MASK),
    ("1234  -  5678  -  9018", MY_NUMBER_MASK),
    ("1234 -- 5678 -- 9018", MY_NUMBER_MASK),
    ("1234    5678    9018", MY_NUMBER_MASK),
    ("1234\t5678\t9018", MY_NUMBER_MASK),
    ("1234 の 5678 の 9018", MY_NUMBER_MASK),
    ("番号は 1234 の 5678 の 9018 です", MY_NUMBER_MASK),
    ("1234の5678の9018", MY_NUMBER_MASK),
    ("1234\u3000の\u30005678\u3000の\u30009018", MY_NUMBER_MASK),
    ("1234と5678と9018", MY_NUMBER_MASK),
    ("最初が1234、次が5678、最後が9018です", MY_NUMBER_MASK),
    ("1234ハイフン5678ハイフン9018", MY_NUMBER_MASK),
    ("1234 (スペース) 5678 (スペース) 9018", MY_NUMBER_MASK),
    ("一二三四 五六七八 九〇一八", MY_NUMBER_MASK),
    ("一二三四の五六七八の九〇一八", MY_NUMBER_MASK),
    ("一二三四五六七八九〇一八", MY_NUMBER_MASK),
    ("「1234」「5678」「9018」", MY_NUMBER_MASK),
    ("[1234][5678][9018]", MY_NUMBER_MASK),
    ("1234_5678_9018", MY_NUMBER_MASK),
    ("1234｜5678｜9018", MY_NUMBER_MASK),
    ("1234。5678。9018", MY_NUMBER_MASK),
    ("1234'5678'9018", MY_NUMBER_MASK),
    ("1234～5678～9018", MY_NUMBER_MASK),
    ("my number is 1234, 5678, 9018", MY_NUMBER_MASK),
    ("My number: 1234 and 5678 and 9018", MY_NUMBER_MASK),
    ("my number is 1234, 5678, 9012", MY_NUMBER_MASK),  # a wrong check digit after a cue word
    ("マイナンバー 1234 の 5678 の 9012", MY_NUMBER_MASK),
    ("番号は 1234 と 5678 と 9018 です", MY_NUMBER_MASK),
    ("số định danh: 1234 và 5678 và 9018", MY_NUMBER_MASK),
    # session 6 (an outsider's pass over the running server): words between the groups after a cue word, a cue
    # word after the number, other cue words, letters typed for digits
    ("マイナンバーは1234で、その次が5678、最後は9018です", MY_NUMBER_MASK),
    ("番号は1234から始まって5678、9018", MY_NUMBER_MASK),
    ("1234で5678で9018", MY_NUMBER_MASK),
    ("123456789012 がマイナンバーです", MY_NUMBER_MASK),  # wrong check digit, cue word after it
    ("My No. 123456789012", MY_NUMBER_MASK),
    ("マイナカードの番号 123456789012", MY_NUMBER_MASK),
    ("一二三四五六七八九O一八", MY_NUMBER_MASK),
    ("1234•5678•9018", MY_NUMBER_MASK),
    ("1234\u20285678\u20289018", MY_NUMBER_MASK),  # LINE SEPARATOR, as pasted from another app
    # phones
    ("090-1234-5678", PHONE_MASK),
    ("09012345678", PHONE_MASK),
    ("090 1234 5678", PHONE_MASK),
    ("090(1234)5678", PHONE_MASK),
    ("090（1234）5678", PHONE_MASK),
    ("(090)1234-5678", PHONE_MASK),
    ("０９０－１２３４－５６７８", PHONE_MASK),
    ("０３（１２３４）５６７８", PHONE_MASK),
    ("03-1234-5678", PHONE_MASK),
    ("0120-123-456", PHONE_MASK),
    ("〇九〇ー一二三四ー五六七八", PHONE_MASK),
    ("〇九〇の一二三四の五六七八", PHONE_MASK),
    ("090 の 1234 の 5678", PHONE_MASK),
    ("+81 90-1234-5678", PHONE_MASK),
    ("+81(0)90-1234-5678", PHONE_MASK),
    ("090\n1234\n5678", PHONE_MASK),
    ("090、1234、5678", PHONE_MASK),
    ("090.1234.5678", PHONE_MASK),
    ("TEL:090-1234-5678", PHONE_MASK),
    ("携帯 090 ‐ 1234 ‐ 5678", PHONE_MASK),
    ("090    1234    5678", PHONE_MASK),
    ("電話は 090 と 1234 と 5678 です", PHONE_MASK),
    ("電話は090で、1234で、5678です", PHONE_MASK),
    ("O9O-1234-5678", PHONE_MASK),
    ("o9o 1234 5678", PHONE_MASK),
    ("090l2345678", PHONE_MASK),
    ("0081-90-1234-5678", PHONE_MASK),
    ("09012345678円", PHONE_MASK),  # an amount never starts with 0
    ("090\u00851234\u00855678", PHONE_MASK),
    # cards
    ("4111 1111 1111 1111", CARD_MASK),
    ("4111-1111-1111-1111", CARD_MASK),
    ("4111/1111/1111/1111", CARD_MASK),
    ("4111 / 1111 / 1111 / 1111", CARD_MASK),
    ("4111111111111111", CARD_MASK),
    ("４１１１　１１１１　１１１１　１１１１", CARD_MASK),
    ("3782 822463 10005", CARD_MASK),  # 15 digits, 4-6-5
    ("3530-1113-3330-0000", CARD_MASK),
    ("4111\n1111\n1111\n1111", CARD_MASK),
    ("カード番号は4111の1111の1111の1111", CARD_MASK),
]

# ordinary text: must come back exactly as written
ORDINARY: list[str] = [
    "2026年12月6日",
    "2026年12月6日 10:30に行きます",
    "令和8年12月6日(日) 10:30〜11:00",
    "R8.12.6",
    "2026/12/06 10:30",
    "2026-12-06 10:30 から 2026-12-06 11:00",
    "予約は 2026/12/06 と 2026/12/13 と 2026/12/20",
    "12/6、12/13、12/20",
    "10:30",
    "10:30、11:00、11:30、13:00",
    "平日 8:30-17:15、土曜 9:00-12:00",
    "午前 9:00 ~ 12:00 / 午後 13:00 ~ 17:00",
    "10時30分から11時まで、14時から15時30分まで",
    "12,000円",
    "12,000円、3,500円、800円",
    "1,200円と 3,400円と 5,600円",
    "合計 1,234,567円",
    "手数料は 300円 です",
    "部屋 302 号室",
    "3階の 301 号室",
    "1階 102号室 と 2階 205号室",
    "room 1203, floor 12",
    "3番窓口で 12番の札",
    "定員 20名、残り 3名",
    "1日3回 2錠ずつ",
    "身長 160 cm 体重 55 kg",
    "1990年4月 80歳",  # a birth date written whole is masked since session 16 (test_masking_birth_card_passport)
    "2020年から2026年まで",
    "2026年度 第3四半期",
    "第12回 会議",
    "1番と2番と3番",
    "3-2-1",
    "受付番号 1234",
    "受付番号 1234 5678 9019",  # 12 digits, wrong check digit, no 個人番号 cue: an order or receipt number
    "born in 1985 and 2010 and 2012",
    "有効期限 12/28",
    # dates, times and counted numbers beside other numbers
    "来所日 2024/05/02, 2020/03/20, 19名",
    "2662、2020/02/28の1357号室",
    "13:45  2025/12/23〜11/5",
    "2021/10/15〜4358",
    "1163号室 / 2021/10/15",
    "7468〜7884 の 2024年5月8日",
    "165と1187号室と2023年7月17日",
    "17:30 の 2024/06/20 2024年12月23日",
    # letters next to digits stay letters in words; から and で between ordinary numbers
    "ROOM 101 と No.1",
    "iOS 17",
    "O型 と A型",
    "CO2 1000ppm",
    "Windows 10 と Office 2021",
    "10時から12時まで 3000円",
    "電話は 9時から 17時まで、料金は 1200円",
    "受付番号 1234 から 5678 まで",
    "番号 0120 から 0999 まで",
    "マイナンバーカードは 2026年 3月 に 更新、手数料 1000円",
]


def assert_masked_as(text: str, token: str) -> None:
    result = mask_pii(text)
    assert token in result.text, (text, result.text)
    assert digits_of(result.text) == "", (text, result.text)
    assert result.masked_count == 1, (text, result.text, result.kinds)


@pytest.mark.parametrize(("text", "token"), AS_TYPED)
def test_a_number_as_typed_is_masked(text: str, token: str) -> None:
    assert_masked_as(text, token)


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert mask_pii(text).text == text


def test_a_sentence_keeps_its_dates_and_amounts_around_a_masked_phone() -> None:
    text = "2026年12月6日 10:30に 電話 090-1234-5678 から 12,000円 の件で 302号室へ"
    assert mask_pii(text).text == f"2026年12月6日 10:30に 電話 {PHONE_MASK} から 12,000円 の件で 302号室へ"


def test_postal_codes_and_house_numbers_get_their_own_tokens() -> None:
    """The project masks them (an address is personal too): one token each, the words around untouched."""
    assert mask_pii("〒891-1234 鹿児島県").text == f"{POSTAL_MASK} 鹿児島県"
    assert mask_pii("〒８９１－１２３４").text == POSTAL_MASK
    assert mask_pii("2丁目3番4号です").text == f"{ADDRESS_MASK}です"


# --- every entry of the masker's tables -------------------------------------------------------------------------


@pytest.mark.parametrize("mark", sorted(GROUP_SEPARATORS), ids=[f"U+{ord(c):04X}" for c in sorted(GROUP_SEPARATORS)])
def test_each_separator_once_or_repeated_joins_the_groups(mark: str) -> None:
    for times in (1, 4):
        assert_masked_as(f"1234{mark * times}5678{mark * times}9018", MY_NUMBER_MASK)


@pytest.mark.parametrize("word", sorted(CONNECTOR_WORDS))
def test_each_connector_word_joins_the_groups(word: str) -> None:
    text = f"1234 {word} 5678 {word} 9018"
    if CONNECTOR_WORDS[word]:
        assert mask_pii(text).text == text  # only after a word that announces a number
        text = "番号 " + text
    assert_masked_as(text, MY_NUMBER_MASK)


@pytest.mark.parametrize("cue", NUMBER_CUE_WORDS)
def test_each_number_cue_lets_and_join_the_groups(cue: str) -> None:
    assert_masked_as(f"{cue}: 090 and 1234 and 5678", PHONE_MASK)


@pytest.mark.parametrize("word", COUNTER_WORDS)
def test_each_counter_word_keeps_its_number_out_of_a_personal_number(word: str) -> None:
    assert_masked_as("12345678 の 9018", MY_NUMBER_MASK)
    assert mask_pii(f"12345678 の 9018{word}").text == f"12345678 の 9018{word}"
    assert_masked_as(f"マイナンバー 12345678 の 9018{word}", MY_NUMBER_MASK)  # a cue word lifts it


def test_the_gap_has_limits() -> None:
    """Four different marks, or more than MAX_GAP_CHARS characters, stand between two numbers, not inside one."""
    assert_masked_as("1234-/.5678-/.9018", MY_NUMBER_MASK)
    assert mask_pii("1234-/._5678-/._9018").text == "1234-/._5678-/._9018"
    wide = " " * (MAX_GAP_CHARS + 1)
    assert mask_pii(f"1234{wide}5678{wide}9018").text == f"1234{wide}5678{wide}9018"
    assert_masked_as(f"1234{' ' * MAX_GAP_CHARS}5678{' ' * MAX_GAP_CHARS}9018", MY_NUMBER_MASK)


def test_list_separators_are_group_separators() -> None:
    assert LIST_SEPARATORS <= GROUP_SEPARATORS


# --- generated: valid numbers with wide gaps and spoken-out separators ------------------------------------------

PLAIN_CONNECTORS = sorted(w for w, needs_cue in CONNECTOR_WORDS.items() if not needs_cue)
WIDE_GAPS = st.one_of(
    # not the list marks (、 , / 。 | line breaks): by design they end one number and start the next
    # (「090-…、03-…」), so 「0312\t\t\t\t345,678」 is a number and a list item, covered by the list tests
    st.builds(lambda mark, n: mark * n, st.sampled_from(sorted(GROUP_SEPARATORS - LIST_SEPARATORS)), st.integers(1, 6)),
    st.builds(lambda word, pad: pad + word + pad, st.sampled_from(PLAIN_CONNECTORS), st.sampled_from(["", " ", "　"])),
)


@st.composite
def grouped(draw: st.DrawFn, digits: str) -> str:
    """``digits`` cut in two to four groups, with a wide gap between each two."""
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), min_size=1, max_size=3)))
    groups = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    return "".join(g + (draw(WIDE_GAPS) if i < len(groups) - 1 else "") for i, g in enumerate(groups))


@st.composite
def personal_numbers(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["my_number", "phone", "card"]))
    if kind == "my_number":
        first = draw(st.text(alphabet="0123456789", min_size=11, max_size=11))
        return first + str(my_number_check_digit(first))
    if kind == "phone":
        return "0" + draw(st.sampled_from("123456789")) + draw(st.text(alphabet="0123456789", min_size=8, max_size=9))
    body = draw(st.text(alphabet="0123456789", min_size=15, max_size=15))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_a_number_with_wide_or_spoken_gaps_never_survives(data: st.DataObject) -> None:
    text = data.draw(grouped(data.draw(personal_numbers())))
    result = mask_pii("番号は " + text + " です")
    assert digits_of(result.text) == "", (text, result.text)
