"""Postal codes, street numbers and e-mail addresses: personal data with a fixed shape, masked by plain patterns.

Split from ``privacy.py`` (the numbers people write their own way need its run reading; these do not). Each pattern
matches ASCII and full-width digits.
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
