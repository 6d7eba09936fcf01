"""Explicit safety and handoff rules, run on the normalised (already masked) text before any retrieval.

Missing a resident in danger is the worst thing the bot can do, so the urgent rules favour recall: they list
many ways of saying it, in every supported language, and only a few narrow exclusions for ordinary
questions that share words with them (「死亡届」, 「浸水想定区域」, 「防災訓練」, 「木が倒れて」).
The rules never decide the route alone; they give a route hint the engine combines with retrieval.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.routes import RouteId


def _pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any phrase (after normalisation); latin phrases match at word boundaries."""
    parts: list[str] = []
    for phrase in phrases:
        folded = normalise(phrase)
        if not folded:
            continue
        escaped = re.escape(folded).replace("\\ ", "\\s*")
        if folded[0].isascii() and folded[0].isalnum():
            escaped = r"\b" + escaped
        if folded[-1].isascii() and folded[-1].isalnum():
            escaped += r"\b"
        parts.append(escaped)
    return re.compile("|".join(sorted(parts, key=len, reverse=True)))


# ------------------------------------------------------------------------------------------- lexicons

_VIOLENCE = _pattern([
    "暴力", "DV", "ドメスティック", "殴られ", "殴る", "殴って", "殴ら", "なぐられ", "なぐる", "蹴られ", "けられて",
    "叩かれ", "たたかれ", "首を絞め", "首をしめ", "首しめ", "刃物", "包丁を", "殺される", "殺すと", "殺すって",
    "ころされ", "脅され", "おどされ", "監禁", "ストーカー", "つきまと", "付きまと", "性暴力", "レイプ", "乱暴",
    "手をあげ", "手を上げ", "暴れて", "暴れる", "怒鳴られ", "どなられ",
    "domestic violence", "hits me", "hit me", "hitting me", "beats me", "beat me", "beating me", "beaten",
    "violent", "abuse", "abused", "abusive", "hurts me", "hurting me", "kill me", "threatens", "threatened",
    "stalker", "stalking",
    "家暴", "家庭暴力", "打我", "殴打", "被打", "打了我", "打她", "打他", "暴力对待", "威胁",
    "가정폭력", "폭력", "때려", "때렸", "때리", "맞았", "맞고", "학대",
    "bạo lực", "đánh tôi", "bị đánh", "đánh đập", "ngược đãi", "bạo hành",
    "violência", "me bate", "me bateu", "bate em mim", "agressão", "agredida", "agredido", "apanho", "apanhei",
    "abuso", "me ameaça", "ameaçou",
])
_ABUSE = _pattern([
    "虐待", "ぎゃくたい", "ネグレクト", "育児放棄", "ご飯を食べさせてもらえ", "ごはんを食べさせてもらえ",
    "食事を与えられ", "泣き叫", "悲鳴", "あざがある", "アザがある", "あざだらけ", "傷だらけ", "放置されて",
    "家に帰りたくない", "帰したくない", "ずっと外に出され", "締め出され",
    "child abuse", "neglect", "neglected", "bruises",
    "虐待儿童", "아동학대", "bạo hành trẻ", "maus-tratos", "maus tratos",
])
_CHILD = _pattern([
    "子ども", "子供", "こども", "子が", "娘", "息子", "姪", "甥", "孫", "赤ちゃん", "あかちゃん", "児童", "小学生",
    "中学生", "高校生", "生徒", "幼児", "乳児", "隣の子", "よその子",
    "child", "children", "kid", "kids", "son", "daughter", "baby", "niece", "nephew", "student",
    "孩子", "儿子", "女儿", "小孩", "아이", "아들", "딸", "아기", "con tôi", "con trai", "con gái", "em bé",
    "filho", "filha", "criança", "bebê", "menino", "menina",
])
_ELDER = _pattern([
    "おじいさん", "おばあさん", "じいちゃん", "ばあちゃん", "祖父", "祖母", "年寄り", "高齢", "老人", "父", "母",
    "親", "おやじ", "おふくろ", "一人暮らし", "ひとり暮らし", "独居", "近所", "隣の",
    "grandfather", "grandmother", "grandpa", "grandma", "elderly", "old man", "old woman", "father", "mother",
    "neighbor", "neighbour", "dad", "mom", "mum",
    "爷爷", "奶奶", "老人", "父亲", "母亲", "할아버지", "할머니", "어머니", "아버지", "노인",
    "ông", "bà", "bố", "mẹ", "avô", "avó", "pai", "mãe", "idoso", "idosa", "vizinho", "vizinha",
])
_SUICIDE = _pattern([
    "死にたい", "しにたい", "死のう", "死んでしまいたい", "死んだほうが", "死んだ方が", "死ぬしかない",
    "消えたい", "きえたい", "消えてしまいたい", "いなくなりたい", "自殺", "じさつ", "自死", "生きていたくない",
    "生きてたくない", "生きる意味", "生きてる意味", "生きている意味", "生きるのがつらい", "生きるのが辛い",
    "生きるのがしんどい", "終わりにしたい", "楽になりたい", "首をつ", "首吊", "首つり", "飛び降り", "とびおり",
    "練炭", "遺書", "心中", "リストカット", "リスカ", "手首を切", "薬を大量", "オーバードーズ",
    "suicide", "suicidal", "kill myself", "killing myself", "want to die", "wanna die", "end my life",
    "end it all", "don't want to live", "dont want to live", "no reason to live", "hurt myself",
    "self-harm", "self harm",
    "自杀", "想死", "不想活", "活不下去", "轻生", "자살", "죽고 싶", "죽고싶", "살기 싫", "살고 싶지",
    "tự tử", "muốn chết", "không muốn sống", "tự sát",
    "suicídio", "me matar", "quero morrer", "não quero mais viver", "tirar minha vida", "acabar com a minha vida",
])
_SUICIDE_NOT = _pattern(["自殺対策", "自殺予防", "ゲートキーパー", "suicide prevention", "自殺防止"])
_COLLAPSE = _pattern([
    "意識がない", "意識ない", "意識が無", "意識がもうろう", "息してない", "息をしてない", "息していない",
    "息をしていない", "呼吸してない", "呼吸していない", "呼吸がない", "息が苦しい", "息ができない",
    "返事がない", "反応がない", "動かない", "起き上がれない", "起きあがれない", "血が止まらない", "大量に出血",
    "けいれん", "痙攣", "ひきつけ", "脳卒中", "心臓が止", "胸が苦しい", "救急車", "熱中症", "溺れ",
    "姿を見かけない", "姿が見えない", "姿を見ない", "新聞がたま", "新聞が溜ま", "郵便がたま", "郵便物がたま",
    "collapsed", "collapse", "unconscious", "not breathing", "can't breathe", "cant breathe", "fainted",
    "passed out", "can't get up", "cant get up", "not responding", "unresponsive", "ambulance", "seizure",
    "heart attack", "stroke", "bleeding",
    "晕倒", "昏倒", "倒下", "昏迷", "没有呼吸", "不呼吸", "没有意识", "救护车", "叫不醒",
    "쓰러졌", "쓰러져", "의식이 없", "숨을 안", "숨을 쉬지", "구급차", "기절",
    "ngất", "bất tỉnh", "không thở", "xe cấp cứu", "bị ngã", "té ngã",
    "desmaiou", "desmaiada", "desmaiado", "inconsciente", "não respira", "ambulância", "não acorda", "caiu e",
])
_COLLAPSE_NOT = _pattern(["救急医療情報", "救急の日", "救急講習", "救命講習", "熱中症対策", "熱中症予防",
                          "first aid course", "stroke rehabilitation"])
