"""Digit groups joined by any symbol: a 個人番号 written ``1234:5678:9018``, ``1234＝5678＝9018``, ``1234→5678→9018``,
``1234━5678━9018`` (session 11's outside attack: a booth question 「税金の相談 1234:5678:9018」 reached the case
summary and the supervisor's CSV).

The run reader (``pii_runs.py``) joins groups only by the marks people use for numbers of every kind
(``GROUP_SEPARATORS``), because a colon, ``=`` or ``#`` between two groups usually gives them another meaning (a
time, a sum, a number in a list). A list of more such marks would never be complete, so this stage takes a class
instead: between two digit groups, any run of at most :data:`SYMBOL_RUN` symbols (Unicode punctuation and symbols:
neither a letter, kana and kanji included, nor a digit), with any spaces and line breaks beside them, and at most
``MAX_GAP_CHARS`` characters in all. Consecutive groups so joined whose digits make exactly twelve with the right
check digit are a 個人番号 — only that: a time (``12:30``), a ratio (``3:1``), a sum or a list item has no check
digit to pass, and dates, times, amounts and counted things are kept out of the groups first, as in the run reader.
A stretch whose every gap is made of ``GROUP_SEPARATORS`` alone is the run reader's to judge (it keeps some of them
on purpose), so this stage only reads stretches with at least one other symbol between their groups.

Cost: one pass over the text and, per group, at most twelve groups ahead (a group holds at least one digit).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from madoguchi.domain.pii_digits import digit_value, my_number_check_digit
from madoguchi.domain.pii_digits import fold as _fold
from madoguchi.domain.pii_digits import invisible as _invisible
from madoguchi.domain.pii_runs import MAX_GAP_CHARS, protected_digits
from madoguchi.domain.pii_tokens import MY_NUMBER_MASK
from madoguchi.domain.pii_words import GROUP_SEPARATORS

SYMBOL_RUN = 3  # at most this many symbols between two groups of one number (spaces and line breaks besides)
MY_NUMBER_DIGITS = 12


@lru_cache(maxsize=8192)
def symbol(ch: str) -> bool:
    """Punctuation or a symbol (Unicode categories P* and S*), not a digit: ``:`` ``＝`` ``#`` ``;`` ``─`` ``→`` …"""
    return digit_value(ch) is None and unicodedata.category(ch)[0] in "PS"


@lru_cache(maxsize=8192)
def _space(ch: str) -> bool:
    return ch.isspace() or _invisible(ch) or unicodedata.category(ch) == "Zs"


def _gap_joins(gap: str) -> tuple[bool, bool]:
    """(whether ``gap`` joins two groups, whether it holds a symbol the run reader does not join by)."""
    if not gap or len(gap) > MAX_GAP_CHARS:
        return False, False
    marks = [ch for ch in gap if not _space(ch)]
    if len(marks) > SYMBOL_RUN or not all(symbol(ch) or ch in GROUP_SEPARATORS for ch in marks):
        return False, False
    return True, any(ch not in GROUP_SEPARATORS for ch in marks)


def mask_symbol_joined(text: str, kinds: list[str]) -> str:
    """Mask every 個人番号 written as digit groups joined by symbols (the rules are in the module docstring)."""
    if not any(symbol(ch) and ch not in GROUP_SEPARATORS for ch in text):
        return text
    protected = protected_digits("".join(map(_fold, text)))
    groups: list[tuple[int, int, str]] = []  # (start, end, digits) of each group of unprotected digits
    index = 0
    while index < len(text):
        value = None if protected[index] else digit_value(text[index])
        if value is None:
            index += 1
            continue
        start, digits = index, [str(value)]
        index += 1
        while index < len(text):
            value = None if protected[index] else digit_value(text[index])
            if value is not None:
                digits.append(str(value))
            elif not _invisible(text[index]):
                break
            index += 1
        groups.append((start, index, "".join(digits)))
    # joins[k]: how group k joins group k + 1 (joined at all, by a symbol of this stage's own)
    joins = [_gap_joins(text[groups[k][1] : groups[k + 1][0]]) for k in range(len(groups) - 1)]
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(groups):
        count, own, last = 0, False, first
        found = None
        while last < len(groups):
            count += len(groups[last][2])
            if count >= MY_NUMBER_DIGITS or last == len(groups) - 1 or not joins[last][0]:
                break
            own = own or joins[last][1]
            last += 1
        if count == MY_NUMBER_DIGITS and own:
            number = "".join(group[2] for group in groups[first : last + 1])
            if my_number_check_digit(number[:11]) == int(number[11]):
                found = (groups[first][0], groups[last][1])
        if found is None:
            first += 1
            continue
        spans.append(found)
        first = last + 1
    for start, stop in reversed(spans):
        text = text[:start] + MY_NUMBER_MASK + text[stop:]
    kinds.extend("my_number" for _span in spans)
    return text
