"""Birth dates, residence card numbers and passport numbers: personal data that is no run of digits alone.

Session 16's outside pass found all three shown unmasked to staff, in the transcript and the exports. The rules:

- **A residence card number** (在留カード: two letters, eight digits, two letters, ``AB12345678CD``, with spaces
  or hyphens between its parts, any width or case) is masked wherever it stands: nothing else has its shape. After
  a residence-card word (``RESIDENCE_CUES``, in the nine languages) a mistyped one is masked too (6–9 digits,
  ``AB1234567CD``).
- **A passport number** (one or two letters and 6–9 digits, or 7–9 digits; a letter may follow) is masked only
  shortly after a passport word (``PASSPORT_CUES``): the same shape is an ordinary code elsewhere (a booking code,
  an order number), and those are left alone.
- **A birth date** is a date (``年月日`` of kanji or digits, with or without an era; ``S30.1.2``; ``1955/01/02``;
  ``02/01/1955``; ``1955년 1월 2일``; "2 January 1955", "January 2, 1955"; "2 de janeiro de 1955"; "ngày 2 tháng 1
  năm 1955") shortly after a birth word (``BIRTH_CUES_BEFORE``: 生年月日, 誕生日, DOB, born, ngày sinh …) or just
  before one (生まれ, 生: 「1955年1月2日生まれ」, 「H7.1.2 生」). A date of the 明治, 大正, 昭和 or 平成 era written
  whole (year, month and day) is masked with no word: no appointment falls in an era that has ended, and at a town
  counter such a date is nearly always someone's birth date. Any other date — 「12月10日に行きます」, 「令和8年12月10日
  の予約」, ``2026/12/10`` — is an appointment or an event and stays as written.

This stage runs before the digit stages, so the digits of a date or a card can no longer be read into another
number (session 16: 「昭和30年1月2日、在留カードAB12345678CD」 after a 番号 cue became one 12-digit 「個人番号」).
"""

from __future__ import annotations

import re
from typing import Final

from madoguchi.domain.pii_tokens import TOKEN_OF_KIND

CUE_WINDOW: Final = 16
"""Characters between a cue word and what it introduces (「生年月日は 」, "date of birth: ")."""
_STOP = "。\n！？!?"
"""A cue does not reach past the end of its sentence."""

_D = r"[0-9０-９\u0966-\u096f]"  # ASCII, full-width and Devanagari digits (Nepali)
_K = "[〇一二三四五六七八九十元]"
_N = f"(?:{_D}{{1,4}}|{_K}{{1,4}})"
_S = "[ \u3000]?"
_SEP = "[./\\-．／－・]"
_ERA_WORDS = "明治|大正|昭和|平成|令和"
_OLD_ERA_WORDS = "明治|大正|昭和|平成"
_ERA_LETTERS = "MTSHRＭＴＳＨＲmtshr"
_OLD_ERA_LETTERS = "MTSHＭＴＳＨmtsh"
_EN_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_ES_MONTHS = (
    "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
    "|pebrero|marso|hunyo|hulyo|setyembre|oktubre|nobyembre|disyembre"
)
_PT_MONTHS = "janeiro|fevereiro|março|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro"
_MONTHS = f"(?:{_EN_MONTHS}|{_ES_MONTHS}|{_PT_MONTHS})"
_ORD = "(?:st|nd|rd|th)?"


def _era_kanji(eras: str) -> str:
    return f"(?:{eras}){_S}(?:{_N}|元){_S}年{_S}{_N}{_S}月{_S}{_N}{_S}日"


def _era_letter(letters: str) -> str:
    return f"(?<![A-Za-zＡ-Ｚａ-ｚ])[{letters}]{_S}\\.?{_S}{_D}{{1,2}}{_SEP}{_D}{{1,2}}{_SEP}{_D}{{1,2}}(?!{_D})"


