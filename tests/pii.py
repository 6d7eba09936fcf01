"""Personal numbers written the ways people write them, and a search for them in whatever the server kept.

``Sample`` is one generated number: valid 個人番号, a mistyped one after a cue word, a phone number (domestic or
``+81``) or a card number, each digit in ASCII, full width, kanji, superscript or circled, with up to three
separators of any kind (unusual spaces too) between digits and now and then a character drawn as nothing; or a
number a word makes personal (住民票コード, a bank account, ゆうちょ's 記号・番号 as two groups or as one of 13
digits, 基礎年金番号, a licence number) after its word, in any script with at most one mark between digits (what
the anchored stage reads as one group). ``masks`` is how many mask tokens the sample becomes.
``Leaks`` looks for a sample's digits in stored strings, bytes and JSON documents.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from madoguchi.domain.pii_words import GROUP_SEPARATORS
from madoguchi.domain.privacy import (
    digits_of,
    luhn_valid,
    my_number_check_digit,
    reads_as_date_or_amount,
)
from madoguchi.domain.safe_text import unsafe_character

SCRIPTS = (
    "0123456789",
    "０１２３４５６７８９",
    "〇一二三四五六七八九",
    "零壱弐参四伍六七八九",
    "⁰¹²³⁴⁵⁶⁷⁸⁹",  # superscript
    "⓪①②③④⑤⑥⑦⑧⑨",  # circled
    "٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic
    "०१२३४५६७८९",  # Devanagari
    "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",  # mathematical bold
)
# the usual separators, other spaces, and characters drawn as nothing (zero-width, joiners, marks, soft hyphen)
# (dashes, brackets and commas of other kinds: a figure dash, a two-em dash, a small comma, a fraction slash)
SEPARATORS = sorted(GROUP_SEPARATORS | {"\u2002", "\u2003", "\u205f", "\u2012", "\u2e3a", "\ufe50", "\u2044", "\u2985"})
INVISIBLE = (
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u0301",
    "\ufe0f",
    "\u180e",
    "\U000e0101",
    "\u20e3",
)
KINDS = (
    "my_number",
    "mistyped_my_number",
    "phone",
    "international_phone",
    "card",
    "resident_code",
    "bank_account",
    "yucho_account",
    "pension_number",
    "licence_number",
)
# the anchored kinds: (cue words, digit counts of the groups written after them)
ANCHORED: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "resident_code": (("住民票コード", "住民票コードは"), (11,)),
    "bank_account": (("口座番号", "普通預金", "○○銀行 本店 普通", "account number"), (7,)),
    "yucho_account": (("ゆうちょ",), (13,)),
    "pension_number": (("基礎年金番号", "年金番号は", "pension number"), (10,)),
    "licence_number": (("運転免許証の番号", "免許証", "license number"), (12,)),
}
GROUP_MARKS = (" ", "-", "‐", "−", "ー", "・", "－")  # at most one between two digits of one group


@dataclass(frozen=True)
class Sample:
    kind: str
    digits: str  # ASCII, what must never be found again
    written: str  # as typed, cue word and "+" included
    masks: int = 1  # mask tokens it becomes (ゆうちょ's 記号 and 番号 are two)

    def needles(self) -> list[bytes]:
        """Byte strings that would betray the number in a file: the digits, the typed form, its JSON escapes."""
        typed = self.written
        forms = {self.digits, typed, json.dumps(typed)[1:-1], json.dumps(typed, ensure_ascii=False)[1:-1]}
        return sorted(f.encode() for f in forms)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _write(rng: random.Random, digits: str) -> str:
    while True:
        out = []
        for index, digit in enumerate(digits):
            out.append(rng.choice(SCRIPTS)[int(digit)])
            if rng.random() < 0.2:
                out.append(rng.choice(INVISIBLE))
            if index < len(digits) - 1 and rng.random() < 0.5:
                out.append("".join(rng.choice(SEPARATORS) for _ in range(rng.randint(1, 3))))
        text = "".join(out).strip()
        if not reads_as_date_or_amount(text) and len(digits_of(text)) == len(digits):
            return text


def _group(rng: random.Random, digits: str) -> str:
    """One digit group as the anchored stage reads it: any script, at most one mark between two digits."""
    while True:
        out = []
        for index, digit in enumerate(digits):
            out.append(rng.choice(SCRIPTS)[int(digit)])
            if index < len(digits) - 1 and rng.random() < 0.25:
                out.append(rng.choice(GROUP_MARKS))
        text = "".join(out)
        if not reads_as_date_or_amount(text):
            return text


def _anchored(rng: random.Random, kind: str) -> Sample:
    cues, (count,) = ANCHORED[kind]
    digits = rng.choice("123456789") + _digits(rng, count - 1)
    if kind == "yucho_account" and rng.random() < 0.5:  # 記号 5 digits and 番号 8 digits, two groups
        return Sample(kind, digits, f"ゆうちょ 記号{_group(rng, digits[:5])} 番号{_group(rng, digits[5:])}", masks=2)
    return Sample(kind, digits, f"{rng.choice(cues)} {_group(rng, digits)}")


def sample(rng: random.Random, kind: str) -> Sample:
    if kind in ANCHORED:
        return _anchored(rng, kind)
    if kind in ("my_number", "mistyped_my_number"):
        first = _digits(rng, 11)
        check = my_number_check_digit(first)
        last = check if kind == "my_number" else rng.choice([d for d in range(10) if d != check])
        digits = first + str(last)
        cue = "マイナンバーは " if kind == "mistyped_my_number" else ""
        return Sample(kind, digits, cue + _write(rng, digits))
    if kind == "phone":
        digits = "0" + rng.choice("123456789") + _digits(rng, rng.choice([8, 9]))
        return Sample(kind, digits, _write(rng, digits))
    if kind == "international_phone":
        digits = "81" + rng.choice("123456789") + _digits(rng, rng.choice([8, 9]))
        return Sample(kind, digits, rng.choice(["+", "＋"]) + _write(rng, digits))
    body = _digits(rng, rng.randint(12, 18))
    digits = next(body + d for d in "0123456789" if luhn_valid(body + d))
    return Sample("card", digits, _write(rng, digits))


def samples(rng: random.Random, count: int, *, sendable: bool = False) -> list[Sample]:
    """``count`` samples cycling through every kind. ``sendable``: only as a client can send them, with no character
    the edge refuses (docs/protocol.md, "Text": U+0085 or a form feed between groups is refused before anything is
    kept; the masking's own tests still use them)."""
    out: list[Sample] = []
    for i in range(count):
        found = sample(rng, KINDS[i % len(KINDS)])
        while sendable and unsafe_character(found.written) is not None:
            found = sample(rng, KINDS[i % len(KINDS)])
        out.append(found)
    return out


@dataclass
class Leaks:
    """Every place a sample was found, as ``(where, kind, digits)``."""

    samples: list[Sample]
    found: list[tuple[str, str, str]] = field(default_factory=list)

    def text(self, where: str, value: str) -> None:
        digits = digits_of(value)
        for s in self.samples:
            if s.digits in digits or s.written in value:
                self.found.append((where, s.kind, s.digits))

    def data(self, where: str, value: Any) -> None:
        """A JSON-like value: every string in it, parsed again when it is itself JSON."""
        if isinstance(value, str):
            self.text(where, value)
            if value[:1] in ("{", "["):
                with contextlib.suppress(ValueError):
                    self.data(where, json.loads(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                self.data(f"{where}.{key}", item)
        elif isinstance(value, list | tuple):
            for item in value:
                self.data(where, item)

    def raw(self, where: str, blob: bytes) -> None:
        for s in self.samples:
            if any(needle in blob for needle in s.needles()):
                self.found.append((where, s.kind, s.digits))

    def lines(self, where: str, lines: Iterable[str]) -> None:
        for line in lines:
            self.text(where, line)
