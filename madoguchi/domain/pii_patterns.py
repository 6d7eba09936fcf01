"""Postal codes, street numbers and e-mail addresses: personal data with a fixed shape, masked by plain patterns.

Street numbers come written two ways: with words (「1丁目2番3号」, 「1234番地5」: ``ADDRESS_RE``) and with
hyphens (「汐見1-2-3-101」, 「汐見町汐見１－２－３」, 「汐見町汐見123-4」: :func:`mask_hyphen_addresses`). A hyphen
form is a street number only where a place stands right before it (a space, a comma 「、」 or a line break may
stand between, so the chat line after 「汐見町汐見」 counts: ``pii_lines``), or 住所:

- three groups or more (「1-2-3」, 「1-2-3-101」) after a place-like word: a run of kanji or katakana (汐見, 芝公園,
  センター) or a Latin place name ("Shiomi 1-2-3-101", "Shiomi-cho");
- two groups (「123-4」) only after a place suffix: a word ending in 町, 村, 市, 区, 郡, 府, 県, 丁目 or 番地, or
  holding one after its first character (「汐見町汐見」, 「熊毛郡汐見」). Any kanji before two numbers is not enough:
  「午前9-12」, 「月曜9-12」, 「昭和60-62」, 「税率8-10」 and 「窓口3-1」 are times, eras, rates and signs (session 15
  review: they were masked);
- never after a time, date, era, page, rate, office or counting word (「午前」, 「9月」, 「令和」, 「ページ」, 「税率」,
  「窓口」, 「第」, 「番号」), nor when the numbers have a date's shape or are a range of a counted thing (「1-2個」).

Split from ``privacy.py`` (the numbers people write their own way need its run reading; these do not). Each pattern
matches ASCII and full-width digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
_ADDRESS_CUE_RE = re.compile("住所(?:は|が|も|:|：|\\s)*$")
_GAP = " \u3000\t\n\r、，,"
"""What may stand between a place and its street number (a space, a comma, a line break)."""
# a place-like word ends in a kanji or a katakana (汐見, 汐見町, センター); hiragana before digits is mostly a word
# of the sentence (「はい」, 「ください」), and a place written in hiragana ends in 市, 町 or 村 anyway
_PLACE_RUN_RE = re.compile("[\u30a1-\u30fa\u30fc\u4e00-\u9fff々〆ヶヵ]+$")
_LATIN_PLACE_RE = re.compile("(?<![A-Za-z])[A-Z][a-z]{2,}(?:-[a-z]{2,})?$")
PLACE_SUFFIXES = ("丁目", "番地", "府", "県", "市", "区", "町", "村", "郡")
"""A word that ends in one of these, or holds one after its first character (「汐見町汐見」), names a place for sure:
two numbers after it (「汐見町汐見123-4」) are a street number. 「市民課」, 「区分」: the suffix is the word's first."""
_NOT_A_PLACE = (
    # words that put digits after them which are no street number (「予約番号」, 「第」, 「資料」, 「電話」)
    *"第約計各全問表図号条項章版型期回欄枠票",
    "資料",
    "電話",
    "携帯",
    "内線",
    "コード",
    "ID",
    "No",
    "別紙",
    "様式",
    "問題",
    "番号",
    # times, days, eras, pages, rates: 「午前9-12」, 「月曜9-12」, 「昭和60-62」, 「ページ12-15」, 「税率8-10」
    *"時秒曜頁率割倍",
    "午前",
    "午後",
    "時間",
    "時刻",
    "期間",
    "曜日",
    "年度",
    "昭和",
    "平成",
    "令和",
    "大正",
    "明治",
    "西暦",
    "ページ",
    "パーセント",
    # the offices and their signs: 「窓口3-1」, 「市民課2-1」, 「汐見市役所1-2」
    *"課係室局",
    "窓口",
    "役所",
    "役場",
    "庁舎",
)
_DATE_WORD_RE = re.compile(f"{_D}[ \u3000]?[年月日週]$")
"""「9月 1-2」, 「2026年 1-2」: a number's 年, 月 or 日 is a date (a place may end in 日 or 月: 「春日1-2-3」)."""
LATIN_NOT_PLACES = frozenset(
    {"page", "pages", "step", "steps", "chapter", "section", "item", "items", "question", "version", "room", "table"}
    | {"figure", "article", "part", "line", "ext", "tel", "phone", "fax", "code", "ref", "no", "id", "vol", "see"}
)
"""Latin words before numbers that are no place ("Page 1-2-3", "Step 1-2-3")."""
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
    return _placed(text[max(0, match.start() - 24) : match.start()].rstrip(_GAP), groups=len(groups))


def _placed(before: str, *, groups: int) -> bool:
    """Whether ``before`` (the text up to the numbers, gaps taken off) ends where a street number of ``groups``
    groups stands: after 住所, or after a place (the module docstring)."""
    if _ADDRESS_CUE_RE.search(before):
        return True
    if before.endswith(_NOT_A_PLACE) or _DATE_WORD_RE.search(before):
        return False
    run = _PLACE_RUN_RE.search(before)
    if run is not None:
        if _ADDRESS_CUE_RE.search(before[: run.start()].rstrip(_GAP)):
            return True  # 「住所は汐見12-3」: the place 住所 named
        word = run.group()
        return groups >= 3 or word.endswith(PLACE_SUFFIXES) or any(x in word[1:] for x in PLACE_SUFFIXES)
    latin = _LATIN_PLACE_RE.search(before)
    return groups >= 3 and latin is not None and latin.group().split("-")[0].lower() not in LATIN_NOT_PLACES


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
