"""The やさしい日本語 renderer (chatbot/easy_ja.py) on the sample town's answers: it never says a phrase twice,
keeps the entry's own lines (a sentence stays beside the one it belongs to) and spaces a replaced word from its
neighbours (ux12 item 2: 「…マイナンバーカードなど、顔写真のあるあなたの ことが わかる カード（マイナンバーカード
など）」, 「やくば1階」, 「リモートまどぐちでももうしこめます」 and 「証明書は 郵便でお届けします」 alone on a line)."""

from __future__ import annotations

import re
from collections import Counter

from madoguchi.chatbot.easy_ja import JOINER, EasyJapanese
from madoguchi.chatbot.knowledge import DATA_DIR, load_knowledge_base

_WORD_RE = re.compile(r"[\u30a0-\u30ff]{4,}|[\u4e00-\u9fff]{3,}")

JUMINHYO = """住民票の写しは、役場1階の町民課でとれます。
1通300円です。
本人か、同じ世帯の人が申請できます。
運転免許証やマイナンバーカードなど、顔写真のある本人確認書類を持ってきてください。
マイナンバーカードがあれば、町内のコンビニでも1通200円でとれます（朝6:30〜夜11:00）。
汐見郵便局と凪島公民館のリモート窓口でも申請できます。証明書は郵便でお届けします。
"""


def test_a_gloss_the_sentence_already_says_is_left_out() -> None:
    easy = EasyJapanese.bundled().render(JUMINHYO)
    assert easy.count("マイナンバーカード") == JUMINHYO.count("マイナンバーカード"), easy
    assert "顔写真のある あなたの ことが わかる カードを 持ってきてください。" in easy, easy
    # where the sentence names no example, the gloss stays: it is what makes the plain word clear
    alone = EasyJapanese.bundled().render("本人確認書類を持ってきてください。")
    assert alone == "あなたの ことが わかる カード（マイナンバーカード など）を 持ってきてください。", alone


def test_the_entrys_lines_stay_its_lines() -> None:
    easy = EasyJapanese.bundled().render(JUMINHYO).splitlines()
    assert len(easy) == 6, easy
    # and where the line wraps, not between its two sentences (the joiner): the second never starts a line alone
    first, second = "汐見郵便局と 凪島公民館の リモート まどぐちでも もうしこめます。", "証明書は 郵便でお届けします。"
    assert easy[-1] == first + JOINER + second


def test_a_replaced_word_is_a_word_of_its_own() -> None:
    easy = EasyJapanese.bundled().render(JUMINHYO)
    assert "やくば 1階の 町民課" in easy and "人が もうしこめます" in easy, easy


def test_no_answer_in_the_sample_town_gains_a_repeated_phrase() -> None:
    """Every Japanese answer of the bundled towns, line by line: a word (a run of four or more katakana, of three or
    more kanji) the entry's line says and its rendering says more often is a phrase the renderer said twice."""
    renderer = EasyJapanese.bundled()
    repeated = []
    towns = [d for d in sorted(DATA_DIR.iterdir()) if (d / "municipality.yaml").is_file()]
    assert towns
    for town in towns:
        for entry in load_knowledge_base(town).entries:
            lines = [line for line in entry.answer.ja.splitlines() if line.strip()]
            for source, easy in zip(lines, renderer.render(entry.answer.ja).splitlines(), strict=True):
                said, rendered = Counter(_WORD_RE.findall(source)), Counter(_WORD_RE.findall(easy))
                repeated += [(entry.id, word, easy) for word in said if rendered[word] > said[word]]
    assert not repeated, repeated


HARD_TAX_WORDS = ("延滞金", "差押", "分納", "督促状", "納付書", "納税通知書")


def test_no_easy_japanese_answer_leaves_a_hard_tax_word_unexplained() -> None:
    """ux14: 延滞金, 差押え and 分納 reached a resident who chose やさしい日本語. Each may stand only as the reading in
    brackets after the plain words (「おくれた ぶんの おかね（えんたいきん）」), in the staff-written text or the
    rendering the bot falls back to."""
    renderer = EasyJapanese.bundled()
    unexplained = []
    towns = [d for d in sorted(DATA_DIR.iterdir()) if (d / "municipality.yaml").is_file()]
    for town in towns:
        for entry in load_knowledge_base(town).entries:
            easy = entry.answer.easy_ja or renderer.render(entry.answer.ja)
            unglossed = re.sub(r"（[^（）]*）", "", easy)
            unexplained += [(entry.id, word) for word in HARD_TAX_WORDS if word in unglossed]
    assert not unexplained, unexplained
