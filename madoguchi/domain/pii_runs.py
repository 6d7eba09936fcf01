"""The run reader: numbers people write their own way (個人番号, card and phone numbers).

Digits close enough together are read as one run (:func:`_runs`: separators, gap words, letters typed for
digits, characters drawn as nothing), dates, times, amounts and counted things are kept out of runs first, and
each run is judged as a whole or as consecutive parts (:func:`_numbers`); after a word that announces a number,
groups with anything short between them count as one (:func:`_groups_after_cue`). :func:`mask_numbers` is the
stage ``privacy.mask_pii`` runs; the rules it follows are in ``privacy.py``'s docstring. Split from there.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from madoguchi.domain.pii_digits import LUHN_DOUBLE as _LUHN_DOUBLE
from madoguchi.domain.pii_digits import cue_re as _cue_re
from madoguchi.domain.pii_digits import damm, digit_value, fold_text, luhn_valid, my_number_check_digit
from madoguchi.domain.pii_digits import fold as _fold
from madoguchi.domain.pii_digits import invisible as _invisible
from madoguchi.domain.pii_digits import separator as _separator
from madoguchi.domain.pii_tokens import TOKEN_OF_KIND
from madoguchi.domain.pii_words import (
    BOOKING_CUE_WORDS,
    CONFUSABLE_DIGITS,
    CONNECTOR_WORDS,
    COUNTER_WORDS,
    CUE_WORDS,
    DIGIT_COUNT_WORDS,
    GROUP_SEPARATORS,
    LIST_SEPARATORS,
    NUMBER_CUE_WORDS,
    PLUS_SIGNS,
    POSITION_WORDS,
)

MAX_GAP = 3  # separator marks allowed between two digits of one number (a repeated mark or any spaces count once)
MAX_GAP_CHARS = 12  # characters allowed between two digits of one number, words included
STRAY_DIGITS = 3  # a group this short beside a number (a room, a counter, a list mark) is not part of it
CUE_WINDOW = 30  # a cue word counts for a number that starts at most this many characters after it
CUE_BEFORE = 12  # ... or for a number that ends at most this many characters before it (「…がマイナンバーです」)
CUE_JOIN_CHARS = (
    16  # after a cue word, digit groups this close together are read as one number, whatever stands between
)
PHONE_MAX_DIGITS = 15  # the longest phone number (E.164)
FILLER_CHARS = 12  # a phone number's groups said apart: at most this much filler between two (「えっと」, a line)
DESCRIBED_JOIN_CHARS = 32  # ... or this close when what stands between says how it goes on ("the next 4 digits are")


BOOKING_CUE_GAP = 12  # a booking code starts at most this many characters after a word that names one

_CUE_RES = tuple(map(_cue_re, CUE_WORDS))
_BOOKING_CUE_RES = tuple(map(_cue_re, BOOKING_CUE_WORDS))
_NUMBER_CUE_RES = tuple(map(_cue_re, NUMBER_CUE_WORDS))
_CONNECTOR_RE = re.compile("|".join(re.escape(word) for word in sorted(CONNECTOR_WORDS, key=len, reverse=True)))


# --- what is not a personal number: dates and amounts, alone or in lists ---------------------------------------

_S = "[" + re.escape("".join(sorted({_fold(c) for c in GROUP_SEPARATORS}))) + "]"
_NOT_AFTER_A_DIGIT = f"(?<!\\d)(?<!\\d{_S})(?<!\\d{_S}{_S})(?<!\\d{_S}{_S}{_S})"
_NOT_BEFORE_A_DIGIT = f"(?!{_S}{{0,{MAX_GAP}}}\\d)"
_DATE = r"(?:19|20)\d\d[/\-.](?:0?[1-9]|1[0-2])[/\-.](?:0?[1-9]|[12]\d|3[01])(?:[ t]\d{1,2}:\d\d)?"
_AMOUNT = r"[¥$]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:円|万円|yen)?|[¥$]\d{1,9}(?:\.\d+)?|\d{1,9}万?円"
_DATE_OR_AMOUNT = f"(?:{_DATE}|{_AMOUNT})"
_NOT_A_NUMBER_RE = re.compile(
    f"{_NOT_AFTER_A_DIGIT}{_DATE_OR_AMOUNT}(?:{_S}{{1,{MAX_GAP}}}{_DATE_OR_AMOUNT})*{_NOT_BEFORE_A_DIGIT}"
)


# A full date or a clock time keeps its shape beside other numbers ("2024/05/02, 19名", "13:45 2025/12/23"): no
# one groups a personal number 4-2-2 with slashes or puts a colon in it. Only digits glued to it by its own marks
# ("2024/12/03/1234") make it part of something longer.
_TIME = r"\d{1,2}:\d\d(?::\d\d)?"
_SHAPE = f"(?:{_DATE}|{_TIME})"
_SHAPE_RE = re.compile(f"(?<![\\d:])(?<!\\d[/\\-.:]){_SHAPE}(?:{_S}{{1,{MAX_GAP}}}{_SHAPE})*(?![/\\-.:]?\\d)")
# A group of digits followed by a counter word (号室, 名, 円, 年 …) counts something; it is no part of a personal
# number unless other digits stand just before it with only separators between (then it may be a last group).
_COUNTERS = "|".join(map(re.escape, sorted(COUNTER_WORDS, key=len, reverse=True)))
# (an amount or count of more than four digits never starts with 0: 「09012345678円」 is a phone number; and it has
# at most eleven: nobody counts a trillion of anything at a town counter, while a counter kanji also starts many
# a word written right after a number — 「123456789018 本人確認済」, 「…名前」, 「…回答」 kept a 個人番号, session 11)
_COUNTED_RE = re.compile(f"{_NOT_AFTER_A_DIGIT}(?:\\d{{1,4}}|[1-9]\\d{{4,10}})(?!\\d)(?=[ ]?(?:{_COUNTERS}))")
_PROTECTED_RES = (_NOT_A_NUMBER_RE, _SHAPE_RE, _COUNTED_RE)


def _latin(ch: str) -> bool:
    return ch.isalpha() and "LATIN" in unicodedata.name(ch, "")


def _words_re(words: tuple[str, ...]) -> str:
    """Words as alternatives, longest first; one that starts or ends in a Latin letter only as a whole word."""

    def one(word: str) -> str:
        before = "(?<![^\\W\\d_])" if _latin(word[0]) else ""
        after = "(?![^\\W\\d_])" if _latin(word[-1]) else ""
        return before + re.escape(word) + after

    # a look at the first character first: Python tries every alternative at every position otherwise (~1 ms a
    # 1,000-character line for each table, measured in bench/masking)
    first = "[" + re.escape("".join(sorted({word[0] for word in words}))) + "]"
    return f"(?={first})(?:" + "|".join(map(one, sorted(words, key=len, reverse=True))) + ")"


# The digits that say how a number is given in parts (「次の4桁は」, "last 4 digits", 「2つ目は」: DIGIT_COUNT_WORDS
# and POSITION_WORDS): group 1 is the count or the ordinal, the whole match the phrase.
_DESCRIBED_RES = (
    # (not a connector word that starts like one: 「0つぎは…」 is 0, 「次は」, and more digits)
    re.compile(
        f"(?<!\\d)(\\d{{1,2}})(?!\\d)(?![ ]?(?:{_words_re(tuple(CONNECTOR_WORDS))}))[ ]?"
        f"(?:{_words_re(DIGIT_COUNT_WORDS)})"
    ),
    # after a position word, only a count followed by a word ("next 4 are", 「最後の4つ」, "last 4: …"): "next 0 0000…"
    # and 「次の1、2345…」, 「次の0と…」 are digits of a number
    re.compile(
        f"(?:{_words_re(POSITION_WORDS)})[ ]?(\\d{{1,2}})(?!\\d)(?=[ ]?[^\\d\\s{_S[1:-1]}])"
        f"(?![ ]?(?:{_words_re(tuple(CONNECTOR_WORDS))}))"
    ),
)


def describing_spans(text: str) -> list[tuple[int, int, int, int]]:
    """Where ``text`` says how a number is given in parts: (phrase start, phrase end, digits start, digits end) of
    each 「4桁」, 「次の4」, "4 digits", 「2つ目」 (DIGIT_COUNT_WORDS, POSITION_WORDS). Positions are the text's own."""
    folded = fold_text(text)
    return [(*m.span(), *m.span(1)) for pattern in _DESCRIBED_RES for m in pattern.finditer(folded)]


