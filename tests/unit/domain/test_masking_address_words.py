"""Which word before hyphen-joined numbers makes them a street number (session 16, ``pii_places``).

Before, three groups after any kanji or katakana word that did not end in a word of one exclusion list were masked
(「申請書1-2-3」, 「本庁舎2階1-2-3」, 「A棟1-2-3」, 「ロビー1-2-3」), while that list's one-character words hid real
places that end in them (「東京都北区上十条1-2-3」, 「竹富町西表123-4」, 「柏市大室1-2-3」), and an address written
in another language's order or script, after a postal code, or after hiragana stayed in clear ("1-2-3 Honmachi",
"endereço: 1-2-3", 「〒891-1234 3-5-1」, 「しおみ1-2-3」). Now the lexicon says what the word before names: a
facility, document, law, time, office or number word keeps them; a place suffix, an address cue or any other word
makes them a street number (the safe side)."""

from __future__ import annotations

import pytest

from madoguchi.domain.pii_lines import mask_across_lines
from madoguchi.domain.pii_places import ALONE_WORDS, NOT_PLACE_WORDS, PLACE_SUFFIXES
from madoguchi.domain.privacy import ADDRESS_MASK, mask_pii

NOT_ADDRESSES = [
    # rooms, floors and buildings of the town hall
    "本庁舎1-2-3",
    "本庁舎2階1-2-3",
    "第2会議室 1-2-3",
    "相談室1-2-3",
    "A棟1-2-3",
    "別館1-2-3",
    "ロビー1-2-3",
    "汐見町役場の窓口1-2-3",
    # documents and laws
    "様式第1-2-3号",
    "様式（1-2-3）",
    "申請書1-2-3",
    "文書1-2-3",
    "通知1-2-3",
    "別表1-2-3",
    "表1-2-3",
    "議案1-2-3",
    "条例1-2-3",
    "規則第1-2-3",
    "第1条-2-3",
    "第1条1-2-3",
    "ステップ1-2-3",
    "手続き1-2-3",
    # number words with a particle between
    "番号は1-2-3",
    "質問は1-2-3です",
    # other languages' words for a page, a step, a room
    "trang 1-2-3",
    "página 1-2-3",
    "hakbang 1-2-3",
    "Step 1-2-3 Then",
    "ID 1-2-3",
]


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_numbers_after_a_facility_document_law_or_number_word_stay(text: str) -> None:
    assert mask_pii(text).text == text


ADDRESSES = [
    ("汐見町本町1-2-3", "汐見町本町"),
    ("凪島 2-14-7", "凪島 "),
    ("凪島123-4", "凪島"),  # 島 is a place suffix: two groups are enough
    ("〒891-1234 凪島町 3-5-1", "［郵便番号］ 凪島町 "),
    ("〒891-1234 3-5-1", "［郵便番号］ "),  # the postal code is the cue
    ("しおみ町1-2-3", "しおみ町"),
    ("しおみ1-2-3", "しおみ"),  # a place written in hiragana
    ("汐見町の1-2-3", "汐見町の"),
    ("はい、1-2-3-101です", "はい、"),
    ("汐見（1-2-3）", "汐見（"),
    ("汐見町-1-2-3", "汐見町-"),
    # real places that end in a one-character not-place word (条, 表, 室, 割)
    ("東京都北区上十条1-2-3", "東京都北区上十条"),
    ("中十条2-3-4", "中十条"),
    ("竹富町西表123-4", "竹富町西表"),
    ("西表1-2-3", "西表"),
    ("柏市大室1-2-3", "柏市大室"),
    ("第10地割1-2-3", "第10地割"),
    # other languages' order and scripts
    ("1-2-3 Honmachi", ""),
    ("1-2-3 honmachi, Shiomi-cho", ""),
    ("Apt 5, 1-2-3 Honmachi", "Apt 5, "),
    ("No. 1-2-3 Shiomi-cho", "No. "),  # a place named after them says more than the word before
    ("2-14-7 Nagi-jima", ""),
    ("My address is 1-2-3-101", "My address is "),
    ("address: 12-3", "address: "),
    # two groups: after a place the cue named, a space or a comma between (as before), or a suffix in Latin letters
    ("住所 汐見 12-3", "住所 汐見 "),
    ("住所：汐見、12-3", "住所：汐見、"),
    ("address: Shiomi 12-3", "address: Shiomi "),
    ("Shiomi-cho 123-4", "Shiomi-cho "),
    ("Minato-ku, 12-3", "Minato-ku, "),
    ("shiomi 1-2-3", "shiomi "),
    ("Tôi sống ở Shiomi-chō 1-2-3", "Tôi sống ở Shiomi-chō "),
    ("Địa chỉ: 1-2-3 Shiomi", "Địa chỉ: "),
    ("Địa chỉ của tôi là 1-2-3-101", "Địa chỉ của tôi là "),
    ("endereço: 1-2-3", "endereço: "),
    ("Moro em Shiomi-machi 1-2-3", "Moro em Shiomi-machi "),
    ("Nakatira ako sa Shiomi 1-2-3", "Nakatira ako sa Shiomi "),
    ("tirahan: 1-2-3", "tirahan: "),
    ("地址是汐见1-2-3", "地址是汐见"),
    ("주소 1-2-3", "주소 "),
    ("시오미 1-2-3", "시오미 "),
    ("शिओमी 1-2-3", "शिओमी "),
]


@pytest.mark.parametrize(("text", "kept"), ADDRESSES)
def test_real_addresses_stay_masked(text: str, kept: str) -> None:
    result = mask_pii(text)
    assert result.text.startswith(kept + ADDRESS_MASK), result.text
    assert "address" in result.kinds


@pytest.mark.parametrize("word", sorted({w for words in NOT_PLACE_WORDS.values() for w in words}))
def test_every_not_place_word_keeps_three_groups(word: str) -> None:
    assert mask_pii(f"{word}1-2-3").text == f"{word}1-2-3"


@pytest.mark.parametrize("sign", ALONE_WORDS)
def test_a_counter_sign_counts_alone_or_after_a_number_never_at_the_end_of_a_name(sign: str) -> None:
    for kept in (f"{sign}1-2-3", f"2{sign}1-2-3", f"A{sign} 1-2-3"):
        assert mask_pii(kept).text == kept
    assert mask_pii(f"汐見{sign}1-2-3").text == f"汐見{sign}{ADDRESS_MASK}"


@pytest.mark.parametrize("suffix", PLACE_SUFFIXES)
def test_every_place_suffix_makes_two_groups_a_street_number(suffix: str) -> None:
    assert mask_pii(f"汐見{suffix}123-4").text == f"汐見{suffix}{ADDRESS_MASK}"


@pytest.mark.parametrize(("earlier", "line", "masked"), [(["本庁舎"], "1-2-3", False), (["しおみ"], "1-2-3", True)])
def test_across_lines_the_word_on_the_line_before_decides(earlier: list[str], line: str, masked: bool) -> None:
    _lines, text = mask_across_lines(earlier, mask_pii(line).text)
    assert (ADDRESS_MASK in text) is masked, text
