"""A 個人番号 spelled out (session 11): kanji numerals, full-width digits mixed with spaces and hyphens, and digits
as words in the nine page languages, in chat lines and staff notes; and the near misses both ways — ordinary kanji
numbers (dates, 三丁目, amounts), words that count, twelve words with the wrong check digit — that stay as written."""

from __future__ import annotations

import pytest

from madoguchi.domain.pii_words import SPELLED_DIGITS_GLUED, SPELLED_DIGITS_WORDS
from madoguchi.domain.privacy import MY_NUMBER_MASK, is_valid_my_number, mask_pii, my_number_check_digit
from madoguchi.signaling import events as ev

MY = "123456789018"
WRONG = "123456789012"  # twelve digits, the wrong check digit
assert is_valid_my_number(MY) and not is_valid_my_number(WRONG)

EN = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
JA = ["ゼロ", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう"]
KANJI = "〇一二三四五六七八九"
FW = "０１２３４５６７８９"
WORDS = {
    "en": EN,
    "ja": JA,
    "pt": ["zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove"],
    "vi": ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"],
    "tl": ["sero", "isa", "dalawa", "tatlo", "apat", "lima", "anim", "pito", "walo", "siyam"],
    "ko": list("공일이삼사오육칠팔구"),
    "ne": ["शून्य", "एक", "दुई", "तीन", "चार", "पाँच", "छ", "सात", "आठ", "नौ"],
}


def spell(number: str, words: list[str], sep: str = " ") -> str:
    return sep.join(words[int(d)] for d in number)


SPELLED = [
    # kanji numerals, alone, grouped, in a sentence, before a word that starts with a counter kanji
    "".join(KANJI[int(d)] for d in MY),
    "一二三四 五六七八 九〇一八",
    "一二三四－五六七八－九〇一八",
    "一、二、三、四、五、六、七、八、九、〇、一、八",
    "壱弐参四五六七八九〇壱八",
    "メモ：一二三四五六七八九〇一八 本人確認済",
    "本人の番号は一二三四五六七八九〇一八回答済み",
    "一二三四五六七八九〇一八 名前確認",
    # full-width digits with spaces and hyphens, and mixed with kanji or ASCII
    "１２３４－５６７８－９０１８",
    "１２ ３４５ - ６７８９ ０１８",
    "１ ２ ３ ４ - ５ ６ ７ ８ - ９ ０ １ ８",
    "１二３四５六７八９〇１八",
    "1２3四5六7八9〇1八",
    "１２３４５６７８９０１８ 本人確認済",
    # words, in every language, apart or (kana, hangul) together, with commas, capitals, hyphens
    *(spell(MY, words) for words in WORDS.values()),
    spell(MY, JA, ""),
    spell(MY, WORDS["ko"], ""),
    "My number is " + spell(MY, EN, ", ") + ".",
    "One Two Three Four - Five Six Seven Eight - Nine Zero One Eight",
    "ONE-TWO-THREE-FOUR-FIVE-SIX-SEVEN-EIGHT-NINE-OH-ONE-EIGHT",
    # words mixed with digits and kanji
    "one two three four 5 6 7 8 nine zero one eight",
    "一二三四 five six seven eight 九〇一八",
    "I have " + spell(MY, EN) + " and more",
]

KEPT = [
    # ordinary kanji numbers
    "二〇二四年十二月三日に 行きます",
    "令和六年十二月三日",
    "三丁目の 一二三番地",
    "一万二千三百円です",
    "十二時三十分",
    "一二三四五六七八九〇一二",  # twelve kanji digits, the wrong check digit
    # words that count, or too few
    spell(WRONG, EN),  # twelve words, the wrong check digit
    spell(WRONG, JA, ""),
    "one or two people, three at most",
    "いち に さん し ご",
    "ten nine eight seven six five four three two one zero",
    "Someone two-faced came at one",
    "Tenho dois filhos e uma filha, três netos",
    "Tôi có hai con, một trai một gái",
    "isa, dalawa, tatlo lang po",
    "이사 가요. 오일 뒤에",
    "full-width １２３４ and ５６７８ only",
    "ｐａｇｅ １２ of ３４",
    # a kana word between digits is a particle, not a digit (「に」 is 2, 「ご」 5, 「し」 4, 「く」 9 when spelled)
    "2024/12/03 に 12,000円",
    "2024年12月3日に 12,000円を 払いました",
    "午後3時に 2人 と 5人、10時に 4人",
    "1234 に 5678 に 9012 ご 3456",
    "3 し 4 く 5 ご 6 に 7 に 8 に 9 に 0 に 1",
]


@pytest.mark.parametrize("text", SPELLED)
def test_a_spelled_personal_number_is_masked(text: str) -> None:
    result = mask_pii(text)
    assert MY_NUMBER_MASK in result.text, result.text
    assert "my_number" in result.kinds


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_numbers_and_words_are_kept(text: str) -> None:
    assert mask_pii(text).text == text


def test_every_spelled_word_stands_for_its_digit() -> None:
    """Each entry of the tables, on its own, in a number of otherwise English words."""
    for word, value in (SPELLED_DIGITS_WORDS | SPELLED_DIGITS_GLUED).items():
        first_eleven = str(value) + "2345678901"
        number = first_eleven + str(my_number_check_digit(first_eleven))
        text = word + " " + spell(number[1:], EN)
        assert mask_pii(text).text == MY_NUMBER_MASK, (word, text)


def test_a_spelled_number_beside_written_digits_does_not_eat_them() -> None:
    """Digits the run reader masked are not read again into a spelled run; the words beside them stay."""
    assert mask_pii(f"one {MY}").text == f"one {MY_NUMBER_MASK}"


def test_staff_notes_and_chat_lines_are_masked_at_the_edge() -> None:
    note = ev.WrapUp.model_validate(
        {"consultation_id": "c1", "disposition": "resolved", "note": "本人確認 " + spell(MY, EN)}
    )
    assert note.note == "本人確認 " + MY_NUMBER_MASK and note.masked_count == 1
    line = ev.ChatSend.model_validate(
        {"consultation_id": "c1", "text": "一二三四 五六七八 九〇一八 です", "client_id": "x"}
    )
    assert line.text == MY_NUMBER_MASK + " です"


def test_kana_after_written_digits_do_not_complete_a_number() -> None:
    """CI's property test found 「000000000001くく」 masked: eleven written digits and 「く」 as 9 passed the check.
    Glued kana beside written digits are ordinary words (「…よろしく」), not a spelled part of a number."""
    for text in (
        "000000000001くく",
        "00000000001よろしく",
        "1234 5678 901 しく",
        "0000000008 ba ba",
        "00000000021ba ba",
    ):
        assert mask_pii(text).kinds == (), text
