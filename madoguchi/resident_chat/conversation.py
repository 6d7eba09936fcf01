"""A resident's conversation: the bot first, then a person, in one consultation and one transcript.

The pure :class:`~madoguchi.chatbot.engine.TriageEngine` decides; this module carries the decision out through
the counter service. Resident text is masked before anything else sees it, so only the masked form is stored,
shown, queued or sent to an LLM.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pydantic import JsonValue

from madoguchi.chatbot.engine import BookingOffer, TriageEngine, TriageResult, Turn
from madoguchi.chatbot.knowledge import KbEntry
from madoguchi.chatbot.llm import Triage
from madoguchi.chatbot.normalise import answer_language as page_or_written
from madoguchi.chatbot.normalise import detect_language
from madoguchi.domain.languages import fallback_chain
from madoguchi.domain.routes import FALLBACK_ROUTE, ROUTE_IDS, RouteId
from madoguchi.signaling.booth_socket import BoothQuestion
from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import CounterError
from madoguchi.signaling.masking_work import MaskingWork, mask_line
from madoguchi.signaling.service import CounterService
from madoguchi.storage.records import ChatLine, ConsultationRecords

PHRASES: dict[str, dict[str, str]] = {
    "ja": {
        "clarify": "どの手続きのことでしょうか。近いものを選んでください。"
        "ちがう場合は、もう少しくわしく書いてください。",
        "handoff": "担当の職員におつなぎします。このまま少しお待ちください。",
        "emergency": "命や安全にかかわる場合は、すぐに 110（警察）か 119（救急・消防）に電話してください。",
        "urgent": "職員にもすぐにおつなぎします。",
        "handoff_nobody": "いま、お答えできる職員がいません。役場に電話するか、この画面の「折り返しの 電話を"
        " 頼む」を押して、電話番号を書いてください。あとで職員からお電話します。",
        "handoff_closed": "いまは受付時間外のため、職員はお答えできません。受付時間をご確認いただくか、この画面の「"
        "折り返しの 電話を 頼む」を押して、電話番号を書いてください。あとで職員からお電話します。",
        "urgent_nobody": "上の相談窓口の番号にも電話できます。いま、このチャットにお答えできる職員はいません。",
        "urgent_closed": "上の相談窓口の番号にも電話できます。"
        "いまは受付時間外のため、このチャットに職員はお答えできません。",
        "no_answer": "すみません、うまくお答えできませんでした。職員と話す場合は「職員と話す」を押してください。",
        "only_japanese": "この くわしい 答えは 日本語だけです:「{title}」。",
    },
    "en": {
        "clarify": "Which of these is closest to your question? If none fits, please tell me a little more.",
        "handoff": "I am connecting you to a member of staff. Please wait a moment.",
        "emergency": "If anyone is in danger, call 110 (police) or 119 (ambulance/fire) now.",
        "urgent": "We are connecting you to staff right away.",
        "handoff_nobody": 'No staff member can answer right now. Please call the town office, or press "Ask us to'
        ' call you back" on this screen and write your phone number; staff will call you back.',
        "handoff_closed": "The office is closed now, so no staff member can answer. Please check the opening"
        ' hours, or press "Ask us to call you back" on this screen and write your phone number; staff will call'
        " you back.",
        "urgent_nobody": "You can also call the helplines shown above. No staff member can answer this chat right now.",
        "urgent_closed": "You can also call the helplines shown above. The office is closed, so no staff "
        "member can answer this chat now.",
        "no_answer": "Sorry, I could not answer that. Press 'Talk to staff' to talk to a person.",
        "only_japanese": 'The detailed answer to this is written only in Japanese: "{title}". '
        "The link below has more. "
        "Press 'Talk to staff' to ask a person.",
    },
    "easy-ja": {
        "clarify": "どの てつづき ですか。ちかい ものを えらんで ください。ちがう ときは、もう すこし くわしく"
        " かいて ください。",
        "handoff": "役場の 人に つなぎます。すこし まって ください。",
        "emergency": "いのちや あんぜんに かかわる ときは、すぐに 110（けいさつ）か 119（きゅうきゅう・しょうぼう）に "
        "でんわ して ください。",
        "urgent": "役場の 人にも すぐに つなぎます。",
        "handoff_nobody": "いま、こたえられる 役場の 人が いません。役場に でんわ するか、この がめんの 「でんわを"
        " かけて もらう」を おして、でんわばんごうを かいて ください。あとで 役場から でんわ します。",
        "handoff_closed": "いまは 役場が しまって います。役場の 人は こたえられません。あいて いる 時間を"
        " みるか、この がめんの 「でんわを かけて もらう」を おして、でんわばんごうを かいて ください。あとで"
        " 役場から でんわ します。",
        "urgent_nobody": "うえに ある そうだんの ばんごうにも でんわ できます。いま、この チャットに こたえられる "
        "役場の 人は いません。",
        "urgent_closed": "うえに ある そうだんの ばんごうにも でんわ できます。いまは 役場が しまって いるので、"
        "この チャットに 役場の 人は こたえられません。",
        "no_answer": "ごめんなさい。うまく こたえられませんでした。人と 話す ときは「役場の 人と 話す」を おして"
        " ください。",
        "only_japanese": "この くわしい こたえは ふつうの 日本語だけです:「{title}」。",
    },
    "zh": {
        "clarify": "您想问的是哪一项手续？请选择最接近的一项。如果都不是，请再详细写一些。",
        "handoff": "正在为您转接负责的工作人员。请稍等。",
        "emergency": "如果有生命或安全危险，请立即拨打 110（警察）或 119（急救・消防）。",
        "urgent": "我们也会马上为您转接工作人员。",
        "handoff_nobody": "现在没有可以回答的工作人员。请给町政府打电话，或者按本页的「请给我回电」，写下您的电话号"
        "码，工作人员之后会给您回电。",
        "handoff_closed": "现在是办公时间以外，工作人员无法回答。请确认办公时间，或者按本页的「请给我回电」，写下您"
        "的电话号码，工作人员之后会给您回电。",
        "urgent_nobody": "也可以拨打上方显示的咨询电话。现在没有工作人员可以回答这个聊天。",
        "urgent_closed": "也可以拨打上方显示的咨询电话。现在是办公时间以外，工作人员无法回答这个聊天。",
        "no_answer": "对不起，我没能回答这个问题。如需和工作人员交谈，请按「与工作人员交谈」。",
        "only_japanese": "这个问题的详细回答只有日语版本：“{title}”。"
        "下面的链接有更多信息。如需询问工作人员，请按「与工作人员交谈」。",
    },
    "ko": {
        "clarify": "어떤 절차에 관한 질문인가요? 가장 가까운 것을 골라 주세요. "
        "맞는 것이 없으면 조금 더 자세히 적어 주세요.",
        "handoff": "담당 직원에게 연결해 드리겠습니다. 잠시만 기다려 주세요.",
        "emergency": "생명이나 안전이 위험한 경우에는 지금 바로 110(경찰) 또는 119(구급·소방)에 전화하세요.",
        "urgent": "직원에게도 바로 연결해 드리겠습니다.",
        "handoff_nobody": "지금은 답변할 수 있는 직원이 없습니다. 사무소에 전화하시거나, 이 화면의 「전화"
        " 요청하기」를 누르고 전화번호를 적어 주시면 나중에 직원이 전화드리겠습니다.",
        "handoff_closed": "지금은 업무 시간이 아니어서 직원이 답변할 수 없습니다. 업무 시간을 확인하시거나, 이"
        " 화면의 「전화 요청하기」를 누르고 전화번호를 적어 주시면 나중에 직원이 전화드리겠습니다.",
        "urgent_nobody": "위에 보이는 상담 전화번호로도 전화할 수 있습니다. 지금은 이 채팅에 답변할 수 있는 "
        "직원이 없습니다.",
        "urgent_closed": "위에 보이는 상담 전화번호로도 전화할 수 있습니다. 지금은 업무 시간이 아니어서 "
        "이 채팅에 직원이 답변할 수 없습니다.",
        "no_answer": "죄송합니다. 답변을 드리지 못했습니다. 직원과 이야기하려면 '직원과 이야기하기'를 누르세요.",
        "only_japanese": '이 질문에 대한 자세한 답변은 일본어로만 있습니다: "{title}". '
        "아래 링크에서 더 볼 수 있습니다. 직원에게 물어보려면 '직원과 이야기하기'를 누르세요.",
    },
    "vi": {
        "clarify": "Câu hỏi của bạn gần với mục nào dưới đây nhất? Nếu không có mục nào phù hợp, "
        "vui lòng viết thêm một chút.",
        "handoff": "Chúng tôi đang kết nối bạn với nhân viên phụ trách. Vui lòng chờ một chút.",
        "emergency": "Nếu có ai đang gặp nguy hiểm, hãy gọi ngay 110 (cảnh sát) hoặc 119 (cấp cứu/cứu hỏa).",
        "urgent": "Chúng tôi cũng đang kết nối bạn với nhân viên ngay.",
        "handoff_nobody": "Hiện không có nhân viên nào có thể trả lời. Vui lòng gọi điện cho văn phòng, hoặc bấm"
        ' "Yêu cầu gọi lại" trên màn hình này và viết số điện thoại, nhân viên sẽ gọi lại cho bạn.',
        "handoff_closed": "Bây giờ là ngoài giờ làm việc nên nhân viên không thể trả lời. Vui lòng xem giờ làm"
        ' việc, hoặc bấm "Yêu cầu gọi lại" trên màn hình này và viết số điện thoại, nhân viên sẽ gọi lại cho bạn.',
        "urgent_nobody": "Bạn cũng có thể gọi các số tư vấn ở phía trên. Hiện không có nhân viên nào có "
        "thể trả lời cuộc trò chuyện này.",
        "urgent_closed": "Bạn cũng có thể gọi các số tư vấn ở phía trên. Bây giờ là ngoài giờ làm việc nên "
        "nhân viên không thể trả lời cuộc trò chuyện này.",
        "no_answer": "Xin lỗi, tôi không trả lời được câu này. Để nói chuyện với người thật, "
        "hãy bấm 'Nói chuyện với nhân viên'.",
        "only_japanese": 'Câu trả lời chi tiết cho việc này chỉ có bằng tiếng Nhật: "{title}". '
        "Đường liên kết bên dưới có thêm thông tin. "
        "Bấm 'Nói chuyện với nhân viên' để hỏi người thật.",
    },
    "pt": {
        "clarify": "Qual destes está mais próximo da sua pergunta? Se nenhum servir, escreva um pouco mais.",
        "handoff": "Estou ligando você a um funcionário responsável. Aguarde um momento, por favor.",
        "emergency": "Se alguém estiver em perigo, ligue agora para 110 (polícia) ou 119 (ambulância/bombeiros).",
        "urgent": "Também estamos ligando você a um funcionário imediatamente.",
        "handoff_nobody": 'Nenhum funcionário pode responder agora. Ligue para a prefeitura ou toque em "Pedir'
        ' para ligarem de volta" nesta tela e escreva seu número de telefone; um funcionário ligará de volta.',
        "handoff_closed": "A prefeitura está fechada agora, então nenhum funcionário pode responder. Veja o"
        ' horário de atendimento ou toque em "Pedir para ligarem de volta" nesta tela e escreva seu número de'
        " telefone; um funcionário ligará de volta.",
        "urgent_nobody": "Você também pode ligar para os números de apoio mostrados acima. Nenhum funcionário "
        "pode responder a este chat agora.",
        "urgent_closed": "Você também pode ligar para os números de apoio mostrados acima. A prefeitura "
        "está fechada agora, então nenhum funcionário pode responder a este chat.",
        "no_answer": "Desculpe, não consegui responder. "
        "Para falar com uma pessoa, toque em 'Falar com um funcionário'.",
        "only_japanese": 'A resposta detalhada sobre isso está só em japonês: "{title}". '
        "O link abaixo tem mais informações. "
        "Toque em 'Falar com um funcionário' para perguntar a uma pessoa.",
    },
    "tl": {
        "clarify": "Alin dito ang pinakamalapit sa tanong mo? Kung wala, pakisulat nang kaunti pang detalye.",
        "handoff": "Ikinokonekta ka namin sa kawaning may hawak nito. Pakihintay sandali.",
        "emergency": "Kung may nasa panganib, tumawag agad sa 110 (pulis) o 119 (ambulansya/bumbero).",
        "urgent": "Ikinokonekta ka rin namin agad sa kawani.",
        "handoff_nobody": "Walang kawaning makakasagot ngayon. Pakitawagan ang munisipyo, o pindutin ang"
        ' "Hilinging tawagan ka namin" sa screen na ito at isulat ang numero ng telepono mo; tatawagan ka ng'
        " kawani.",
        "handoff_closed": "Sarado na ang opisina ngayon kaya walang kawaning makakasagot. Tingnan ang oras ng"
        ' opisina, o pindutin ang "Hilinging tawagan ka namin" sa screen na ito at isulat ang numero ng telepono'
        " mo; tatawagan ka ng kawani.",
        "urgent_nobody": "Puwede mo ring tawagan ang mga numerong nakalista sa itaas. Walang kawaning makakasagot "
        "sa chat na ito ngayon.",
        "urgent_closed": "Puwede mo ring tawagan ang mga numerong nakalista sa itaas. Sarado ang opisina "
        "ngayon kaya walang kawaning makakasagot sa chat na ito.",
        "no_answer": "Paumanhin, hindi ko ito nasagot. "
        "Para makausap ang isang tao, pindutin ang 'Kausapin ang kawani'.",
        "only_japanese": 'Ang detalyadong sagot dito ay nasa wikang Hapon lamang: "{title}". '
        "May higit pa sa link sa ibaba. "
        "Pindutin ang 'Kausapin ang kawani' para magtanong sa isang tao.",
    },
    "ne": {
        "clarify": "तपाईंको प्रश्न यीमध्ये कुनसँग सबैभन्दा मिल्छ? कुनै पनि नमिले, अलि बढी लेखिदिनुहोस्।",
        "handoff": "हामी तपाईंलाई सम्बन्धित कर्मचारीसँग जोड्दैछौं। कृपया केही समय पर्खनुहोस्।",
        "emergency": "कसैको ज्यान वा सुरक्षा खतरामा छ भने अहिले नै 110 (प्रहरी) वा 119 (एम्बुलेन्स/दमकल) मा फोन गर्नुहोस्।",
        "urgent": "हामी तपाईंलाई तुरुन्तै कर्मचारीसँग पनि जोड्दैछौं।",
        "handoff_nobody": "अहिले जवाफ दिन सक्ने कर्मचारी कोही हुनुहुन्न। कृपया कार्यालयमा फोन गर्नुहोस्, वा यही"
        ' स्क्रिनको "फोन गरिदिन अनुरोध गर्नुहोस्" थिचेर आफ्नो फोन नम्बर लेख्नुहोस्, कर्मचारीले पछि फोन गर्नुहुनेछ।',
        "handoff_closed": "अहिले कार्यालय समयभन्दा बाहिर भएकाले कर्मचारीले जवाफ दिन सक्नुहुन्न। कृपया कार्यालय समय"
        ' हेर्नुहोस्, वा यही स्क्रिनको "फोन गरिदिन अनुरोध गर्नुहोस्" थिचेर आफ्नो फोन नम्बर लेख्नुहोस्, कर्मचारीले'
        " पछि फोन गर्नुहुनेछ।",
        "urgent_nobody": "माथि देखाइएका परामर्श नम्बरहरूमा पनि फोन गर्न सक्नुहुन्छ। अहिले यो च्याटमा जवाफ "
        "दिन सक्ने कर्मचारी कोही हुनुहुन्न।",
        "urgent_closed": "माथि देखाइएका परामर्श नम्बरहरूमा पनि फोन गर्न सक्नुहुन्छ। अहिले कार्यालय समयभन्दा "
        "बाहिर भएकाले यो च्याटमा कर्मचारीले जवाफ दिन सक्नुहुन्न।",
        "no_answer": "माफ गर्नुहोस्, म यसको उत्तर दिन सकिनँ। मानिससँग कुरा गर्न 'कर्मचारीसँग कुरा गर्ने' थिच्नुहोस्।",
        "only_japanese": 'यसको विस्तृत उत्तर जापानी भाषामा मात्र छ: "{title}"। '
        "तलको लिङ्कमा थप जानकारी छ। "
        "मानिससँग सोध्न 'कर्मचारीसँग कुरा गर्ने' थिच्नुहोस्।",
    },
}
"""The bot's own lines in every page language (``madoguchi.ui.SUPPORTED_LANGUAGES``; a test keeps them complete):
a resident who writes Vietnamese must not be asked in English. Unlisted languages follow their fallbacks."""

log = logging.getLogger(__name__)

PAGE_LANGUAGE: Final = "language"
"""The key of a resident's line's ``meta`` naming the page's language it was written under."""