def reads_as_date_or_amount(text: str) -> bool:
    """Whether ``text`` as a whole is a date, an amount, or a list of them (so never a personal number)."""
    return _NOT_A_NUMBER_RE.fullmatch(fold_text(text)) is not None


def date_amount_count_spans(folded: str) -> list[tuple[int, int]]:
    """Where the folded text holds a date, a clock time, an amount or a counted thing (spans, possibly overlapping)."""
    return [m.span() for pattern in _PROTECTED_RES for m in pattern.finditer(folded)]


def holds_date_amount_or_count(text: str) -> bool:
    """Whether ``text`` holds a date, a clock time, an amount or a counted thing (「301号室」, 「3名」) anywhere: its
    digits say what they are, so they are no piece of a personal number sent over several lines."""
    folded = fold_text(text)
    return any(pattern.search(folded) is not None for pattern in _PROTECTED_RES)


# --- personal numbers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """Digits close enough together to be one written number, or several written as a list."""

    positions: tuple[int, ...]  # where each digit stands in the text
    digits: str
    gaps: tuple[str, ...]  # gaps[i]: the separators between digit i and digit i + 1
    cued: bool  # starts shortly after a cue word
    plus: bool  # written after "+" (an international phone number)


def _within(sorted_positions: list[int], low: int, high: int) -> bool:
    """Whether any of ``sorted_positions`` lies in [low, high]: by bisection, so that a text full of cue words and
    digits costs cues × log, not cues × runs."""
    at = bisect_left(sorted_positions, low)
    return at < len(sorted_positions) and sorted_positions[at] <= high


