"""Normalisation folds the many spellings of one word together; language guess."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.chatbot.normalise import TABLES_FILE, answer_language, detect_language, load_tables, normalise
from madoguchi.chatbot.yaml_source import KnowledgeBaseError


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("マイナンバーカード", "まいなんばかど"),
        ("ｺﾞﾐ", "ごみ"),
        ("ゴミ", "ごみ"),
        ("ＡＢＣ　１２３", "abc 123"),
        ("サービス", "さびす"),
        ("ちょっと", "ちよと"),
        ("住民表", "住民票"),
        ("粗大ゴミほかしたい", "そだいごみすてたい"),
        ("Tôi không biết", "toi khong biet"),
        ("Violência", "violencia"),
    ],
)
def test_variants_fold_to_one_form(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)


def test_punctuation_runs_become_one_space() -> None:
    assert normalise("住民票、ほしい！！　です。") == "住民票 ほしい です"


def test_distinct_words_stay_distinct() -> None:
    assert normalise("郵便") != normalise("いうびん")  # no over-eager dialect rewriting of ゆう
    assert normalise("死亡届") != normalise("死にたい")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("住民票がほしいです", "ja"),
        ("住民票", "ja"),
        ("はの けんしんを うけたいです。どこで できますか。", "easy-ja"),
        ("こせきの ふりがなの つうち きた なにこれ", "ja"),
        ("How do I get a residence certificate?", "en"),
        ("我想办理住址登记，需要什么？", "zh"),
        ("수도 요금은 어떻게 내나요?", "ko"),
        ("Tôi muốn hỏi về thuế", "vi"),
        ("Quero falar com uma pessoa, por favor", "pt"),
    ],
)
def test_language_guess(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_the_folding_tables_are_data_with_file_and_line_errors(tmp_path: Path) -> None:
    tables = load_tables(TABLES_FILE)
    assert tables.variants["なんぼ"] == "いくら" and "po" in tables.language_words["tl"]
    broken = tmp_path / "normalise.yaml"
    broken.write_text("variants:\n  なんぼ: いくら\nlanguage_words:\n  vi: [toi]\n  xx: [abc]\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_tables(broken)
    assert caught.value.line == 5 and "language_words" in str(caught.value)
    broken.write_text("variants:\n  なんぼ: いくら\nlanguage_words:\n  vi: [Toi Oi]\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_tables(broken)
    assert caught.value.line == 4


@pytest.mark.parametrize(
    ("text", "chosen", "expected"),
    [
        # spaced by a kiosk's keyboard, polite: detect_language calls it easy Japanese; the page's choice decides
        ("住民票を とりたいのですが、どうすれば いいですか", "ja", "ja"),
        ("住民票を とりたいのですが、どうすれば いいですか", "easy-ja", "easy-ja"),
        ("住民票の写しがほしい", "easy-ja", "easy-ja"),
        ("ごみ を すてる ひ は いつ ですか", "en", "ja"),  # easy Japanese only when chosen
        ("I want a copy of my residence certificate", "ja", "en"),  # another language: the one it is written in
        # kanji alone is no sign of Japanese: a Vietnamese or Chinese page's resident keeps their language (ux14)
        ("住民税", "vi", "vi"),
        ("納税通知書", "en", "en"),
        ("住民税", "ja", "ja"),
        ("住民税", "easy-ja", "easy-ja"),
        ("住民税の通知", "vi", "ja"),  # kana: written in Japanese
        ("ok", "vi", "vi"),  # too short to tell: the page's language
        ("はい", "en", "en"),
    ],
)
def test_the_answer_language_is_the_residents_choice_of_japanese(text: str, chosen: str, expected: str) -> None:
    assert answer_language(text, chosen) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a word copied off a Japanese letter inside a sentence in another language (ux14 items 1 and 2)
        ("Tôi nhận được một lá thư về thuế, trên đó viết 納税通知書 và 督促状. Tôi không hiểu.", "vi"),
        ("Tôi nhận được thư thuế 納税通知書, không hiểu.", "vi"),
        ("I got a tax letter 納税通知書, I don't understand it", "en"),
        ("Recebi uma carta de imposto 納税通知書, não entendi", "pt"),
        ("住民税の納税通知書が届きました", "ja"),
        ("我收到了纳税通知书", "zh"),
    ],
)
def test_a_japanese_word_in_another_language_leaves_the_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected
