"""The languages Madoguchi speaks: one table for the bot, the pages, the language switch and ``?lang=``.

Why one table: the bot's languages, the UI catalogs in ``static/i18n/``, the language switch in the browser and
the ``?lang=`` query each kept their own list, and a language added to one was silently missing from the
others. Every consumer now derives its list from :data:`LANGUAGES`:

- the triage engine and the knowledge base accept every code in :data:`LanguageCode`;
- pages are offered in the languages with ``pages=True``; each of them must have a catalog
  ``static/i18n/<code>.json`` (checked at start by ``madoguchi.ui`` and by a unit test), and the page tells
  ``static/js/i18n.js`` the list (``<meta name="languages">``), so the switch and ``?lang=`` follow it;
- a text missing in one language falls back along :func:`fallback_chain` (easy Japanese → Japanese; other
  languages → English → Japanese: a foreign resident reads English more often than Japanese).

A new language is a new row here and a new member of :data:`LanguageCode` (the type checker needs the
literal; a unit test keeps the two equal), plus its catalog if pages should offer it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

LanguageCode = Literal["ja", "easy-ja", "en", "zh", "ko", "vi", "pt"]


@dataclass(frozen=True)
class Language:
    code: LanguageCode
    name: str  # in the language itself
    fallback: LanguageCode | None  # whose text stands in when this language has none
    pages: bool = False  # the pages are offered in it (it has a UI catalog)


LANGUAGES: Final[tuple[Language, ...]] = (
    Language("ja", "日本語", None, pages=True),
    Language("easy-ja", "やさしい日本語", "ja"),
    Language("en", "English", "ja", pages=True),
    Language("zh", "中文", "en"),
    Language("ko", "한국어", "en"),
    Language("vi", "Tiếng Việt", "en"),
    Language("pt", "Português", "en"),
)

DEFAULT_LANGUAGE: Final[LanguageCode] = "ja"
LANGUAGE_CODES: Final[tuple[LanguageCode, ...]] = tuple(language.code for language in LANGUAGES)
PAGE_LANGUAGES: Final[tuple[LanguageCode, ...]] = tuple(language.code for language in LANGUAGES if language.pages)

_BY_CODE: Final[dict[str, Language]] = {language.code: language for language in LANGUAGES}


def fallback_chain(code: str) -> tuple[LanguageCode, ...]:
    """``code`` and the languages whose text stands in for it, best first; Japanese for an unknown code."""
    chain: list[LanguageCode] = []
    language = _BY_CODE.get(code)
    while language is not None:
        chain.append(language.code)
        language = _BY_CODE[language.fallback] if language.fallback else None
    return tuple(chain) or (DEFAULT_LANGUAGE,)


def _check_table() -> None:
    if set(LANGUAGE_CODES) != set(get_args(LanguageCode)) or len(LANGUAGE_CODES) != len(LANGUAGES):
        raise RuntimeError("LANGUAGES and LanguageCode must name the same languages, once each")
    if DEFAULT_LANGUAGE not in PAGE_LANGUAGES:
        raise RuntimeError("the default language must be offered on the pages")


_check_table()
