"""Text normalisation for matching, and a small language guess.

Residents write the same word many ways: full- and half-width, katakana or hiragana (マイナ/まいな), with or
without long-vowel marks and small kana (サービス/さびす, ちょっと/ちょと), in dialect (ほかす = 捨てる,
なんぼ = いくら) and with common slips (住民表). Matching works on one folded form so the knowledge base
and the resident's words meet; the folded form is never shown to anyone. The word tables (dialect and typo
variants, the words that tell Vietnamese, Portuguese and Tagalog apart) are data, ``data/normalise.yaml``, so
adding a dialect word is an edit with a ``file:line`` check, not a code change.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from madoguchi.chatbot.yaml_source import compose, raise_validation

_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
_SMALL_TO_LARGE = str.maketrans("ぁぃぅぇぉゃゅょゎゕゖ", "あいうえおやゆよわかけ")
_DROPPED = str.maketrans("", "", "ーっ〜~・'’\"「」『』（）()［］[]【】")
_PUNCT_RE = re.compile(r"[、。，．,.!?！？:：;；/／\\|｜…‥\s]+")

TABLES_FILE = Path(__file__).resolve().parent / "data" / "normalise.yaml"


class NormaliseTables(BaseModel):
    """``data/normalise.yaml``: variant → standard form, and the words that tell Latin-script languages apart."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    variants: dict[Annotated[str, Field(min_length=1)], Annotated[str, Field(min_length=1)]]
    language_words: dict[Literal["vi", "pt", "tl"], tuple[Annotated[str, Field(pattern=r"^[a-z]+$")], ...]]


def load_tables(path: Path = TABLES_FILE) -> NormaliseTables:
    """The folding tables, validated; a mistake is :class:`KnowledgeBaseError` (``file:line: ...``)."""
    node, data = compose(path)
    try:
        return NormaliseTables.model_validate(data)
    except ValidationError as exc:
        raise_validation(path, node, exc)


_TABLES = load_tables()
_VARIANTS_RAW: dict[str, str] = dict(_TABLES.variants)


def _fold_kana(text: str) -> str:
    return text.translate(_KATAKANA_TO_HIRAGANA).translate(_SMALL_TO_LARGE).translate(_DROPPED)


def _strip_latin_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    out: list[str] = []
    for ch in decomposed:
        if unicodedata.combining(ch) and out and out[-1].isascii() and out[-1].isalpha():
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).replace("đ", "d").replace("Đ", "D")


_VARIANTS: tuple[tuple[str, str], ...] = tuple(
    sorted(
        ((_fold_kana(k), _fold_kana(v)) for k, v in _VARIANTS_RAW.items()),
        key=lambda kv: len(kv[0]),
        reverse=True,
    )
)
_VARIANT_RE = re.compile("|".join(re.escape(k) for k, _v in _VARIANTS))
_VARIANT_MAP = dict(_VARIANTS)


def fold_width(text: str) -> str:
    """NFKC (full-width latin/digits → ASCII, half-width katakana → full-width)."""
    return unicodedata.normalize("NFKC", text)


def normalise(text: str) -> str:
    """The folded form used for matching: NFKC, lower-case latin without accents, katakana → hiragana,
    no long-vowel marks or small kana, dialect/typo variants replaced, punctuation runs → one space."""
    text = fold_width(text).lower()
    text = _strip_latin_accents(text)
    text = _fold_kana(text)
    text = _VARIANT_RE.sub(lambda m: _VARIANT_MAP[m.group(0)], text)
    return _PUNCT_RE.sub(" ", text).strip()


_SENTENCE_END_RE = re.compile(r"(?<=[。！？!?．])|(?<=\.)(?=\s|$)")
SENTENCE_BREAK = " | "
"""Between two sentences in :func:`normalise_sentences`: no phrase pattern crosses it (a space does)."""


def normalise_sentences(text: str) -> str:
    """:func:`normalise` sentence by sentence, the sentences joined by :data:`SENTENCE_BREAK`, for the phrase
    rules: the folded text loses punctuation and Vietnamese accents, so 「…chuyển đến đây. Tôi cần…」 ("I just
    moved here. I need…") read as the phrase "đẩy tôi" (pushed me) across the full stop — a newcomer's
    question made urgent. A phrase is said inside one sentence."""
    parts = (normalise(part) for part in _SENTENCE_END_RE.split(text))
    return SENTENCE_BREAK.join(part for part in parts if part)


# --------------------------------------------------------------------------------------- language guess

