"""PII masking: the first thing that happens to anyone's free text.

A resident may type their 個人番号 (My Number), a phone number or a card number into the chat; staff may type one
into their own chat or the wrap-up note. The masked text is the only form that exists after this point: it is
what the triage stages, the transcript, the logs, Redis, the exports and any LLM see. Masking works on the raw
text, so the writer's own wording is kept around the masked parts.

Numbers are found the way people write them, not the way forms print them: digits in any width or script and in
kanji (〇一二三…, 零壱弐参…), split by spaces, line breaks, hyphens and dashes of any kind, dots, 、, commas,
slashes, brackets, quotes or parentheses of any script (``pii_digits.separator``; ``090(1234)5678``,
``０３（１２３４）５６７８``, ``+81 90 …``), with characters drawn as nothing among them (a word joiner, a soft
hyphen, a variation selector: :func:`mask_pii` reads the text without them too), a ``+`` or an ``x`` glued
between groups (``9876+5432+1093``; a ``+`` after a space starts a number dialled abroad), or by words said between
the groups
(「1234 の 5678 の 9018」, ``hyphen``, 「次は」, 「で」; "and" only after a word such as 番号 or "number"), and letters
typed for digits right beside digits (``O9O-1234-5678``, ``090l2345678``). Between two
digits of one number stand at most :data:`MAX_GAP` marks (a mark repeated, 「、、、、」, or any spaces and line
breaks count once; a word counts as one) in at most :data:`MAX_GAP_CHARS` characters. The characters and words
are tables in ``pii_words.py``. The digits of one such run are then judged as a whole, or, when the run is a list
(split by 、, a comma, a slash or a line break) or longer than any one number, as consecutive parts. A 個人番号 is
also found whatever punctuation or symbols (at most three) stand between its groups, ``1234:5678:9018``,
``1234→5678→9018``, when its check digit is right (``pii_symbols.py``, after the run reader):

- 12 digits with the right check digit (the formula of the ministerial ordinance under the My Number Act) are a
  個人番号; 11 to 13 digits written shortly after a cue word (マイナンバー, 個人番号, my number, số định danh …)
  are one too, whatever their check digit: a mistyped number is still a personal number;
- 13 to 19 digits that pass the Luhn check are a card number;
- 10 or 11 digits starting with 0 (not 00), or 8 to 15 digits after ``+``, are a phone number.

After a word that announces a number (番号, 電話, マイナンバー …), digit groups with anything short between them
are read as one number too (「マイナンバーは1234で、その次が5678、最後は9018です」), and a cue word just after a
number counts like one before it (「123456789012 がマイナンバーです」). Digits that say how a number is given, a
digit count or an ordinal (「次の4桁は」, 「2つ目は」, "next 4 digits"; ``DIGIT_COUNT_WORDS``, ``POSITION_WORDS``),
are no digits of it.

A phone number said in groups with filler between them needs no cue word: groups at most ``FILLER_CHARS`` apart
with no digit between, together 0 and nine or ten more digits ending in a group of four (after a ``+``, ten to
fifteen), are one (「090 えっと 1234-5678」; ``pii_runs.phone_shaped``; over chat lines: ``pii_lines``).

A booking code shortly after a word that names one (予約番号, booking number …) is read apart from the digits after
it, unless the check digits say they are one personal number (``pii_runs.booking_code_apart``).

A 12-digit order or receipt number with a wrong check digit and no cue word is left alone, and so are dates
(``2024/12/03``), amounts (``12,000円``, ``¥3,500``) and lists of them, years and short numbers. Postal codes,
street numbers (「1丁目2番3号」, and 「汐見1-2-3」 after a place name or 住所: ``pii_patterns``) and e-mail addresses
get their own tokens.

The stages live in their own modules, each with one job: the mask tokens (``pii_tokens.py``), digits and check
digits (``pii_digits.py``), the anchored-number stage (``pii_anchored.py``), the run reader (``pii_runs.py``), the
symbol-joined 個人番号 (``pii_symbols.py``) and the fixed-shape patterns (``pii_patterns.py``); this module chains
them and keeps the names callers import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from madoguchi.domain.pii_anchored import mask_anchored
from madoguchi.domain.pii_digits import (
    digit_value,
    digits_of,
    drop_hidden_in_numbers,
    is_valid_my_number,
    luhn_valid,
    my_number_check_digit,
)
from madoguchi.domain.pii_patterns import (
    ADDRESS_RE,
    EMAIL_RE,
    MARKED_POSTAL_RE,
    POSTAL_RE,
    mask_hyphen_addresses,
    pattern_stage,
)
from madoguchi.domain.pii_personal import mask_personal
from madoguchi.domain.pii_runs import (
    CUE_BEFORE,
    CUE_JOIN_CHARS,
    CUE_WINDOW,
    MAX_GAP,
    MAX_GAP_CHARS,
    STRAY_DIGITS,
    mask_numbers,
    reads_as_date_or_amount,
)
from madoguchi.domain.pii_spelled import mask_spelled
from madoguchi.domain.pii_symbols import mask_symbol_joined
from madoguchi.domain.pii_tokens import (
    ACCOUNT_MASK,
    ADDRESS_MASK,
    ANCHORED_TOKENS,
    CARD_MASK,
    EMAIL_MASK,
    LICENCE_MASK,
    MASK_TOKENS,
    MY_NUMBER_MASK,
    PENSION_MASK,
    PHONE_MASK,
    POSTAL_MASK,
    RESIDENT_CODE_MASK,
    TOKEN_OF_KIND,
    without_mask_tokens,
)
from madoguchi.domain.pii_words import BIDI_CONTROLS, CUE_WORDS

__all__ = [
    "ACCOUNT_MASK",
    "ADDRESS_MASK",
    "ANCHORED_TOKENS",
    "CARD_MASK",
    "CUE_BEFORE",
    "CUE_JOIN_CHARS",
    "CUE_WINDOW",
    "CUE_WORDS",
    "EMAIL_MASK",
    "LICENCE_MASK",
    "MASK_TOKENS",
    "MAX_GAP",
    "MAX_GAP_CHARS",
    "MY_NUMBER_MASK",
    "PENSION_MASK",
    "PERSONAL_NUMBER_REFUSAL",
    "PHONE_MASK",
    "POSTAL_MASK",
    "RESIDENT_CODE_MASK",
    "STRAY_DIGITS",
    "TOKEN_OF_KIND",
    "MaskResult",
    "digit_value",
    "digits_of",
    "holds_personal_number",
    "is_valid_my_number",
    "luhn_valid",
    "mask_pii",
    "my_number_check_digit",
    "plus_81_my_number",
    "reads_as_date_or_amount",
    "without_mask_tokens",
]

_BIDI_TABLE = dict.fromkeys(map(ord, BIDI_CONTROLS))


@dataclass(frozen=True)
class MaskResult:
    text: str
    kinds: tuple[str, ...]  # e.g. ("my_number", "phone"), one per masked span, in order found

    @property
    def masked(self) -> bool:
        return bool(self.kinds)

    @property
    def masked_count(self) -> int:
        return len(self.kinds)


_STAGES: tuple[Callable[[str, list[str]], str], ...] = (
    pattern_stage("email", EMAIL_RE, EMAIL_MASK, needs="@"),
    pattern_stage("postal_code", MARKED_POSTAL_RE, POSTAL_MASK, needs="〒"),
    mask_personal,  # before the digit stages: a date's or a card's digits are read into no other number
    mask_anchored,
    mask_numbers,
    mask_spelled,  # after the run reader: digits it masked are not taken into a spelled run
    mask_symbol_joined,
    pattern_stage("postal_code", POSTAL_RE, POSTAL_MASK),
    pattern_stage("address", ADDRESS_RE, ADDRESS_MASK),
    mask_hyphen_addresses,  # last: a phone number or a postal code written with hyphens is masked as one before
)


PERSONAL_NUMBER_REFUSAL = "this is a 個人番号 (My Number), not a phone number: please do not write it here"
"""What a field that takes a phone number (a call-back, a booking's contact) answers when given a 個人番号: it
names no digits, so neither the answer nor a log line that quotes it holds the number."""


def holds_personal_number(text: str) -> bool:
    """Whether a phone number as typed is a 個人番号: without a ``+``, its digits (any width or script) are twelve
    with the right check digit, however they are grouped (「1234 5678 9018」); with a ``+``, they are ``81`` and such
    twelve (no Japanese phone number has twelve digits after the country code); or the masker reads one in it (a
    cue word, 「マイナンバー 1234…」). A number dialled from abroad (``+82 10 …``, ``+63 9 …``, ``+81 90 1234 5678``)
    is not read as twelve digits: one in eleven of them would pass the check by chance, and refusing a resident's
    real phone number is worse than taking a 個人番号 someone typed after a ``+`` on purpose."""
    digits = digits_of(text)
    if text.lstrip()[:1] in ("+", "＋"):
        if plus_81_my_number(text, digits):
            return True
    elif len(digits) == 12 and is_valid_my_number(digits):
        return True
    return "my_number" in mask_pii(text).kinds


def plus_81_my_number(text: str, digits: str) -> bool:
    """``+81`` (``text`` starts with a plus) and then twelve digits (``digits``: all of ``text``'s) with the right
    check digit: no Japanese phone number has twelve digits after the country code."""
    return (
        text.lstrip()[:1] in ("+", "＋")
        and digits.startswith("81")
        and len(digits) == 14
        and is_valid_my_number(digits[2:])
    )


def mask_pii(text: str) -> MaskResult:
    """Replace every recognised personal number in ``text`` by its mask token (bidi controls are dropped first).

    Characters drawn as nothing (format characters and variation selectors anywhere, so also inside a cue word,
    「マイ\u200bナンバー」; combining marks among digits: ``pii_digits.drop_hidden_in_numbers``) hide nothing: the
    text is also masked without them, and when that leaves fewer digits, that is the result. Otherwise the text
    keeps them (a keycap emoji 「1️⃣」 or a joiner in an emoji stays)."""
    text = text.translate(_BIDI_TABLE)
    result = _mask(text)
    shown = drop_hidden_in_numbers(text)
    if shown != text:
        bare = _mask(shown)
        if len(digits_of(bare.text)) < len(digits_of(result.text)):
            return bare
    return result


def _mask(text: str) -> MaskResult:
    kinds: list[str] = []
    for stage in _STAGES:
        text = stage(text, kinds)
    return MaskResult(text=text, kinds=tuple(kinds))