def _connectors(folded: str, number_cue_ends: list[int]) -> dict[int, int]:
    """Where a connector word starts in the folded text → where it ends; a word that needs a number cue counts only
    within :data:`CUE_WINDOW` characters after one (a gap word is no part of a number elsewhere)."""
    found: dict[int, int] = {}
    for m in _CONNECTOR_RE.finditer(folded):
        if not CONNECTOR_WORDS[m.group()] or _within(number_cue_ends, m.start() - CUE_WINDOW, m.start()):
            found[m.start()] = m.end()
    return found


@dataclass
class _Gap:
    """What stands between two digits of one run so far: its text, and its marks (a separator mark repeated, or
    any spaces and line breaks, count once; a connector word counts as one)."""

    text: str = ""
    marks: int = 0
    last: str = ""

    def take(self, piece: str, *, mark: bool) -> bool:
        """Add ``piece``; ``False`` when the gap is then too wide for two digits of one number."""
        if mark and piece != self.last:
            self.marks += 1
        self.last = piece if mark else ""
        self.text += piece
        return self.marks <= MAX_GAP and len(self.text) <= MAX_GAP_CHARS


def _runs(
    text: str,
    protected: list[bool],
    cues: tuple[list[int], list[int]],
    connectors: dict[int, int],
    letters: dict[int, int],
) -> list[_Run]:
    cue_ends, cue_starts = cues
    runs: list[_Run] = []
    positions: list[int] = []
    digits: list[str] = []
    gaps: list[str] = []
    gap = _Gap()

    def close() -> None:
        if positions:
            start, last = positions[0], positions[-1]
            before = text[max(0, start - 3) : start].rstrip(" (（\u3000")
            runs.append(
                _Run(
                    positions=tuple(positions),
                    digits="".join(digits),
                    gaps=tuple(gaps),
                    cued=_within(cue_ends, start - CUE_WINDOW, start)
                    or _within(cue_starts, last + 1, last + CUE_BEFORE),
                    plus=before.endswith(("+", "＋")),
                )
            )
        positions.clear()
        digits.clear()
        gaps.clear()

    index = 0
    while index < len(text):
        ch = text[index]
        value = None if protected[index] else letters.get(index, digit_value(ch))
        word_end = connectors.get(index)
        if value is not None:
            if positions:
                gaps.append(gap.text)
            positions.append(index)
            digits.append(str(value))
            gap = _Gap()
        elif positions and _invisible(ch):
            pass
        elif positions and word_end is not None and gap.take(text[index:word_end], mark=True):
            index = word_end
            continue
        elif not (positions and (_separator(ch) or _glued_plus(ch, gap)) and gap.take(ch, mark=not ch.isspace())):
            close()
            gap = _Gap()
        index += 1
    close()
    return runs


def _glued_plus(ch: str, gap: _Gap) -> bool:
    """A "+" joins two groups only right after a digit (「9876+5432+1093」, repeated too); after a space or a mark it
    starts a number dialled abroad (「03-1234-5678 +81 3 …」), which must stay a number of its own."""
    return ch in PLUS_SIGNS and all(c in PLUS_SIGNS for c in gap.text)


@lru_cache(maxsize=4096)  # a text that repeats one cue and number reads the same digits at every cue
def _kind(digits: str, *, plus: bool, cued: bool) -> str | None:
    n = len(digits)
    if plus:
        return "phone" if 8 <= n <= 15 else None
    if n == 12 and my_number_check_digit(digits[:11]) == int(digits[11]):
        return "my_number"
    if 13 <= n <= 19 and luhn_valid(digits):
        return "card"
    if n in (10, 11) and digits[0] == "0" and digits[1] != "0":
        return "phone"
    if 10 <= n <= 17 and digits.startswith("00") and digits[2] != "0":
        return "phone"  # dialled abroad: 00 and the country code (0081 90 …)
    if cued and 11 <= n <= 13:
        return "my_number"
    return None


