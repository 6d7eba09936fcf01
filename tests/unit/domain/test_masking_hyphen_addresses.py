"""Street numbers written with hyphens (session 15's outside attack): 「住所は汐見1-2-3-101です」 and
「汐見町汐見１－２－３」 reached the handoff summary, the transcript, the wrap-up and transfer notes and the exports in
clear, while 「1丁目2番3号」 was masked. Every one of those paths stores ``mask_pii``'s text, so the rule lives there
(``pii_patterns.mask_hyphen_addresses``); the same digits that are a date, a range, a booking code or a time stay."""

from __future__ import annotations

import pytest

from madoguchi.domain.pii_lines import mask_across_lines
from madoguchi.domain.privacy import ADDRESS_MASK, POSTAL_MASK, mask_pii
from madoguchi.signaling.events import Transfer, WrapUp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("住所は汐見1-2-3-101です", f"住所は汐見{ADDRESS_MASK}です"),
        ("鹿児島県熊毛郡汐見町汐見１－２－３", f"鹿児島県熊毛郡汐見町汐見{ADDRESS_MASK}"),
        ("〒891-3701 鹿児島県汐見町汐見123-4", f"{POSTAL_MASK} 鹿児島県汐見町汐見{ADDRESS_MASK}"),
        ("汐見町汐見１ー２ー３に住んでいます", f"汐見町汐見{ADDRESS_MASK}に住んでいます"),  # ー typed as a hyphen
        ("東京都港区芝公園4‐2‐8", f"東京都港区芝公園{ADDRESS_MASK}"),
        ("汐見2丁目3-4", f"汐見{ADDRESS_MASK}"),
        ("住所：1-2-3", f"住所：{ADDRESS_MASK}"),
        ("住所は 12-3 です", f"住所は {ADDRESS_MASK} です"),
        ("汐見1-2-3 4階", f"汐見{ADDRESS_MASK} 4階"),
        ("汐見町汐見1の2の3です", f"汐見町汐見{ADDRESS_MASK}です"),  # as said aloud
        # session 15 review: a Latin place name, a comma between, two numbers after a place suffix or after 住所
        ("Shiomi 1-2-3-101", f"Shiomi {ADDRESS_MASK}"),
        ("Shiomi-cho 1-2-3", f"Shiomi-cho {ADDRESS_MASK}"),
        ("I live at Shiomi, 1-2-3-101.", f"I live at Shiomi, {ADDRESS_MASK}."),
        ("汐見町、1-2-3-101", f"汐見町、{ADDRESS_MASK}"),
        ("汐見町、123-4", f"汐見町、{ADDRESS_MASK}"),
        ("熊毛郡汐見12-3", f"熊毛郡汐見{ADDRESS_MASK}"),
        ("汐見町12-3", f"汐見町{ADDRESS_MASK}"),
        ("住所は汐見12-3です", f"住所は汐見{ADDRESS_MASK}です"),
        ("春日1-2-3", f"春日{ADDRESS_MASK}"),  # a place may end in 日: only a number's 日 is a date
    ],
)
def test_a_street_number_with_hyphens_is_masked(text: str, expected: str) -> None:
    result = mask_pii(text)
    assert result.text == expected
    assert "address" in result.kinds


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-07",
        "予約日は2026-12-07です",
        "日付2026-12-07",
        "りんご1-2個",
        "1-2個ください",
        "約3-4日かかります",
        "10-12時に来ます",
        "午後1-3時",
        "10:30-11:00",
        "第1-2回",
        "資料1-2を見てください",
        "予約番号1234-5678",
        "予約番号は 1234-5678 です",
        "番号は1-2です",
        "本庁舎1-2番窓口へどうぞ",
        "内線12-34",
        "汐見町の1の2",  # one の: a part of something, not a street number
        "第1の2の3",
        # session 15 review: any kanji before two numbers was taken for a place
        "午前9-12",
        "午前9-12に来ます",
        "午後 1-3",
        "月曜9-12",
        "月曜日 9-12",
        "9月 1-2",
        "12月1-2",
        "昭和60-62",
        "令和5-6年度",
        "ページ12-15",
        "税率8-10",
        "窓口3-1",
        "市民課3-1",
        "汐見町役場の窓口3-1へ",
        "汐見1-2",  # two numbers after a place-like word without a place suffix: a part, a range
        "Page 1-2-3",
        "Step 1-2-3",
        "see 1-2-3",
    ],
)
def test_dates_ranges_times_and_codes_stay_readable(text: str) -> None:
    assert mask_pii(text).text == text


def test_a_phone_number_after_a_place_name_is_still_a_phone_number() -> None:
    assert mask_pii("汐見090-1234-5678").text == "汐見［電話番号］"


def test_the_wrap_up_and_transfer_notes_mask_it_too() -> None:
    """The notes staff type are masked where the event is read (``events.Note``)."""
    wrap = WrapUp(consultation_id="c1", disposition="resolved", note="住所は汐見1-2-3-101")
    transfer = Transfer(consultation_id="c1", route="tax", note="汐見町汐見１－２－３の方")
    assert "1-2-3" not in wrap.note and ADDRESS_MASK in wrap.note
    assert "１－２－３" not in transfer.note and ADDRESS_MASK in transfer.note


@pytest.mark.parametrize(
    ("earlier", "line", "masked"),
    [
        (["午前"], "9-12", False),
        (["月曜"], "9-12です", False),
        (["窓口"], "3-1", False),
        (["汐見町"], "12-3", True),
        (["Shiomi"], "1-2-3-101", True),
    ],
)
def test_across_lines_the_same_rule_holds(earlier: list[str], line: str, masked: bool) -> None:
    """Session 15 review: an earlier line ending in kanji (「午前」, then 「9-12」) made a street number."""
    _lines, text = mask_across_lines(earlier, mask_pii(line).text)
    assert (ADDRESS_MASK in text) is masked, text


def test_a_street_number_on_the_line_after_its_place_name_is_masked() -> None:
    """The same split the phone pieces used: the place name on one chat line, the numbers on the next."""
    earlier = [mask_pii("住所は鹿児島県汐見町汐見").text]
    earlier, text = mask_across_lines(earlier, mask_pii("1-2-3-101").text)
    assert (earlier, text) == (["住所は鹿児島県汐見町汐見"], ADDRESS_MASK)
    # a word of the sentence before the numbers is no place name: a question number, an answer
    for before, line in (("はい", "1-2"), ("質問は", "3-4です"), ("りんごを", "1-2個"), ("午前", "9-12")):
        assert mask_across_lines([before], line) == ([before], line)


@pytest.mark.parametrize("text", ["はい1-2", "ください 3-4", "電話 12-3456"])
def test_hiragana_words_and_phone_words_are_no_place_names(text: str) -> None:
    assert mask_pii(text).text == text
