"""Whether hyphen-joined numbers are a street number: the word before them says (the lexicon of ``pii_patterns``).

The rule (session 16; ``pii_patterns.mask_hyphen_addresses`` asks it of each 「1-2-3」, 「123-4」):

1. After an address cue (住所, お住まい, 〒's mask, "address", địa chỉ, endereço, tirahan, 地址, 주소, ठेगाना:
   ``ADDRESS_CUES``) the numbers are a street number: right after it from two groups on, anywhere in the window
   before them from three on (「住所を書くと 1-2-3-101」, "my address is 1-2-3").
2. Otherwise the last word before them decides (gaps, one hyphen and a particle such as は or の taken off):
   - a word that puts numbers after it which are no street number (``NOT_PLACE_WORDS``): a facility (庁舎,
     会議室, フロア), a document (様式, 申請書, 別紙), a law (条例, 第…条), a time, date, era, page, rate, office
     or number word — the numbers stay;
   - a place suffix (``PLACE_SUFFIXES``: 町, 市, 島, 丁目 …) at its end, or after its first character
     (「汐見町汐見」), one in Latin letters (``ROMAJI_PLACE_SUFFIXES``: "Shiomi-cho"), or a place right after an
     address cue (「住所 汐見」): a street number from two groups on (「汐見町汐見123-4」);
   - any other word, in any script (汐見, 芝公園, しおみ, Shiomi, shiomi, 시오미): a street number from three
     groups on, unknown words being place names more often than anything else that is followed by three numbers.
3. A place named right after three groups or more makes them a street number whatever stands before (the order
   of English addresses: "No. 1-2-3 Shiomi-cho", 「1-2-3 汐見町」): a word with a place suffix, or, with no word
   before them (the line starts with them, or a number stands before), any Latin word that is no not-place word
   ("1-2-3 Honmachi, Shiomi-cho").

Matching a not-place word is by its end: the word 「本庁舎」 ends in 庁舎. A word that also ends place names
(``ALONE_WORDS``: 条 of 上十条, 表 of 西表, 室 of 柏市大室, 割 of 第10地割, 昭和 of 中昭和) counts only standing alone
or right after a digit or a letter (「第1条」, 「2階」, 「A棟」, 「表1-2-3」), never at the end of a longer word of
kana or kanji: such a word is taken for a place (the safe side). The other entries (課, 第, 曜, 庁舎, 様式 …) end
no town name and count at the end of any word (「市民課」, 「申請書」, 「月曜」).
"""

from __future__ import annotations

import re

PLACE_SUFFIXES = ("丁目", "番地", "都", "府", "県", "市", "区", "町", "村", "郡", "島")
"""A word that ends in one of these, or holds one after its first character (「汐見町汐見」, 「熊毛郡汐見」), names
a place for sure: two numbers after it (「汐見町汐見123-4」, 「凪島123-4」) are a street number. 「市民課」, 「区分」:
the suffix is the word's first character."""

NOT_PLACE_WORDS: dict[str, tuple[str, ...]] = {
    # rooms, floors and buildings: 「本庁舎1-2-3」, 「第2会議室 1-2-3」, 「2階1-2-3」
    "facility": (
        *("庁舎", "本庁", "会議室", "相談室", "待合室", "研修室", "事務室", "面談室", "応接室", "集会室", "控室"),
        *("教室", "和室", "別館", "旧館", "会館", "公民館", "図書館", "体育館", "会場", "受付"),
        *("フロア", "ロビー", "ルーム", "ホール", "ブース", "エレベーター", "階段", "駐車場"),
    ),
    # documents and their parts: 「様式第1-2-3号」, 「申請書1-2-3」, 「別表1-2-3」
    "document": (
        *("様式", "別紙", "別表", "別記", "別添", "資料", "書類", "書式", "文書", "通知", "議案", "告示", "通達"),
        *("附則", "付録", "目次", "一覧", "図表", "地図", "案内図", "記号", "見出し", "マニュアル", "ファイル"),
        *("ステップ", "バージョン", "レベル", "パート"),
        *("申請書", "届出書", "報告書", "証明書", "請求書", "通知書", "計画書", "記入例"),
        *"欄票版型",
    ),
    # laws and their parts: 「条例1-2-3」, 「第1条-2-3」, 「規則第1-2-3」
    "law": (*("条例", "規則", "規程", "要綱", "法律", "政令", "省令", "憲法", "民法", "刑法", "税法"), *"項章款"),
    # times, days, eras, pages, rates: 「午前9-12」, 「月曜9-12」, 「昭和60-62」, 「ページ12-15」, 「税率8-10」
    "time": (
        *("午前", "午後", "時間", "時刻", "期間", "曜日", "年度", "西暦", "今回", "前回", "次回", "初回", "毎回"),
        *"秒曜期",
    ),
    "page_or_rate": ("ページ", "パーセント", "合計", "会計", "集計", *"頁率"),
    # the offices and their signs: 「窓口3-1」, 「市民課2-1」, 「汐見市役所1-2」
    "office": ("窓口", "役所", "役場", "支所", "出張所", "郵便局", "事務局", "水道局", *"課係"),
    # words that put a number after them: 「予約番号」, 「第」, 「電話」, 「内線」
    "number": (
        *("番号", "電話", "携帯", "内線", "コード", "問題", "質問", "手順", "手続き", "手続", "順番"),
        *"第約各問",
    ),
}
"""Words after which hyphen-joined numbers are no street number, by what they name (the module docstring)."""

