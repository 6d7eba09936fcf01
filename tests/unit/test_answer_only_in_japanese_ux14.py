"""A knowledge-base answer with no text in the resident's language nor in English is not shown in Japanese
silently (ux14 item 2): a sentence in their language says the detailed answer is in Japanese only, with the title."""

from __future__ import annotations

import pytest

from madoguchi.chatbot.knowledge import KbEntry
from madoguchi.domain.languages import PAGE_LANGUAGES
from madoguchi.resident_chat.conversation import PHRASES, answer_for

JAPANESE_ONLY = KbEntry.model_validate(
    {
        "id": "dog-tax",
        "route": "tax",
        "title": {"ja": "犬の登録", "vi": "Đăng ký chó"},
        "answer": {"ja": "犬を飼ったら30日以内に登録してください。"},
        "keywords": ["犬"],
    }
)


@pytest.mark.parametrize("language", [code for code in PAGE_LANGUAGES if code not in ("ja", "easy-ja")])
def test_no_text_in_the_language_nor_english_says_so_in_the_language(language: str) -> None:
    said = answer_for(JAPANESE_ONLY, JAPANESE_ONLY.answer.ja, language)
    assert JAPANESE_ONLY.answer.ja not in said
    assert said.startswith(PHRASES[language]["only_japanese"].split("{title}")[0])
    assert JAPANESE_ONLY.title.in_language(language) in said


def test_a_text_in_the_language_or_english_or_japanese_for_japanese_stays() -> None:
    english = JAPANESE_ONLY.model_copy(update={"answer": JAPANESE_ONLY.answer.model_copy(update={"en": "Register."})})
    assert answer_for(english, "Register.", "vi") == "Register."  # English stands in (the fallback chain)
    assert answer_for(JAPANESE_ONLY, "犬を…", "ja") == "犬を…"
    assert answer_for(JAPANESE_ONLY, "いぬを…", "easy-ja") == "いぬを…"


def test_every_language_has_the_sentence_with_the_title() -> None:
    assert all("{title}" in PHRASES[code]["only_japanese"] for code in PHRASES)
