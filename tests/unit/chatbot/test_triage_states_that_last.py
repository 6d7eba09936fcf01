"""Session 12's danger-stage behaviours: Japanese polite negatives match the plain-form phrases (「電話に出ません」 is
「電話に出ない」, and 「起き上がれん」 in Kyushu dialect is 「起き上がれない」), a PAST word with its SINCE marker is a
duration for the concept table (「おとといから」), a state that lasts or is happening now asks (a child or a partner
short of breath, nothing to eat for days, no contact beside frightened words), and the name of a condition alone
("had a stroke") is no emergency while "is having a stroke" is."""

from __future__ import annotations

import pytest

from madoguchi.chatbot.lexicon import LexiconName, bundled_lexicon, dialect_negative, polite_negative
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.rules import RuleHits, apply_rules
from madoguchi.domain.privacy import mask_pii

LANGUAGES = ("ja", "easy-ja", "en", "zh", "ko", "vi", "pt", "tl", "ne")


def rules(text: str) -> RuleHits:
    return apply_rules(normalise(mask_pii(text).text))


def asks_or_urgent(hits: RuleHits) -> bool:
    return hits.urgent or (hits.weak_danger and not hits.past_event)


@pytest.mark.parametrize(
    ("plain", "polite"),
    [
        ("つながらない", "つながりません"),
        ("連絡がつかない", "連絡がつきません"),
        ("でんわに でない", "でんわに でません"),
        ("起き上がれない", "起き上がれません"),
        ("出てこない", "出てきません"),
        ("食べていない", "食べていません"),
        ("返事がない", "返事がありません"),
        ("ごはん が ない", "ごはん が ありません"),
        ("生きていたくない", "生きていたくありません"),
        ("だれも いない", "だれも いません"),
    ],
)
def test_a_plain_japanese_negative_has_its_polite_form(plain: str, polite: str) -> None:
    assert polite_negative(plain) == polite


@pytest.mark.parametrize("phrase", ["ない", "not answering", "電話しても", "no food"])
def test_a_phrase_that_is_no_japanese_negative_has_no_polite_form(phrase: str) -> None:
    assert polite_negative(phrase) is None


@pytest.mark.parametrize(
    ("plain", "dialect"),
    [
        ("起き上がれない", "起き上がれん"),
        ("つながらない", "つながらん"),
        ("動けない", "動けん"),
        ("うごけない", "うごけん"),
        ("電話にでない", "電話にでん"),
        ("いない", None),  # 「いん」 is inside every 「〜いんです」
        ("でない", None),
        ("食べていない", None),  # 関西弁 「食べてん」 is "I ate"
        ("返事がない", None),
        ("生きていたくない", None),
    ],
)
def test_a_plain_japanese_negative_has_its_western_dialect_form(plain: str, dialect: str | None) -> None:
    assert dialect_negative(plain) == dialect


def test_a_grandmother_who_cannot_get_up_said_in_kyushu_dialect_is_urgent() -> None:
    hits = rules("ばあちゃんが 台所で 起き上がれんごとなっとる")
    assert hits.urgent, hits.reasons


def test_the_lists_match_the_polite_form_of_their_phrases() -> None:
    lexicon = bundled_lexicon()
    assert lexicon.search(LexiconName.NO_CONTACT, normalise("母が電話に出ません"))
    assert lexicon.search(LexiconName.NO_CONTACT, normalise("おじと連絡がつきません"))
    assert lexicon.search(LexiconName.CANNOT_MOVE, normalise("父が起き上がれません"))
    assert not lexicon.search(LexiconName.NO_CONTACT, normalise("電話番号を変えたいです"))


def test_an_uncle_alone_unreachable_for_two_days_said_politely_is_asked() -> None:
    hits = rules("一人暮らしのおじに携帯も家の電話もおとといからつながりません。鍵を開けてもらえますか")
    assert asks_or_urgent(hits), hits.reasons


def test_a_past_word_with_its_since_marker_is_a_duration() -> None:
    lexicon = bundled_lexicon()
    assert lexicon.tells_how_long(normalise("おとといから 電話に でない"))
    assert lexicon.hits(LexiconName.DURATION, normalise("おとといから 電話に でない"))
    assert not lexicon.tells_how_long(normalise("おとといの 大雨で 道が こわれた"))
    assert not lexicon.hits(LexiconName.DURATION, normalise("先週 電話した"))