_DATES = "|".join(
    (
        _era_kanji(_ERA_WORDS),
        _era_letter(_ERA_LETTERS),
        f"{_N}{_S}年{_S}{_N}{_S}月{_S}{_N}{_S}[日号號]",
        f"{_D}{{4}}{_S}년{_S}{_D}{{1,2}}{_S}월{_S}{_D}{{1,2}}{_S}일",
        f"(?<!{_D}){_D}{{4}}{_SEP}{_D}{{1,2}}{_SEP}{_D}{{1,2}}(?!{_D})",
        f"(?<!{_D}){_D}{{1,2}}{_SEP}{_D}{{1,2}}{_SEP}(?:{_D}{{4}}|{_D}{{2}})(?!{_D})",
        f"(?<![\\w]){_D}{{1,2}}{_ORD}\\s(?:of\\s)?(?:de\\s)?{_MONTHS}\\.?,?\\s(?:de\\s)?{_D}{{4}}",
        f"(?<![\\w]){_MONTHS}\\.?\\s{_D}{{1,2}}{_ORD},?\\s{_D}{{4}}",
        f"(?:ngày\\s?)?{_D}{{1,2}}\\s?tháng\\s?{_D}{{1,2}},?\\s?(?:năm\\s?)?{_D}{{4}}",
    )
)
DATE_RE: Final = re.compile(f"(?:{_DATES})", re.IGNORECASE)
OLD_ERA_DATE_RE: Final = re.compile(f"(?:{_era_kanji(_OLD_ERA_WORDS)}|{_era_letter(_OLD_ERA_LETTERS)})")

BIRTH_CUES_BEFORE: Final = (
    # ja, easy-ja
    "生年月日", "誕生日", "たんじょうび", "せいねんがっぴ", "生まれ", "うまれ", "出生",
    # zh
    "出生日期", "生日",
    # ko
    "생년월일", "생일", "출생",
    # en
    "date of birth", "birth date", "birthdate", "birthday", "dob", "d.o.b", "born",
    # vi
    "ngày sinh", "sinh ngày", "sinh năm", "năm sinh",
    # pt
    "data de nascimento", "nascimento", "nasci", "nascido", "nascida", "aniversário",
    # tl
    "petsa ng kapanganakan", "kapanganakan", "kaarawan", "ipinanganak", "isinilang", "fecha de nacimiento",
    # ne
    "जन्म मिति", "जन्ममिति", "जन्म",
)  # fmt: skip
_BIRTH_AFTER_RE = re.compile(f"{_S}(?:に)?(?:生まれ|うまれ|生(?![活徒涯協産命きけ])|出生|생|sinh)")
RESIDENCE_CUES: Final = (
    "在留カード", "在留卡", "居留卡", "ざいりゅうカード", "ざいりゅう", "在留",
    "residence card", "zairyu", "재류카드", "재류 카드", "thẻ cư trú", "thẻ lưu trú", "the cu tru",
    "cartão de residência", "cartao de residencia", "cartão de residente", "tarjeta de residencia",
    "बसोबास कार्ड", "रेसिडेन्स कार्ड",
)  # fmt: skip
PASSPORT_CUES: Final = (
    "パスポート", "ぱすぽーと", "旅券", "护照", "護照", "여권", "passport", "hộ chiếu", "ho chieu",
    "passaporte", "pasaporte", "राहदानी", "पासपोर्ट",
)  # fmt: skip