_LONE_PARTICLE: Final = re.compile(
    r"(?<=[\u3041-\u30ff\u4e00-\u9fff])[ 　][をはがにでへ][ 　](?=[\u3041-\u30ff\u4e00-\u9fff])"
)
"""A particle written as a word of its own (「ごみ を すてる ひ は」): how a learner of Japanese writes, not the
phrase-spacing of a kiosk's keyboard (「住民票を とりたいのですが、どうすれば いいですか」, ux12 item 2)."""


def answer_language(text: str, page: str) -> str:
    """The language to answer ``text`` in on a page in ``page``: the written language's, the page deciding between
    ordinary and easy Japanese (:func:`madoguchi.chatbot.normalise.answer_language`) — except on the default
    ordinary-Japanese page, where words written as easy Japanese, particles standing alone (「ごみ を すてる ひ は
    いつ です か」, the newcomer of issue #10), are answered in easy Japanese (audit 16 item 3). A page in any other
    language, easy Japanese included, is the resident's own choice and stands."""
    chosen = page_or_written(text, page)
    if page == "ja" and chosen == "ja" and detect_language(text) == "easy-ja" and _LONE_PARTICLE.search(text):
        return "easy-ja"
    return chosen


def phrase(key: str, language: str) -> str:
    """In ``language`` or the first of its fallbacks (madoguchi.domain.languages) that has the phrases."""
    return PHRASES[next((code for code in fallback_chain(language) if code in PHRASES), "ja")][key]