class _Digits:
    """One run's digits read once, so that :func:`_kind` of any stretch costs the same whatever its length: the
    Luhn sums come from prefix sums (which digits are doubled depends only on where the stretch ends), the check
    digit from a fixed table. A run of 1,000 digits has some 12,000 stretches to judge; with a slice, a string and
    a Luhn loop each, that took a fifth of a second of the event loop (session 8's outside attack)."""

    def __init__(self, digits: str) -> None:
        self.values = values = [ord(ch) - 48 for ch in digits]
        # even[p]: Luhn sum of digits [0, p) with the odd positions doubled; odd[p]: the even positions doubled
        even, odd = [0], [0]
        for k, v in enumerate(values):
            doubled = _LUHN_DOUBLE[v]
            even.append(even[-1] + (doubled if k % 2 else v))
            odd.append(odd[-1] + (v if k % 2 else doubled))
        self.even, self.odd = even, odd
        # plain[p]: sum of digits [0, p); placed[p]: sum of position × digit over [0, p) (the check digit's weights
        # fall by one a position in two stretches, so a window's weighted sum is two differences of these)
        plain, placed = [0], [0]
        for k, v in enumerate(values):
            plain.append(plain[-1] + v)
            placed.append(placed[-1] + k * v)
        self.plain, self.placed = plain, placed
        # home[j]: a phone number at home may start at digit j (0 and not 00); abroad[j]: one dialled abroad (00 and
        # a country code): read once a digit, not once a stretch
        self.home = [v == 0 and k + 1 < len(values) and values[k + 1] != 0 for k, v in enumerate(values)]
        self.abroad = [
            v == 0 and k + 2 < len(values) and values[k + 1] == 0 and values[k + 2] != 0 for k, v in enumerate(values)
        ]

    def _falling(self, a: int, b: int, top: int) -> int:
        """Σ (top − k)·digit_k for k in [a, b)."""
        return top * (self.plain[b] - self.plain[a]) - (self.placed[b] - self.placed[a])

    def ending_at(self, i: int, cuts: set[int], *, plus: bool, cued: bool) -> list[tuple[int, str]]:
        """Every personal number that ends before digit ``i`` and starts at a cut: (start, kind), the same as
        :func:`_kind` of each stretch (``plus`` for the stretch from digit 0), judged in one loop without building
        any stretch."""
        values, home, abroad = self.values, self.home, self.abroad
        # counted from the right, the second, fourth … digits are doubled: those of the other parity than i - 1
        sums = self.even if (i - 1) % 2 == 0 else self.odd
        end_sum = sums[i]
        found: list[tuple[int, str]] = []
        for j in range(max(0, i - 19), i - 7):
            if j not in cuts:
                continue
            n = i - j
            if plus and j == 0:
                if n <= 15:
                    found.append((j, "phone"))
                continue
            if n < 10:
                continue
            if n == 12:
                # weights 6 5 4 3 2 on the first five digits, 7 6 5 4 3 2 on the next six (my_number_check_digit)
                total = (self._falling(j, j + 5, j + 6) + self._falling(j + 5, j + 11, j + 12)) % 11
                if (0 if total <= 1 else 11 - total) == values[j + 11]:
                    found.append((j, "my_number"))
                    continue
            elif n >= 13 and (end_sum - sums[j]) % 10 == 0:
                found.append((j, "card"))
                continue
            if (n <= 11 and home[j]) or (n <= 17 and abroad[j]):
                found.append((j, "phone"))  # 0 and not 00: at home; 00 and the country code: dialled abroad
            elif cued and 11 <= n <= 13:
                found.append((j, "my_number"))
        return found


def _boundaries(run: _Run) -> tuple[set[int], set[int]]:
    """Where one number may end and the next begin (``cuts``: at every gap, and anywhere inside 20 or more digits
    written without one), and where a stretch of numbers may end and other digits begin (``ends``: between list
    items, or beside a stray group of at most :data:`STRAY_DIGITS` digits). So ``1234 5678 9012 3456`` is one
    16-digit number (an order or a mistyped card), not a phone number inside it, while in ``携帯2 090 1234 5678``
    the stray ``2`` cannot hide the phone number after it. A 個人番号 (twelve digits, the right check digit) stands
    on its own anywhere in a run (:func:`_numbers`)."""
    n = len(run.digits)
    cuts, ends = {0, n}, {0, n}
    gap_cuts = []
    start = 0
    for i in range(1, n + 1):
        gap = run.gaps[i - 1] if i < n else ""
        if gap:
            cuts.add(i)
            gap_cuts.append(i)
            if any(ch in LIST_SEPARATORS for ch in gap):
                ends.add(i)
        if gap or i == n:
            if i - start >= 20:
                cuts.update(range(start, i))
            start = i
    listed = sorted(ends)
    for cut in gap_cuts:
        at = bisect_left(listed, cut)  # the nearest list ends on either side (by bisection: a run may be long)
        after = listed[at]
        before = after if after == cut else listed[at - 1]
        if 0 < cut - before <= STRAY_DIGITS or 0 < after - cut <= STRAY_DIGITS:
            ends.add(cut)
    return cuts, ends


