"""Digits as people write them, one character at a time: the value of a digit in any script or width, kanji
numerals included; what is drawn as nothing or separates groups; the width- and case-blind fold every stage reads;
and the check digits of a 個人番号 and of a card number. Split from ``privacy.py``."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

from madoguchi.domain.pii_words import (
    EXTRA_COMMAS,
    EXTRA_DOTS,
    EXTRA_SLASHES,
    FILLERS,
    GROUP_SEPARATORS,
    KANJI_DIGITS,
    PLUS_SIGNS,
)

# Punctuation of these kinds stands between digit groups like its usual form (a dash of any Unicode kind like a
# hyphen, any bracket like a parenthesis, any quote like an apostrophe), and the folded text every stage's patterns
# read spells it that way: 「2024‒12‒03」 is a date and 「090⸺1234⸺5678」 a phone number however the dash is drawn.
_SEPARATOR_CATEGORIES = {"Pd": "-", "Ps": "(", "Pe": ")", "Pi": "'", "Pf": "'", "Zs": " ", "Zl": "\n", "Zp": "\n"}
_EXTRA_FOLDS = {
    **dict.fromkeys(EXTRA_COMMAS, ","),
    **dict.fromkeys(EXTRA_DOTS, "."),
    **dict.fromkeys(EXTRA_SLASHES, "/"),
}


@lru_cache(maxsize=8192)
def digit_value(ch: str) -> int | None:
    """The value of a digit in any script or width (superscript, circled and parenthesised digits too), or of a
    kanji numeral; ``None`` for anything else."""
    kanji = KANJI_DIGITS.get(ch)
    if kanji is not None:
        return kanji
    return unicodedata.decimal(ch, None) if ch.isdecimal() else unicodedata.digit(ch, None)


@lru_cache(maxsize=8192)
def invisible(ch: str) -> bool:
    """Drawn as nothing inside a number: zero-width and format characters, combining marks (accents, variation
    selectors, the keycap), fillers. They neither end a run of digits nor count as a gap."""
    return ch in FILLERS or unicodedata.category(ch) in ("Cf", "Mn", "Me")


@lru_cache(maxsize=8192)
def separator(ch: str) -> bool:
    """Stands between digit groups: ``GROUP_SEPARATORS``, and any space, dash, bracket or quote, and the commas,
    dots and slashes of other scripts (``EXTRA_COMMAS``, ``EXTRA_DOTS``, ``EXTRA_SLASHES``)."""
    return ch in GROUP_SEPARATORS or ch in _EXTRA_FOLDS or unicodedata.category(ch) in _SEPARATOR_CATEGORIES


def drop_hidden_in_numbers(text: str) -> str:
    """``text`` as it reads: without format characters (a zero-width space, a joiner, a soft hyphen, a BOM) and
    variation selectors anywhere, and without the other characters drawn as nothing (:func:`invisible`: combining
    marks, fillers) where they stand among digits and separators, i.e. where their nearest drawn neighbour on
    either side is a digit, a separator or a plus sign. What they hide is then read as it is shown: 「6,659\u00ad22」
    is no amount followed by other digits but 665922, 「マイ\u200bナンバー」 is a cue word. An accent on a letter
    stays (Vietnamese written decomposed)."""
    if not any(map(invisible, set(text))):
        return text  # the usual case, and the cheap one: each distinct character looked at once
    hidden = [invisible(ch) for ch in text]

    def numeric(ch: str) -> bool:
        return digit_value(ch) is not None or separator(ch) or ch in PLUS_SIGNS

    drawn_before = [False] * len(text)
    last = False
    for i, ch in enumerate(text):
        drawn_before[i] = last
        if not hidden[i]:
            last = numeric(ch)
    kept: list[str] = []
    last = False
    for i in range(len(text) - 1, -1, -1):
        if not hidden[i]:
            last = numeric(text[i])
            kept.append(text[i])
        elif not (last or drawn_before[i] or _format_or_selector(text[i])):
            kept.append(text[i])
    return "".join(reversed(kept))


def _format_or_selector(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or "VARIATION SELECTOR" in unicodedata.name(ch, "")


def digits_of(text: str) -> str:
    """Every digit in ``text`` (any width or script, kanji numerals included) as ASCII digits."""
    return "".join(str(v) for v in map(digit_value, text) if v is not None)


@lru_cache(maxsize=8192)
def fold(ch: str) -> str:
    """One character, width- and case-blind, still one character (positions in the folded text stay valid)."""
    value = digit_value(ch)
    if value is not None:
        return str(value)
    folded = unicodedata.normalize("NFKC", ch).casefold()
    if len(folded) != 1:
        folded = ch
    if folded in GROUP_SEPARATORS:
        return folded
    return _EXTRA_FOLDS.get(folded) or _SEPARATOR_CATEGORIES.get(unicodedata.category(folded), folded)


@lru_cache(maxsize=8)
def fold_text(text: str) -> str:
    """``text`` folded character by character (:func:`fold`; same length, positions stay valid). Several stages of
    one ``mask_pii`` fold the same text when the stage before masked nothing: the last few are kept."""
    return "".join(map(fold, text))


LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a digit doubled, its two digits summed


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
    values = [ord(ch) - 48 for ch in reversed(digits)]  # every second digit from the right is doubled
    return (sum(values[0::2]) + sum(LUHN_DOUBLE[v] for v in values[1::2])) % 10 == 0


def cue_re(cue: str) -> re.Pattern[str]:
    """A cue word as a pattern over the folded text: its words apart by any spaces, hyphens or 「・」, or together."""
    return re.compile(r"[\s\-_・]*".join(re.escape(part) for part in re.split(r"\s+", cue)))


DAMM: Final = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
"""The totally anti-symmetric quasigroup of order 10 (Damm, 2004): the check digit of a booking code
(``bookings.codes``); here so that the masker can tell a booking code from a personal number."""


def damm(digits: str) -> int:
    """0 when ``digits`` (ASCII) end with their right Damm check digit; the check digit of ``digits`` otherwise."""
    interim = 0
    for digit in digits:
        interim = DAMM[interim][int(digit)]
    return interim
