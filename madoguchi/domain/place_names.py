"""A place's name (汐見郵便局, 凪島公民館) in a page language, for the kiosk's header and anywhere a resident reads it.

Why not the catalogs' fallback chain (→ English → Japanese): a place is found by its sign, which is in
Japanese. A language without its own name for the place shows the Japanese name and, when the admin gave one,
its reading in romaji beside it (「汐見郵便局 (Shiomi Yūbinkyoku)」), so a resident can both say it and match it
to the sign. Easy Japanese shows the Japanese name unless it has its own (e.g. with the kanji read out).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from madoguchi.domain.languages import DEFAULT_LANGUAGE, PAGE_LANGUAGES

OTHER_LANGUAGES: Final[tuple[str, ...]] = tuple(code for code in PAGE_LANGUAGES if code != DEFAULT_LANGUAGE)
"""The languages a place may have its own name in (Japanese is the place's ``name``)."""
MAX_NAME: Final = 200
_JAPANESE: Final = frozenset({"ja", "easy-ja"})


def place_name_in(name: str, names: Mapping[str, str] | None, reading: str | None, language: str) -> str:
    """``name`` (Japanese) as a resident reading ``language`` should see it."""
    own = (names or {}).get(language, "").strip()
    if own:
        return own
    if language not in _JAPANESE and reading and reading.strip():
        return f"{name} ({reading.strip()})"
    return name


def place_names_in_every_language(name: str, names: Mapping[str, str] | None, reading: str | None) -> dict[str, str]:
    """The place's name for each page language (what a page picks from when its language changes)."""
    return {language: place_name_in(name, names, reading, language) for language in PAGE_LANGUAGES}


def booth_name_in(name: str, names: Mapping[str, str] | None, language: str) -> str:
    """A booth's display name (``name``, Japanese, required) as a reader of ``language`` should see it: the admin's
    own name in that language, else the Japanese one (easy Japanese too). Unlike a place, a booth has no sign
    outside to match and no reading: the Japanese name is what the staff and the booth's own label say."""
    own = (names or {}).get(language, "").strip()
    return own or name


def booth_names_in_every_language(name: str, names: Mapping[str, str] | None) -> dict[str, str]:
    """The booth's display name for each page language (what a page picks from when its language changes)."""
    return {language: booth_name_in(name, names, language) for language in PAGE_LANGUAGES}