def _numbers(run: _Run) -> list[tuple[int, int, str]]:
    """The personal numbers in a run as (first digit, end digit, kind): as many digits as possible, in as few
    numbers as possible (a whole run that is one number stays one). Numbers side by side form a stretch that
    starts and ends between list items, or at a 個人番号 with the right check digit: that one is masked whatever
    digits stand beside it. Without that, 「123456789018 1230」 (a 個人番号 and a time) or a 個人番号 after any other
    twelve digits was read as one 16- or 24-digit number that is nothing, and left as written; a mistyped card
    whose first twelve digits pass the 個人番号 check by chance is masked as one too (「［個人番号］ 1112」)."""
    n = len(run.digits)
    if n < 8:
        return []  # no personal number has fewer digits (:meth:`_Digits.ending_at` reads stretches of 8 and more)
    cuts, ends = _boundaries(run)
    read = _Digits(run.digits)
    Score = tuple[int, int]  # (digits masked, -numbers)
    nothing: Score = (-1, 0)
    free: list[Score] = [(0, 0)] + [nothing] * n  # best for digits [0, i) with no stretch open at i
    open_: list[Score] = [nothing] * (n + 1)  # best with a stretch whose last number ends at i
    free_from: list[int | None] = [None] * (n + 1)  # None: digit i - 1 kept; i: the stretch ending at i closes
    open_from: list[tuple[int, str, bool] | None] = [None] * (n + 1)  # (number start, kind, starts the stretch)
    # a stretch that closes at i after a 個人番号 standing on its own (twelve digits, the right check digit), also
    # where no list item ends: its score and its last number (kept apart from open_, whose best may not close)
    alone_from: list[tuple[int, str, bool] | None] = [None] * (n + 1)
    plus, cued = run.plus, run.cued
    for i in range(1, n + 1):
        alone, alone_step = nothing, None
        if i in cuts:
            # the best so far kept in locals: a run of 1,000 zeros has eight numbers ending at every digit
            best, best_from = open_[i], open_from[i]
            for j, kind in read.ending_at(i, cuts, plus=plus, cued=cued):
                # twelve digits are a 個人番号 by their check digit (after a cue word also without it: then asked)
                checked = (
                    kind == "my_number"
                    and i - j == 12
                    and (not cued or my_number_check_digit(run.digits[j : j + 11]) == int(run.digits[j + 11]))
                )
                before = free[j]
                if before != nothing and (j in ends or checked):
                    candidate = (before[0] + i - j, before[1] - 1)
                    if candidate > best:
                        best, best_from = candidate, (j, kind, True)
                    if checked and candidate > alone:
                        alone, alone_step = candidate, (j, kind, True)
                before = open_[j]
                if before != nothing:
                    candidate = (before[0] + i - j, before[1] - 1)
                    if candidate > best:
                        best, best_from = candidate, (j, kind, False)
                    if checked and candidate > alone:
                        alone, alone_step = candidate, (j, kind, False)
            open_[i], open_from[i] = best, best_from
        free[i], free_from[i] = free[i - 1], None
        if i in ends and open_[i] > free[i]:
            free[i], free_from[i] = open_[i], i
        if alone > free[i]:
            free[i], free_from[i], alone_from[i] = alone, i, alone_step
    found: list[tuple[int, int, str]] = []
    i, in_stretch = n, False
    while i > 0:
        step = open_from[i]
        if not in_stretch:
            if free_from[i] is None:
                i -= 1
                continue
            in_stretch = True
            step = alone_from[i] or step
        assert step is not None
        j, kind, starts = step
        found.append((j, i, kind))
        i, in_stretch = j, not starts
    return found[::-1]


def _span(text: str, run: _Run, first: int, end: int) -> tuple[int, int]:
    """The characters a number covers, with its "+" and a parenthesis it opens or closes."""
    start, stop = run.positions[first], run.positions[end - 1] + 1
    if run.plus and first == 0:
        while start > 0 and text[start - 1] in " (（\u3000":
            start -= 1
        start -= 1  # the "+"
        if start > 0 and text[start - 1] in "(（":
            start -= 1
    inside = text[start:stop]
    opened = sum(inside.count(p) for p in "(（") - sum(inside.count(p) for p in ")）")
    if opened > 0 and stop < len(text) and text[stop] in ")）":
        stop += 1
    elif opened < 0 and start > 0 and text[start - 1] in "(（":
        start -= 1
    return start, stop


