"""The anchored-number stage: numbers a word makes personal (住民票コード, bank accounts, 基礎年金番号, licence
numbers: ``ANCHORED_NUMBERS`` in ``pii_words.py``). Digit groups of the listed lengths just after such a word, at
most ``ANCHOR_CHAIN`` of them with at most ``ANCHOR_GAP`` characters between, are masked by the kind's token
unless they are money. Split from ``privacy.py``.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from madoguchi.domain.pii_digits import cue_re as _cue_re
from madoguchi.domain.pii_digits import digit_value, fold_text
from madoguchi.domain.pii_tokens import ANCHORED_TOKENS
from madoguchi.domain.pii_words import ANCHOR_CHAIN, ANCHOR_GAP, ANCHORED_NUMBERS

# --- numbers a word makes personal (住民票コード, accounts, 基礎年金番号, licences: ``ANCHORED_NUMBERS``) ---

_ANCHOR_RES = tuple(
    (kind, re.compile("|".join(_cue_re(w).pattern for w in sorted(words, key=len, reverse=True))), counts)
    for kind, words, counts in ANCHORED_NUMBERS
)
_GROUP_RE = re.compile("\\d(?:[ \t\\-‐‑‒–—―−ー・]?\\d)*")  # in the folded text; separator and digit never overlap


def _amount(folded: str, start: int, end: int) -> bool:
    """Whether the digits [start, end) are money (after ¥ or $, before 円 or yen)."""
    return (start > 0 and folded[start - 1] in "¥$") or folded[end : end + 4].lstrip().startswith(("円", "万円", "yen"))


def mask_anchored(text: str, kinds: list[str]) -> str:
    """Digit groups of the listed lengths just after a word that says what they are (``ANCHORED_NUMBERS``)."""
    if all(digit_value(ch) is None for ch in set(text)):
        return text
    folded = fold_text(text)
    groups = [(m.start(), m.end(), sum(ch.isdigit() for ch in m.group())) for m in _GROUP_RE.finditer(folded)]
    starts = [start for start, _end, _count in groups]
    spans: dict[int, tuple[int, str]] = {}  # group start → (end, kind)
    for kind, words, counts in _ANCHOR_RES:
        for cue in words.finditer(folded):
            previous = cue.end()
            first = bisect_left(starts, previous)
            for start, end, count in groups[first : first + ANCHOR_CHAIN]:
                if start - previous > ANCHOR_GAP:
                    break
                if count in counts and not _amount(folded, start, end):
                    spans.setdefault(start, (end, kind))
                previous = end
    for start in sorted(spans, reverse=True):
        end, kind = spans[start]
        text = text[:start] + ANCHORED_TOKENS[kind] + text[end:]
    kinds.extend(spans[start][1] for start in sorted(spans))
    return text