_HANDOFF_LINES: dict[tuple[bool, str | None], str] = {
    (False, None): "handoff",
    (False, "nobody"): "handoff_nobody",
    (False, "closed"): "handoff_closed",
    (True, None): "urgent",
    (True, "nobody"): "urgent_nobody",
    (True, "closed"): "urgent_closed",
}
"""The bot's line after a handoff, by urgency and the waiting panel's reason (madoguchi.signaling.no_answer):
"connecting you" only while someone can answer; otherwise it says so and points to the hotlines (urgent) or the
call-back form and hours, as the panel beside it does. A long wait is no reason yet at the moment of handoff."""


SOFT_HANDOFF_REASONS: Final = frozenset({"handoff:learned"})
"""Handoff reasons that are a guess, not the resident's wish nor the town's rule: the learned model's score (it
flags about one in twenty plain questions, ``ModelConfig.max_false_handoff``). A guess alone never takes the
bot's sure answer away: 「住民票が ほしい」 was queued for a person (and told "nobody can answer" after hours)
while the knowledge base had the 300-yen answer. The resident still has 「職員と話す」 under it."""


_DANGER_REASONS: Final = ("safety:", "calm:", "urgent:")


def touched_danger(result: TriageResult) -> bool:
    """A line that touched danger at all: the danger question asked, a hotline shown, urgent, or a danger word
    (calmed by the rules or the score)."""
    hot = result.urgent or result.safety_check or bool(result.hotlines)
    return hot or any(r.startswith(_DANGER_REASONS) for r in result.reasons)