ALONE_WORDS = (
    *("条", "表", "図", "室", "館", "棟", "階", "号", "割", "書", "枠", "法", "節", "時", "回", "倍", "局", "計", "全"),
    *("昭和", "平成", "令和", "大正", "明治"),
)
"""Not-place words that also end place names (上十条, 西表, 柏市大室, 第10地割, 弘法, 上手計, 中昭和: the ends of
some 1,300 of the 111,771 town and 小字 names of geolonia/japanese-addresses): they count only standing alone or
right after a digit or a letter (「第1条」, 「表1-2-3」, 「2階」, 「A棟」, 「昭和60-62」); their compounds that are
no place are listed as words of their own (申請書, 郵便局, 今回)."""

ROMAJI_PLACE_SUFFIXES = frozenset(
    {"cho", "chō", "chou", "machi", "ku", "shi", "gun", "mura", "son", "jima", "shima", "chome", "chōme", "ken"}
)
"""The place suffixes written in Latin letters ("Shiomi-cho", "Nagi-jima", "Minato-ku")."""

LATIN_NOT_PLACES = frozenset(
    {"page", "pages", "step", "steps", "chapter", "section", "item", "items", "question", "version", "room", "table"}
    | {"figure", "article", "part", "line", "ext", "tel", "phone", "fax", "code", "ref", "no", "id", "vol", "see"}
    | {"floor", "form", "rule", "option", "number", "score", "level", "grade", "round", "gate", "counter", "booth"}
    # vi, pt, tl: page, step, room, floor, article, chapter
    | {"trang", "bước", "phòng", "tầng", "điều", "chương", "mục", "página", "passo", "sala", "andar", "artigo"}
    | {"capítulo", "pahina", "hakbang", "silid", "kuwarto", "palapag", "artikulo", "kabanata"}
)
"""Latin words before numbers that are no place ("Page 1-2-3", "Step 1-2-3", "trang 1-2-3")."""

ADDRESS_CUES = (
    *("住所", "現住所", "お住まい", "住まい", "所在地", "［郵便番号］", "〒"),
    *("address", "addr", "địa chỉ", "dia chi", "endereço", "endereco", "morada", "tirahan", "direksyon"),
    *("地址", "住址", "주소", "ठेगाना"),
)
"""Words after which numbers of an address follow (a postal code masked before counts as one)."""

PARTICLES = ("では", "には", "から", "です", "は", "が", "も", "を", "に", "で", "へ", "と", "の", "や")
"""Particles taken off a word before its numbers (「汐見は1-2-3」, 「番号は1-2-3」): the word before them decides."""

CUE_WINDOW = 24  # characters before the numbers an address cue may stand in (three groups or more)

