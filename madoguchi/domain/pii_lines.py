"""Personal numbers sent in pieces over several chat lines (「1234」, then 「5678」, then 「9018」).

Each line is masked on its own at the edge (``privacy.mask_pii``), and no piece alone is a number. People on a
phone often send short lines, so the transcript would hold the whole number in pieces (session 6's outside attack
stored a 個人番号 that way). Where a line is stored, the sender's previous lines are read with it, two ways:

1. as written: the last :data:`EARLIER_LINES` lines and the new one, read together one a line (cue words, phone
   numbers, card numbers and street numbers as ``mask_pii`` finds them in one text: 「汐見町汐見」 then
   「1-2-3-101」);
2. as pieces, whatever lines stand between (session 21: 「9876 5432」, 「ちなみに」, 「わたしの」, 「番号の」,
   「つづき」, 「1093」): among the sender's last :data:`PIECE_LINES` lines (the caller gives only those of the last
   :data:`PIECE_WINDOW_S` seconds), the lines that are pieces (:func:`piece_digits`), taken in order up to the new
   one, whose digits make exactly twelve with the right check digit, are a 個人番号; whose groups make a phone
   number (``pii_runs.phone_shaped``: 0 and nine or ten more digits, the last group of four; 「090」, 「1234」,
   「えっと」, 「5678」, session 15's outside attack), a phone number. Lines without digits do not break the chain
   (fillers: 「すみません」, 「ちょっと待ってください」); a piece that does not fit does (so a date or a count between
   them is never taken in).

When either finds a number, the digits of every line it touches are masked, the earlier lines' too (digits only,
the words around stay). Pure: the caller reads and writes the lines.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from madoguchi.domain.pii_digits import digits_of, my_number_check_digit
from madoguchi.domain.pii_runs import describing_spans, holds_date_amount_or_count, phone_shaped
from madoguchi.domain.pii_words import GROUP_SEPARATORS, KANJI_DIGITS, PLUS_SIGNS
from madoguchi.domain.privacy import ADDRESS_MASK, MY_NUMBER_MASK, PHONE_MASK, TOKEN_OF_KIND, mask_pii

EARLIER_LINES = 3  # how many of the sender's previous lines a new line is read with as written
PIECE_LINES = 10  # how many of the sender's previous lines the pieces of a 個人番号 are looked for in
PIECE_WINDOW_S = 600.0  # ... written at most this long before the new line (the caller reads only those)
PIECE_CHARS = 200  # a longer earlier line is a message of its own, not a piece (and keeps the reading cheap)
PIECE_WORDS = 8  # a piece holds at most this many characters besides its digits and separators (「ちなみに 1093」)
MY_NUMBER_DIGITS = 12
PHONE_DIGITS = 11  # a phone number at home has at most eleven digits (090 1234 5678)
MAX_GROUP = 4  # a correction may bring one group more than twelve digits back (「1234 5678 9017」 then 「9018」)
# Endings and joining words a person types after a piece (「1234です」, 「5678だよ」, 「9018と」, "1234 and"): they
# say nothing about what the digits are, so pieces that carry only these are no numbered series.
PIECE_ENDINGS: tuple[str, ...] = (
    "でした",
    "です",
    "だよ",
    "だね",
    "ですね",
    "ですよ",
    "よ",
    "ね",
    "だ",
    "と",
    "で",
    "の",
    "and",
    "then",
)

_DIGIT = "[" + re.escape("".join(KANJI_DIGITS)) + r"\d]"
_SEP = "[" + re.escape("".join(sorted((GROUP_SEPARATORS | PLUS_SIGNS) - {"\n", "\r"}))) + "]"
_DIGITS_RE = re.compile(f"{_DIGIT}+(?:{_SEP}{{0,3}}{_DIGIT}+)*")
_GROUP_RE = re.compile(f"{_DIGIT}+")
_SEPARATORS = GROUP_SEPARATORS | PLUS_SIGNS
_ENDINGS_RE = re.compile("|".join(map(re.escape, sorted(PIECE_ENDINGS, key=len, reverse=True))))


def mask_across_lines(earlier: Sequence[str], text: str) -> tuple[list[str], str]:
    """``earlier``: the sender's previous lines, oldest first, each masked on its own (at most
    :data:`PIECE_LINES` are read); ``text``: the new line, masked on its own. Returns them with a number that spans
    lines masked in each line it touches (the fewest lines that hold it)."""
    lines = list(earlier)
    if _DIGITS_RE.search(text) is None:
        return lines, text
    found = _as_written(lines, text) or _as_pieces(lines, text)
    if found is None:
        return lines, text
    touched, token = found
    masked = [_mask_digits(line, token) if i in touched else line for i, line in enumerate(lines)]
    return masked, _mask_digits(text, token)


def _mask_digits(line: str, token: str) -> str:
    """The line's digits masked, except those that say how the number is given (「次の4桁は」, "last 4 digits")."""
    kept = sorted({(start, end) for _p, _q, start, end in describing_spans(line)})
    out, at = [], 0
    for start, end in kept:
        if start >= at:
            out += [_DIGITS_RE.sub(token, line[at:start]), line[start:end]]
            at = end
    return "".join([*out, _DIGITS_RE.sub(token, line[at:])])


