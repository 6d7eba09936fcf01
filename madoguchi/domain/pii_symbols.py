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
from bisect import bisect_left
from functools import lru_cache
from itertools import accumulate
from operator import mul

from madoguchi.domain.pii_digits import digit_value, fold_text
from madoguchi.domain.pii_digits import invisible as _invisible
from madoguchi.domain.pii_runs import MAX_GAP_CHARS, protected_digits
from madoguchi.domain.pii_tokens import mask_spans
from madoguchi.domain.pii_words import GROUP_SEPARATORS

SYMBOL_RUN = 3  # at most this many symbols between two groups of one number (spaces and line breaks besides)
MY_NUMBER_DIGITS = 12


_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)  # of the first eleven digits, left to right (my_number_check_digit)


def _check_digit_right(values: list[int], begin: int) -> bool:
    remainder = sum(map(mul, _WEIGHTS, values[begin : begin + 11])) % 11
    return (0 if remainder <= 1 else 11 - remainder) == values[begin + 11]


@lru_cache(maxsize=8192)
def symbol(ch: str) -> bool:
    """Punctuation or a symbol (Unicode categories P* and S*), not a digit: ``:`` ``＝`` ``#`` ``;`` ``─`` ``→`` …"""
    return digit_value(ch) is None and unicodedata.category(ch)[0] in "PS"


@lru_cache(maxsize=8192)
def _space(ch: str) -> bool:
    return ch.isspace() or _invisible(ch) or unicodedata.category(ch) == "Zs"


@lru_cache(maxsize=4096)  # an attack repeats one gap
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
    chars = set(text)  # each character judged once: a long text repeats few
    if not any(symbol(ch) and ch not in GROUP_SEPARATORS for ch in chars) or all(
        digit_value(ch) is None for ch in chars
    ):
        return text
    protected = protected_digits(fold_text(text))
    groups: list[tuple[int, int, str]] = []  # (start, end, digits) of each group of unprotected digits
    index = 0
    while index < len(text):
        value = None if protected[index] else digit_value(text[index])
        if value is None:
            index += 1
            continue
        start, found = index, [str(value)]
        index += 1
        while index < len(text):
            value = None if protected[index] else digit_value(text[index])
            if value is not None:
                found.append(str(value))
            elif not _invisible(text[index]):
                break
            index += 1
        groups.append((start, index, "".join(found)))
    # joins[k]: how group k joins group k + 1; prefix counts of the gaps that do not join and of the gaps with a
    # symbol of this stage's own, and where each group's digits end, so that each group is judged as the first of
    # a number by one bisection and one check digit, whatever the text (a 1,000-character line of 「1:」 too)
    joins = [_gap_joins(text[groups[k][1] : groups[k + 1][0]]) for k in range(len(groups) - 1)]
    broken = [0, *accumulate(not joined for joined, _own in joins)]
    owned = [0, *accumulate(own for _joined, own in joins)]
    ends = list(accumulate(len(group[2]) for group in groups))
    values = [ord(ch) - 48 for group in groups for ch in group[2]]
    spans: list[tuple[int, int]] = []
    first = 0
    while first < len(groups):
        begin = ends[first] - len(groups[first][2])
        last = bisect_left(ends, begin + MY_NUMBER_DIGITS, first)
        if (
            last < len(groups)
            and ends[last] == begin + MY_NUMBER_DIGITS
            and broken[last] == broken[first]
            and owned[last] > owned[first]
            and _check_digit_right(values, begin)
        ):
            spans.append((groups[first][0], groups[last][1]))
            first = last + 1
        else:
            first += 1
    return mask_spans(text, spans, "my_number", kinds)
