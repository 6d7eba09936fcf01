"""Session 16's outside pass (F4): birth dates, residence card numbers, passport numbers, a My Number in Chinese
financial numerals and a phone number in kana reached staff, transcripts and exports unmasked."""

from __future__ import annotations

import pytest

from madoguchi.domain.pii_lines import mask_across_lines
from madoguchi.domain.privacy import mask_pii

BIRTH = "［生年月日］"
CARD = "［在留カード番号］"
PASSPORT = "［旅券番号］"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("生年月日 昭和30年1月2日", f"生年月日 {BIRTH}"),
        ("1955年1月2日生まれです", f"{BIRTH}生まれです"),
        ("H7.1.2 生", f"{BIRTH} 生"),
        ("DOB: 02/01/1955", f"DOB: {BIRTH}"),
        ("誕生日 1955/01/02", f"誕生日 {BIRTH}"),
        ("生年月日 S30.1.2 ですね", f"生年月日 {BIRTH} ですね"),
        ("昭和三十年一月二日", BIRTH),  # an ended era's whole date needs no word
        ("born on 2 January 1955", f"born on {BIRTH}"),
        ("Date of birth: January 2, 1955", f"Date of birth: {BIRTH}"),
        ("出生日期 1955年1月2日", f"出生日期 {BIRTH}"),
        ("생년월일 1955년 1월 2일", f"생년월일 {BIRTH}"),
        ("ngày sinh 2 tháng 1 năm 1955", f"ngày sinh {BIRTH}"),
        ("data de nascimento 2 de janeiro de 1955", f"data de nascimento {BIRTH}"),
        ("kaarawan Enero 2, 1955", f"kaarawan {BIRTH}"),
        ("जन्म मिति २०१२/०९/१८", f"जन्म मिति {BIRTH}"),
        ("在留カード AB12345678CD", f"在留カード {CARD}"),
        ("AB12345678CD です", f"{CARD} です"),  # the card's shape alone
        ("residence card AB1234567CD", f"residence card {CARD}"),  # mistyped, after the word
        ("在留カード番号は AB 1234 5678 CD", f"在留カード番号は {CARD}"),
        ("パスポート TK1234567", f"パスポート {PASSPORT}"),
        ("护照号码 E12345678", f"护照号码 {PASSPORT}"),
        ("여권 M12345678", f"여권 {PASSPORT}"),
        ("hộ chiếu C1234567", f"hộ chiếu {PASSPORT}"),
        ("passaporte FX123456", f"passaporte {PASSPORT}"),
        ("Passport number: P1234567A", f"Passport number: {PASSPORT}"),
        ("号码 壹贰叁肆伍陆柒捌玖零壹捌", "号码 ［個人番号］"),
        ("電話 ぜろきゅうぜろ いちにさんよん ごろくななはち", "電話 ［電話番号］"),
    ],
)
def test_masked(text: str, expected: str) -> None:
    assert mask_pii(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "12月10日に行きます",
        "令和8年12月10日の予約です",
        "2026/12/10 に予約しました",
        "booking code TK1234567",  # the passport shape without a passport word
        "予約番号 TK1234567 です",
        "いち に さん し ご ろく しち はち きゅう じゅう",
        "三月に参ります",
    ],
)
def test_kept(text: str) -> None:
    assert mask_pii(text).text == text


def test_the_attackers_sentence_is_masked_the_same_whatever_came_before() -> None:
    """The booth's sentence had 番号は first, and the date's and the card's digits became one 「個人番号」; the chat's
    had none and nothing was masked. Both are now masked as what they are."""
    tail = "生年月日は昭和30年1月2日、在留カードAB12345678CD"
    expected_tail = f"生年月日は{BIRTH}、在留カード{CARD}"
    assert mask_pii(tail).text == expected_tail
    assert mask_pii("番号は1234 5678 9018、" + tail).text == "番号は［個人番号］、" + expected_tail


def test_a_birth_date_over_two_lines_is_not_redacted_into_card_numbers() -> None:
    _earlier, text = mask_across_lines(["born on"], "2 January 1955")
    assert "カード番号" not in text
