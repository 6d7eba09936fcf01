"""Personal numbers sent in pieces over several chat lines (「1234」, then 「5678」, then 「9018」).

Each line is masked on its own at the edge (``privacy.mask_pii``), and no piece alone is a number. People on a
phone often send short lines, so the transcript would hold the whole number in pieces (session 6's outside attack
stored a 個人番号 that way). Where a line is stored, the sender's few previous lines are read with it: when those
lines and the new one, read together one a line, hold a personal number, the digits of every line it touches are
masked, the earlier lines' too. Pure: the caller reads and writes the lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from madoguchi.domain.pii_words import GROUP_SEPARATORS, KANJI_DIGITS
from madoguchi.domain.privacy import TOKEN_OF_KIND, mask_pii

EARLIER_LINES = 3  # how many of the sender's previous lines a new line is read with
PIECE_CHARS = 200  # a longer earlier line is a message of its own, not a piece (and keeps the reading cheap)

_DIGIT = "[" + re.escape("".join(KANJI_DIGITS)) + r"\d]"
_SEP = "[" + re.escape("".join(sorted(GROUP_SEPARATORS - {"\n", "\r"}))) + "]"
_DIGITS_RE = re.compile(f"{_DIGIT}+(?:{_SEP}{{0,3}}{_DIGIT}+)*")


def mask_across_lines(earlier: Sequence[str], text: str) -> tuple[list[str], str]:
    """``earlier``: the sender's previous lines, oldest first, each masked on its own; ``text``: the new line,
    masked on its own. Returns them with a number that spans lines masked in each line it touches (the fewest
    lines that hold it; digits only, the words around stay)."""
    lines = list(earlier)
    if _DIGITS_RE.search(text) is None:
        return lines, text
    for start in range(len(lines) - 1, -1, -1):
        if len(lines[start]) > PIECE_CHARS:
            break
        window = [*lines[start:], text]
        kinds = [k for k in mask_pii("\n".join(window)).kinds if k in TOKEN_OF_KIND]
        if kinds:
            token = TOKEN_OF_KIND[kinds[0]]
            masked = [_DIGITS_RE.sub(token, line) for line in window]
            return [*lines[:start], *masked[:-1]], masked[-1]
    return lines, text