_FELL_DOWN = re.compile(normalise("倒れ") + "|" + normalise("たおれ"))
_FELL_NOT_PERSON = _pattern([
    "木が", "木が倒", "樹", "塀", "看板", "電柱", "ブロック", "墓", "建物", "家が倒", "小屋", "自転車", "棚",
    "倒れそうな", "ガードレール", "標識", "倒木", "カーブミラー", "フェンス",
])
_MISSING_PERSON = _pattern([
    "徘徊", "行方不明", "帰ってこない", "帰って来ない", "戻ってこない", "いなくなった", "いなくなって",
    "連絡が取れない", "連絡がとれない", "連絡がつかない", "見つからない", "みつからない", "朝からいない",
    "どこにもいない", "帰らない", "探しても",
    "went missing", "is missing", "can't find my", "cannot find my", "wandered off",
    "失踪", "走失", "联系不上", "실종", "연락이 안", "mất tích", "desaparecido", "desaparecida",
])
_EVICTION_NOW = _pattern([
    "寝る所がない", "寝るところがない", "寝る場所がない", "泊まるところがない", "泊まる所がない",
    "行くところがない", "行く所がない", "行き場がない", "帰る家がない", "野宿", "住むところがない",
    "住む所がない", "住む場所がない", "何日も食べて", "なんにちもたべて", "鍵を変えられ", "鍵を替えられ", "鍵をかえられ",
    "nowhere to sleep", "nowhere to go", "nowhere to stay", "locked out", "on the street",
    "没地方住", "没有地方住", "没地方睡", "잘 곳이 없", "갈 곳이 없",
    "không có chỗ ở", "không có chỗ ngủ", "não tenho onde dormir", "não tenho onde morar", "na rua",
])
_EVICTION = _pattern([
    "追い出され", "追い出す", "追い出さ", "おいだされ", "出て行け", "出ていけ", "出てけ", "出て行って",
    "出ていって", "出ていか", "出て行か", "立ち退き", "立ちのき", "たちのき", "強制退去", "退去しろ", "明け渡し",
    "evicted", "eviction", "kicked out", "kick me out", "throwing me out", "thrown out",
    "被赶出", "赶出来", "赶我走", "쫓겨나", "쫓겨났", "나가라", "bị đuổi", "đuổi ra",
    "despejado", "despejada", "despejo", "me expulsou", "expulso", "expulsa",
])
_TODAY = _pattern([
    "今日", "きょう", "今夜", "こんや", "今晩", "こんばん", "今すぐ", "いますぐ", "今から", "いまから", "明日",
    "あした", "もう", "いま", "今", "さっき",
    "today", "tonight", "right now", "now", "tomorrow", "immediately",
    "今天", "今晚", "马上", "现在", "明天", "오늘", "지금", "당장", "내일", "hôm nay", "tối nay", "ngay",
    "bây giờ", "hoje", "agora", "amanhã", "esta noite",
])
_DISASTER = _pattern([
    "浸水", "冠水", "水浸し", "みずびたし", "水につか", "水に浸か", "床上", "床下", "水が入って", "水が入ってき",
    "川があふれ", "川が溢れ", "氾濫", "はんらん", "決壊", "土砂崩れ", "土砂くずれ", "がけ崩れ", "崖崩れ",
    "がけくずれ", "土石流", "津波", "つなみ", "高潮", "火事", "かじ", "火災", "燃えて", "もえて", "煙が",
    "けむりが", "山火事", "地震", "揺れ", "倒壊", "閉じ込められ", "とじこめられ", "生き埋め", "逃げ遅れ",
    "孤立", "土砂", "流れてき", "避難指示", "緊急安全確保", "流され", "ガス漏れ", "ガスのにおい", "ガスの臭い", "停電",
    "flood", "flooding", "flooded", "fire", "burning", "smoke", "landslide", "tsunami", "earthquake",
    "trapped", "power cut", "power outage", "blackout", "evacuate", "evacuation order",
    "着火", "火灾", "起火", "失火", "淹水", "洪水", "水灾", "地震", "海啸", "泥石流", "停电",
    "불이 났", "불났", "화재", "침수", "홍수", "지진", "쓰나미", "산사태", "정전",
    "cháy", "ngập", "lũ", "động đất", "sạt lở", "mất điện",
    "incêndio", "pegando fogo", "fogo", "enchente", "alagado", "alagando", "inundação", "inundado",
    "terremoto", "deslizamento", "sem luz",
])
_DISASTER_NOW = _pattern([
    "今", "いま", "現在", "している", "してる", "しとる", "しよる", "しちょる", "てる", "ている", "てきた",
    "始め", "はじめ", "もう", "逃げ", "にげ", "助けて", "たすけて", "間に合", "止まりそう", "止まる", "すぐ", "あと少し", "もうすぐ", "どうしたら",
    "急い", "避難したい", "避難する", "どこに行けば", "どこ行けば", "どこへ逃げ", "来てる", "きてる", "だ!",
    "now", "right now", "currently", "is on fire", "help", "hurry", "where should i go", "is coming",
    "现在", "正在", "马上", "快", "救命", "지금", "도와", "빨리", "bây giờ", "đang", "cứu", "agora", "socorro",
    "rápido", "está",
])
_DISASTER_STRONG = _pattern([
    "水浸し", "燃えてる", "燃えている", "燃えとる", "逃げ遅れ", "閉じ込められ", "生き埋め", "流されて",
    "火事です", "火事だ", "火事や", "火事!", "煙が出て", "煙が出てる", "水が入ってき", "避難指示が出",
    "is on fire", "house is on fire", "trapped", "being flooded", "water is coming in",
])
_DISASTER_NOT = _pattern([
    "ハザードマップ", "想定", "訓練", "備え", "備蓄", "保険", "証明", "り災", "罹災", "去年", "昨年", "前の",
    "以前", "補助", "報知器", "消火器", "予防", "対策", "防災無線", "防災メール", "講習", "登録", "点検",
    "hazard map", "drill", "insurance", "certificate", "last year", "prepare", "preparation", "alarm",
    "extinguisher", "训练", "地图", "훈련", "보험", "diễn tập", "bản đồ", "simulado", "mapa", "seguro",
])
_DISASTER_EXPLICIT_NOW = _pattern(["今", "いま", "現在", "right now", "now", "现在", "正在", "지금", "bây giờ",
                                   "đang", "agora"])
