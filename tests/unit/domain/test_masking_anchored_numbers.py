"""Numbers a word makes personal (session 8's outside attack found them unmasked everywhere): 住民票コード, bank
accounts (ゆうちょ too), 基礎年金番号 and driving-licence numbers, in any width and with spaces or hyphens, while
amounts, dates, times, booking codes and phone numbers keep their own reading."""

from __future__ import annotations

import pytest

from madoguchi.domain.privacy import (
    ACCOUNT_MASK,
    LICENCE_MASK,
    PENSION_MASK,
    PHONE_MASK,
    RESIDENT_CODE_MASK,
    mask_pii,
)


def wide(text: str) -> str:
    return text.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))


@pytest.mark.parametrize(
    ("text", "token", "digits"),
    [
        ("住民票コード12345678901", RESIDENT_CODE_MASK, "12345678901"),
        ("住民票コードは 1234-5678-901 です", RESIDENT_CODE_MASK, "901"),
        ("住民票コード 1234 5678 901", RESIDENT_CODE_MASK, "5678"),
        ("口座 普通1234567", ACCOUNT_MASK, "1234567"),
        ("振込先 三井住友銀行 渋谷支店 普通預金 765-4321", ACCOUNT_MASK, "4321"),
        ("ゆうちょ 記号12345 番号12345671", ACCOUNT_MASK, "12345"),
        ("基礎年金番号 1234-567890", PENSION_MASK, "567890"),
        ("年金番号は1234 567890です", PENSION_MASK, "567890"),
        ("運転免許 123456789012", LICENCE_MASK, "123456789012"),
        ("運転免許証の番号は 1234 5678 9012", LICENCE_MASK, "9012"),
        ("bank account 1234567", ACCOUNT_MASK, "1234567"),
        # the outside re-test's variations: one Yucho number, a spaced licence after 免許, other languages' words
        ("ゆうちょ 12345-12345671", ACCOUNT_MASK, "12345671"),
        ("記号番号 12345 12345671", ACCOUNT_MASK, "12345671"),
        ("免許 1234 5678 9012", LICENCE_MASK, "9012"),
        ("số tài khoản 1234567", ACCOUNT_MASK, "1234567"),
        ("bằng lái xe 123456789012", LICENCE_MASK, "123456789012"),
        ("mã số lương hưu 1234-567890", PENSION_MASK, "567890"),
        ("账号 1234567", ACCOUNT_MASK, "1234567"),
        ("운전면허 123456789012", LICENCE_MASK, "123456789012"),
        ("número da conta 1234567", ACCOUNT_MASK, "1234567"),
        ("खाता नम्बर 1234567", ACCOUNT_MASK, "1234567"),
    ],
)
def test_each_shape_is_masked_in_any_width(text: str, token: str, digits: str) -> None:
    for written in (text, wide(text)):
        result = mask_pii(written)
        assert token in result.text, written
        assert digits not in result.text and wide(digits) not in result.text, result.text
        assert result.masked


def test_both_ゆうちょ_numbers_and_the_words_around_stay() -> None:
    result = mask_pii("ゆうちょ 記号12345 番号12345671 へお願いします")
    assert result.text == f"ゆうちょ 記号{ACCOUNT_MASK} 番号{ACCOUNT_MASK} へお願いします"
    assert result.kinds == ("bank_account", "bank_account")


@pytest.mark.parametrize(
    "text",
    [
        "口座から1,234,567円引き落とされました",
        "口座に 1234567円 入金しました",
        "口座から ¥1234567 を払いました",
        "銀行で予約番号12345678を見せます",
        "予約番号 12345678 で予約しました",
        "2024年12月3日 14:30 に支店へ行きます",
        "運転免許の更新は 2025/03/01 までです",
        "普通に 3 人で行きます",
        "口座番号 普通 支店番号 123",
        "年金は 2か月に1回 振り込まれます",
        "12,000円 と ¥3,500",
    ],
)
def test_ordinary_numbers_near_those_words_are_untouched(text: str) -> None:
    result = mask_pii(text)
    assert result.text == text and not result.masked


def test_a_phone_number_after_a_bank_word_is_still_a_phone_number() -> None:
    assert mask_pii("銀行の電話 090-1234-5678").text == f"銀行の電話 {PHONE_MASK}"
