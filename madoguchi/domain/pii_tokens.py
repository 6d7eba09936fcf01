"""The mask tokens: what stands in the text where a personal number was (one token per kind), and how to take
them out again for what guesses a text's topic or language. Split from ``privacy.py``."""

from __future__ import annotations

import re

MY_NUMBER_MASK = "［個人番号］"
CARD_MASK = "［カード番号］"
PHONE_MASK = "［電話番号］"
POSTAL_MASK = "［郵便番号］"
ADDRESS_MASK = "［番地］"
EMAIL_MASK = "［メールアドレス］"
RESIDENT_CODE_MASK = "［住民票コード］"
ACCOUNT_MASK = "［口座番号］"
PENSION_MASK = "［年金番号］"
LICENCE_MASK = "［免許証番号］"
BIRTH_DATE_MASK = "［生年月日］"
RESIDENCE_CARD_MASK = "［在留カード番号］"
PASSPORT_MASK = "［旅券番号］"
ANCHORED_TOKENS: dict[str, str] = {
    "resident_code": RESIDENT_CODE_MASK,
    "bank_account": ACCOUNT_MASK,
    "pension_number": PENSION_MASK,
    "licence_number": LICENCE_MASK,
}
MASK_TOKENS: tuple[str, ...] = (
    MY_NUMBER_MASK,
    CARD_MASK,
    PHONE_MASK,
    POSTAL_MASK,
    ADDRESS_MASK,
    EMAIL_MASK,
    *ANCHORED_TOKENS.values(),
    BIRTH_DATE_MASK,
    RESIDENCE_CARD_MASK,
    PASSPORT_MASK,
)
TOKEN_OF_KIND: dict[str, str] = {
    "my_number": MY_NUMBER_MASK,
    "card": CARD_MASK,
    "phone": PHONE_MASK,
    **ANCHORED_TOKENS,
    "birth_date": BIRTH_DATE_MASK,
    "residence_card": RESIDENCE_CARD_MASK,
    "passport": PASSPORT_MASK,
}
_MASK_TOKEN_RE = re.compile("|".join(map(re.escape, MASK_TOKENS)))


def without_mask_tokens(text: str) -> str:
    """Masked text with its tokens taken out, for what guesses the topic and the language: a token is Japanese
    words standing in for a number, and would make a Vietnamese line look Japanese and pull it to the My Number
    desk (「Số My Number của tôi là ［個人番号］, … thuế cư trú」 is a tax question)."""
    return _MASK_TOKEN_RE.sub(" ", text)


def mask_spans(text: str, spans: list[tuple[int, int]], kind: str, kinds: list[str]) -> str:
    """``text`` with each of ``spans`` (sorted, not overlapping) replaced by the token of ``kind``, which is
    recorded in ``kinds`` once per span: the last step of every stage that finds numbers by position."""
    token = TOKEN_OF_KIND[kind]
    for start, end in reversed(spans):
        text = text[:start] + token + text[end:]
    kinds.extend(kind for _span in spans)
    return text
