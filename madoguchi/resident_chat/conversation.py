"""A resident's conversation: the bot first, then a person, in one consultation and one transcript.

The pure :class:`~madoguchi.chatbot.engine.TriageEngine` decides; this module carries the decision out through
the counter service. Resident text is masked before anything else sees it, so only the masked form is stored,
shown, queued or sent to an LLM.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from madoguchi.chatbot.engine import BookingOffer, TriageResult, Turn
from madoguchi.chatbot.llm import Triage
from madoguchi.domain.languages import fallback_chain
from madoguchi.domain.privacy import mask_pii
from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import CounterError
from madoguchi.signaling.service import CounterService
from madoguchi.storage.records import ConsultationRecords

PHRASES: dict[str, dict[str, str]] = {
    "ja": {
        "clarify": "どの手続きのことでしょうか。近いものを選んでください。"
        "ちがう場合は、もう少しくわしく書いてください。",
        "handoff": "担当の職員におつなぎします。このまま少しお待ちください。",
        "urgent": "命や安全にかかわる場合は、すぐに 110（警察）か 119（救急・消防）に電話してください。"
        "職員にもすぐにおつなぎします。",
        "no_answer": "すみません、うまくお答えできませんでした。職員と話す場合は「職員と話す」を押してください。",
    },
    "en": {
        "clarify": "Which of these is closest to your question? If none fits, please tell me a little more.",
        "handoff": "I am connecting you to a member of staff. Please wait a moment.",
        "urgent": "If anyone is in danger, call 110 (police) or 119 (ambulance/fire) now. "
        "We are connecting you to staff right away.",
        "no_answer": "Sorry, I could not answer that. Press 'Talk to staff' to talk to a person.",
    },
    "easy-ja": {
        "clarify": "どの てつづき ですか。ちかい ものを えらんで ください。ちがう ときは、もう すこし くわしく"
        " かいて ください。",
        "handoff": "役場の 人に つなぎます。すこし まって ください。",
        "urgent": "いのちや あんぜんに かかわる ときは、すぐに 110（けいさつ）か 119（きゅうきゅう・しょうぼう）に"
        " でんわ して ください。役場の 人にも すぐに つなぎます。",
        "no_answer": "ごめんなさい。うまく こたえられませんでした。人と 話す ときは「役場の 人と 話す」を おして"
        " ください。",
    },
    "zh": {
        "clarify": "您想问的是哪一项手续？请选择最接近的一项。如果都不是，请再详细写一些。",
        "handoff": "正在为您转接负责的工作人员。请稍等。",
        "urgent": "如果有生命或安全危险，请立即拨打 110（警察）或 119（急救・消防）。我们也会马上为您转接工作人员。",
        "no_answer": "对不起，我没能回答这个问题。如需和工作人员交谈，请按「与工作人员交谈」。",
    },
    "ko": {
        "clarify": "어떤 절차에 관한 질문인가요? 가장 가까운 것을 골라 주세요. "
        "맞는 것이 없으면 조금 더 자세히 적어 주세요.",
        "handoff": "담당 직원에게 연결해 드리겠습니다. 잠시만 기다려 주세요.",
        "urgent": "생명이나 안전이 위험한 경우에는 지금 바로 110(경찰) 또는 119(구급·소방)에 전화하세요. "
        "직원에게도 바로 연결해 드리겠습니다.",
        "no_answer": "죄송합니다. 답변을 드리지 못했습니다. 직원과 이야기하려면 '직원과 이야기하기'를 누르세요.",
    },
    "vi": {
        "clarify": "Câu hỏi của bạn gần với mục nào dưới đây nhất? Nếu không có mục nào phù hợp, "
        "vui lòng viết thêm một chút.",
        "handoff": "Chúng tôi đang kết nối bạn với nhân viên phụ trách. Vui lòng chờ một chút.",
        "urgent": "Nếu có ai đang gặp nguy hiểm, hãy gọi ngay 110 (cảnh sát) hoặc 119 (cấp cứu/cứu hỏa). "
        "Chúng tôi cũng đang kết nối bạn với nhân viên ngay.",
        "no_answer": "Xin lỗi, tôi không trả lời được câu này. Để nói chuyện với người thật, "
        "hãy bấm 'Nói chuyện với nhân viên'.",
    },
    "pt": {
        "clarify": "Qual destes está mais próximo da sua pergunta? Se nenhum servir, escreva um pouco mais.",
        "handoff": "Estou ligando você a um funcionário responsável. Aguarde um momento, por favor.",
        "urgent": "Se alguém estiver em perigo, ligue agora para 110 (polícia) ou 119 (ambulância/bombeiros). "
        "Também estamos ligando você a um funcionário imediatamente.",
        "no_answer": "Desculpe, não consegui responder. "
        "Para falar com uma pessoa, toque em 'Falar com um funcionário'.",
    },
    "tl": {
        "clarify": "Alin dito ang pinakamalapit sa tanong mo? Kung wala, pakisulat nang kaunti pang detalye.",
        "handoff": "Ikinokonekta ka namin sa kawaning may hawak nito. Pakihintay sandali.",
        "urgent": "Kung may nasa panganib, tumawag agad sa 110 (pulis) o 119 (ambulansya/bumbero). "
        "Ikinokonekta ka rin namin agad sa kawani.",
        "no_answer": "Paumanhin, hindi ko ito nasagot. "
        "Para makausap ang isang tao, pindutin ang 'Kausapin ang kawani'.",
    },
    "ne": {
        "clarify": "तपाईंको प्रश्न यीमध्ये कुनसँग सबैभन्दा मिल्छ? कुनै पनि नमिले, अलि बढी लेखिदिनुहोस्।",
        "handoff": "हामी तपाईंलाई सम्बन्धित कर्मचारीसँग जोड्दैछौं। कृपया केही समय पर्खनुहोस्।",
        "urgent": "कसैको ज्यान वा सुरक्षा खतरामा छ भने अहिले नै 110 (प्रहरी) वा 119 (एम्बुलेन्स/दमकल) मा फोन गर्नुहोस्। "
        "हामी तपाईंलाई तुरुन्तै कर्मचारीसँग पनि जोड्दैछौं।",
        "no_answer": "माफ गर्नुहोस्, म यसको उत्तर दिन सकिनँ। मानिससँग कुरा गर्न 'कर्मचारीसँग कुरा गर्ने' थिच्नुहोस्।",
    },
}
"""The bot's own lines in every page language (``madoguchi.ui.SUPPORTED_LANGUAGES``; a test keeps them complete):
a resident who writes Vietnamese must not be asked in English. Unlisted languages follow their fallbacks."""


def phrase(key: str, language: str) -> str:
    """In ``language`` or the first of its fallbacks (madoguchi.domain.languages) that has the phrases."""
    return PHRASES[next((code for code in fallback_chain(language) if code in PHRASES), "ja")][key]


class ResidentChat:
    def __init__(
        self,
        *,
        counter: CounterService,
        records: ConsultationRecords,
        triages: Mapping[str, Triage],
    ) -> None:
        self._counter = counter
        self._records = records
        self._triages = triages

    def triage_for(self, municipality_id: str) -> Triage:
        try:
            return self._triages[municipality_id]
        except KeyError:
            raise CounterError("not_found", f"no knowledge base for municipality {municipality_id!r}") from None

    async def preview(self, municipality_id: str, text: str) -> dict[str, Any]:
        """Triage a booth resident's free text without opening anything (they pick the route next)."""
        result = await self.triage_for(municipality_id).triage(text)
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

    async def booth_question(self, municipality_id: str, question: str) -> tuple[bool, dict[str, Any], dict[str, Any]]:
        """What travels with a booth request typed as free text: urgency, the triage result and a summary."""
        triage = self.triage_for(municipality_id)
        result = await triage.triage(question)
        summary = await triage.summarise([Turn(sender="resident", text=result.masked_text)], result)
        return result.urgent, _triage_record(result), summary.model_dump(mode="json")

    async def say(
        self,
        participant: str,
        *,
        municipality_id: str,
        text: str,
        client_id: str,
        language: str,
        source: str | None = None,
    ) -> dict[str, Any]:
        triage = self.triage_for(municipality_id)
        masked = mask_pii(text)
        current = await self._counter.open_consultation(participant)
        if current is None:
            cid = await self._counter.open_chat(
                participant, municipality_id=municipality_id, language=language, source=source
            )
            state = State.TRIAGE
        else:
            cid, state = current.id, current.state
        if state == State.ACTIVE:
            seq = await self._counter.relay.chat(participant, cid, masked.text, client_id)
            return {"consultation_id": cid, "seq": seq, "masked": masked.masked}
        seq, created = await self._counter.relay.post(
            cid, sender="resident", text=masked.text, client_id=client_id, to=(participant,)
        )
        ack = {"consultation_id": cid, "seq": seq, "masked": masked.masked}
        if not created or state != State.TRIAGE:
            return ack
        history = await self._history(cid)
        result = await triage.triage(masked.text, history=history[:-1])
        await self._reply(participant, cid, result)
        if result.action == "handoff":
            ack.update(await self._handoff(triage, participant, cid, result, history))
        return ack

    async def choose(self, participant: str, *, municipality_id: str, consultation_id: str, entry_id: str) -> None:
        """The resident pressed one of the bot's suggestion buttons: answer with that entry."""
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
        language = current.language
        links = [{"title": link.title.in_language(language), "url": link.url} for link in entry.links]
        offer = engine.booking_for("", entry, await self._history(consultation_id))
        await self._counter.relay.post(
            consultation_id,
            sender="resident",
            text=entry.title.in_language(language),
            client_id=None,
            to=(participant,),
        )
        await self._counter.relay.post(
            consultation_id,
            sender="bot",
            text=engine.answer_text(entry, language),
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

    async def request_person(self, participant: str, *, municipality_id: str, consultation_id: str) -> dict[str, Any]:
        """「職員と話す」: queue the resident on the route the conversation points to."""
        current = await self._counter.open_consultation(participant)
        if current is None or current.id != consultation_id:
            raise CounterError("forbidden", "not your consultation")
        if current.state != State.TRIAGE:
            raise CounterError("invalid_state", "you are already waiting for a person")
        history = await self._history(consultation_id)
        triage = self.triage_for(municipality_id)
        need = triage.engine.current_need(history)  # the last clear question wins
        resident_lines = [t.text for t in history if t.sender == "resident"]
        text = need.text if need is not None else (resident_lines[-1] if resident_lines else "職員と話したい")
        result = await triage.triage(text, history=history)
        result = result.model_copy(update={"handoff": True, "action": "handoff"})
        await self._counter.relay.post(
            consultation_id,
            sender="bot",
            text=phrase("handoff", current.language),
            client_id=None,
            to=(participant,),
            extra={"bot": {"action": "handoff", "route": result.route.value}},
            meta={"action": "handoff"},
        )
        return await self._handoff(triage, participant, consultation_id, result, history)

    async def _reply(self, participant: str, cid: str, result: TriageResult) -> None:
        if result.urgent:
            text = phrase("urgent", result.language)
        elif result.safety_check and result.answer:
            text = result.answer  # the danger question, in the resident's language
        elif result.action == "handoff":
            text = phrase("handoff", result.language)
        elif result.action == "answer" and result.answer:
            text = result.answer
        elif result.suggestions:
            text = phrase("clarify", result.language)
        else:
            text = phrase("no_answer", result.language)
        bot = {
            "action": result.action,
            "route": result.route.value,
            "urgent": result.urgent,
            "safety_check": result.safety_check,
            "entry_ids": list(result.entry_ids),
            "links": [link.model_dump(mode="json") for link in result.links],
            "suggestions": [s.model_dump(mode="json") for s in result.suggestions],
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
        self, triage: Triage, participant: str, cid: str, result: TriageResult, history: list[Turn]
    ) -> dict[str, Any]:
        summary = await triage.summarise(history, result)
        return await self._counter.handoff(
            participant,
            cid,
            route=result.route.value,
            urgent=result.urgent,
            summary=summary.model_dump(mode="json"),
            triage=_triage_record(result),
            language=summary.language,
        )

    async def _history(self, cid: str) -> list[Turn]:
        turns = []
        for line in await self._records.chat(cid):
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