def _cue_re(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
    return re.compile(f"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])", re.IGNORECASE)


_BIRTH_CUE_RE = _cue_re(BIRTH_CUES_BEFORE)
_RESIDENCE_CUE_RE = _cue_re(RESIDENCE_CUES)
_PASSPORT_CUE_RE = _cue_re(PASSPORT_CUES)
_L = "[A-Za-zＡ-Ｚａ-ｚ]"
_G = "[ \u3000\\-‐－]?"
RESIDENCE_CARD_RE: Final = re.compile(
    f"(?<![A-Za-zＡ-Ｚａ-ｚ0-9０-９]){_L}{{2}}{_G}{_D}{{4}}{_G}{_D}{{4}}{_G}{_L}{{2}}(?![A-Za-zＡ-Ｚａ-ｚ0-9０-９])"
)
_LOOSE_CARD_RE = re.compile(
    f"(?<![A-Za-zＡ-Ｚａ-ｚ0-9０-９]){_L}{{2}}{_G}(?:{_D}{_G}?){{6,9}}{_L}{{0,2}}(?![A-Za-zＡ-Ｚａ-ｚ0-9０-９])"
)
_PASSPORT_RE = re.compile(
    f"(?<![A-Za-zＡ-Ｚａ-ｚ0-9０-９])(?:{_L}{{1,2}}{_G}{_D}{{6,9}}|{_D}{{7,9}}){_L}?(?![A-Za-zＡ-Ｚａ-ｚ0-9０-９])"
)

BIRTH_DATE_KIND: Final = "birth_date"
RESIDENCE_CARD_KIND: Final = "residence_card"
PASSPORT_KIND: Final = "passport"


def _near_cue(text: str, start: int, cue: re.Pattern[str]) -> bool:
    """Whether a cue word ends at most :data:`CUE_WINDOW` characters before ``start``, in the same sentence."""
    before = text[max(0, start - CUE_WINDOW - 24) : start]
    for match in cue.finditer(before):
        gap = before[match.end() :]
        if len(gap) <= CUE_WINDOW and not any(ch in _STOP for ch in gap):
            return True
    return False


def _after_cue(text: str, cue: re.Pattern[str], number: re.Pattern[str]) -> list[tuple[int, int]]:
    """The first ``number`` within :data:`CUE_WINDOW` characters after each ``cue`` (same sentence)."""
    spans = []
    for found in cue.finditer(text):
        window_end = found.end() + CUE_WINDOW + 24
        match = number.search(text, found.end(), min(len(text), window_end))
        if match is None:
            continue
        gap = text[found.end() : match.start()]
        if len(gap) <= CUE_WINDOW and not any(ch in _STOP for ch in gap):
            spans.append((match.start(), match.end()))
    return spans


def personal_spans(text: str) -> list[tuple[int, int, str]]:
    """Every birth date, residence card number and passport number in ``text``: (start, end, kind), sorted, no
    two overlapping (the first found wins)."""
    found: list[tuple[int, int, str]] = []
    found += [(m.start(), m.end(), RESIDENCE_CARD_KIND) for m in RESIDENCE_CARD_RE.finditer(text)]
    found += [(s, e, RESIDENCE_CARD_KIND) for s, e in _after_cue(text, _RESIDENCE_CUE_RE, _LOOSE_CARD_RE)]
    found += [(s, e, PASSPORT_KIND) for s, e in _after_cue(text, _PASSPORT_CUE_RE, _PASSPORT_RE)]
    for match in DATE_RE.finditer(text):
        birth = (
            OLD_ERA_DATE_RE.fullmatch(match.group()) is not None
            or _near_cue(text, match.start(), _BIRTH_CUE_RE)
            or _BIRTH_AFTER_RE.match(text, match.end()) is not None
        )
        if birth:
            found.append((match.start(), match.end(), BIRTH_DATE_KIND))
    for match in OLD_ERA_DATE_RE.finditer(text):  # an era date DATE_RE's own order may have split
        found.append((match.start(), match.end(), BIRTH_DATE_KIND))
    kept: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(found, key=lambda span: (span[0], -span[1])):
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end, kind))
    return kept


def mask_personal(text: str, kinds: list[str]) -> str:
    """Birth dates, residence card numbers and passport numbers as their tokens (see the module docstring)."""
    spans = personal_spans(text)
    for start, end, kind in reversed(spans):
        text = text[:start] + TOKEN_OF_KIND[kind] + text[end:]
    kinds.extend(kind for _start, _end, kind in spans)
    return text