def _letter_digits(text: str) -> dict[int, int]:
    """Letters typed for digits (``CONFUSABLE_DIGITS``) with a digit (or another such letter: ``OO``) right beside
    them and no other letter."""
    if CONFUSABLE_DIGITS.keys().isdisjoint(text):
        return {}  # most lines: no such letter at all, nothing to look at beside each character
    near = [[text[i] for i in (k - 1, k + 1) if 0 <= i < len(text)] for k in range(len(text))]
    lone = [
        i
        for i, ch in enumerate(text)
        if ch in CONFUSABLE_DIGITS
        and not any(c.isalpha() and digit_value(c) is None and c not in CONFUSABLE_DIGITS for c in near[i])
    ]
    chosen = {i for i in lone if any(digit_value(c) is not None for c in near[i])}
    chosen |= {i for i in lone if i - 1 in chosen or i + 1 in chosen}
    return {i: CONFUSABLE_DIGITS[text[i]] for i in chosen}


_PLAIN_GAP = frozenset(" \u3000\t\u00a0-‐‑‒–—―−－ー﹣ｰ")
"""What stands between the groups of a booking code as the pages print it (``1234 5678 9018``) or people type it."""
_CODE_GROUPS = {12: (3, 7), 8: (3,)}
"""A booking code of each length (``bookings.codes``) written in groups of four: the gaps after its 4th and 8th
digit; or written with no gap at all."""


def _plain(gap: str) -> bool:
    return bool(gap) and all(ch in _PLAIN_GAP for ch in gap)


def _booking_code(run: _Run, length: int) -> bool:
    """Whether the run's first ``length`` digits are a booking code as written: a right Damm digit, never a 個人番号
    (no code is one: ``bookings.codes``), all together or in groups of four, and a gap after them if more follow."""
    if len(run.digits) < length or (len(run.digits) > length and not run.gaps[length - 1]):
        return False
    code = run.digits[:length]
    groups = _CODE_GROUPS[length]
    inside = run.gaps[: length - 1]
    together = not any(inside)
    in_groups = all(_plain(gap) if k in groups else not gap for k, gap in enumerate(inside))
    return (
        (together or in_groups)
        and damm(code) == 0
        and not (length == 12 and my_number_check_digit(code[:11]) == int(code[11]))
    )


def booking_code_apart(run: _Run) -> _Run | None:
    """The run without the booking code it starts with (``None``: the run is the code and nothing else), when it
    starts with one and the digits after it are not the rest of one personal number. The run starts shortly after a
    word that names a booking code; the code is read on its own, and what follows it (a time, a phone number, a
    個人番号) is judged on its own, so the code is never masked with it (「予約番号 1234 5678 9018、1230時」 read as
    one card number) and a 個人番号 after it is still masked whole.

    Left as it is, and masked as before: a run after a 個人番号's cue word (``cued``: a mistyped 個人番号 is one
    whatever its digits) or after a ``+``; a run that read from its start is a 個人番号 longer than the code (an old
    8-digit code's shape and four more digits: the check digit decides, as everywhere); and digits that follow the
    code with only spaces or hyphens between when the run read from its start is one number longer than the code
    (a card number in groups of four whose first twelve digits pass the Damm check, one in ten, is not shown as a
    booking code and its last four). So a code and one to seven more digits with only a space between them that
    happen to pass the card check (one in ten) stay masked: security first."""
    if run.cued or run.plus:
        return run
    for length in _CODE_GROUPS:
        if not _booking_code(run, length):
            continue
        if len(run.digits) == length:
            return None
        longer = [kind for first, end, kind in _numbers(run) if first == 0 and end > length]
        if "my_number" in longer or (longer and _plain(run.gaps[length - 1])):
            return run
        return _Run(
            positions=run.positions[length:],
            digits=run.digits[length:],
            gaps=run.gaps[length:],
            cued=False,
            plus=False,
        )
    return run


