"""The characters and words personal-number masking reads (``privacy.py``): data, one table per question.

Which characters are digits, which characters and words stand between the digit groups of one number, which words
announce a number, and which characters are dropped or drawn as nothing. Extend a table to teach the masker a new
way of writing; ``tests/unit/domain/test_masking_as_typed.py`` checks every entry.
"""

from __future__ import annotations

# Kanji numerals, with the circles drawn for 〇, and the formal 大字 of forms and banknotes.
KANJI_DIGITS: dict[str, int] = {
    **dict.fromkeys("〇○◯零", 0),
    **dict.fromkeys("一壱壹", 1),
    **dict.fromkeys("二弐貳", 2),
    **dict.fromkeys("三参參", 3),
    **dict.fromkeys("四肆", 4),
    **dict.fromkeys("五伍", 5),
    **dict.fromkeys("六陸", 6),
    **dict.fromkeys("七漆", 7),
    **dict.fromkeys("八捌", 8),
    **dict.fromkeys("九玖", 9),
}
# What people put between digit groups: spaces and line breaks, hyphens and dashes of every width (and the
# katakana long-vowel mark Japanese keyboards produce instead), dots and the full stop, commas, slashes, vertical
# bars, underscores, tildes and wave dashes, apostrophes and quotes, parentheses and brackets of every kind, bullets
# (• ⋅ ∙ ‧), the line and paragraph separators and NEL that text pasted from other apps carries instead of a line
# break, and the braille blank (drawn as a space). Not the colon (times: 10:30), nor marks that give digits another
# meaning (+ # % = ¥ $ 〒 @).
GROUP_SEPARATORS = frozenset(
    " \u3000\t\n\r\u00a0\u2009\u202f\u2028\u2029\u0085\u000b\u000c\u2800"
    "-‐‑‒–—―−－ー﹣ｰ"
    ".．・･·。｡•‧∙⋅"
    ",，、､"
    "/／|｜\\＼_＿~～〜*＊"
    "'’‘＇\"“”＂"
    "()（）[]「」『』【】〔〕〈〉《》｢｣"
)
# The separators that end one number and start the next in a list ("090-…、03-…", one number a line).
LIST_SEPARATORS = frozenset(",，、､\n\r\u2028\u2029\u0085/／。｡|｜")
# Words people put between the digit groups of one number, as they would say it aloud (「〇九〇の一二三四の…」)
# or spell the separator out. A word marked True joins groups only shortly after a word that announces a number
# (NUMBER_CUE_WORDS): elsewhere "born 1985 and 2010 and 2012" are three years, not one number.
CONNECTOR_WORDS: dict[str, bool] = {
    "の": False,
    "ノ": False,
    "ハイフン": False,
    "はいふん": False,
    "ダッシュ": False,
    "スペース": False,
    "hyphen": False,
    "dash": False,
    "space": False,
    "次は": False,
    "次が": False,
    "つぎは": False,
    "続いて": False,
    "続けて": False,
    "最後が": False,
    "最後は": False,
    "then": False,
    "next": False,
    "と": False,
    "それから": False,
    "その次は": False,
    "その次が": False,
    "で": False,  # 「1234で5678で9018」
    "から": False,  # 「1234から5678…」; ranges of dates, times and amounts are protected before this
    "and": True,
    "e": True,  # Portuguese
    "và": True,  # Vietnamese
    "at": True,  # Tagalog
    "和": True,  # Chinese
    "그리고": True,  # Korean
}
# Counter words: the digits just before one count something (rooms, people, money, time, doses), so they are not
# a group of a personal number (「1357号室」, 「19名」, 「2024年」). Not 番 (「番号」 follows numbers too).
COUNTER_WORDS: tuple[str, ...] = (
    "号室",
    "号館",
    "名",
    "人",
    "円",
    "万",
    "千",
    "億",
    "歳",
    "才",
    "階",
    "回",
    "件",
    "枚",
    "個",
    "冊",
    "本",
    "台",
    "通",
    "部",
    "錠",
    "泊",
    "時",
    "分",
    "秒",
    "年",
    "か月",
    "ヶ月",
    "ヵ月",
    "月",
    "日",
    "週",
    "%",
    "cm",
    "mm",
    "kg",
    "km",
    "yen",
    "people",
    "persons",
)
# Words after which a mistyped 11-13 digit number is still taken for a 個人番号 (matched width- and case-blind).
CUE_WORDS: tuple[str, ...] = (
    "マイナンバー",
    "まいなんばー",
    "マイナンハ\u3099ー",  # half-width ﾏｲﾅﾝﾊﾞｰ, folded character by character
    "マイナ番号",
    "マイナカード",
    "マイナ保険証",
    "個人番号",
    "こじんばんごう",
    "my number",
    "individual number",
    "personal number",
    "my no.",
    "my no:",
    "số định danh",
    "so dinh danh",
    "mã số cá nhân",
    "我的号码",
    "个人编号",
    "個人編號",
    "个人番号",
    "마이넘버",
    "개인번호",
    "número pessoal",
    "numero pessoal",
)

# Words after which digit groups joined by a word (CONNECTOR_WORDS marked True) are still one number.
NUMBER_CUE_WORDS: tuple[str, ...] = (
    *CUE_WORDS,
    "番号",
    "電話",
    "携帯",
    "でんわ",
    "けいたい",
    "tel",
    "phone",
    "mobile",
    "number",
    "カード",
    "card",
    "口座",
    "điện thoại",
    "telefone",
    "número",
    "numero",
    "电话",
    "電話號碼",
    "전화",
    "번호",
    "카드",
    "फोन",
    "नम्बर",
)

# Bidi controls (embeddings, overrides, isolates, marks) are dropped before anything else: none of the supported
# languages is written right to left, and with an override the text shown (a number) is not the text stored.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters typed for digits beside digits (「O9O-1234-5678」, 「090l2345678」): read as digits only when a digit stands
# right next to them and no other letter does, so words (ROOM, No.1, iOS) keep their letters.
CONFUSABLE_DIGITS: dict[str, int] = {**dict.fromkeys("OoＯｏ", 0), **dict.fromkeys("lIｌＩ", 1)}
# Fillers that draw nothing but are letters to Unicode (Hangul fillers).
FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