def _without_descriptions(line: str) -> str:
    """The line without the phrases that say how a number is given (「次の4桁は5678」 → 「は5678」): their digits are
    no piece, and their words are no words of the piece (so "last 4 digits 9018" is a piece as 「9018」 is)."""
    spans = sorted((start, end) for start, end, _p, _q in describing_spans(line))
    out, at = [], 0
    for start, end in spans:
        if end > at:
            out.append(line[at : max(at, start)] + " ")
            at = end
    return "".join([*out, line[at:]])


def _as_written(lines: list[str], text: str) -> tuple[set[int], str] | None:
    """The last few lines and the new one read as one text: the earlier lines it touches and the token."""
    for start in range(len(lines) - 1, max(-1, len(lines) - 1 - EARLIER_LINES), -1):
        if len(lines[start]) > PIECE_CHARS:
            break
        window = [*lines[start:], text]
        kinds = [k for k in mask_pii("\n".join(window)).kinds if k in _TOKEN_ACROSS]
        if kinds:
            return set(range(start, len(lines))), _TOKEN_ACROSS[kinds[0]]
    return None


_TOKEN_ACROSS = {**TOKEN_OF_KIND, "address": ADDRESS_MASK}
"""What a number found in lines read together is masked as: a street number too (「汐見町汐見」, then 「1-2-3-101」).
(Its groups are not taken out of the summary: a 「1」 or 「2」 alone there is no street number.)"""

_Reading = tuple[tuple[str, ...], int, bool]  # digit groups as read, the first line's index, corrected once


def _as_pieces(lines: list[str], text: str) -> tuple[set[int], str] | None:
    """Pieces among the last :data:`PIECE_LINES` lines whose digits, in order up to the new line's, make a 個人番号
    with the right check digit: the earlier lines they are in and the token. A piece of one group as long as the
    last group before it may stand for that group instead (a correction: 「番号は 1234 5678」, 「9017」, 「9018」, or
    「1234 5678 9017」 then 「9018」); both readings are tried, and the corrected group's line is masked too."""
    new = piece_groups(text)
    if new is None:
        return None
    chain: list[tuple[int, tuple[str, ...]]] = []  # (line index, groups), newest first
    count = sum(map(len, new))
    for index in range(len(lines) - 1, max(-1, len(lines) - 1 - PIECE_LINES), -1):
        if count >= MY_NUMBER_DIGITS + MAX_GROUP or len(lines[index]) > PIECE_CHARS:
            break
        groups = piece_groups(lines[index])
        if groups is None:
            if _DIGITS_RE.search(_without_descriptions(lines[index])) is not None:
                break  # digits that are no piece (a date, a count, a long message): the chain ends here
            continue  # words between the pieces (「ちなみに」, 「わたしの」)
        chain.append((index, groups))
        count += sum(map(len, groups))
    chain.reverse()
    # readings so far: (groups as read, first line index, corrected); each ends with the piece just read
    readings: list[_Reading] = []
    for index, groups in chain:
        readings = _next_readings(readings, groups, index)
    phone = _phone_in_pieces(chain, new)
    if phone is not None and not _numbered_series([lines[i] for i in phone] + [text]):
        return phone, PHONE_MASK
    touched: set[int] = set()
    for groups, first, _fixed in _next_readings(readings, new, len(lines)):
        digits = "".join(groups)
        if first < len(lines) and is_my_number(digits):
            touched = set(_piece_lines(chain, first))
            if not _numbered_series([lines[i] for i in touched] + [text]):
                return touched, MY_NUMBER_MASK
    return None


def _phone_in_pieces(chain: list[tuple[int, tuple[str, ...]]], new: tuple[str, ...]) -> set[int] | None:
    """The earlier pieces (``chain``: oldest first) whose groups, with the new line's, make a phone number
    (``pii_runs.phone_shaped``: 「090」, 「1234」, 「えっと」, 「5678」): the lines they are in, the fewest."""
    groups = list(new)
    for at in range(len(chain) - 1, -1, -1):
        groups[:0] = chain[at][1]
        if len("".join(groups)) > PHONE_DIGITS:
            return None
        if phone_shaped(groups):
            return {i for i, _groups in chain[at:]}
    return None


def _next_readings(readings: list[_Reading], piece: tuple[str, ...], index: int) -> list[_Reading]:
    """The readings after one more piece: it starts a number, follows one, or (one group as long as the last group
    read, once a reading) replaces that group; readings past twelve digits are dropped, and so are repeats."""
    following = [(read + piece, first, fixed) for read, first, fixed in readings]
    if len(piece) == 1:
        following += [
            (read[:-1] + piece, first, True)
            for read, first, fixed in readings
            if not fixed and len(read[-1]) == len(piece[0])
        ]
    following.append((piece, index, False))
    kept: dict[tuple[str, int, int, bool], _Reading] = {}
    for reading in following:
        read, first, fixed = reading
        if len("".join(read)) <= MY_NUMBER_DIGITS:
            kept.setdefault(("".join(read), len(read[-1]), first, fixed), reading)
    return list(kept.values())