def answer_first(result: TriageResult) -> TriageResult:
    """The chat's action for a triage result: a handoff whose only reasons are guesses
    (:data:`SOFT_HANDOFF_REASONS`) becomes the answer when the bot has one; every other result stays."""
    reasons = {reason.split(" ", 1)[0] for reason in result.reasons if reason.startswith("handoff:")}
    guessed = bool(reasons) and reasons <= SOFT_HANDOFF_REASONS
    # A line that touched danger at all (a danger word calmed by the rules or the score, the danger question, a
    # hotline) keeps its person: the answer-first shortcut is for plain questions only (session 10's review).
    danger = touched_danger(result)
    if result.action != "handoff" or result.urgent or danger or not result.answer or not guessed:
        return result
    return result.model_copy(update={"action": "answer", "handoff": False, "suggestions": ()})


def answer_before_handoff(result: TriageResult) -> bool:
    """Whether a handoff that stands says its answer first: only for an entry the town marked ``handoff`` (an
    individual case: the answer, then a person). A resident who asked for a person gets the person, not what the
    knowledge base happened to match in their words."""
    entry_rule = any(reason.startswith("handoff:entry") for reason in result.reasons)
    return result.action == "handoff" and bool(result.answer) and not result.urgent and entry_rule


def answer_for(entry: KbEntry, text: str, language: str) -> str:
    """``text``, the entry's answer for a resident reading ``language``; when the entry has no text in it nor in
    English (its fallback), not the Japanese one silently: a sentence in their language that the detailed answer is
    in Japanese only, with the entry's title (its links stay under it, 「職員と話す」 beside it). ux14 item 2."""
    if language in ("ja", "easy-ja") or entry.answer.has(language) or entry.answer.has("en"):
        return text
    return phrase("only_japanese", language).format(title=entry.title.in_language(language))


