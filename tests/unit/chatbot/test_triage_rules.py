"""Safety and handoff rules: urgent positives in every language, and ordinary questions that share words."""

from __future__ import annotations

import pytest

from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.rules import apply_rules
from madoguchi.domain.privacy import mask_pii
from madoguchi.domain.routes import RouteId


def rules(text: str):  # type: ignore[no-untyped-def]
    return apply_rules(normalise(mask_pii(text).text))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("夫に殴られています。今家から逃げてきました", "dv"),
        ("彼氏から暴力ふるわれてる", "dv"),
        ("DVを受けています", "dv"),
        ("My husband hits me", "dv"),
        ("男朋友打我", "dv"),
        ("남편이 때려요", "dv"),
        ("Chồng tôi đánh tôi", "dv"),
        ("Meu marido me bate", "dv"),
        ("隣の家で子どもが虐待されてるみたい", "child_abuse"),
        ("娘が父親に殴られてアザがある", "child_abuse"),
        ("もう死にたい", "suicide"),
        ("しにたい", "suicide"),
        ("消えたい", "suicide"),
        ("生きてるのがつらい、いなくなりたい", "suicide"),
        ("I want to kill myself", "suicide"),
        ("我不想活了", "suicide"),
        ("죽고 싶어요", "suicide"),
        ("Tôi muốn chết", "suicide"),
        ("Quero morrer", "suicide"),
        ("祖母が倒れた", "collapse"),
        ("父の意識がない", "collapse"),
        ("おじいさんが息してない", "collapse"),
        ("My neighbour collapsed", "collapse"),
        ("奶奶晕倒了", "collapse"),
        ("할머니가 쓰러졌어요", "collapse"),
        ("Minha mãe desmaiou", "collapse"),
        ("大家に今日追い出される", "eviction"),
        ("立ち退きが今日なんです", "eviction"),
        ("今夜寝るところがない", "eviction"),
        ("I was evicted today and have nowhere to sleep", "eviction"),
        ("I have been sleeping on the street since Monday", "eviction"),
        ("Estou dormindo na rua com meus filhos", "eviction"),
        ("川があふれて家に水が入ってきてる", "disaster"),
        ("隣が火事です！", "disaster"),
        ("いま浸水してる", "disaster"),
        ("The street is flooding right now", "disaster"),
        ("Minha casa está alagando agora", "disaster"),
        ("認知症の父が朝から帰ってこない", "missing"),
    ],
)
def test_urgent_positives(text: str, kind: str) -> None:
    hits = rules(text)
    assert hits.urgent, text
    assert hits.handoff
    assert kind in hits.urgent_kinds, (text, hits.urgent_kinds)


@pytest.mark.parametrize(
    "text",
    [
        "死亡届はどこに出しますか",
        "父が亡くなりました。手続きを教えて",
        "浸水想定区域か知りたい",
        "ハザードマップで浸水するか見たい",
        "防災訓練はいつですか",
        "火災報知器の補助はありますか",
        "去年の台風で床上浸水した、り災証明はもらえる？",
        "道路に木が倒れて通れない",
        "ブロック塀が倒れそうで心配",
        "障害年金の申請",
        "自殺対策の講演会はいつですか",
        "救急医療情報キットがほしい",
        "人工透析の医療費助成",
        "自分がいなくなったら息子はどうなるのか心配",
        "fire drill schedule",
        "家賃の補助はありますか",
        "住民票がほしい",
        "There's a big pothole on the street",
        "The street light on the street is broken",
        "Buraco na rua, a quem aviso?",
    ],
)
def test_ordinary_questions_are_not_urgent(text: str) -> None:
    hits = rules(text)
    assert not hits.urgent, (text, hits.reasons)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("人と話したい", "asks_person"),
        ("オペレーターにかわって", "asks_person"),
        ("担当の方と直接お話しできますか", "asks_person"),
        ("Can I talk to a real person?", "asks_person"),
        ("我想跟工作人员说话", "asks_person"),
        ("상담원과 이야기하고 싶어요", "asks_person"),
        ("Tôi muốn nói chuyện với nhân viên", "asks_person"),
        ("Posso falar com uma pessoa?", "asks_person"),
        ("窓口の対応がひどすぎる、苦情を言いたい", "complaint"),
        ("たらい回しにされた", "complaint"),
        ("差し押さえの通知が来た", "individual_case"),
        ("不法投棄を見に来てほしい", "individual_case"),
    ],
)
def test_handoff_positives(text: str, kind: str) -> None:
    hits = rules(text)
    assert hits.handoff and not hits.urgent
    assert kind in hits.handoff_kinds


@pytest.mark.parametrize(
    "text", ["住民票がほしい", "ごみの日はいつ", "禁煙の相談にのってもらえるところある？", "How do I pay tax?"]
)
def test_ordinary_questions_are_not_handed_off(text: str) -> None:
    assert not rules(text).handoff


def test_route_hints_follow_the_kind() -> None:
    assert rules("子どもが叩かれている").route_hints[0] == RouteId.CHILD_FAMILY
    assert rules("夫に殴られた").route_hints[0] == RouteId.LIVELIHOOD_SUPPORT
    assert rules("川が氾濫して家が浸水してる").route_hints[0] == RouteId.DISASTER_SAFETY
    assert rules("一人暮らしの祖母が倒れてる").route_hints[0] == RouteId.ELDERLY_CARE


def test_not_understood_is_noticed() -> None:
    assert rules("ちがう、そうじゃない").not_understood
    assert not rules("住民票がほしい").not_understood