_HANGUL_RE = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA_RE = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f]")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_LATIN_RE = re.compile(r"[A-Za-zÀ-ỹ]")
_VI_CHARS_RE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
_VI_WORDS = frozenset(_TABLES.language_words.get("vi", ()))
_PT_WORDS = frozenset(_TABLES.language_words.get("pt", ()))
_PT_CHARS_RE = re.compile(r"[ãõç]|ção|ções", re.IGNORECASE)
_ZH_HINT_RE = re.compile(r"[的吗呢我你他她们这那么没请该吧给让说问钱办证码还们儿个为时对会过]")
_LONE_PARTICLE_RE = re.compile(
    r"(?<=[\u3041-\u30ff\u4e00-\u9fff])[ 　][をはがにでへ][ 　](?=[\u3041-\u30ff\u4e00-\u9fff])"
)
_EASY_JA_POLITE_RE = re.compile(
    r"(です|ます|ください|ですか|ますか|でしょうか)[。.?？]?\s*$|(です|ます)[かよね]?[。.、]"
)


_DEVANAGARI_RE = re.compile(r"[\u0900-\u097f]")
_TL_WORDS = frozenset(_TABLES.language_words.get("tl", ()))


SHORT_LINE_LETTERS: Final = 4
"""A line with fewer letters than this ("ok", "yes", 「はい」) says nothing about the language it is written in."""


def answer_language(text: str, chosen: str) -> str:
    """The language to answer ``text`` in when the resident chose ``chosen`` (a kiosk's page language): the one the
    text is written in, except that ordinary or easy Japanese is the resident's choice, never a guess from how the
    words were typed (「住民票を とりたいのですが、どうすれば いいですか」, spaced by the kiosk's keyboard, read as
    easy Japanese and got a machine-simplified answer on an ordinary-Japanese page: ux12 item 2)."""
    if len(re.findall(r"\w", text)) < SHORT_LINE_LETTERS:
        return chosen  # "ok", 「はい」: too short to tell, the page's language stands
    written = detect_language(text)
    if written in ("ja", "easy-ja"):
        if chosen not in ("ja", "easy-ja") and not _KANA_RE.search(text):
            # kanji alone (「住民税」, 「納税通知書」 copied off a letter) is no sign of Japanese: a Vietnamese page's
            # resident keeps Vietnamese (ux14 item 1: a Vietnamese resident's case came to staff as 日本語)
            return chosen
        return "easy-ja" if chosen == "easy-ja" else "ja"
    return written


def detect_language(text: str) -> str:
    """ja | easy-ja | en | zh | ko | vi | pt | tl | ne — a guess good enough to pick the answer language."""
    if _HANGUL_RE.search(text):
        return "ko"
    if _DEVANAGARI_RE.search(text):
        return "ne"
    latin = len(_LATIN_RE.findall(text))
    if latin > len(_KANA_RE.findall(text)) + len(_HAN_RE.findall(text)):
        # mostly Latin letters with a Japanese word in it (「Tôi nhận được thư thuế 納税通知書」, "a tax letter
        # 納税通知書"): the sentence is Vietnamese or English, the word is copied off a letter (ux14 item 2)
        return _latin_language(text)
    if _KANA_RE.search(text):
        jp_spaces = len(re.findall(r"(?<=[\u3041-\u30ff\u4e00-\u9fff])[ 　](?=[\u3041-\u30ff\u4e00-\u9fff])", text))
        han = len(_HAN_RE.findall(text))
        kana = len(_KANA_RE.findall(text))
        # Words spaced apart, few kanji, polite or with particles standing alone: 「ごみ を すてる ひ」.
        if jp_spaces >= 2 and han <= kana // 3 and (_EASY_JA_POLITE_RE.search(text) or _LONE_PARTICLE_RE.search(text)):
            return "easy-ja"
        return "ja"
    if _HAN_RE.search(text):
        return "zh" if _ZH_HINT_RE.search(text) else "ja"
    if latin:
        return _latin_language(text)
    return "ja"


def _latin_language(text: str) -> str:
    if _VI_CHARS_RE.search(text):
        return "vi"
    words = set(re.findall(r"[a-z]+", _strip_latin_accents(text.lower())))
    if len(words & _VI_WORDS) >= 3:
        return "vi"
    if len(words & _TL_WORDS) >= 2 and not _PT_CHARS_RE.search(text):
        return "tl"
    if _PT_CHARS_RE.search(text) or len(words & _PT_WORDS) >= 2:
        return "pt"
    return "en"