def _not_japanese_silently(triage: Triage, result: TriageResult) -> TriageResult:
    """The result with its answer said by :func:`answer_for` (the chat's and the kiosk's)."""
    found = {e.id: e for e in triage.engine.kb.entries if e.id in result.entry_ids[:1]}
    if not result.answer or not found or result.safety_check:
        return result
    entry = found[result.entry_ids[0]]
    return result.model_copy(update={"answer": answer_for(entry, result.answer, result.language)})


_SAFETY_REPLIES: Final = {"yes": "はい", "no": "いいえ"}
"""The kiosk's はい/いいえ buttons as the resident's line: the engine's yes/no lists hold every language's words."""


def after_safety(text: str, safety_answer: str | None) -> tuple[str, tuple[Turn, ...]]:
    """The engine's call for ``text`` (the positional text and the ``history``): as is, or — the resident answered
    the danger question asked about it (the kiosk's はい/いいえ) — their answer after the question, the conversation
    the resident chat has: "yes" is urgent with its hotlines, "no" the question's own topics or answer."""
    if safety_answer is None or safety_answer not in _SAFETY_REPLIES:
        return text, ()
    asked = (Turn(sender="resident", text=text), Turn(sender="bot", text="", action="safety_check"))
    return _SAFETY_REPLIES[safety_answer], asked


def in_their_words(result: TriageResult, route: str | None = None) -> TriageResult:
    """The triage result a booth question's summary is written from: the entry's title names the resident's need
    only when the bot was sure enough to answer with it; otherwise the topic and the resident's own words.
    「税金のことで相談したいんですが」 reached the agent as 「「税金の減免を相談したい（個別相談）」について」 — an
    entry the resident never named (audit 16 item 5). ``route``: the topic the resident chose; when it is not the
    triage's, the summary names the resident's choice (the case's route), not the bot's guess."""
    chosen = RouteId(route) if route in ROUTE_IDS else None
    if chosen is not None and chosen != result.route:
        return result.model_copy(update={"route": chosen, "title": None})
    return result if result.action == "answer" and result.entry_ids else result.model_copy(update={"title": None})


def handoff_line(*, urgent: bool, no_answer: JsonValue) -> str:
    """The phrase key for the bot's handoff line (``no_answer``: the ack's reason, None while someone can)."""
    reason = no_answer if no_answer in ("nobody", "closed") else None
    return _HANDOFF_LINES[(urgent, reason if isinstance(reason, str) else None)]