@pytest.mark.parametrize(
    ("text", "row"),
    [
        ("Hindi nagrereply si tatay, mag-isa lang siya", "no_contact+elder"),
        ("아이들이 며칠째 혼자 집에 있어요", "child+alone+duration"),
        ("Bà tôi sống một mình, không đi được", "alone+cannot_move"),
        ("男朋友喝醉了就吵架，我很害怕", "fear+partner"),
        ("हजुरबुबाको जवाफ छैन", "no_contact+elder"),
        ("Nanghihina at nagsusuka si lola", "unwell+elder"),
        # session 13: someone alone for a stretch of time, an old person in the heat
        ("My uncle has been alone in his flat for days", "alone+duration"),
        ("Ang tito ko mag-isa na sa bahay nang ilang araw", "alone+duration"),
        ("Grandma has no air conditioning and it is a heat wave", "elder+heat"),
        ("Bà tôi ở nhà không có điều hòa, trời nóng 38 độ", "elder+heat"),
    ],
)
def test_danger_concepts_together_ask_the_question(text: str, row: str) -> None:
    """Cue lists that together mean "someone may be in danger now" make the bot ask, in any language."""
    hits = rules(text)
    assert hits.weak_danger and not hits.urgent
    assert f"safety:concepts ({row})" in hits.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Bà tôi sống một mình, không đi được, tuần trước đã sửa mái nhà",  # past
        "아이들이 며칠째 혼자 집에 있을 경우에 어떻게 해요",  # planning
        "Which evacuation center is nearest to my house?",  # one cue only
        "How do we prepare in case grandma has no air conditioning in a heat wave?",  # planning
        "祖母の介護保険の申請をしたい",
    ],
)
def test_calm_lines_with_danger_words_do_not_ask(text: str) -> None:
    hits = rules(text)
    assert not hits.weak_danger and not hits.urgent


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("先週の火事で家が半分焼けて、今は親戚の家にいます", "ask"),  # an event told in the past: ask
        ("Last year I had a DV restriction on my address; how do I renew it?", "ask"),
        ("Tuần trước ông tôi đi lạc, may mà đã tìm thấy rồi. Có cách nào phòng lần sau?", "calm"),  # found
        ("I fainted at work last month but the doctor said it was fine", "calm"),
        ("みち の き たおれた けが なし", "calm"),  # a fallen thing, nobody hurt
        ("昨日の晩から川が氾濫しています", "urgent"),  # a PAST word with a SINCE marker is a duration
        ("祖母が先週から倒れたまま動けない", "urgent"),
        ("先週から夫に殴られています", "urgent"),
        ("先月死にたいと思って薬を飲んだ", "urgent"),  # suicide keeps its verdict in the past tense
    ],
)
def test_an_event_told_in_the_past_is_asked_about_not_urgent(text: str, verdict: str) -> None:
    hits = rules(text)
    got = "urgent" if hits.urgent else "ask" if hits.weak_danger else "calm"
    assert got == verdict, hits.reasons
    if verdict != "urgent":
        assert not hits.route_hints


@pytest.mark.parametrize(
    "text",
    [
        "माइनम्बर कार्ड हराएँ, फेरि बनाउन कहाँ जाने?",  # हराउनु: a person went missing, or a thing was lost
        "मेरो पर्स हरायो",
        "Nawawala ang wallet ko kahapon sa bus",
        "I can't find my residence card anywhere",
        "財布が見つからない",
        "meu cartão do banco sumiu",
        "うちの猫が帰ってこない",
    ],
)
def test_a_lost_thing_is_no_missing_person(text: str) -> None:
    hits = rules(text)
    assert not hits.urgent and not hits.weak_danger


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("हजुरआमा बिहानदेखि हराउनुभयो", True),  # the honorific form of "went missing"
        ("Nawawala ang lola ko", True),
        ("meu pai sumiu", True),
        ("子どもの自転車が見つからない", False),  # a child and a lost thing: the question, not urgent at once
    ],
)
def test_a_missing_person_stays_a_danger_signal(text: str, urgent: bool) -> None:
    hits = rules(text)
    assert hits.urgent == urgent and (hits.urgent or hits.weak_danger)


@pytest.mark.parametrize(
    "text",
    [
        "急ぎではないのですが、母が倒れて起きません",
        "Not urgent, but my grandmother collapsed and is not waking up",
    ],
)
def test_a_general_question_phrase_lowers_an_event_to_the_danger_question_at_most(text: str) -> None:
    hits = rules(text)
    assert not hits.urgent
    assert hits.weak_danger and not hits.past_event  # asked, unless the danger score makes it urgent; never calm


def test_a_finished_event_leaves_the_verdict_to_the_learned_score() -> None:
    hits = rules(
        "My dad wandered off last winter and the police found him. Is there a GPS tag for people with dementia?"
    )
    assert not hits.urgent
    assert not hits.weak_danger or hits.past_event


@pytest.mark.parametrize(
    "text",
    [
        "not urgent, my partner beats me. how to apply for child allowance alone?",
        "not urgent, but my husband hits me every night",
        "not urgent, my neighbour's child is beaten by his father every night",
        "Hindi urgent, pero sinasaktan ako ng asawa ko",
        "急ぎではないのですが、虐待の相談はどこにすればいいですか",
        "General question: if someone was being abused by their partner, what hotline would the town recommend?",
    ],
)
def test_violence_and_abuse_stay_urgent_however_softened(text: str) -> None:
    assert rules(text).urgent  # the review of session 10: 'not urgent' had cleared DV to a plain answer


def test_not_an_emergency_said_with_fear_or_an_injury_stays_urgent() -> None:
    assert rules("It's not an emergency but my husband hit me again and I'm scared").urgent
    assert rules("急ぎではないけど、夫に殴られて血が出ている").urgent
    assert rules("急ぎではないけど、もう死にたい").urgent  # suicidal words keep their verdict, said calmly too
