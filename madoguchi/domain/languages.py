"""The languages Madoguchi speaks: one table for the bot, the pages, the language switch and ``?lang=``.

Why one table: the bot's languages, the UI catalogs in ``static/i18n/``, the language switch in the browser and
the ``?lang=`` query each kept their own list, and a language added to one was silently missing from the
others. Every consumer now derives its list from :data:`LANGUAGES`:

- the triage engine and the knowledge base accept every code in :data:`LanguageCode`;
- pages are offered in the languages with ``pages=True``; each of them must have a catalog
  ``static/i18n/<code>.json`` (checked at start by ``madoguchi.ui`` and by a unit test), and the page tells
  ``static/js/i18n.js`` the list (``<meta name="languages">``), so the switch and ``?lang=`` follow it;
- a text missing in one language falls back along :func:`fallback_chain` (easy Japanese → Japanese; other
  languages → English → Japanese: a foreign resident reads English more often than Japanese);
- the language picker names each language in its own script (:attr:`Language.name`, :func:`language_name`);
- the queue offers a resident to staff who speak the resident's language, or the language it is a way of
  speaking (:attr:`Language.spoken`: easy Japanese is plain Japanese, so Japanese-speaking staff serve it;
  :func:`served_by`).

A new language is a new row here and a new member of :data:`LanguageCode` (the type checker needs the
literal; a unit test keeps the two equal), plus its catalog if pages should offer it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal, get_args

LanguageCode = Literal["ja", "easy-ja", "en", "zh", "ko", "vi", "pt", "tl", "ne"]


@dataclass(frozen=True)
class Language:
    code: LanguageCode
    name: str  # in the language itself
    name_ja: str  # in Japanese, for staff (the summary's 「ベトナム語で 書かれています」, the export's 言語 column)
    fallback: LanguageCode | None  # whose text stands in when this language has none
    pages: bool = False  # the pages are offered in it (it has a UI catalog)
    spoken: LanguageCode | None = None  # staff who speak this language serve it (None: the language itself)
    tag: str = ""  # the BCP 47 tag for HTML ``lang`` (fonts, screen readers); "" when it is the code itself


LANGUAGES: Final[tuple[Language, ...]] = (
    Language("ja", "日本語", "日本語", None, pages=True),
    Language("easy-ja", "やさしい日本語", "やさしい日本語", "ja", pages=True, spoken="ja", tag="ja"),
    Language("en", "English", "英語", "ja", pages=True),
    Language("zh", "简体中文", "中国語", "en", pages=True, tag="zh-Hans"),
    Language("ko", "한국어", "韓国語", "en", pages=True),
    Language("vi", "Tiếng Việt", "ベトナム語", "en", pages=True),
    Language("pt", "Português", "ポルトガル語", "en", pages=True, tag="pt-BR"),
    Language("tl", "Tagalog", "タガログ語", "en", pages=True),
    Language("ne", "नेपाली", "ネパール語", "en", pages=True),
)

DEFAULT_LANGUAGE: Final[LanguageCode] = "ja"
SWITCH_LANGUAGE: Final[LanguageCode] = "en"
"""What the one-tap switch beside the picker offers on a Japanese page (every other page offers Japanese): the
language most foreign residents read, the same reason English is the fallback."""
LANGUAGE_CODES: Final[tuple[LanguageCode, ...]] = tuple(language.code for language in LANGUAGES)
PAGE_LANGUAGES: Final[tuple[LanguageCode, ...]] = tuple(language.code for language in LANGUAGES if language.pages)

_BY_CODE: Final[dict[str, Language]] = {language.code: language for language in LANGUAGES}
JA_NAMES: Final[dict[str, str]] = {language.code: language.name_ja for language in LANGUAGES}
"""Every language named in Japanese, for staff."""


def fallback_chain(code: str) -> tuple[LanguageCode, ...]:
    """``code`` and the languages whose text stands in for it, best first; Japanese for an unknown code."""
    chain: list[LanguageCode] = []
    language = _BY_CODE.get(code)
    while language is not None:
        chain.append(language.code)
        language = _BY_CODE[language.fallback] if language.fallback else None
    return tuple(chain) or (DEFAULT_LANGUAGE,)


def language_name(code: str) -> str:
    """The language's own name in its own script (the language picker's buttons); the code if unknown."""
    language = _BY_CODE.get(code)
    return language.name if language else code


def language_tag(code: str) -> str:
    """The BCP 47 tag of a page language for HTML ``lang`` attributes (easy Japanese is Japanese text)."""
    language = _BY_CODE.get(code)
    return (language.tag or language.code) if language else code


def served_by(code: str, staff_languages: Iterable[str]) -> bool:
    """Whether staff who speak ``staff_languages`` can serve a resident who chose ``code``.

    A resident who chose easy Japanese is served in plain Japanese by any Japanese-speaking staff member; an
    agent listed for easy Japanese itself serves it too.
    """
    language = _BY_CODE.get(code)
    spoken = language.spoken if language and language.spoken else code
    return code in staff_languages or spoken in staff_languages


def _check_table() -> None:
    if set(LANGUAGE_CODES) != set(get_args(LanguageCode)) or len(LANGUAGE_CODES) != len(LANGUAGES):
        raise RuntimeError("LANGUAGES and LanguageCode must name the same languages, once each")
    if DEFAULT_LANGUAGE not in PAGE_LANGUAGES or SWITCH_LANGUAGE not in PAGE_LANGUAGES:
        raise RuntimeError("the default and the switch language must be offered on the pages")


_check_table()