class ResidentChat:
    def __init__(
        self,
        *,
        counter: CounterService,
        records: ConsultationRecords,
        triages: Mapping[str, Triage],
        masking: MaskingWork | None = None,
    ) -> None:
        self._counter = counter
        self._records = records
        self._triages = triages
        self._masking = masking  # a long line is masked off the event loop (signaling.masking_work)

    def triage_for(self, municipality_id: str) -> Triage:
        try:
            return self._triages[municipality_id]
        except KeyError:
            raise CounterError("not_found", f"no knowledge base for municipality {municipality_id!r}") from None

    async def preview(
        self, municipality_id: str, text: str, language: str | None = None, safety_answer: str | None = None
    ) -> dict[str, Any]:
        """Triage a booth resident's free text without opening anything (they pick the route next); like the chat,
        a learned guess that a person is needed never hides a sure answer (:func:`answer_first`). ``language``, the
        kiosk page's, decides between ordinary and easy Japanese (:func:`answer_language`). ``safety_answer``: the
        resident's はい/いいえ to the danger question this preview asked about ``text`` (:func:`after_safety`)."""
        lang = answer_language(text, language) if language else None
        triage = self.triage_for(municipality_id)
        line, history = after_safety(text, safety_answer)
        result = _not_japanese_silently(triage, answer_first(await triage.triage(line, history=history, lang=lang)))
        return {
            "route": result.route.value,
            "urgent": result.urgent,
            "action": result.action,
            "answer": result.answer,
            "safety_check": result.safety_check,
            "links": [link.model_dump(mode="json") for link in result.links],
            "masked_text": result.masked_text,
            "suggestions": [s.model_dump(mode="json") for s in result.suggestions],
            "hotlines": [h.model_dump(mode="json") for h in result.hotlines],
        }

    async def booth_question(
        self,
        municipality_id: str,
        question: str,
        language: str,
        safety_answer: str | None = None,
        route: str | None = None,
    ) -> BoothQuestion:
        """What travels with a booth request typed as free text: urgency, the triage result, a summary and the
        case's language — the kiosk page's (``language``, the resident's choice) unless the words are clearly
        in another (:func:`answer_language`), as the phone chat decides it. The triage, the summary and the case
        say the same one (the triage guessed from the text alone: a Vietnamese page's 「住民税」 went as 日本語).
        ``safety_answer`` "yes" to the danger question makes the case urgent, as はい does in the chat. ``route``:
        the topic the resident chose (a route button or a 「…の ことですか？」): the summary names it."""
        triage = self.triage_for(municipality_id)
        line, history = after_safety(question, safety_answer)
        result = await triage.triage(line, history=history, lang=answer_language(question, language))
        summary = await triage.summarise(
            [Turn(sender="resident", text=result.masked_text)], in_their_words(result, route)
        )
        return BoothQuestion(
            urgent=result.urgent,
            triage=_triage_record(result),
            summary=summary.model_dump(mode="json"),
            language=summary.language,
        )

    async def say(
        self,
        participant: str,
        *,
        municipality_id: str,
        text: str,
        client_id: str,
        language: str,
        source: str | None = None,
        browser: str | None = None,
    ) -> dict[str, Any]:
        triage = self.triage_for(municipality_id)
        masked = await mask_line(self._masking, text)
        current = await self._counter.open_consultation(participant)
        if current is None:
            cid = await self._counter.open_chat(
                participant, municipality_id=municipality_id, language=language, source=source, browser=browser
            )
            state = State.TRIAGE
        else:
            cid, state = current.id, current.state
        # the ack says masked when the line as stored was masked further: it completed a number sent in pieces
        if state == State.ACTIVE:
            stored = await self._counter.relay.chat_line(participant, cid, masked.text, client_id)
            return {"consultation_id": cid, "seq": stored.seq, "masked": masked.masked or stored.text != masked.text}
        # the page's language the line was written under: 「職員と話す」 after a switch of language answers in the new
        # one, not in the one of lines written before it (request_person)
        stored = await self._counter.relay.post_line(
            cid,
            sender="resident",
            text=masked.text,
            client_id=client_id,
            to=(participant,),
            meta={PAGE_LANGUAGE: language},
        )
        ack: dict[str, Any] = {
            "consultation_id": cid,
            "seq": stored.seq,
            "masked": masked.masked or stored.text != masked.text,
        }
        if not stored.created or state != State.TRIAGE:
            return ack
        if current is not None:  # a chat just opened is as fresh as can be
            try:
                await self._counter.touch_chat(participant, current)
            except CounterError as exc:  # ended meanwhile, or the store away a moment: only the idle order misses it
                log.info("the activity of chat %s was not noted: %s", cid, exc.code)
        history = await self._history(cid)
        # the line as stored: masked further when it completed a number sent in pieces over the resident's lines
        said = history[-1].text if history and history[-1].sender == "resident" else masked.text
        ack["masked"] = masked.masked or said != masked.text
        # the page's language, or the one the line is written in: the bot answers in it and the case reaches staff
        # in it (a Vietnamese page's resident was queued, labelled and offered an interpreter as 日本語: ux14)
        lang = answer_language(said, language)
        result = answer_first(await triage.triage(said, history=history[:-1], lang=lang))
        result = _not_japanese_silently(triage, result)
        if touched_danger(result):  # never ended to make room in a flood (chat_pool), whatever comes next
            await self._mark_danger(participant, cid)
        if result.action != "handoff":
            await self._reply(participant, cid, result)
            if result.action == "answer" and result.answer:
                await self._file_under(participant, cid, result.route.value)
            return ack
        if answer_before_handoff(result):  # a topic that always needs a person: its answer first, then the queue
            await self._reply(
                participant, cid, result.model_copy(update={"action": "answer", "suggestions": (), "booking": None})
            )
        if result.urgent:  # 110/119 and the hotlines at once: the handoff's summary may wait for the LLM
            await self._emergency(participant, cid, result)
        ack.update(await self._handoff(triage, participant, cid, result, history))  # queued first: the line
        try:  # says whether anyone can answer; once queued, the ack (their place) must reach the page whatever
            await self._reply(participant, cid, result, no_answer=ack.get("no_answer"))
        except CounterError as exc:  # the store away a moment: the resident waits, the panel says the same
            log.warning("the bot's handoff line for %s was not posted: %s", cid, exc.code)
        return ack

    async def _mark_danger(self, participant: str, cid: str) -> None:
        chat = await self._counter.open_consultation(participant)
        if chat is None or chat.id != cid or chat.danger:
            return
        try:
            await self._counter.touch_chat(participant, chat, danger=True)
        except CounterError as exc:  # ended meanwhile, or the store away a moment
            log.warning("chat %s touched danger but was not marked: %s", cid, exc.code)

    async def choose(
        self,
        participant: str,
        *,
        municipality_id: str,
        consultation_id: str,
        entry_id: str,
        language: str | None = None,
    ) -> None:
        """The resident pressed one of the bot's suggestion buttons: answer with that entry, in the language
        :func:`reply_language` picks (``language``: the page's now; a resident who switched since their last line is
        answered in the new one, not in the chat's opening language)."""
        current = await self._counter.open_consultation(participant)
        if current is None or current.id != consultation_id:
            raise CounterError("forbidden", "not your consultation")
        if current.state != State.TRIAGE:
            raise CounterError("invalid_state", "a person is already taking care of this")
        engine = self.triage_for(municipality_id).engine
        kb = engine.kb
        try:
            entry = kb.entry(entry_id)
        except KeyError:
            raise CounterError("not_found", "no such topic") from None
        lines = await self._records.chat(consultation_id)
        page = language
        language = reply_language(lines, page, opened_in=current.language)
        links = [{"title": link.title.in_language(language), "url": link.url} for link in entry.links]
        offer = engine.booking_for("", entry, _turns(lines))
        await self._counter.relay.post(
            consultation_id,
            sender="resident",
            text=entry.title.in_language(language),
            client_id=None,
            to=(participant,),
            # the chosen topic counts as a line written under the page's language now (as chat.send's)
            meta={PAGE_LANGUAGE: page} if page is not None else None,
        )
        await self._counter.relay.post(
            consultation_id,
            sender="bot",
            text=answer_for(entry, engine.answer_text(entry, language), language),
            client_id=None,
            to=(participant,),
            extra={
                "bot": {
                    "action": "answer",
                    "route": entry.route,
                    "entry_ids": [entry.id],
                    "links": links,
                    "booking": _booking(offer),
                }
            },
            meta={"action": "answer", "entry_ids": [entry.id], "booking": offer is not None},
        )
        await self._file_under(participant, consultation_id, entry.route)

    async def _file_under(self, participant: str, cid: str, route: str) -> None:
        """The bot answered on ``route``: a chat it finishes is counted under that topic in the record, the
        reports and the exports (not under the 「その他・わからない」 a chat opens on). The answer is on screen
        already: a store away a moment costs the filing, never the resident an error."""
        try:
            await self._counter.bot_answered(participant, cid, route)
        except CounterError as exc:
            log.warning("the bot's route for %s was not kept: %s", cid, exc.code)

    async def request_person(
        self, participant: str, *, municipality_id: str, consultation_id: str, language: str | None = None
    ) -> dict[str, Any]:
        """「職員と話す」: queue the resident on the route the conversation points to, in the page's language
        (``language``, else the one the chat opened in) or the one their last line is written in — unless the
        resident switched the page's language since that line: then the language they use now (a line written in
        Japanese, the page switched to English, the button: answered and queued in English, not Japanese)."""
        current = await self._counter.open_consultation(participant)
        if current is None or current.id != consultation_id:
            raise CounterError("forbidden", "not your consultation")
        if current.state != State.TRIAGE:
            raise CounterError("invalid_state", "you are already waiting for a person")
        lines = await self._records.chat(consultation_id)
        history = _turns(lines)
        triage = self.triage_for(municipality_id)
        need = triage.engine.current_need(history)  # the last clear question wins
        resident_lines = [t.text for t in history if t.sender == "resident"]
        text = need.text if need is not None else (resident_lines[-1] if resident_lines else "職員と話したい")
        switched = _switched(lines, language)
        lang = reply_language(lines, language, opened_in=current.language)
        result = await triage.triage(text, history=history, lang=lang)
        result = result.model_copy(update={"handoff": True, "action": "handoff"})
        ack = await self._handoff(
            triage, participant, consultation_id, result, history, language=lang if switched else None
        )
        try:  # queued: an error now would show a banner and a second press would be refused as already waiting
            await self._counter.relay.post(
                consultation_id,
                sender="bot",
                text=phrase(handoff_line(urgent=False, no_answer=ack.get("no_answer")), lang),
                client_id=None,
                to=(participant,),
                extra={"bot": {"action": "handoff", "route": result.route.value}},
                meta={"action": "handoff"},
            )
        except CounterError as exc:
            log.warning("the bot's handoff line for %s was not posted: %s", consultation_id, exc.code)
        return ack

    async def _emergency(self, participant: str, cid: str, result: TriageResult) -> None:
        """The first line of an urgent case, before anything that can wait (the handoff summary may ask the LLM
        for up to its timeout): call 110/119 now, with the hotlines. The line after the handoff says the rest."""
        bot = {
            "action": "emergency",
            "route": result.route.value,
            "urgent": True,
            "safety_check": False,
            "hotlines": [h.model_dump(mode="json") for h in result.hotlines],
        }
        try:
            await self._counter.relay.post(
                cid,
                sender="bot",
                text=phrase("emergency", result.language),
                client_id=None,
                to=(participant,),
                extra={"bot": bot},
                meta={"action": "emergency"},
            )
        except CounterError as exc:  # the store away a moment: queueing the case comes first
            log.warning("the bot's emergency line for %s was not posted: %s", cid, exc.code)

    async def _reply(self, participant: str, cid: str, result: TriageResult, *, no_answer: JsonValue = None) -> None:
        """The bot's line; ``no_answer``: the waiting panel's reason after a handoff (the line says the same).
        After an urgent handoff it is the second line: the emergency numbers went first (:meth:`_emergency`)."""
        if result.urgent:
            text = phrase(handoff_line(urgent=True, no_answer=no_answer), result.language)
        elif result.safety_check and result.answer:
            text = result.answer  # the danger question, in the resident's language
        elif result.action == "handoff":
            text = phrase(handoff_line(urgent=False, no_answer=no_answer), result.language)
        elif result.action == "answer" and result.answer:
            text = result.answer
        elif result.suggestions:
            text = phrase("clarify", result.language)
        else:
            text = phrase("no_answer", result.language)
        # after a handoff the bot no longer answers: its line carries no buttons to choose an answer by, and the
        # links went with the answer line before it
        handed = result.action == "handoff"
        bot = {
            "action": result.action,
            "route": result.route.value,
            "urgent": result.urgent,
            "safety_check": result.safety_check,
            "entry_ids": list(result.entry_ids),
            "links": [] if handed and result.answer else [link.model_dump(mode="json") for link in result.links],
            "suggestions": [] if handed else [s.model_dump(mode="json") for s in result.suggestions],
            "hotlines": [h.model_dump(mode="json") for h in result.hotlines],
            "booking": _booking(result.booking),
        }
        await self._counter.relay.post(
            cid,
            sender="bot",
            text=text,
            client_id=None,
            to=(participant,),
            extra={"bot": bot},
            meta={
                "action": result.action,
                "entry_ids": list(result.entry_ids),
                "booking": result.booking is not None,
            },
        )

    async def _handoff(
        self,
        triage: Triage,
        participant: str,
        cid: str,
        result: TriageResult,
        history: list[Turn],
        *,
        language: str | None = None,
    ) -> dict[str, Any]:
        """Queue the case; in ``language`` when given, else in the one the resident writes in (the summary's). A
        resident who asked for a person with nothing to route by (:func:`no_topic`) may be taken by any agent of
        the town, and the offer's summary says they have not said what about yet."""
        summary = await triage.summarise(history, result)
        topicless = no_topic(triage.engine, result, history)
        if topicless:
            summary = summary.model_copy(update={"flags": (NO_TOPIC_FLAG, *summary.flags)})
        return await self._counter.handoff(
            participant,
            cid,
            route=result.route.value,
            urgent=result.urgent,
            summary=summary.model_dump(mode="json"),
            triage=_triage_record(result),
            language=language or summary.language,
            no_topic=topicless,
        )

    async def _history(self, cid: str) -> list[Turn]:
        return _turns(await self._records.chat(cid))