def _groups_after_cue(
    runs: list[_Run], run_ends: list[int], used: set[int], cue_end: int, *, cued: bool, described: list[int]
) -> tuple[int, int, str] | None:
    """After a word that announces a number, the first runs with anything short between them whose digits together
    are a personal number (「…は1234で、その次が5678、最後は9018」): (first run, last run, kind), or ``None``. A gap
    that says how the number goes on (``described``: where 「次の4桁は」, "the next 4 digits are" stand) may be
    :data:`DESCRIBED_JOIN_CHARS` long. A mistyped 個人番号 read after a cue (11 or 13 digits) gives way to twelve with
    the right check digit that the next group completes, so the masked span never leaves the last group behind."""
    digits, first, previous_end = "", -1, cue_end
    found: tuple[int, int, str] | None = None
    for index, run in enumerate(runs[bisect_left(run_ends, cue_end) :], start=bisect_left(run_ends, cue_end)):
        start = run.positions[0]
        gap = start - previous_end
        if index in used or (
            gap > (CUE_WINDOW if first < 0 else CUE_JOIN_CHARS)
            and not (first >= 0 and gap <= DESCRIBED_JOIN_CHARS and _within(described, previous_end, start))
        ):
            return found
        first, digits, previous_end = first if first >= 0 else index, digits + run.digits, run.positions[-1] + 1
        kind = _kind(digits, plus=False, cued=cued) if 10 <= len(digits) <= 19 else None
        if kind is not None and index > first:
            if found is None and kind == "my_number" and len(digits) != 12:
                found = (first, index, kind)  # mistyped, or the first digits of a longer one: read one group more
            elif found is None or (kind == "my_number" and len(digits) == 12):
                return first, index, kind
            else:
                return found
        if (len(digits) > 13 and found is not None) or len(digits) > 19:
            return found
    return found


def phone_shaped(groups: tuple[str, ...] | list[str]) -> bool:
    """Whether digit groups said apart (by filler words or lines: 「090」 「えっと」 「1234-5678」) make a
    phone number at home together: 0 and not 00, then nine digits (ten in all), or eleven digits with 0
    third (090, 080, 070, 050, 020, 0800), and the last group four digits or more (a Japanese number ends
    with four). Prices, counts, dates and times never start with 0, and a booking code's groups of four never
    add up to ten or eleven digits."""
    digits = "".join(groups)
    return (
        len(groups) >= 2
        and len(groups[-1]) >= 4
        and digits[:1] == "0"
        and digits[1:2] not in ("", "0")
        and (len(digits) == 10 or (len(digits) == 11 and digits[2] == "0"))
    )


def _groups_of(run: _Run, start: int = 0) -> list[tuple[str, int]]:
    """The run's digit groups as written (split where a gap stands) from its ``start``-th digit, each with the
    index of the digit after it."""
    groups, at = [], start
    for i in range(start + 1, len(run.digits) + 1):
        if i == len(run.digits) or run.gaps[i - 1]:
            groups.append((run.digits[at:i], i))
            at = i
    return groups


@dataclass(frozen=True)
class _Filler:
    """The runs of a text as :func:`_phone_over_filler` reads them, each worked out once: every run's groups
    (with the digit after each), and whether filler alone stands before each run (``joined[k]``: run ``k`` is at
    most :data:`FILLER_CHARS` characters after run ``k - 1`` with no digit between)."""

    groups: list[list[tuple[str, int]]]
    joined: list[bool]

    @classmethod
    def of(cls, text: str, runs: list[_Run]) -> _Filler:
        joined = [False]
        for before, run in pairwise(runs):
            between = text[before.positions[-1] + 1 : run.positions[0]]
            joined.append(len(between) <= FILLER_CHARS and all(digit_value(ch) is None for ch in between))
        return cls(groups=[_groups_of(run) for run in runs], joined=joined)


def _phone_over_filler(
    runs: list[_Run], used: set[int], begin: int, filler: _Filler
) -> tuple[int, int, int, int] | None:
    """The first phone number from run ``begin`` on said in groups with filler between them (「090 えっと
    1234-5678」, and the lines 「090」「1234」「えっと」「5678」 read as one text): runs not yet masked, each at most
    :data:`FILLER_CHARS` characters after the one before with no digit between (a date or a count between ends
    it), whose groups together are :func:`phone_shaped`, or after a ``+`` ten to fifteen digits ending in a group
    of four (「+81 90 えっと 1234 5678」). Returns (first run, its first digit taken, last run, the digit after the
    number in it: the number may end before the last run does)."""
    for first in range(begin, len(runs)):
        if first in used or first + 1 >= len(runs) or not filler.joined[first + 1]:
            continue
        run = runs[first]
        # a phone number has at most 15 digits: only the last groups of a long run can start one (so the reading
        # stays linear in the text, however many groups a run has)
        groups = [group for group, _end in filler.groups[first]]
        while sum(map(len, groups)) > PHONE_MAX_DIGITS:
            groups.pop(0)
        for k in range(len(groups)):
            start = len(run.digits) - sum(map(len, groups[k:]))
            plus = run.plus and start == 0
            if groups[k][0] != "0" and not plus:
                continue
            found = _phone_after(runs, used, first, groups[k:], filler, plus=plus)
            if found is not None:
                return first, start, *found
    return None