_JAPANESE = "\u3041-\u309f\u30a0-\u30ff\u4e00-\u9fff々〆ヶヵ"
_MARKS = "\u0300-\u036f\u0900-\u097f"  # combining accents (a Vietnamese word typed decomposed), Devanagari signs
_LETTER = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"
_WORD_RE = re.compile(f"(?:[^\\W\\d_]|[{_JAPANESE}{_MARKS}])+(?:-[{_LETTER}]+)?$")
_KANJI = "\u30a1-\u30fa\u30fc\u4e00-\u9fff々〆ヶヵ"
# a place name's run of kanji and katakana, with が or ヶ inside (「一志町虹が丘」, 「一志町みのりヶ丘」): not の, the
# particle of any sentence (「汐見町の店9-12」 is opening hours)
_KANJI_RUN_RE = re.compile(f"[{_KANJI}]+(?:[ぁ-ゖ]*[がヶケノ][{_KANJI}]+)*$")
_LATIN_WORD_RE = re.compile(f"[{_LETTER}]+(?:-[{_LETTER}]+)?$")
_GAP = " \u3000\t\n\r、，,:：.(（「『【[\"'“‘#＃"
_CUE_RE = re.compile(
    "(?:" + "|".join(re.escape(cue) for cue in sorted(ADDRESS_CUES, key=len, reverse=True)) + ")", re.IGNORECASE
)
_RIGHT_AFTER_CUE_RE = re.compile(_CUE_RE.pattern + "(?:は|が|も|:|：|\\s|is|là|é|ay)*$", re.IGNORECASE)
_AFTER_RE = re.compile(f"[ \u3000,，、]*(?:([{_LETTER}]{{3,}}(?:-[{_LETTER}]+)?)|([{_JAPANESE}]+))")
_PARTICLES_RE = re.compile(
    "(?<=[" + _JAPANESE + _LETTER + "])(?:" + "|".join(sorted(PARTICLES, key=len, reverse=True)) + ")$"
)
_ENDINGS = tuple(sorted({w for words in NOT_PLACE_WORDS.values() for w in words}, key=len, reverse=True))
_JAPANESE_RE = re.compile(f"[{_JAPANESE}]")


def _not_a_place(word: str) -> bool:
    """Whether ``word`` (the word right before the numbers) says they are no street number."""
    if word.endswith(_ENDINGS):
        return True
    alone = next((w for w in ALONE_WORDS if word.endswith(w)), None)
    if alone is not None and (len(word) == len(alone) or not _JAPANESE_RE.match(word[-len(alone) - 1])):
        return True
    latin = _LATIN_WORD_RE.search(word)
    return latin is not None and latin.group().split("-")[0].lower() in LATIN_NOT_PLACES


def _a_place(word: str) -> bool:
    return word.endswith(PLACE_SUFFIXES) or any(suffix in word[1:] for suffix in PLACE_SUFFIXES)


def _named_after(after: str, *, loose: bool) -> bool:
    """Whether a place is named right after the numbers: a word with a place suffix (「1-2-3 汐見町」, "1-2-3
    Honmachi, Shiomi-cho" names Shiomi-cho after Honmachi: "1-2-3 Shiomi-cho"), or with ``loose`` (no word before
    the numbers) any Latin word that is no not-place word ("1-2-3 Honmachi")."""
    following = _AFTER_RE.match(after)
    if following is None:
        return False
    latin, japanese = following.groups()
    if latin is not None:
        parts = latin.lower().split("-")
        return parts[-1] in ROMAJI_PLACE_SUFFIXES or (loose and parts[0] not in LATIN_NOT_PLACES)
    return japanese.endswith(PLACE_SUFFIXES) and not _not_a_place(japanese)


def street_number_follows(before: str, after: str, *, groups: int) -> bool:
    """Whether numbers of ``groups`` hyphen-joined groups between ``before`` and ``after`` are a street number (the
    module docstring). ``before``: the text before them (some :data:`CUE_WINDOW` characters); ``after``: after."""
    near = before.rstrip(_GAP)
    if near.endswith(tuple("-‐－")):
        near = near[:-1].rstrip(_GAP)  # 「汐見町-1-2-3」, 「第1条-2-3」: the word before the hyphen decides
    if _RIGHT_AFTER_CUE_RE.search(near):
        return True
    word_match = _WORD_RE.search(near)
    word = word_match.group() if word_match else ""
    unparticled = _PARTICLES_RE.sub("", word)
    if groups >= 3 and _named_after(after, loose=not unparticled):
        return True  # a place named after them says more than the word before ("No. 1-2-3 Shiomi-cho")
    if unparticled and _not_a_place(unparticled):
        return False
    if groups >= 3 and _CUE_RE.search(before[-CUE_WINDOW:]):
        return True
    if not unparticled or word_match is None:
        return False
    kanji = _KANJI_RUN_RE.search(unparticled)
    if kanji is not None and _a_place(kanji.group()):
        return True  # 「汐見町汐見123-4」
    latin = _LATIN_WORD_RE.search(unparticled)
    if latin is not None and latin.group().lower().split("-")[-1] in ROMAJI_PLACE_SUFFIXES:
        return True  # "Shiomi-cho 123-4"
    place_start = word_match.start() + (kanji.start() if kanji is not None else 0)
    if _RIGHT_AFTER_CUE_RE.search(near[:place_start].rstrip(_GAP)):
        return True  # 「住所は汐見12-3」, 「住所 汐見 12-3」, "address: Shiomi 12-3": the place 住所 named
    return groups >= 3