NO_TOPIC_FLAG: Final = "用件は まだ 聞いていません（職員と 話したい とだけ）"
"""The summary's first flag for a resident who asked for a person before saying what about (staff read Japanese)."""


def no_topic(engine: TriageEngine, result: TriageResult, history: Sequence[Turn]) -> bool:
    """Whether a handoff has nothing to route by: not urgent, on the catch-all route (「その他・わからない」), and
    none of the resident's lines clearly points to another (「Talk to staff」 pressed first: only the request)."""
    if result.urgent or result.route != FALLBACK_ROUTE:
        return False
    said = [turn.text for turn in history if turn.sender == "resident"]
    for text in said:
        topic = engine.line_topic(text)
        if topic.clear and topic.route != FALLBACK_ROUTE:
            return False
    return True


def _turns(lines: Sequence[ChatLine]) -> list[Turn]:
    turns = []
    for line in lines:
        if line.sender not in ("resident", "bot", "agent", "system"):
            continue
        meta = line.meta or {}
        turns.append(
            Turn(
                sender=line.sender,
                text=line.text,
                action=meta.get("action"),
                entry_ids=tuple(meta.get("entry_ids", ())),
                booking=meta.get("booking") is True,
            )
        )
    return turns


def _switched(lines: Sequence[ChatLine], language: str | None) -> bool:
    """Whether the page's language ``language`` (None: an old page that does not say) differs from the one the
    resident's last line was written under."""
    return language is not None and _written_under(lines) not in (None, language)