_HELP_HIDING = _pattern([
    "隠れて", "かくれて", "逃げてきた", "にげてきた", "逃げたい", "怖い", "こわい", "助けて", "たすけて",
    "hiding", "help me", "scared", "afraid", "救命", "救救", "害怕", "躲", "도와주", "무서", "숨어",
    "cứu tôi", "sợ", "socorro", "me ajuda", "medo", "escondida", "escondido",
])

_ASK_PERSON = _pattern([
    "人と話し", "人と話が", "人に話し", "人に相談", "人間と", "人間に", "人と直接", "職員と", "職員さん",
    "職員の方", "職員の人", "職員に", "担当者", "担当の人", "担当の方", "担当さん", "係の人", "係の方", "窓口の人", "窓口の方",
    "オペレーター", "かわって", "代わって", "替わって", "変わって", "つないで", "繋いで", "電話で話",
    "直接話", "直接相談", "ご相談させ", "相談させて", "相談したい", "話を聞いてほしい", "話を聞いて",
    "誰かと話", "だれかと話", "誰かに来て", "ひとと はなし", "ひとと話", "人と はなし", "ひとに かわ",
    "機械じゃなく", "ロボットじゃなく", "ボットじゃなく", "チャットじゃなく", "折り返し", "電話がほしい",
    "電話してほしい", "電話をください", "説明してくれる人",
    "talk to a person", "talk to someone", "talk to somebody", "talk to a human", "talk to staff",
    "talk to an agent", "talk to a real", "speak to a person", "speak to someone", "speak with someone",
    "speak to a human", "speak with a person", "speak to staff", "speak with staff", "real person", "human",
    "operator", "representative", "call me back", "someone from the office", "talk with someone",
    "转人工", "人工客服", "人工服务", "真人", "工作人员", "找人", "跟人说", "和人说", "客服",
    "상담원", "직원", "사람과", "사람하고", "사람이랑", "통화하고",
    "nhân viên", "người thật", "nói chuyện với", "gặp người",
    "falar com alguém", "falar com uma pessoa", "atendente", "funcionário", "pessoa de verdade",
    "falar com alguem",
])
_COMPLAINT = _pattern([
    "苦情", "クレーム", "文句", "納得いか", "納得でき", "納得がいか", "なっとくいか", "対応が悪", "態度が悪",
    "失礼", "ひどい対応", "ひどすぎ", "二度手間", "たらい回し", "何度も同じ", "前にも言った", "いい加減",
    "謝罪", "責任者", "上の人", "上司", "腹が立", "頭にくる", "ふざけ", "説明がない", "説明もない",
    "間違えられ", "まちがえられ", "訴え", "弁護士", "どうなってる", "どうなっとる", "改善してほしい",
    "なんとかしろ", "なんとかして", "何とかして",
    "complaint", "complain", "unacceptable", "rude", "terrible service", "manager", "supervisor",
    "投诉", "不满", "불만", "항의", "khiếu nại", "phàn nàn", "reclamação", "reclamar", "absurdo",
])
_INDIVIDUAL = _pattern([
    "差し押さえ", "差押", "さしおさえ", "督促", "滞納",
    "見に来て", "来てほしい", "来てもらえ", "来てください", "確認してほしい", "調べてほしい", "成年後見",
    "後見人", "審査に落ち", "却下", "不服", "異議", "間違った請求", "請求が間違", "二重に", "二重払い",
    "本人確認", "私の場合", "うちの場合", "わしの場合",
    "my case", "come and check", "come and look", "overdue", "garnish",
    "seize", "wrong bill", "charged twice",
    "交不起", "付不起", "내지 못", "낼 수 없", "không trả được", "não consigo pagar", "cobrança errada",
])
_NOT_UNDERSTOOD = _pattern([
    "わからない", "分からない", "わかりません", "分かりません", "ちがう", "違う", "違います", "ちがいます",
    "そうじゃない", "そうではない", "意味がわからない", "役に立たない", "だめだ", "使えない",
    "doesn't help", "not helpful", "wrong", "that's not it", "not what i asked", "i don't understand",
    "不对", "不是", "看不懂", "아니", "모르겠", "không phải", "không hiểu", "não entendi", "errado",
])