def _phone_after(
    runs: list[_Run], used: set[int], first: int, groups: list[str], filler: _Filler, *, plus: bool
) -> tuple[int, int] | None:
    """The runs after ``first`` that complete ``groups`` (its last groups) to a phone number: (last run, the
    digit after the number in it), or ``None``."""
    most = PHONE_MAX_DIGITS if plus else 11
    groups = list(groups)
    count = sum(map(len, groups))
    for last in range(first + 1, len(runs)):
        if last in used or not filler.joined[last]:
            return None
        for group, end in filler.groups[last]:
            groups.append(group)
            count += len(group)
            if count > most:
                return None
            shaped = phone_shaped(groups) if count in (10, 11) else False
            if shaped or (plus and count >= 10 and len(group) >= 4):
                return last, end
    return None


def protected_digits(folded: str, cue_ends: list[int] | None = None) -> list[bool]:
    """Which characters of the folded text belong to a date, a clock time, an amount or a counted thing (so are no
    digits of a personal number), except those shortly after a cue word (``cue_ends``: where cue words end)."""
    protected = [False] * len(folded)
    for m in (m for pattern in _PROTECTED_RES for m in pattern.finditer(folded)):
        if not cue_ends or not _within(cue_ends, m.start() - CUE_WINDOW, m.start()):
            protected[m.start() : m.end()] = [True] * (m.end() - m.start())
    for m in (m for pattern in _DESCRIBED_RES for m in pattern.finditer(folded)):
        protected[m.start(1) : m.end(1)] = [True] * (m.end(1) - m.start(1))  # after a cue word too
    return protected


def mask_numbers(text: str, kinds: list[str]) -> str:
    if all(digit_value(ch) is None for ch in set(text)):
        return text
    folded = fold_text(text)
    cue_ends = sorted(m.end() for pattern in _CUE_RES for m in pattern.finditer(folded))
    protected = protected_digits(folded, cue_ends)
    spans: list[tuple[int, int, str]] = []
    number_cues = [m for pattern in _NUMBER_CUE_RES for m in pattern.finditer(folded)]
    number_cue_ends = sorted(m.end() for m in number_cues)
    cue_starts = sorted(m.start() for pattern in _CUE_RES for m in pattern.finditer(folded))
    runs = _runs(text, protected, (cue_ends, cue_starts), _connectors(folded, number_cue_ends), _letter_digits(text))
    used: set[int] = set()
    booking_cue_ends = sorted(m.end() for pattern in _BOOKING_CUE_RES for m in pattern.finditer(folded))
    for index, run in enumerate(runs):
        if _within(booking_cue_ends, run.positions[0] - BOOKING_CUE_GAP, run.positions[0]):
            apart = booking_code_apart(run)
            if apart is None:  # the code alone: never joined to the groups after it (_groups_after_cue)
                used.add(index)
                continue
            runs[index] = run = apart
        for first, end, kind in _numbers(run):
            spans.append((*_span(text, run, first, end), kind))
            used.add(index)
    run_ends = [run.positions[-1] for run in runs]
    described = sorted(m.start() for pattern in _DESCRIBED_RES for m in pattern.finditer(folded))
    for end in sorted(set(number_cue_ends)):
        found = _groups_after_cue(runs, run_ends, used, end, cued=end in cue_ends, described=described)
        if found is not None:
            first_run, last_run, kind = found
            spans.append((runs[first_run].positions[0], runs[last_run].positions[-1] + 1, kind))
            used.update(range(first_run, last_run + 1))
    begin, filler = 0, _Filler.of(text, runs)
    while (found_phone := _phone_over_filler(runs, used, begin, filler)) is not None:
        first_run, start_digit, last_run, end_digit = found_phone
        start = runs[first_run].positions[start_digit]
        if runs[first_run].plus and start_digit == 0:
            start = _span(text, runs[first_run], 0, 1)[0]  # the "+" too
        spans.append((start, runs[last_run].positions[end_digit - 1] + 1, "phone"))
        used.update(range(first_run, last_run))
        rest = runs[last_run]
        if end_digit < len(rest.digits):  # digits after the number in its last run: read on from there
            runs[last_run] = _Run(
                positions=rest.positions[end_digit:],
                digits=rest.digits[end_digit:],
                gaps=rest.gaps[end_digit:],
                cued=False,
                plus=False,
            )
            filler.groups[last_run] = _groups_of(runs[last_run])
            begin = last_run
        else:
            used.add(last_run)
            begin = last_run + 1
    spans.sort()
    for start, stop, kind in reversed(spans):
        text = text[:start] + TOKEN_OF_KIND[kind] + text[stop:]
    kinds.extend(kind for _start, _stop, kind in spans)
    return text
