"""Session 11's lexicon kinds, in every language: indirect farewells, dangers in the home, heat with someone
unwell, and the mirror images of danger words (figures of speech, someone else's story). Each kind has a hit and
a near miss per language; the near misses are the ordinary questions that share the words (a gas bill, a move
abroad after "thanks for everything", an air-conditioner subsidy)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from madoguchi.chatbot.engine import EngineConfig, TriageEngine
from madoguchi.chatbot.knowledge import KnowledgeBase
from madoguchi.chatbot.model import FlagModel, ModelConfig, fold_for_model, train
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.rules import RuleHits, apply_rules
from madoguchi.domain.privacy import mask_pii
from tests.unit.chatbot.test_triage_safety import synthetic_corpus


def rules(text: str) -> RuleHits:
    return apply_rules(normalise(mask_pii(text).text))


def verdict(hits: RuleHits) -> str:
    if hits.urgent:
        return "urgent"
    if hits.past_event:
        return "model"  # asked only if the learned danger score reaches the question
    return "ask" if hits.weak_danger else "calm"


# An indirect farewell: alone it asks the danger question.
FAREWELL = {
    "ja": "今まで本当にありがとう。猫をよろしくお願いします",
    "easy-ja": "いままで ありがとう。 ねこ を よろしく",
    "en": "Thank you for everything. Please look after my cat.",
    "zh": "谢谢你们这么多年的照顾，帮我照顾好我的猫",
    "ko": "그동안 고마웠어요. 고양이 잘 부탁해요",
    "vi": "Cảm ơn mọi người vì tất cả. Nhờ chăm sóc giúp con mèo",
    "pt": "Obrigada por tudo. Cuidem do meu gato",
    "tl": "Salamat sa lahat. Alagaan niyo si mingming",
    "ne": "सबै कुराको लागि धन्यवाद। मेरो बिरालो हेरिदिनुहोला",
}
# ... followed by silence, or said by someone hopeless: suicidal, urgent at once.
FAREWELL_SILENT = {
    "ja": "友だちから「今までありがとう」と来て、それから電話に出ない",
    "easy-ja": "ともだち から 「いままで ありがとう」 と きました。 でんわ に でない",
    "en": "My friend said thanks for everything and now she is not answering",
    "zh": "室友发微信说对不起大家，然后就联系不上了",
    "ko": "친구가 그동안 고마웠다고 보내고 전화를 안 받아요",
    "vi": "Bạn em nhắn cảm ơn vì tất cả rồi không nghe máy",
    "pt": "Meu amigo mandou obrigado por tudo e não atende mais",
    "tl": "Nag-message ang kaibigan ko ng salamat sa lahat, tapos hindi na sumasagot",
    "ne": "साथीले सबैलाई धन्यवाद भन्यो, अहिले फोन उठाउँदैन",
}
# A farewell that is a move: no danger signal.
FAREWELL_MOVE = {
    "ja": "今までありがとう。来月帰国するので年金の手続きを教えてください",
    "easy-ja": "いままで ありがとう。 らいげつ きこく します。 ねんきん の てつづき は？",
    "en": "Thanks for everything, I'm moving out next month, how do I close my water account?",
    "zh": "这些年谢谢大家，我下个月回国，养老金怎么办",
    "ko": "그동안 감사했습니다. 다음 달에 귀국해서 연금 문의드려요",
    "vi": "Cảm ơn vì tất cả, tháng sau em về nước, hỏi về tiền lương hưu",
    "pt": "Obrigado por tudo, vou voltar pro Brasil mês que vem, como faço o dakkai",
    "tl": "Salamat sa lahat, uuwi na sa Pilipinas next month, paano ang pension",
    "ne": "सबैलाई धन्यवाद, अर्को महिना नेपाल फर्किँदैछु, पेन्सन कसरी",
}
# A gas smell with a headache (someone unwell): urgent at once.
GAS = {
    "ja": "台所でガスのにおいがして頭が痛い",
    "easy-ja": "だいどころ で ガス の におい が します。 あたま が いたい",
    "en": "I smell gas in the kitchen and have a headache",
    "zh": "厨房里有煤气味，头疼恶心",
    "ko": "부엌에서 가스 냄새가 나고 머리가 아파요",
    "vi": "Trong bếp có mùi gas, đau đầu buồn nôn",
    "pt": "Tem cheiro de gás na cozinha e estou com dor de cabeça",
    "tl": "Amoy gas sa kusina at masakit ang ulo ko",
    "ne": "भान्सामा ग्याँसको गन्ध आउँछ, टाउको दुख्यो",
}
# Charcoal, a stove or a carbon monoxide alarm in a closed room: asked about at least (urgent with someone
# unwell, unreachable or unable to get out).
CLOSED_ROOM = {
    "ja": "閉め切った部屋でストーブをつけていて、家族がふらふらしている",
    "easy-ja": "へや で すみ を もやして います",
    "en": "The CO alarm is going off in our apartment",
    "zh": "房间里烧炭，门窗都关着",
    "ko": "방에서 번개탄 냄새가 나요",
    "vi": "Hàng xóm đốt than trong phòng kín",
    "pt": "Meu vizinho está queimando carvão no quarto fechado",
    "tl": "Nagsunog ng uling sa kwarto ang kapitbahay ko",
    "ne": "कोठामा कोइला बालेर सुतेका छन्",
}
# The gas bill: no danger.
GAS_BILL = {
    "ja": "ガス代の支払い方法を教えて",
    "easy-ja": "ガス の おかね は どこ で はらいますか",
    "en": "How do I pay the gas bill?",
    "zh": "燃气费怎么交",
    "ko": "가스 요금 납부 방법",
    "vi": "Cách trả tiền gas hàng tháng",
    "pt": "Como pagar a conta de gás?",
    "tl": "Paano magbayad ng bill sa gas?",
    "ne": "ग्याँसको बिल कसरी तिर्ने",
}
# A gas leak as a question about preparing: the learned score decides (never urgent by the rules).
GAS_PLANNING = {
    "ja": "もしガス漏れがあったらどこに連絡すればいいですか",
    "easy-ja": "もしも ガス もれ の とき は どう しますか",
    "en": "What should I do if I smell gas?",
    "zh": "如果有煤气泄漏，事先要准备什么",
    "ko": "만약 가스 누출이 생기면 어떻게 대비해요",
    "vi": "Nếu có rò rỉ gas thì nên chuẩn bị gì",
    "pt": "Em caso de vazamento de gás, o que fazer?",
    "tl": "Kung sakaling may gas leak, ano ang paghahanda?",
    "ne": "यदि ग्याँस चुहावट भयो भने के तयारी गर्ने",
}
# Heat with an old person confused, or heat and someone unwell: asks.
HEAT = {
    "ja": "部屋にエアコンがなくて祖母がぼーっとして話が通じない",
    "easy-ja": "へや に エアコン が ない。 おばあさん が ぼーっと して いる",
    "en": "No air conditioning and my grandma seems confused and hot",
    "zh": "没有空调，奶奶神志不清",
    "ko": "에어컨이 없어서 할머니가 횡설수설해요",
    "vi": "Không có điều hòa, bà tôi lú lẫn",
    "pt": "Sem ar condicionado e minha avó ficou confusa",
    "tl": "Walang aircon at wala sa sarili si lola",
    "ne": "एसी छैन, हजुरआमा अलमलिएको",
}
# An air-conditioner question: no danger.
HEAT_SUBSIDY = {
    "ja": "エアコンがない家への補助はありますか",
    "easy-ja": "エアコン を かう おかね の たすけ は ありますか",
    "en": "Is there a subsidy for an air conditioner?",
    "zh": "有没有空调补贴",
    "ko": "에어컨 보조금이 있나요",
    "vi": "Có hỗ trợ mua điều hòa không",
    "pt": "Tem ajuda para comprar ar condicionado?",
    "tl": "May tulong ba para sa aircon?",
    "ne": "एसी किन्न सहयोग छ?",
}
# A figure of speech: a calm context (a learned "urgent" asks instead), no danger signal of its own.
IDIOM = {
    "ja": "仕事が死ぬほど忙しくて役場に行けない。オンラインで申請できますか",
    "easy-ja": "しごと が しぬほど いそがしい。 どようび に いけますか",
    "en": "This heat is killing me lol, when is the pool open?",
    "zh": "累死了，周末可以办手续吗",
    "ko": "피곤해 죽겠어요 주말에 서류 뗄 수 있나요",
    "vi": "Mệt chết đi được, cuối tuần có làm giấy tờ được không",
    "pt": "Tô morta de cansaço, dá pra fazer no sábado?",
    "tl": "Mamamatay na ako sa pagod lol, bukas ba ang munisipyo sa sabado",
    "ne": "हाँसेर मरें, शनिबार कार्यालय खुल्छ?",
}
# Someone else's story (the news, a film, a dream): a calm context too.
STORY = {
    "ja": "ニュースで川があふれたのを見ました。町はどうやって知らせますか",
    "easy-ja": "ゆめ で じしん が ありました。 ひなんじょ は どこ ですか",
    "en": "I saw on the news a house flooded, how does the town warn people?",
    "zh": "新闻上说有地方发洪水，我们町怎么通知",
    "ko": "뉴스에서 홍수를 봤는데 우리 町은 어떻게 알려 줘요",
    "vi": "Xem tin tức thấy lũ lụt, thị trấn mình báo thế nào",
    "pt": "Vi no jornal uma enchente, como a prefeitura avisa?",
    "tl": "Nakita ko sa balita ang baha, paano nagbababala ang bayan?",
    "ne": "समाचारमा बाढी देखें, नगरले कसरी खबर गर्छ?",
}
# The same words without the figure of speech or the story: no calm context.
PLAIN = {
    "ja": "仕事が忙しくて役場に行けない。オンラインで申請できますか",
    "easy-ja": "しごと が いそがしい。 どようび に いけますか",
    "en": "When is the pool open?",
    "zh": "周末可以办手续吗",
    "ko": "주말에 서류 뗄 수 있나요",
    "vi": "Cuối tuần có làm giấy tờ được không",
    "pt": "Dá pra fazer no sábado?",
    "tl": "Bukas ba ang munisipyo sa sabado",
    "ne": "शनिबार कार्यालय खुल्छ?",
}
LANGUAGES = sorted(FAREWELL)


def test_every_set_covers_every_language() -> None:
    sets = (FAREWELL, FAREWELL_SILENT, FAREWELL_MOVE, GAS, CLOSED_ROOM, GAS_BILL, GAS_PLANNING, HEAT, HEAT_SUBSIDY)
    for table in (*sets, IDIOM, STORY, PLAIN):
        assert set(table) == {"ja", "easy-ja", "en", "zh", "ko", "vi", "pt", "tl", "ne"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_indirect_farewell_asks_the_danger_question(language: str) -> None:
    hits = rules(FAREWELL[language])
    assert verdict(hits) == "ask", hits.reasons
    assert hits.reasons[0].startswith("safety:farewell")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_farewell_followed_by_silence_is_urgent(language: str) -> None:
    hits = rules(FAREWELL_SILENT[language])
    assert hits.urgent_kinds[:1] == ("suicide",), hits.reasons


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_farewell_before_a_move_is_no_danger(language: str) -> None:
    hits = rules(FAREWELL_MOVE[language])
    assert verdict(hits) == "calm", hits.reasons


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_gas_smell_is_urgent(language: str) -> None:
    hits = rules(GAS[language])
    assert "household" in hits.urgent_kinds, hits.reasons


@pytest.mark.parametrize("language", LANGUAGES)
def test_charcoal_a_stove_or_a_co_alarm_in_a_closed_room_is_caught(language: str) -> None:
    hits = rules(CLOSED_ROOM[language])
    assert verdict(hits) in ("urgent", "ask"), hits.reasons


def test_a_household_danger_alone_asks_and_with_someone_in_trouble_is_urgent() -> None:
    assert verdict(rules("I smell gas in the kitchen")) == "ask"
    assert verdict(rules("The CO alarm is going off in our apartment")) == "ask"
    assert rules("My grandmother lives alone and her flat smells of gas, she does not answer").urgent
    assert verdict(rules("The gas company fixed the leak, who pays?")) == "calm"  # over: no signal of its own


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_gas_bill_is_no_danger(language: str) -> None:
    hits = rules(GAS_BILL[language])
    assert verdict(hits) == "calm", hits.reasons


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_gas_leak_asked_about_in_advance_is_left_to_the_learned_score(language: str) -> None:
    hits = rules(GAS_PLANNING[language])
    assert verdict(hits) == "model", hits.reasons
    assert hits.calm_context


def test_a_gas_leak_told_in_the_past_is_asked_about_at_most() -> None:
    hits = rules("先週ガス漏れがあって修理しました。費用の補助はありますか")
    assert verdict(hits) == "model" and hits.calm_context


def test_a_gas_leak_asked_about_in_advance_but_with_a_headache_now_is_urgent() -> None:
    assert rules("もしかしてガス漏れ？頭が痛くて吐き気がする").urgent


@pytest.mark.parametrize("language", LANGUAGES)
def test_heat_with_someone_confused_asks(language: str) -> None:
    hits = rules(HEAT[language])
    assert verdict(hits) == "ask", hits.reasons


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_air_conditioner_question_is_no_danger(language: str) -> None:
    hits = rules(HEAT_SUBSIDY[language])
    assert verdict(hits) == "calm", hits.reasons


def test_heat_and_an_unwell_body_ask_even_without_an_old_person() -> None:
    hits = rules("エアコンが壊れて、夫が吐いている")
    assert verdict(hits) == "ask" and "safety:concepts (heat+unwell)" in hits.reasons, hits.reasons


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_figure_of_speech_is_a_calm_context(language: str) -> None:
    hits = rules(IDIOM[language])
    assert verdict(hits) == "calm" and hits.calm_context, hits.reasons
    assert not rules(PLAIN[language]).calm_context


@pytest.mark.parametrize("language", LANGUAGES)
def test_someone_elses_story_is_a_calm_context(language: str) -> None:
    hits = rules(STORY[language])
    assert not hits.urgent and hits.calm_context, hits.reasons


def test_a_danger_word_inside_a_figure_of_speech_asks_at_most() -> None:
    hits = rules("My boss will kill me if I miss the deadline, what time does the tax office close?")
    assert not hits.urgent and hits.weak_danger and hits.reasons[0].startswith("safety:idiom")


def test_a_figure_of_speech_elsewhere_in_the_line_clears_nothing() -> None:
    hits = rules("lol my husband hits me every night")  # the danger word is not inside the figure of speech
    assert hits.urgent_kinds == ("dv",)
    assert rules("仕事が死ぬほど忙しい。もう死にたい").urgent_kinds == ("suicide",)


def test_a_learned_urgent_score_beside_a_story_or_the_past_asks_instead(tiny_kb: KnowledgeBase) -> None:
    """The learned danger score cannot tell "the river is at the door" from "on the news the river was at the
    door": beside a calm context (past, plan, story, figure of speech) its "urgent at once" becomes the question;
    the same line without it stays urgent, and a rule's own verdict is untouched."""
    model = train(synthetic_corpus(), tiny_kb, ModelConfig(folds=3))
    assert model.urgent is not None
    lines = {
        "川の水が家の前まで来たよ": "urgent",
        "ニュースで見たけど、川の水が家の前まで来たよ": "ask",
        "先週、川の水が家の前まで来たよ": "ask",
    }
    for text, expected in lines.items():
        score = model.urgent.score(model.features(fold_for_model(text)))
        scorer = FlagModel(model.urgent.classifier, score - 1, score - 0.5)  # far above "urgent at once"
        engine = TriageEngine(tiny_kb, model=replace(model, urgent=scorer))
        result = engine.triage(text)
        got = "urgent" if result.urgent else "ask" if result.safety_check else "none"
        assert got == expected, (text, result.reasons)
        off = TriageEngine(tiny_kb, EngineConfig(calm_context_asks=False), model=replace(model, urgent=scorer))
        assert off.triage(text).urgent  # the switch the benchmark measures both ways with
    scorer = FlagModel(model.urgent.classifier, 9.0, 10.0)  # the model quiet: the rules alone
    engine = TriageEngine(tiny_kb, model=replace(model, urgent=scorer))
    assert engine.triage("ニュースで見たけど、夫に殴られている").urgent  # violence keeps its verdict


@pytest.mark.parametrize(
    "text",
    [
        "nóng muốn chết luôn á, ký túc xá không có điều hòa",  # "hot enough to die": asked, never cleared
        "Got a letter in red and I nearly had a heart attack. How do I return it?",
    ],
)
def test_a_figure_of_speech_around_a_danger_word_lowers_it_to_the_question(text: str) -> None:
    hits = rules(text)
    assert verdict(hits) == "ask" and hits.reasons[0].startswith("safety:idiom"), hits.reasons


def test_the_plain_danger_word_outside_the_figure_of_speech_stays_urgent() -> None:
    assert rules("Tôi muốn chết").urgent_kinds == ("suicide",)
    assert rules("My father had a heart attack").urgent_kinds == ("collapse",)


def test_a_stalker_is_not_a_bus_or_a_service() -> None:
    # ストーカー folds to すとか, which 「バスとか」「サービスとか」 contain: the list names the stalking itself
    assert verdict(rules("あの精神の手帳持ってたらバスとか安くなるんやったっけ")) == "calm"
    assert verdict(rules("これから使えるサービスとか知りたい")) == "calm"
    assert rules("元彼にストーカーされています").urgent_kinds == ("dv",)
