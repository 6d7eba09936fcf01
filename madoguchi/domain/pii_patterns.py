"""Postal codes, street numbers and e-mail addresses: personal data with a fixed shape, masked by plain patterns.

Street numbers come written two ways: with words (「1丁目2番3号」, 「1234番地5」: ``ADDRESS_RE``) and with
hyphens (「汐見1-2-3-101」, 「汐見町汐見１－２－３」, 「汐見町汐見123-4」: :func:`mask_hyphen_addresses`).
Whether a hyphen form is a street number is asked of the word before it (a space, a comma 「、」 or a line break
may stand between, so the chat line after 「汐見町汐見」 counts: ``pii_lines``) and of the lexicon in
``pii_places``: after 住所 or another address cue, or after a place suffix (「汐見町汐見123-4」), from two groups
on; after any other word that is no facility, document, law, time, page, rate, office or number word (汐見, しおみ,
Shiomi) from three groups on; never when the numbers have a date's shape, follow a number's 年, 月 or 日, or are a
range of a counted thing (「1-2個」).

Split from ``privacy.py`` (the numbers people write their own way need its run reading; these do not). Each pattern
matches ASCII and full-width digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from madoguchi.domain.pii_places import CUE_WINDOW, street_number_follows
from madoguchi.domain.pii_tokens import ADDRESS_MASK
from madoguchi.domain.pii_words import COUNTER_WORDS

RANGE_WORDS = ("％", "割", "倍", "点", "位", "問", "ページ", "頁", "行", "歳", "番", "便", "列", "席")
"""Counting words besides ``COUNTER_WORDS`` that make one hyphen between two numbers a range (「1-2割」,
「本庁舎1-2番窓口」)."""

_D = "[0-9０-９]"
_SEP = "[ \u3000\t\\-‐‑‒–—―−－ー.．・]"
_NOT_AFTER_DIGIT = f"(?<!{_D})(?<!{_D}{_SEP})(?<!{_D}{_SEP}{_SEP})(?<!{_D}{_SEP}{_SEP}{_SEP})"
_NOT_BEFORE_DIGIT = f"(?!{_SEP}{{0,3}}{_D})"
MARKED_POSTAL_RE = re.compile(f"〒{_SEP}?{_D}{{3}}{_SEP}?{_D}{{4}}")
POSTAL_RE = re.compile(f"{_NOT_AFTER_DIGIT}{_D}{{3}}[-‐－ー]{_D}{{4}}{_NOT_BEFORE_DIGIT}")
# Starts only where a run of digits starts (the lookbehind): a match that starts inside a run also starts at its
# beginning, and no match ends inside one, so nothing is lost, and a 1,000-digit text is scanned once instead of
# once from every digit (quadratic: session 8's outside attack sent such texts to stall the event loop).
ADDRESS_RE = re.compile(
    f"(?<!{_D})(?:{_D}+丁目{_SEP}?{_D}+(?:番地?{_SEP}?{_D}*号?|{_SEP}{_D}+)?|{_D}+番地?{_SEP}?{_D}+号?|{_D}+番地)"
)
_HYPHENS = "-‐‑‒–—―−－ーｰ"
_HYPHEN = f"[{re.escape(_HYPHENS)}]"
_JOIN = (
    f"[{re.escape(_HYPHENS)}の]"  # 「汐見1の2の3」 as said aloud: only with three groups or more (「1の2」 is a part)
)
_HYPHEN_RE = re.compile(f"(?<!{_D})(?<!{_D}{_JOIN}){_D}{{1,4}}(?:{_JOIN}{_D}{{1,4}}){{1,3}}(?!{_JOIN}?{_D})")
_GAP = " \u3000\t\n\r、，,"
_DATE_WORD_RE = re.compile(f"{_D}[ \u3000]?[年月日週]$")
"""「9月 1-2」, 「2026年 1-2」: a number's 年, 月 or 日 is a date (a place may end in 日 or 月: 「春日1-2-3」)."""
MAX_STREET_DIGITS = 9  # 「1234-5-101」; more digits are a phone number, an id or a code
_MORE_DIGITS_RE = re.compile(f"{_SEP}{{1,3}}(?:{_D}+|［)")  # digits, or a number masked by the stages before
_DATE_SHAPE_RE = re.compile(f"(?:19|20|１９|２０){_D}{_D}{_HYPHEN}{_D}{{1,2}}{_HYPHEN}{_D}{{1,2}}")
# a counting word after one hyphen makes a range (「1-2個」, 「3-4日」, 「10-12時」), not a street number
_COUNTED_AFTER_RE = re.compile(
    "[ \u3000]?(?:" + "|".join(map(re.escape, sorted((*COUNTER_WORDS, *RANGE_WORDS), key=len, reverse=True))) + ")"
)


def _street_number_at(text: str, match: re.Match[str]) -> bool:
    """Whether a hyphen-joined group of numbers stands where a street number does (see the module docstring)."""
    groups = re.split(_JOIN, match.group())
    digits = "".join(groups)
    if "の" in match.group() and len(groups) < 3:
        return False
    if digits[0] in "0０" or len(digits) > MAX_STREET_DIGITS or [len(g) for g in groups] == [4, 4]:
        return False  # a phone number, a code or an id (「0000-0000-0001」, a booking code 「1234-5678」)
    more = _MORE_DIGITS_RE.match(text, match.end())
    if more is not None and not _COUNTED_AFTER_RE.match(text, more.end()):
        return False  # part of a longer number (「1000-000 00000」): the run reader's to judge, not a street number
    if _DATE_SHAPE_RE.fullmatch(match.group()):
        return False
    one_hyphen = len(groups) == 2
    if one_hyphen and _COUNTED_AFTER_RE.match(text, match.end()):
        return False
    before = text[max(0, match.start() - CUE_WINDOW) : match.start()]
    if _DATE_WORD_RE.search(before.rstrip(_GAP)):
        return False
    return street_number_follows(before, text[match.end() : match.end() + CUE_WINDOW], groups=len(groups))


def mask_hyphen_addresses(text: str, kinds: list[str]) -> str:
    """A street number written with hyphens after a place name or after 住所 (「汐見1-2-3-101」) as ``ADDRESS_MASK``."""
    if not any(ch in text for ch in _HYPHENS + "の"):
        return text
    out, at = [], 0
    for match in _HYPHEN_RE.finditer(text):
        if _street_number_at(text, match):
            out += [text[at : match.start()], ADDRESS_MASK]
            at = match.end()
            kinds.append("address")
    return "".join([*out, text[at:]])


EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def pattern_stage(
    kind: str, pattern: re.Pattern[str], token: str, *, needs: str = ""
) -> Callable[[str, list[str]], str]:
    """A masking stage that replaces every match of ``pattern`` by ``token`` and notes ``kind`` for each.
    ``needs``: a character every match holds; a text without it is passed as it is, unread (``EMAIL_RE`` tries
    every start in a run of letters and digits: about a millisecond a 1,000-character run, session 13)."""

    def stage(text: str, kinds: list[str]) -> str:
        if needs and needs not in text:
            return text

        def replace(match: re.Match[str]) -> str:
            kinds.append(kind)
            return token

        return pattern.sub(replace, text)

    return stage