def _piece_lines(chain: list[tuple[int, tuple[str, ...]]], first: int) -> list[int]:
    return [index for index, _groups in chain if index >= first]


def _numbered_series(pieces: list[str]) -> bool:
    """Pieces that all carry the same words (「職員004」, 「職員005」, 「職員006」…; "msg 01", "msg 02") are lines
    numbered one after the other, not one number sent in parts: a number in parts comes bare (「9876 5432」,
    「1093」) or with words that differ (「ちなみに 1093」). The review of session 10 found a kiosk's numbered test
    lines masked; a real chat that numbers its lines is no rarer. Words a person ends or joins a piece with
    (「1234です」, 「5678だよ」, 「9018と」: :data:`PIECE_ENDINGS`) and punctuation are no such words: three lines
    「1234です」, 「5678です」, 「9018です」 are one number (session 11's outside attack)."""
    words = {_label_of(piece) for piece in pieces}
    return len(words) == 1 and "" not in words


def _label_of(line: str) -> str:
    """A piece's words without the endings and joining words people type after each piece, nor punctuation."""
    own = _words_of(_without_descriptions(line))
    words = "".join(ch for ch in own if not unicodedata.category(ch).startswith(("P", "S")))
    return _ENDINGS_RE.sub("", words)


def _words_of(line: str) -> str:
    """What a line holds besides its digit groups, separators and spaces (「ちなみに」 of 「ちなみに 1093」)."""
    return "".join(ch for ch in _DIGITS_RE.sub("", line) if ch not in _SEPARATORS and not ch.isspace())


def piece_groups(line: str) -> tuple[str, ...] | None:
    """The digit groups of a line that may be a piece of a number sent over several lines, or None: a piece is
    digits (any script, kanji numerals included) with separators and at most :data:`PIECE_WORDS` other characters,
    and no date, time, amount or counted thing (「12月8日」, 「301号室」, 「3名」)."""
    if len(line) > PIECE_CHARS:
        return None
    line = _without_descriptions(line)
    groups = _DIGITS_RE.findall(line)
    if not groups or holds_date_amount_or_count(line):
        return None
    if len(_words_of(line)) > PIECE_WORDS:
        return None
    return tuple(digits_of(group) for run in groups for group in _GROUP_RE.findall(run))


def piece_digits(line: str) -> str | None:
    """The digits of a line that may be a piece (:func:`piece_groups`), or None."""
    groups = piece_groups(line)
    return None if groups is None else "".join(groups)


def is_my_number(digits: str) -> bool:
    return len(digits) == MY_NUMBER_DIGITS and my_number_check_digit(digits[:11]) == int(digits[11])


MASK_TOKENS_OF_LINES = tuple(sorted(set(TOKEN_OF_KIND.values())))


def masked_pieces(changes: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The digit groups a cross-line masking took out of lines: ``changes`` holds each changed line before and
    after (:func:`mask_across_lines`); returns each group with the token that stands for it now. Groups the masked
    line still holds (「次の4桁は」) are none."""
    found: dict[str, str] = {}
    for before, after in changes:
        tokens = [t for t in MASK_TOKENS_OF_LINES if after.count(t) > before.count(t)]
        if not tokens:
            continue
        kept = set(_GROUP_RE.findall(after))
        for group in _GROUP_RE.findall(before):
            if group not in kept:
                found.setdefault(group, tokens[0])
    return found


def mask_groups_in(text: str, groups: dict[str, str]) -> str:
    """``text`` with each of ``groups`` (:func:`masked_pieces`) standing alone as digits (not part of a longer run)
    replaced by its token: a summary written from the lines before they were masked (the handoff's ``need``)."""
    for group in sorted(groups, key=len, reverse=True):
        text = re.sub(f"(?<!{_DIGIT}){re.escape(group)}(?!{_DIGIT})", groups[group], text)
    return text


SUMMARY_TEXTS = ("need", "also_asked", "gist")
"""The handoff summary's fields written from the resident's lines (a piece of a number may stand in them)."""
TRIAGE_TEXTS = ("masked_text",)


def mask_record_texts(record: Mapping[str, Any] | None, fields: Sequence[str], groups: dict[str, str]) -> Any:
    """``record`` (a summary or triage) with ``groups`` masked in its resident-written ``fields`` (strings, or
    lists of them); the same object when nothing changed."""
    if not record:
        return record
    out = dict(record)
    for field in fields:
        value = out.get(field)
        if isinstance(value, str):
            out[field] = mask_groups_in(value, groups)
        elif isinstance(value, list | tuple):
            out[field] = [mask_groups_in(v, groups) if isinstance(v, str) else v for v in value]
    return record if out == dict(record) else out
