"""Text normalisation for matching, and a small language guess.

Residents write the same word many ways: full- and half-width, katakana or hiragana (マイナ/まいな), with or
without long-vowel marks and small kana (サービス/さびす, ちょっと/ちょと), in dialect (ほかす = 捨てる,
なんぼ = いくら) and with common slips (住民表). Matching works on one folded form so the knowledge base
and the resident's words meet; the folded form is never shown to anyone.
"""

from __future__ import annotations

import re
import unicodedata

_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
_SMALL_TO_LARGE = str.maketrans("ぁぃぅぇぉゃゅょゎゕゖ", "あいうえおやゆよわかけ")
_DROPPED = str.maketrans("", "", "ーっ〜~・'’\"「」『』（）()［］[]【】")
_PUNCT_RE = re.compile(r"[、。，．,.!?！？:：;；/／\\|｜…‥\s]+")

# Dialect, colloquial and typo variants → the standard form. Keys and values are in the folded form
# (hiragana, no long-vowel marks, no small っ); applied longest first.
_VARIANTS_RAW: dict[str, str] = {
    # dialect verbs and question words
    "ほかしたい": "すてたい",
    "ほかす": "すてる",
    "ほかして": "すてて",
    "ほうりたい": "すてたい",
    "うっちゃる": "すてる",
    "なんぼ": "いくら",
    "なんぼう": "いくら",
    "いくらぐらい": "いくら",
    "どげん": "どう",
    "どがん": "どう",
    "どない": "どう",
    "どぎゃん": "どう",
    "なんちゃ": "なにも",
    "あかん": "だめ",
    "いけん": "だめ",
    "ばってん": "けど",
    "やけど": "けど",
    "じゃけど": "けど",
    "しとる": "している",
    "しよる": "している",
    "しちょる": "している",
    "しとう": "している",
    "おらん": "いない",
    "おらへん": "いない",
    "おります": "います",
    "いうた": "いった",
    "わからん": "わからない",
    "わからへん": "わからない",
    "わがらね": "わからない",
    "しらん": "しらない",
    "でけへん": "できない",
    "できん": "できない",
    "でけん": "できない",
    "きとる": "きている",
    "きとう": "きている",
    "きちょる": "きている",
    "もろた": "もらった",
    "もろうた": "もらった",
    "もらいたか": "もらいたい",
    "ほしか": "ほしい",
    "ほしいんやけど": "ほしいけど",
    # common slips and abbreviations
    "住民表": "住民票",
    "住民ひょう": "住民票",
    "じゅうみんひょ": "住民票",
    "印鑑証明書": "印鑑証明",
    "いんかんしょうめい": "印鑑証明",
    "まいなんば": "まいなんばー",
    "まいなかど": "まいなんばーかど",
    "まいな保険証": "まいなんばーかど保険証",
    "こくほ": "国保",
    "国民健康保健": "国民健康保険",
    "健康保健": "健康保険",
    "介護保健": "介護保険",
    "子供": "子ども",
    "こども": "子ども",
    "年金手帖": "年金手帳",
    "粗大ごみ": "そだいごみ",
    "粗大ゴミ": "そだいごみ",
    "ゴミ": "ごみ",
    "塵": "ごみ",
    "障がい": "障害",
    "しょうがい": "障害",
    "障碍": "障害",
    "ふぇりー": "ふぇり",
    "高速せん": "高速船",
    "役所": "役場",
    "やくば": "役場",
    "町役場": "役場",
}


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


# --------------------------------------------------------------------------------------- language guess

_HANGUL_RE = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA_RE = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f]")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_LATIN_RE = re.compile(r"[A-Za-zÀ-ỹ]")
_VI_CHARS_RE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
_VI_WORDS = frozenset(
    [
        "toi",
        "khong",
        "duoc",
        "cua",
        "co",
        "la",
        "lam",
        "o",
        "nguoi",
        "chung",
        "em",
        "anh",
        "chi",
        "con",
        "cho",
        "gi",
        "nao",
        "dau",
        "bao",
        "nhieu",
    ]
)
_PT_WORDS = frozenset(
    [
        "nao",
        "voce",
        "eu",
        "meu",
        "minha",
        "para",
        "com",
        "uma",
        "um",
        "esta",
        "estou",
        "preciso",
        "posso",
        "como",
        "onde",
        "quero",
        "fui",
        "tenho",
        "nosso",
        "nossa",
        "meus",
        "minhas",
        "filho",
        "filha",
        "marido",
        "esposa",
        "ajuda",
        "obrigado",
        "obrigada",
        "alguem",
        "pode",
        "qual",
        "quando",
        "porque",
        "por",
        "favor",
        "sim",
        "tem",
    ]
)
_PT_CHARS_RE = re.compile(r"[ãõç]|ção|ções", re.IGNORECASE)
_ZH_HINT_RE = re.compile(r"[的吗呢我你他她们这那么没请该吧给让说问钱办证码还们儿个为时对会过]")
_LONE_PARTICLE_RE = re.compile(
    r"(?<=[\u3041-\u30ff\u4e00-\u9fff])[ 　][をはがにでへ][ 　](?=[\u3041-\u30ff\u4e00-\u9fff])"
)
_EASY_JA_POLITE_RE = re.compile(
    r"(です|ます|ください|ですか|ますか|でしょうか)[。.?？]?\s*$|(です|ます)[かよね]?[。.、]"
)


_DEVANAGARI_RE = re.compile(r"[\u0900-\u097f]")
_TL_WORDS = frozenset(
    [
        "ang",
        "ng",
        "mga",
        "po",
        "ako",
        "ko",
        "ba",
        "paano",
        "saan",
        "kailan",
        "hindi",
        "gusto",
        "yung",
        "kasi",
        "naman",
        "lang",
        "sa",
        "na",
        "ni",
        "namin",
        "kami",
        "nila",
        "siya",
        "ano",
        "may",
        "wala",
        "pwede",
        "opo",
    ]
)


def detect_language(text: str) -> str:
    """ja | easy-ja | en | zh | ko | vi | pt | tl | ne — a guess good enough to pick the answer language."""
    if _HANGUL_RE.search(text):
        return "ko"
    if _DEVANAGARI_RE.search(text):
        return "ne"
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
    if _LATIN_RE.search(text):
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
    return "ja"
