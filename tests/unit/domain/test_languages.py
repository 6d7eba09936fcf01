"""One table of languages drives the bot, the catalogs, the pages' switch and ``?lang=``."""

from __future__ import annotations

import re
from typing import get_args

from madoguchi import ui
from madoguchi.chatbot import engine
from madoguchi.chatbot.knowledge import LocalizedText
from madoguchi.domain.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGE_CODES,
    LANGUAGES,
    PAGE_LANGUAGES,
    LanguageCode,
    fallback_chain,
    language_name,
    language_tag,
    served_by,
)
from madoguchi.resident_chat.conversation import PHRASES, phrase


def test_the_table_and_the_type_name_the_same_languages_once_each() -> None:
    assert sorted(LANGUAGE_CODES) == sorted(get_args(LanguageCode))
    assert len(set(LANGUAGE_CODES)) == len(LANGUAGES)


def test_every_page_language_has_a_catalog_and_every_catalog_a_page_language() -> None:
    catalogs = {path.stem for path in ui.I18N_DIR.glob("*.json")}
    assert catalogs == set(PAGE_LANGUAGES)
    assert ui.SUPPORTED_LANGUAGES == PAGE_LANGUAGES
    assert DEFAULT_LANGUAGE in PAGE_LANGUAGES


def test_the_bot_speaks_every_language_of_the_table() -> None:
    assert get_args(engine.Language) == get_args(LanguageCode)
    # every language the bot answers in is a field of the knowledge base's texts
    fields = {field.alias or name for name, field in LocalizedText.model_fields.items()}
    assert fields == set(LANGUAGE_CODES)


def test_every_fallback_chain_ends_in_japanese_and_never_loops() -> None:
    for code in LANGUAGE_CODES:
        chain = fallback_chain(code)
        assert chain[0] == code and chain[-1] == "ja" and len(set(chain)) == len(chain)
    assert fallback_chain("fr") == ("ja",)
    assert fallback_chain("zh") == ("zh", "en", "ja")
    assert fallback_chain("easy-ja") == ("easy-ja", "ja")


def test_the_bot_phrases_follow_the_fallback_chain() -> None:
    assert phrase("handoff", "zh") == PHRASES["zh"]["handoff"] != PHRASES["en"]["handoff"]
    assert phrase("handoff", "easy-ja") == PHRASES["easy-ja"]["handoff"]
    assert phrase("handoff", "fr") == PHRASES["ja"]["handoff"]


def test_the_browser_takes_its_list_from_the_page_not_from_a_copy() -> None:
    script = (ui.STATIC_DIR / "js" / "i18n.js").read_text(encoding="utf-8")
    assert 'meta[name="languages"]' in script
    assert not re.search(r"SUPPORTED_LANGUAGES\s*=\s*\[", script), "no second list of languages in i18n.js"
    for page in ("booth.js", "resident.js"):
        text = (ui.STATIC_DIR / "js" / page).read_text(encoding="utf-8")
        assert '=== "ja" ? "en"' not in text, f"{page}: the switch follows nextLanguage(), not a hard-coded pair"


def test_easy_japanese_is_served_by_japanese_speakers_and_every_other_language_only_by_its_own() -> None:
    assert served_by("easy-ja", ("ja",)) and served_by("easy-ja", ("easy-ja",))
    assert not served_by("easy-ja", ("en",))
    for code in ("en", "zh", "ko", "vi", "pt", "tl", "ne"):
        assert served_by(code, (code,)) and not served_by(code, ("ja", "easy-ja"))
    assert served_by("fr", ("fr",)) and not served_by("fr", ("ja",))


def test_the_picker_names_each_language_in_its_own_script_with_an_html_tag() -> None:
    assert [language_name(code) for code in PAGE_LANGUAGES] == [
        "日本語",
        "やさしい日本語",
        "English",
        "简体中文",
        "한국어",
        "Tiếng Việt",
        "Português",
        "Tagalog",
        "नेपाली",
    ]
    assert language_tag("easy-ja") == "ja" and language_tag("zh") == "zh-Hans" and language_tag("ne") == "ne"
    assert language_name("xx") == "xx" and language_tag("xx") == "xx"


def test_the_bot_speaks_every_page_language() -> None:
    """Every page language has each of the bot's own lines (a Vietnamese resident was asked in English)."""
    from madoguchi.ui import SUPPORTED_LANGUAGES

    for language in SUPPORTED_LANGUAGES:
        assert set(PHRASES.get(language, {})) == set(PHRASES["ja"]), language