@dataclass(frozen=True)
class RuleHits:
    """What the explicit rules found in one utterance."""

    urgent_kinds: tuple[str, ...] = ()  # dv, child_abuse, elder_abuse, suicide, collapse, missing, eviction, disaster
    handoff_kinds: tuple[str, ...] = ()  # asks_person, complaint, individual_case
    not_understood: bool = False
    route_hints: tuple[RouteId, ...] = ()
    reasons: tuple[str, ...] = field(default=())

    @property
    def urgent(self) -> bool:
        return bool(self.urgent_kinds)

    @property
    def handoff(self) -> bool:
        return self.urgent or bool(self.handoff_kinds)


def apply_rules(folded: str) -> RuleHits:
    """Run every rule on ``folded`` (the output of :func:`normalise` on masked text)."""
    urgent: list[str] = []
    hints: list[RouteId] = []
    reasons: list[str] = []

    def hit(kind: str, route: RouteId, match: re.Match[str] | None) -> None:
        urgent.append(kind)
        hints.append(route)
        reasons.append(f"urgent:{kind} ({match.group(0).strip() if match else ''})")

    child = _CHILD.search(folded)
    elder = _ELDER.search(folded)
    if m := _ABUSE.search(folded):
        if child or not elder:
            hit("child_abuse", RouteId.CHILD_FAMILY, m)
        else:
            hit("elder_abuse", RouteId.ELDERLY_CARE, m)
    if (m := _VIOLENCE.search(folded)) and "child_abuse" not in urgent and "elder_abuse" not in urgent:
        if child and not re.search(normalise("夫|妻|彼氏|彼女|主人|旦那"), folded):
            hit("child_abuse", RouteId.CHILD_FAMILY, m)
        else:
            hit("dv", RouteId.LIVELIHOOD_SUPPORT, m)
    if (m := _SUICIDE.search(folded)) and not _SUICIDE_NOT.search(folded):
        hit("suicide", RouteId.HEALTH_CHECKUPS, m)
    collapse = _COLLAPSE.search(folded)
    if collapse and _COLLAPSE_NOT.search(folded):
        collapse = None
    if collapse is None and (fell := _FELL_DOWN.search(folded)) and not _FELL_NOT_PERSON.search(folded):
        collapse = fell
    if collapse:
        hit("collapse", RouteId.ELDERLY_CARE if elder else RouteId.HEALTH_CHECKUPS, collapse)
    missing = _MISSING_PERSON.search(folded)
    if missing and folded[missing.end() : missing.end() + 1] == "ら":  # 「いなくなったら」 is a worry about later
        missing = None
    if (m := missing) and (elder or child):
        hit("missing", RouteId.CHILD_FAMILY if child and not elder else RouteId.ELDERLY_CARE, m)
    eviction = _EVICTION_NOW.search(folded)
    if eviction is None and (m := _EVICTION.search(folded)) and _TODAY.search(folded):
        eviction = m
    if eviction:
        hit("eviction", RouteId.LIVELIHOOD_SUPPORT, eviction)
    if m := _DISASTER.search(folded):
        strong = _DISASTER_STRONG.search(folded)
        now = _DISASTER_NOW.search(folded)
        excluded = _DISASTER_NOT.search(folded) and not _DISASTER_EXPLICIT_NOW.search(folded)
        if (strong or now) and not excluded:
            hit("disaster", RouteId.DISASTER_SAFETY, strong or m)
    if not urgent and (m := _HELP_HIDING.search(folded)) and re.search(normalise("隠れ|かくれ|逃げ|にげ|hiding|escond"), folded):
        hit("dv", RouteId.LIVELIHOOD_SUPPORT, m)

    handoff: list[str] = []
    for kind, pattern in (("asks_person", _ASK_PERSON), ("complaint", _COMPLAINT), ("individual_case", _INDIVIDUAL)):
        if m := pattern.search(folded):
            handoff.append(kind)
            reasons.append(f"handoff:{kind} ({m.group(0).strip()})")
    return RuleHits(
        urgent_kinds=tuple(dict.fromkeys(urgent)),
        handoff_kinds=tuple(handoff),
        not_understood=bool(_NOT_UNDERSTOOD.search(folded)),
        route_hints=tuple(dict.fromkeys(hints)),
        reasons=tuple(reasons),
    )
