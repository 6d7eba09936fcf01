"""PII masking: the first thing that happens to a resident's words.

A resident may type their 個人番号 (My Number), a phone number or a card number into the chat. The masked text
is the only form that exists after this point: it is what the triage stages, the transcript, the logs, Redis
and any LLM see. Masking works on the raw text in either digit width, so the resident's own wording is kept
around the masked parts.

A 12-digit run is masked as a 個人番号 only when its check digit is right (the formula of the ministerial
ordinance under the My Number Act): a 12-digit order number or receipt number with a wrong check digit is
left alone. Card numbers are recognised by the Luhn check; phone numbers by the shape of Japanese numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MY_NUMBER_MASK = "［個人番号］"
CARD_MASK = "［カード番号］"
PHONE_MASK = "［電話番号］"
POSTAL_MASK = "［郵便番号］"
ADDRESS_MASK = "［番地］"
EMAIL_MASK = "［メールアドレス］"
MASK_TOKENS: tuple[str, ...] = (MY_NUMBER_MASK, CARD_MASK, PHONE_MASK, POSTAL_MASK, ADDRESS_MASK, EMAIL_MASK)

_D = "[0-9０-９]"
# Characters people put between digit groups: spaces (incl. ideographic), hyphens and dashes of every width,
# and the katakana long-vowel mark that Japanese keyboards often produce instead of a hyphen.
_SEP = "[ \u3000\t\\-‐‑‒–—―−－ー.．・]"
# A number ends where no digit follows within three separator characters (and starts likewise).
_NOT_AFTER_DIGIT = f"(?<!{_D})(?<!{_D}{_SEP})(?<!{_D}{_SEP}{_SEP})(?<!{_D}{_SEP}{_SEP}{_SEP})"
_NOT_BEFORE_DIGIT = f"(?!{_SEP}{{0,3}}{_D})"

_MY_NUMBER_RE = re.compile(f"{_NOT_AFTER_DIGIT}(?:{_D}{_SEP}{{0,3}}){{11}}{_D}{_NOT_BEFORE_DIGIT}")
_CARD_RE = re.compile(f"{_NOT_AFTER_DIGIT}(?:{_D}{_SEP}{{0,3}}){{12,18}}{_D}{_NOT_BEFORE_DIGIT}")
_PHONE_RE = re.compile(
    f"{_NOT_AFTER_DIGIT}(?:(?:\\+|＋)(?:81|８１){_SEP}?[(（]?{_D}?[)）]?|[(（]?[0０])"
    f"{_D}{{0,4}}[)）]?{_SEP}?{_D}{{1,4}}{_SEP}?{_D}{{3,4}}{_NOT_BEFORE_DIGIT}"
)
_POSTAL_RE = re.compile(
    f"〒{_SEP}?{_D}{{3}}{_SEP}?{_D}{{4}}|{_NOT_AFTER_DIGIT}{_D}{{3}}[-‐－ー]{_D}{{4}}{_NOT_BEFORE_DIGIT}"
)
_ADDRESS_RE = re.compile(
    f"{_D}+丁目{_SEP}?{_D}+(?:番地?{_SEP}?{_D}*号?|{_SEP}{_D}+)?|{_D}+番地?{_SEP}?{_D}+号?|{_D}+番地"
)
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")

_WIDE_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def digits_of(text: str) -> str:
    return "".join(ch for ch in text.translate(_WIDE_DIGITS) if ch.isascii() and ch.isdigit())


def my_number_check_digit(first_eleven: str) -> int:
    """Check digit of a 個人番号 from its first eleven digits.

    Pn is the n-th digit counted from the right (the check digit itself excluded), Qn = n + 1 for
    1 ≤ n ≤ 6 and n − 5 for 7 ≤ n ≤ 11; r = Σ Pn·Qn mod 11; the check digit is 0 when r ≤ 1, else 11 − r.
    """
    if len(first_eleven) != 11 or not first_eleven.isdigit() or not first_eleven.isascii():
        raise ValueError("need exactly eleven ASCII digits")
    total = 0
    for n, ch in enumerate(reversed(first_eleven), start=1):
        q = n + 1 if n <= 6 else n - 5
        total += int(ch) * q
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid_my_number(text: str) -> bool:
    digits = digits_of(text)
    return len(digits) == 12 and my_number_check_digit(digits[:11]) == int(digits[11])


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


@dataclass(frozen=True)
class MaskResult:
    text: str
    kinds: tuple[str, ...]  # e.g. ("my_number", "phone"), one per masked span, in order found

    @property
    def masked(self) -> bool:
        return bool(self.kinds)


def _card(match: str) -> bool:
    digits = digits_of(match)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _phone(match: str) -> bool:
    digits = digits_of(match)
    if match.lstrip("(（").startswith(("+", "＋")):
        return 10 <= len(digits) <= 12
    return 10 <= len(digits) <= 11


_STAGES: tuple[tuple[str, re.Pattern[str], Callable[[str], bool], str], ...] = (
    ("email", _EMAIL_RE, lambda _m: True, EMAIL_MASK),
    ("card", _CARD_RE, _card, CARD_MASK),
    ("my_number", _MY_NUMBER_RE, is_valid_my_number, MY_NUMBER_MASK),
    ("phone", _PHONE_RE, _phone, PHONE_MASK),
    ("postal_code", _POSTAL_RE, lambda _m: True, POSTAL_MASK),
    ("address", _ADDRESS_RE, lambda _m: True, ADDRESS_MASK),
)


def mask_pii(text: str) -> MaskResult:
    """Replace every recognised personal number in ``text`` by its mask token."""
    kinds: list[str] = []
    for kind, pattern, accept, token in _STAGES:

        def replace(
            match: re.Match[str], *, _kind: str = kind, _accept: Callable[[str], bool] = accept, _token: str = token
        ) -> str:
            if _accept(match.group(0)):
                kinds.append(_kind)
                return _token
            return match.group(0)

        text = pattern.sub(replace, text)
    return MaskResult(text=text, kinds=tuple(kinds))
