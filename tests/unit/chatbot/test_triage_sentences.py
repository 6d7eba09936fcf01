"""A danger phrase is said inside one sentence: the folded text loses punctuation and Vietnamese accents, so a
full stop between two ordinary words made a phrase ("đây. Tôi" read as "đẩy tôi", pushed me)."""

from __future__ import annotations

import pytest

from madoguchi.chatbot.normalise import SENTENCE_BREAK, normalise, normalise_sentences
from madoguchi.chatbot.rules import apply_rules


@pytest.mark.parametrize(
    "text",
    [
        "Tôi vừa chuyển đến đây. Tôi cần làm gì?",
        "Tôi mới đến đây! Tôi muốn đăng ký cư trú",
        "Gia đình tôi ở đây．Tôi hỏi về thuế",
    ],
)
def test_two_sentences_never_make_one_danger_phrase(text: str) -> None:
    assert "day toi" in normalise(text)  # what the folded text reads across the stop
    assert apply_rules(normalise_sentences(text)).urgent_kinds == ()


@pytest.mark.parametrize("text", ["Chồng tôi đẩy tôi ngã. Tôi sợ", "chong toi day toi nga toi so"])
def test_the_phrase_inside_one_sentence_is_still_danger(text: str) -> None:
    assert apply_rules(normalise_sentences(text)).urgent_kinds != ()


def test_sentences_are_folded_as_a_whole_text_is_and_joined_by_the_break() -> None:
    assert normalise_sentences("住民票が ほしい。夫が こわい！") == f"住民票が ほしい{SENTENCE_BREAK}夫が こわい"
    assert normalise_sentences("Mr. Tanaka paid 1.5 kg") == f"mr{SENTENCE_BREAK}tanaka paid 1 5 kg"
    assert normalise_sentences("") == ""
