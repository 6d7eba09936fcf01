"""The characters and words personal-number masking reads (``privacy.py``): data, one table per question.

Which characters are digits, which characters and words stand between the digit groups of one number, which words
announce a number, and which characters are dropped or drawn as nothing. Extend a table to teach the masker a new
way of writing; ``tests/unit/domain/test_masking_as_typed.py`` checks every entry.
"""

from __future__ import annotations

# Kanji numerals, with the circles drawn for 〇, and the formal 大字 of forms and banknotes, Japanese and Chinese
# (simplified 贰叁陆 and 柒 of cheques: a Chinese-speaking resident writes a My Number so, session 16).
KANJI_DIGITS: dict[str, int] = {
    **dict.fromkeys("〇○◯零", 0),
    **dict.fromkeys("一壱壹", 1),
    **dict.fromkeys("二弐貳贰", 2),
    **dict.fromkeys("三参參叁", 3),
    **dict.fromkeys("四肆", 4),
    **dict.fromkeys("五伍", 5),
    **dict.fromkeys("六陸陆", 6),
    **dict.fromkeys("七漆柒", 7),
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
    "xXｘＸ×"  # 「9876x5432x1093」 (session 21)
)
# Commas, dots and slashes of other scripts and of mathematics, also separators (``pii_digits.separator``; any
# space, dash, bracket or quote of Unicode is one too): pasted from a PDF or typed on another keyboard, they read
# like the usual ones, and the folded text spells them so (「1234﹐5678」 reads 「1234,5678」).
EXTRA_COMMAS = frozenset("\ufe50\ufe51\u060c\u066b\u066c\u2e34\u2e41\u201a\u3001\u055d\u07f8\ua60d\ua6f5")
EXTRA_DOTS = frozenset("\u2024\u2025\u2026\u2e31\u2e33\u00b7\u0387\u16eb\u2027\u30fb\ufe52\u06d4\u0964")
EXTRA_SLASHES = frozenset("\u2044\u2215\u29f8\u29f5\u2216\u29f9\u27cb\u27cd\u2571\u2572")
# A "+" glued right after a digit joins groups like a hyphen (「9876+5432+1093」, session 21); after a space or a
# mark it starts a number dialled abroad (「03-1234-5678 +81 3 …」), so it is not one of GROUP_SEPARATORS.
PLUS_SIGNS = frozenset("+＋﹢")
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
# Words that say how a number is given in parts (「最初の4桁は1234、次の4桁は5678」, "next 4 digits 5678",
# 「2つ目は5678」): the one or two digits just before one of DIGIT_COUNT_WORDS, or just after one of POSITION_WORDS
# (and followed by a word, not by more digits), count the digits of a group or say which group it is. They are no
# digits of the number, after a cue word too, so they neither break the number's run nor make it one digit too long
# (session 12's outside attack: 「マイナンバーの最初の4桁は1234、…最後の4桁は9018」 kept 「9018」, the 4s were read as
# digits). Matched on the width- and case-blind text (kanji numerals read as digits: 「四桁」, 「二つ目」); a word that
# starts or ends in a Latin letter only as a whole word ("4 digits", "2nd", not "4 street").
DIGIT_COUNT_WORDS: tuple[str, ...] = (
    # ja
    "桁",
    "けた",
    "ケタ",
    "つ目",
    "つめ",
    "つ",
    "番目",
    "個目",
    "組目",
    "文字",
    "ブロック",
    # en
    "digits",
    "digit",
    "numbers",
    "st",
    "nd",
    "rd",
    "th",
    # zh
    "位",
    "组",
    "組",
    "段",
    # ko
    "자리",
    "번째",
    "째",
    # vi
    "chữ số",
    "chu so",
    "số",
    "so",
    # pt
    "dígitos",
    "digitos",
    "dígito",
    "digito",
    "números",
    "numeros",
    # tl
    "na numero",
    "na digit",
    "numero",
    # ne
    "अंक",
    "अङ्क",
    "ओटा",
    "वटा",
)
POSITION_WORDS: tuple[str, ...] = (
    # ja
    "最初の",
    "はじめの",
    "初めの",
    "次の",
    "つぎの",
    "真ん中の",
    "まんなかの",
    "最後の",
    "さいごの",
    "残りの",
    "のこりの",
    "第",
    # en
    "first",
    "next",
    "middle",
    "last",
    "final",
    "remaining",
    # zh
    "前",
    "中间",
    "中間",
    "后",
    "後",
    "最后",
    # ko
    "앞",
    "다음",
    "중간",
    "마지막",
    "뒤",
    # vi
    "đầu",
    "tiếp theo",
    "cuối",
    "thứ",
    # pt
    "primeiros",
    "próximos",
    "proximos",
    "últimos",
    "ultimos",
    # tl
    "unang",
    "susunod na",
    "huling",
    "ika-",
    # ne
    "पहिलो",
    "पहिले",
    "अर्को",
    "अन्तिम",
    "पछिल्लो",
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

# Words that name a booking code (the pages', mails' and console's own: 「予約番号: 1234 5678 9018」). A booking code is
# twelve digits with a Damm check digit (eight before session 13) and never a 個人番号 (bookings.codes draws again
# until the masker would not hide it); written within BOOKING_CUE_GAP characters after one of these words, it is
# read apart from the digits that follow it, so 「予約番号 <code>、1230時から」 keeps the code instead of reading
# code and time together as one card number (pii_runs.booking_code_apart).
BOOKING_CUE_WORDS: tuple[str, ...] = (
    "予約番号",
    "予約の番号",
    "予約コード",
    "よやく番号",
    "よやくばんごう",
    "booking number",
    "booking code",
    "reservation number",
    "reservation code",
    "预约号码",
    "预约号",
    "預約號碼",
    "예약 번호",
    "số đặt chỗ",
    "so dat cho",
    "número do agendamento",
    "numero do agendamento",
    "numero ng booking",
    "बुकिङ नम्बर",
)

# Bidi controls (embeddings, overrides, isolates, marks) are dropped before anything else: none of the supported
# languages is written right to left, and with an override the text shown (a number) is not the text stored.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters typed for digits beside digits (「O9O-1234-5678」, 「090l2345678」): read as digits only when a digit stands
# right next to them and no other letter does, so words (ROOM, No.1, iOS) keep their letters.
CONFUSABLE_DIGITS: dict[str, int] = {**dict.fromkeys("OoＯｏ", 0), **dict.fromkeys("lIｌＩ", 1)}
# Fillers that draw nothing but are letters to Unicode (Hangul fillers).
FILLERS = frozenset("\u115f\u1160\u3164\uffa0")

# Numbers that only a word before them makes personal: alone, their shapes are ordinary numbers (a date, an amount,
# a booking code), so a group of digits is masked only when it stands at most ANCHOR_GAP characters after one of the
# words (or after an earlier group of the same chain: 「ゆうちょ 記号12345 番号12345671」) and has one of the listed
# digit counts. A group is digits with at most one space, hyphen, dash or ・ between them, in any width (not commas
# or slashes: 「口座から1,234,567円」 is an amount, and digits followed by 円 are never taken). Words are matched width-
# and case-blind. (kind, words, digit counts); the kinds' tokens are in privacy.py.
ANCHORED_NUMBERS: tuple[tuple[str, tuple[str, ...], frozenset[int]], ...] = (
    # 住民票コード: 11 digits, printed on the 住民票 (「住民票コード 1234-5678-901」)
    ("resident_code", ("住民票コード", "住民票のコード", "住民票番号", "じゅうみんひょうこーど"), frozenset({11})),
    # bank accounts: 7 digits (「口座 普通1234567」, 「○○銀行 渋谷支店 普通預金 7654321」)
    (
        "bank_account",
        (
            "口座",
            "普通預金",
            "当座預金",
            "貯蓄預金",
            "普通",
            "当座",
            "支店",
            "銀行",
            "信用金庫",
            "bank account",
            "account number",
            "account no",
            "tài khoản",  # vi
            "账号",  # zh
            "账户",
            "帳號",
            "계좌",  # ko
            "conta bancária",  # pt
            "número da conta",
            "numero da conta",
            "khata number",  # ne (romanised) and Devanagari
            "खाता",
        ),
        frozenset({7}),
    ),
    # ゆうちょ銀行: 記号 5 digits and 番号 8 digits (「ゆうちょ 記号12345 番号12345671」)
    # (also written as one number, 「ゆうちょ 12345-12345671」)
    ("bank_account", ("ゆうちょ", "郵便貯金", "記号番号", "通帳記号"), frozenset({5, 8, 13})),
    # 基礎年金番号: 10 digits, written 4-6 (「1234-567890」)
    (
        "pension_number",
        (
            "基礎年金番号",
            "年金番号",
            "年金手帳",
            "ねんきんばんごう",
            "pension number",
            "lương hưu",  # vi
            "养老金",  # zh
            "年金号",
            "연금번호",  # ko
            "연금 번호",
            "número da pensão",  # pt
            "numero da pensao",
            "पेन्सन",  # ne
        ),
        frozenset({10}),
    ),
    # 運転免許証の番号: 12 digits
    (
        "licence_number",
        (
            "運転免許",
            "免許証",
            "免許番号",
            "免許",
            "めんきょしょう",
            "driver's license",
            "driving licence",
            "license number",
            "bằng lái",  # vi
            "驾照",  # zh
            "驾驶证",
            "駕照",
            "운전면허",  # ko
            "면허",
            "carteira de motorista",  # pt
            "habilitação",
            "cnh",
            "lisensya",  # tl
            "लाइसेन्स",  # ne
        ),
        frozenset({12}),
    ),
)
ANCHOR_GAP = 16
ANCHOR_CHAIN = 4  # at most this many digit groups are read after one word

# Digits spelled out as words, as someone reads a number aloud into a text box (「いち に さん …」, "one two three …",
# "um dois três …"): each word is one digit. Only a 個人番号 is read from them (twelve in a row, the right check
# digit; ``pii_spelled.py``), so a word that is also an ordinary word ("one", "hai", 「に」) costs nothing: twelve such
# words in a row with the right check digit are not ordinary text. Latin-script and Devanagari words count only as
# whole words; kana and hangul ones also written together (「いちにさん」).
SPELLED_DIGITS_WORDS: dict[str, int] = {
    # English
    **{w: v for v, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])},
    "oh": 0,
    "nought": 0,
    # Portuguese
    **{w: v for v, w in enumerate(["zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove"])},
    "tres": 3,
    "uma": 1,
    "duas": 2,
    # Tagalog, and the Spanish numbers Filipinos read phone numbers with
    **{w: v for v, w in enumerate(["sero", "isa", "dalawa", "tatlo", "apat", "lima", "anim", "pito", "walo", "siyam"])},
    **{
        w: v
        for v, w in enumerate(["zero", "uno", "dos", "tres", "kuwatro", "singko", "sais", "siyete", "otso", "nuwebe"])
    },
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    # Vietnamese, with and without its marks
    **{w: v for v, w in enumerate(["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"])},
    **{w: v for v, w in enumerate(["khong", "mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin"])},
    "linh": 0,
    "lẻ": 0,
    # Nepali
    **{w: v for v, w in enumerate(["शून्य", "एक", "दुई", "तीन", "चार", "पाँच", "छ", "सात", "आठ", "नौ"])},
    "सुन्य": 0,
    "पांच": 5,
}
SPELLED_DIGITS_GLUED: dict[str, int] = {
    # Japanese readings, hiragana and katakana
    **dict.fromkeys(("ぜろ", "ゼロ", "れい", "レイ", "まる", "マル"), 0),
    **dict.fromkeys(("いち", "イチ"), 1),
    **dict.fromkeys(("に", "ニ"), 2),
    **dict.fromkeys(("さん", "サン"), 3),
    **dict.fromkeys(("よん", "ヨン", "し", "シ"), 4),
    **dict.fromkeys(("ご", "ゴ"), 5),
    **dict.fromkeys(("ろく", "ロク"), 6),
    **dict.fromkeys(("なな", "ナナ", "しち", "シチ"), 7),
    **dict.fromkeys(("はち", "ハチ"), 8),
    **dict.fromkeys(("きゅう", "キュウ", "きゅー", "キュー", "く", "ク"), 9),
    # Korean (Sino-Korean, as numbers are read)
    **dict.fromkeys(("공", "영"), 0),
    "일": 1,
    "이": 2,
    "삼": 3,
    "사": 4,
    "오": 5,
    "육": 6,
    "칠": 7,
    "팔": 8,
    "구": 9,
}