# A child whose body is in trouble: the danger question at least (like an old person's, session 5).
CHILD_UNWELL = {
    "ja": "息子が息苦しそうにしています",
    "easy-ja": "こども が ぐったり して います",
    "en": "My son is short of breath",
    "zh": "我儿子呼吸困难",
    "ko": "아들이 숨쉬기 힘들어해요",
    "vi": "Con trai tôi khó thở",
    "pt": "Meu filho está com falta de ar",
    "tl": "Ang anak ko ay hirap huminga",
    "ne": "मेरो छोरालाई सास फेर्न गाह्रो भइरहेको छ",
}
# Someone unwell now (the partner is neither a child nor an old person).
UNWELL_NOW = {
    "ja": "夫が今、胸が痛いと言っています",
    "easy-ja": "おっと が いま むね が いたい と いって います",
    "en": "My husband has chest pain right now",
    "zh": "我老公现在胸口痛",
    "ko": "남편이 지금 가슴이 아프대요",
    "vi": "Chồng tôi bây giờ đau ngực",
    "pt": "Meu marido está com dor no peito agora",
    "tl": "Masakit ang dibdib ng asawa ko ngayon",
    "ne": "मेरो श्रीमानको अहिले छाती दुखिरहेको छ",
}
# Nothing to eat for days.
NO_FOOD_FOR_DAYS = {
    "ja": "もう三日も食べるものがありません",
    "easy-ja": "みっか も たべもの が ありません",
    "en": "We have had nothing to eat for three days",
    "zh": "我们好几天没吃东西了",
    "ko": "며칠째 아무것도 못 먹었어요",
    "vi": "Mấy ngày nay chúng tôi không có gì để ăn",
    "pt": "Estamos sem comida há dias",
    "tl": "Ilang araw na kaming walang makain",
    "ne": "धेरै दिनदेखि खाना छैन",
}
# An ordinary question with a child or food word and no state that lasts: no danger signal.
CALM = {
    "ja": "子どもの予防接種の予約をしたいです",
    "easy-ja": "こども の よぼうせっしゅ の よやく を したい です",
    "en": "How do I apply for school lunch support for my son?",
    "zh": "孩子的疫苗接种怎么预约",
    "ko": "아이 예방접종 예약은 어떻게 하나요",
    "vi": "Làm sao đặt lịch tiêm chủng cho con tôi",
    "pt": "Como marco a vacina do meu filho?",
    "tl": "Paano magpa-schedule ng bakuna ng anak ko?",
    "ne": "छोराको खोपको समय कसरी लिने?",
}


def test_every_set_covers_every_language() -> None:
    for table in (CHILD_UNWELL, UNWELL_NOW, NO_FOOD_FOR_DAYS, CALM):
        assert set(table) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_child_short_of_breath_is_asked_at_least(language: str) -> None:
    hits = rules(CHILD_UNWELL[language])
    assert asks_or_urgent(hits), hits.reasons


@pytest.mark.parametrize("language", LANGUAGES)
def test_someone_unwell_now_is_asked_at_least(language: str) -> None:
    hits = rules(UNWELL_NOW[language])
    assert asks_or_urgent(hits), hits.reasons


@pytest.mark.parametrize("language", LANGUAGES)
def test_nothing_to_eat_for_days_is_asked_at_least(language: str) -> None:
    hits = rules(NO_FOOD_FOR_DAYS[language])
    assert asks_or_urgent(hits), hits.reasons


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_ordinary_question_about_a_child_has_no_danger_signal(language: str) -> None:
    hits = rules(CALM[language])
    assert not hits.urgent and not hits.weak_danger, hits.reasons


def test_no_contact_beside_hopeless_or_frightened_words_is_asked() -> None:
    assert asks_or_urgent(rules("我妹妹说她很害怕，现在联系不上了"))
    assert asks_or_urgent(rules("妹が こわいって 言ってたのに、電話に出ません"))


def test_a_stroke_that_is_over_is_no_emergency_but_one_happening_is() -> None:
    assert not rules("My father had a stroke two years ago. What care services can he use?").urgent
    assert not rules("Is there rehabilitation support after a stroke?").urgent
    assert "collapse" in rules("I think my dad is having a stroke, his face is drooping").urgent_kinds
    assert "collapse" in rules("My daughter is having a seizure").urgent_kinds
