"""PII masking: the first thing that happens to anyone's free text.

A resident may type their 個人番号 (My Number), a phone number or a card number into the chat; staff may type one
into their own chat or the wrap-up note. The masked text is the only form that exists after this point: it is
what the triage stages, the transcript, the logs, Redis, the exports and any LLM see. Masking works on the raw
text, so the writer's own wording is kept around the masked parts.

Numbers are found the way people write them, not the way forms print them: digits in any width or script and in
kanji (〇一二三…, 零壱弐参…), split by spaces, line breaks, hyphens, dots, 、, commas, slashes, brackets or
parentheses (``090(1234)5678``, ``０３（１２３４）５６７８``, ``+81 90 …``), or by words said between the groups
(「1234 の 5678 の 9018」, ``hyphen``, 「次は」, 「で」; "and" only after a word such as 番号 or "number"), and letters
typed for digits right beside digits (``O9O-1234-5678``, ``090l2345678``). Between two
digits of one number stand at most :data:`MAX_GAP` marks (a mark repeated, 「、、、、」, or any spaces and line
breaks count once; a word counts as one) in at most :data:`MAX_GAP_CHARS` characters. The characters and words
are tables in ``pii_words.py``. The digits of one such run are then judged as a whole, or, when the run is a list
(split by 、, a comma, a slash or a line break) or longer than any one number, as consecutive parts:

- 12 digits with the right check digit (the formula of the ministerial ordinance under the My Number Act) are a
  個人番号; 11 to 13 digits written shortly after a cue word (マイナンバー, 個人番号, my number, số định danh …)
  are one too, whatever their check digit: a mistyped number is still a personal number;
- 13 to 19 digits that pass the Luhn check are a card number;
- 10 or 11 digits starting with 0 (not 00), or 8 to 15 digits after ``+``, are a phone number.

After a word that announces a number (番号, 電話, マイナンバー …), digit groups with anything short between them
are read as one number too (「マイナンバーは1234で、その次が5678、最後は9018です」), and a cue word just after a
number counts like one before it (「123456789012 がマイナンバーです」).

A 12-digit order or receipt number with a wrong check digit and no cue word is left alone, and so are dates
(``2024/12/03``), amounts (``12,000円``, ``¥3,500``) and lists of them, years and short numbers. Postal codes,
street numbers and e-mail addresses get their own tokens.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from madoguchi.domain.pii_patterns import ADDRESS_RE, EMAIL_RE, MARKED_POSTAL_RE, POSTAL_RE, pattern_stage
from madoguchi.domain.pii_words import (
    BIDI_CONTROLS,
    CONFUSABLE_DIGITS,
    CONNECTOR_WORDS,
    COUNTER_WORDS,
    CUE_WORDS,
    FILLERS,
    GROUP_SEPARATORS,
    KANJI_DIGITS,
    LIST_SEPARATORS,
    NUMBER_CUE_WORDS,
)

MY_NUMBER_MASK = "［個人番号］"
CARD_MASK = "［カード番号］"
PHONE_MASK = "［電話番号］"
POSTAL_MASK = "［郵便番号］"
ADDRESS_MASK = "［番地］"
EMAIL_MASK = "［メールアドレス］"
MASK_TOKENS: tuple[str, ...] = (MY_NUMBER_MASK, CARD_MASK, PHONE_MASK, POSTAL_MASK, ADDRESS_MASK, EMAIL_MASK)
TOKEN_OF_KIND: dict[str, str] = {"my_number": MY_NUMBER_MASK, "card": CARD_MASK, "phone": PHONE_MASK}

MAX_GAP = 3  # separator marks allowed between two digits of one number (a repeated mark or any spaces count once)
MAX_GAP_CHARS = 12  # characters allowed between two digits of one number, words included
STRAY_DIGITS = 3  # a group this short beside a number (a room, a counter, a list mark) is not part of it
CUE_WINDOW = 30  # a cue word counts for a number that starts at most this many characters after it
CUE_BEFORE = 12  # ... or for a number that ends at most this many characters before it (「…がマイナンバーです」)
CUE_JOIN_CHARS = (
    16  # after a cue word, digit groups this close together are read as one number, whatever stands between
)


def _cue_re(cue: str) -> re.Pattern[str]:
    return re.compile(r"[\s\-_・]*".join(re.escape(part) for part in re.split(r"\s+", cue)))


_CUE_RES = tuple(map(_cue_re, CUE_WORDS))
_NUMBER_CUE_RES = tuple(map(_cue_re, NUMBER_CUE_WORDS))
_CONNECTOR_RE = re.compile("|".join(re.escape(word) for word in sorted(CONNECTOR_WORDS, key=len, reverse=True)))


_BIDI_TABLE = dict.fromkeys(map(ord, BIDI_CONTROLS))


@lru_cache(maxsize=8192)
def digit_value(ch: str) -> int | None:
    """The value of a digit in any script or width (superscript, circled and parenthesised digits too), or of a
    kanji numeral; ``None`` for anything else."""
    kanji = KANJI_DIGITS.get(ch)
    if kanji is not None:
        return kanji
    return unicodedata.decimal(ch, None) if ch.isdecimal() else unicodedata.digit(ch, None)


@lru_cache(maxsize=8192)
def _invisible(ch: str) -> bool:
    """Drawn as nothing inside a number: zero-width and format characters, combining marks (accents, variation
    selectors, the keycap), fillers. They neither end a run of digits nor count as a gap."""
    return ch in FILLERS or unicodedata.category(ch) in ("Cf", "Mn", "Me")


@lru_cache(maxsize=8192)
def _separator(ch: str) -> bool:
    return ch in GROUP_SEPARATORS or unicodedata.category(ch) == "Zs"


def digits_of(text: str) -> str:
    """Every digit in ``text`` (any width or script, kanji numerals included) as ASCII digits."""
    return "".join(str(v) for v in map(digit_value, text) if v is not None)


@lru_cache(maxsize=8192)
def _fold(ch: str) -> str:
    """One character, width- and case-blind, still one character (positions in the folded text stay valid)."""
    value = digit_value(ch)
    if value is not None:
        return str(value)
    folded = unicodedata.normalize("NFKC", ch).casefold()
    return folded if len(folded) == 1 else ch


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

    @property
    def masked_count(self) -> int:
        return len(self.kinds)


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
# (an amount or count of more than four digits never starts with 0: 「09012345678円」 is a phone number)
_COUNTED_RE = re.compile(f"{_NOT_AFTER_A_DIGIT}(?:\\d{{1,4}}|[1-9]\\d*)(?!\\d)(?=[ ]?(?:{_COUNTERS}))")
_PROTECTED_RES = (_NOT_A_NUMBER_RE, _SHAPE_RE, _COUNTED_RE)


def reads_as_date_or_amount(text: str) -> bool:
    """Whether ``text`` as a whole is a date, an amount, or a list of them (so never a personal number)."""
    return _NOT_A_NUMBER_RE.fullmatch("".join(map(_fold, text))) is not None


# --- personal numbers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """Digits close enough together to be one written number, or several written as a list."""

    positions: tuple[int, ...]  # where each digit stands in the text
    digits: str
    gaps: tuple[str, ...]  # gaps[i]: the separators between digit i and digit i + 1
    cued: bool  # starts shortly after a cue word
    plus: bool  # written after "+" (an international phone number)


def _connectors(folded: str, number_cue_ends: list[int]) -> dict[int, int]:
    """Where a connector word starts in the folded text → where it ends; a word that needs a number cue counts only
    within :data:`CUE_WINDOW` characters after one (a gap word is no part of a number elsewhere)."""
    found: dict[int, int] = {}
    for m in _CONNECTOR_RE.finditer(folded):
        if not CONNECTOR_WORDS[m.group()] or any(0 <= m.start() - end <= CUE_WINDOW for end in number_cue_ends):
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
                    cued=any(0 <= start - end <= CUE_WINDOW for end in cue_ends)
                    or any(0 < begin - last <= CUE_BEFORE for begin in cue_starts),
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
        elif not (positions and _separator(ch) and gap.take(ch, mark=not ch.isspace())):
            close()
            gap = _Gap()
        index += 1
    close()
    return runs


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


def _boundaries(run: _Run) -> tuple[set[int], set[int]]:
    """Where one number may end and the next begin (``cuts``: at every gap, and anywhere inside 20 or more digits
    written without one), and where a stretch of numbers may end and other digits begin (``ends``: between list
    items, or beside a stray group of at most :data:`STRAY_DIGITS` digits). So ``4111 1111 1111 1112`` is one
    mistyped card number, not a 個人番号 and four more digits, while in ``携帯2 090 1234 5678`` the stray ``2``
    cannot hide the phone number after it."""
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
        before = max(e for e in listed if e <= cut)
        after = min(e for e in listed if e >= cut)
        if 0 < cut - before <= STRAY_DIGITS or 0 < after - cut <= STRAY_DIGITS:
            ends.add(cut)
    return cuts, ends


def _numbers(run: _Run) -> list[tuple[int, int, str]]:
    """The personal numbers in a run as (first digit, end digit, kind): as many digits as possible, in as few
    numbers as possible (a whole run that is one number stays one). Numbers side by side form a stretch that
    starts and ends between list items."""
    n = len(run.digits)
    cuts, ends = _boundaries(run)
    Score = tuple[int, int]  # (digits masked, -numbers)
    nothing: Score = (-1, 0)
    free: list[Score] = [(0, 0)] + [nothing] * n  # best for digits [0, i) with no stretch open at i
    open_: list[Score] = [nothing] * (n + 1)  # best with a stretch whose last number ends at i
    free_from: list[int | None] = [None] * (n + 1)  # None: digit i - 1 kept; i: the stretch ending at i closes
    open_from: list[tuple[int, str, bool] | None] = [None] * (n + 1)  # (number start, kind, starts the stretch)
    for i in range(1, n + 1):
        if i in cuts:
            for j in range(max(0, i - 19), i - 7):
                if j not in cuts:
                    continue
                kind = _kind(run.digits[j:i], plus=run.plus and j == 0, cued=run.cued)
                if kind is None:
                    continue
                for before, starts in ((free[j], True), (open_[j], False)):
                    if before == nothing or (starts and j not in ends):
                        continue
                    candidate = (before[0] + i - j, before[1] - 1)
                    if candidate > open_[i]:
                        open_[i], open_from[i] = candidate, (j, kind, starts)
        free[i], free_from[i] = free[i - 1], None
        if i in ends and open_[i] > free[i]:
            free[i], free_from[i] = open_[i], i
    found: list[tuple[int, int, str]] = []
    i, in_stretch = n, False
    while i > 0:
        if not in_stretch:
            if free_from[i] is None:
                i -= 1
                continue
            in_stretch = True
        step = open_from[i]
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


def _groups_after_cue(
    runs: list[_Run], run_ends: list[int], used: set[int], cue_end: int, *, cued: bool
) -> tuple[int, int, str] | None:
    """After a word that announces a number, the first runs with anything short between them whose digits together
    are a personal number (「…は1234で、その次が5678、最後は9018」): (first run, last run, kind), or ``None``."""
    digits, first, previous_end = "", -1, cue_end
    for index, run in enumerate(runs[bisect_left(run_ends, cue_end) :], start=bisect_left(run_ends, cue_end)):
        if index in used or run.positions[0] - previous_end > (CUE_WINDOW if first < 0 else CUE_JOIN_CHARS):
            return None
        first, digits, previous_end = first if first >= 0 else index, digits + run.digits, run.positions[-1] + 1
        kind = _kind(digits, plus=False, cued=cued) if 10 <= len(digits) <= 19 else None
        if kind is not None and index > first:
            return first, index, kind
        if len(digits) > 19:
            return None
    return None


def _mask_numbers(text: str, kinds: list[str]) -> str:
    if all(digit_value(ch) is None for ch in text):
        return text
    folded = "".join(map(_fold, text))
    cue_ends = [m.end() for pattern in _CUE_RES for m in pattern.finditer(folded)]
    protected = [False] * len(text)
    for m in (m for pattern in _PROTECTED_RES for m in pattern.finditer(folded)):
        if not any(0 <= m.start() - end <= CUE_WINDOW for end in cue_ends):
            protected[m.start() : m.end()] = [True] * (m.end() - m.start())
    spans: list[tuple[int, int, str]] = []
    number_cues = [m for pattern in _NUMBER_CUE_RES for m in pattern.finditer(folded)]
    number_cue_ends = [m.end() for m in number_cues]
    cue_starts = [m.start() for pattern in _CUE_RES for m in pattern.finditer(folded)]
    runs = _runs(text, protected, (cue_ends, cue_starts), _connectors(folded, number_cue_ends), _letter_digits(text))
    used: set[int] = set()
    for index, run in enumerate(runs):
        for first, end, kind in _numbers(run):
            spans.append((*_span(text, run, first, end), kind))
            used.add(index)
    run_ends = [run.positions[-1] for run in runs]
    for end in sorted(set(number_cue_ends)):
        found = _groups_after_cue(runs, run_ends, used, end, cued=end in cue_ends)
        if found is not None:
            first_run, last_run, kind = found
            spans.append((runs[first_run].positions[0], runs[last_run].positions[-1] + 1, kind))
            used.update(range(first_run, last_run + 1))
    spans.sort()
    for start, stop, kind in reversed(spans):
        text = text[:start] + TOKEN_OF_KIND[kind] + text[stop:]
    kinds.extend(kind for _start, _stop, kind in spans)
    return text


# --- postal codes, street numbers, e-mail addresses (``pii_patterns.py``) around the numbers ------------------

_STAGES: tuple[Callable[[str, list[str]], str], ...] = (
    pattern_stage("email", EMAIL_RE, EMAIL_MASK),
    pattern_stage("postal_code", MARKED_POSTAL_RE, POSTAL_MASK),
    _mask_numbers,
    pattern_stage("postal_code", POSTAL_RE, POSTAL_MASK),
    pattern_stage("address", ADDRESS_RE, ADDRESS_MASK),
)


def mask_pii(text: str) -> MaskResult:
    """Replace every recognised personal number in ``text`` by its mask token (bidi controls are dropped first)."""
    kinds: list[str] = []
    text = text.translate(_BIDI_TABLE)
    for stage in _STAGES:
        text = stage(text, kinds)
    return MaskResult(text=text, kinds=tuple(kinds))