def reply_language(lines: Sequence[ChatLine], language: str | None, *, opened_in: str) -> str:
    """The language the bot speaks in when the resident presses a button (「職員と話す」, a suggestion): the page's
    now (``language``, else ``opened_in``, the chat's opening one), or the one the resident's last line is written
    in — unless they switched the page's language since that line: then the page's, the one they read now."""
    page = language or opened_in
    said = [line.text for line in lines if line.sender == "resident"]
    return answer_language(said[-1], page) if said and not _switched(lines, language) else page


def _written_under(lines: Sequence[ChatLine]) -> str | None:
    """The page's language the resident's last line was written under; None for a line kept before it was noted."""
    for line in reversed(lines):
        if line.sender == "resident":
            written = (line.meta or {}).get(PAGE_LANGUAGE)
            return written if isinstance(written, str) else None
    return None


def _booking(offer: BookingOffer | None) -> dict[str, Any] | None:
    """The bot line's booking button: the page opens with ``route`` chosen (None: the resident chooses)."""
    return None if offer is None else {"route": None if offer.route is None else offer.route.value}


def _triage_record(result: TriageResult) -> dict[str, Any]:
    """The part of a triage result kept in the consultation record (masked text only)."""
    return {
        "route": result.route.value,
        "confidence": result.confidence,
        "urgent": result.urgent,
        "handoff": result.handoff,
        "language": result.language,
        "masked_text": result.masked_text,
        "reasons": list(result.reasons),
        "hotlines": [h.model_dump(mode="json") for h in result.hotlines],
    }
