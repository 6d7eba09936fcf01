"""The triage engine: one resident utterance in, one decision out.

Pure code built from a loaded knowledge base: no I/O, no clock, no network in :meth:`TriageEngine.triage`, so
the web layer, the CLI, the benchmark and the tests all run the same decision. The pipeline is
mask → normalise → rules → retrieval → decide. The optional LLM stage (``llm.py``) wraps this engine and
only ever sees the masked text it returns.

Decisions, in order: a safety word makes the case urgent and hands it to a person with the emergency
numbers; asking for a person, a complaint, an individual case or repeated failure hands it off; otherwise a
confident match is answered from the knowledge base, and an unclear one gets two or three likely topics as
buttons. The route is always decided, also for handoffs, because it names the department that takes over.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from madoguchi.chatbot.knowledge import Hotline, KbEntry, KnowledgeBase
from madoguchi.chatbot.normalise import detect_language, normalise
from madoguchi.chatbot.retrieval import RETRIEVERS, Retriever, ScoredEntry, route_scores, softmax
from madoguchi.chatbot.rules import RuleHits, apply_rules, has_topic, without_handoff_phrases
from madoguchi.domain.languages import LANGUAGE_CODES as LANGUAGE_VALUES
from madoguchi.domain.languages import LanguageCode as Language
from madoguchi.domain.privacy import MASK_TOKENS, mask_pii
from madoguchi.domain.routes import FALLBACK_ROUTE, RouteId

Action = Literal["answer", "clarify", "handoff"]
Sender = Literal["resident", "bot", "agent", "system"]


class Turn(BaseModel):
    """One line of the conversation so far (already masked)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sender: Sender
    text: str
    action: Action | None = None  # for bot turns: what the bot did
    entry_ids: tuple[str, ...] = ()


class Suggestion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    entry_id: str
    route: RouteId
    title: str


class HotlineInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    number: str
    when: str


class TriageResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    route: RouteId
    confidence: float = Field(ge=0.0, le=1.0)
    handoff: bool
    urgent: bool
    masked_text: str
    language: Language
    action: Action
    answer: str | None = None
    entry_ids: tuple[str, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    hotlines: tuple[HotlineInfo, ...] = ()
    reasons: tuple[str, ...] = ()
    masked_kinds: tuple[str, ...] = ()


class HandoffSummary(BaseModel):
    """What an agent reads in ten seconds before taking over."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    route: RouteId
    route_name: str
    need: str
    bot_said: tuple[str, ...]
    flags: tuple[str, ...]
    language: Language


@dataclass(frozen=True)
class EngineConfig:
    retriever: str = "hybrid"
    min_score: float = 4.0  # below this the knowledge base knows nothing about the question
    answer_confidence: float = 0.6
    temperature: float = 0.2  # softmax temperature, as a fraction of the top route score
    rule_hint_boost: float = 1.1  # a safety rule's route hint adds this fraction of the top score
    weak_hint_boost: float = 1.1  # ... for kinds whose department varies (suicidal words, someone collapsed)
    max_suggestions: int = 3
    failed_turns_for_handoff: int = 2


# Urgent kinds whose department is clear; for the others the knowledge base decides more.
_FIRM_HINTS = frozenset({"dv", "child_abuse", "elder_abuse", "missing", "eviction", "disaster"})

# Which hotlines go with which urgent kind: matched against a hotline's id, names and "when" text.
_HOTLINE_TOPICS: dict[str, tuple[str, ...]] = {
    "dv": ("dv", "配偶者", "恋人からの暴力"),
    "child_abuse": ("虐待", "child", "189"),
    "elder_abuse": ("介護", "welfare", "福祉"),
    "suicide": ("死にたい", "いのち", "こころ", "lifeline"),
    "collapse": (),
    "missing": (),
    "eviction": ("暮らし", "生活", "welfare"),
    "disaster": ("防災", "災害", "disaster"),
}
_EMERGENCY = {"110": ("police", "警察", "Police"), "119": ("fire-ambulance", "救急・消防", "Ambulance and fire")}


class TriageEngine:
    """Decides route, flags and reply for one utterance; built once per municipality."""

    def __init__(
        self, kb: KnowledgeBase, config: EngineConfig | None = None, retriever: Retriever | None = None
    ) -> None:
        self.kb = kb
        self.config = config or EngineConfig()
        self.retriever: Retriever = retriever or RETRIEVERS[self.config.retriever](kb)

    # ---------------------------------------------------------------------------------- the decision

    def triage(self, text: str, *, lang: str | None = None, history: Sequence[Turn] = ()) -> TriageResult:
        cfg = self.config
        masked = mask_pii(text)
        folded = normalise(masked.text)
        language: Language = _as_language(lang) or _as_language(detect_language(masked.text)) or "ja"
        hits = apply_rules(folded)
        reasons: list[str] = list(hits.reasons)

        topic = without_handoff_phrases(folded)
        if hits.handoff_kinds and not hits.urgent and not has_topic(topic):
            ranked: list[ScoredEntry] = []  # only "a person, please": the general desk takes it
        else:
            ranked = self.retriever.search(topic, limit=12)
        route, confidence, top_entry = self._decide_route(ranked, hits, reasons)

        failed = self._failed_turns(history, hits)
        if failed >= cfg.failed_turns_for_handoff:
            reasons.append(f"handoff:repeated_failure ({failed} unhelpful turns)")
        entry_handoff = top_entry is not None and top_entry.handoff and confidence >= cfg.answer_confidence
        if entry_handoff and top_entry is not None:
            reasons.append(f"handoff:entry ({top_entry.id} always needs a person)")
        handoff = hits.handoff or entry_handoff or failed >= cfg.failed_turns_for_handoff

        answerable = top_entry is not None and confidence >= cfg.answer_confidence
        action: Action = "handoff" if handoff else ("answer" if answerable else "clarify")
        answer = top_entry.answer.in_language(language) if answerable and top_entry is not None else None
        entry_ids = (top_entry.id,) if answerable and top_entry is not None else ()
        suggestions = () if action == "answer" or hits.urgent else self._suggestions(ranked, language)
        hotlines = self._hotlines(hits, language) if hits.urgent else ()
        return TriageResult(
            route=route,
            confidence=round(confidence, 4),
            handoff=handoff,
            urgent=hits.urgent,
            masked_text=masked.text,
            language=language,
            action=action,
            answer=answer,
            entry_ids=entry_ids,
            suggestions=suggestions,
            hotlines=hotlines,
            reasons=tuple(reasons),
            masked_kinds=masked.kinds,
        )

    def _decide_route(
        self, ranked: Sequence[ScoredEntry], hits: RuleHits, reasons: list[str]
    ) -> tuple[RouteId, float, KbEntry | None]:
        cfg = self.config
        scores = route_scores(ranked)
        top = max(scores.values(), default=0.0)
        for kind, hint in zip(hits.urgent_kinds[:1], hits.route_hints[:1], strict=True):
            strength = cfg.rule_hint_boost if kind in _FIRM_HINTS else cfg.weak_hint_boost
            scores[hint.value] = scores.get(hint.value, 0.0) + strength * max(top, cfg.min_score)
        if not scores or max(scores.values()) < cfg.min_score:
            route = hits.route_hints[0] if hits.route_hints else FALLBACK_ROUTE
            reasons.append(f"route:{route.value} (nothing in the knowledge base matched well)")
            return route, 0.0, None
        best = max(scores.values())
        probabilities = softmax(scores, temperature=max(cfg.temperature * best, 1e-6))
        route_value = max(probabilities, key=lambda r: probabilities[r])
        confidence = probabilities[route_value]
        # Scale down when the absolute evidence is thin.
        confidence *= min(1.0, best / (2.5 * cfg.min_score))
        top_entry = next((item.entry for item in ranked if item.entry.route == route_value), None)
        reasons.append(f"route:{route_value} ({confidence:.2f}; best entry {top_entry.id if top_entry else '-'})")
        return RouteId(route_value), confidence, top_entry

    def _failed_turns(self, history: Sequence[Turn], hits: RuleHits) -> int:
        bot_turns = [t for t in history if t.sender == "bot"]
        failed = sum(1 for t in bot_turns if t.action == "clarify")
        if hits.not_understood and bot_turns:  # 「ちがう」「わからない」 right after the bot spoke
            failed = max(failed + 1, self.config.failed_turns_for_handoff)
        return failed

    def _suggestions(self, ranked: Sequence[ScoredEntry], language: str) -> tuple[Suggestion, ...]:
        chosen: list[Suggestion] = []
        routes_seen: set[str] = set()
        for item in ranked:
            if len(chosen) >= self.config.max_suggestions or item.score < self.config.min_score * 0.5:
                break
            if item.entry.route in routes_seen and len(ranked) > self.config.max_suggestions:
                continue
            routes_seen.add(item.entry.route)
            chosen.append(
                Suggestion(entry_id=item.entry.id, route=item.entry.route, title=item.entry.title.in_language(language))
            )
        return tuple(chosen)

    def _hotlines(self, hits: RuleHits, language: str) -> tuple[HotlineInfo, ...]:
        hotlines = self.kb.municipality.hotlines
        chosen: list[HotlineInfo] = []
        for number, (hid, ja, en) in _EMERGENCY.items():
            found = next((h for h in hotlines if h.number == number), None)
            chosen.append(
                _hotline_info(found, language)
                if found
                else HotlineInfo(id=hid, name=ja if language in ("ja", "easy-ja") else en, number=number, when="")
            )
        for kind in hits.urgent_kinds:
            for topic in _HOTLINE_TOPICS.get(kind, ()):
                for hotline in hotlines:
                    haystack = " ".join([hotline.id, *hotline.name.all_texts(), hotline.when_text("ja")]).lower()
                    if topic.lower() in haystack and all(c.id != hotline.id for c in chosen):
                        chosen.append(_hotline_info(hotline, language))
                        break
        return tuple(chosen[:5])

    # ---------------------------------------------------------------------------------- the summary

    def summarise(self, transcript: Sequence[Turn], result: TriageResult) -> HandoffSummary:
        return summarise(self.kb, transcript, result)


def _hotline_info(hotline: Hotline, language: str) -> HotlineInfo:
    return HotlineInfo(
        id=hotline.id, name=hotline.name.in_language(language), number=hotline.number, when=hotline.when_text(language)
    )


def _as_language(value: str | None) -> Language | None:
    if value in LANGUAGE_VALUES:
        return value
    return None


def _one_line(text: str, limit: int = 90) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_FLAG_NAMES = {
    "urgent": "緊急",
    "dv": "DV",
    "child_abuse": "児童虐待の疑い",
    "elder_abuse": "高齢者虐待の疑い",
    "suicide": "自殺念慮",
    "collapse": "急病・倒れている",
    "missing": "行方不明",
    "eviction": "住まいを失う",
    "disaster": "災害発生中",
    "asks_person": "職員との会話を希望",
    "complaint": "苦情",
    "individual_case": "個別の事情",
    "repeated_failure": "ボットで解決せず",
    "entry": "職員対応が必要な手続き",
}


def summarise(kb: KnowledgeBase, transcript: Sequence[Turn], result: TriageResult) -> HandoffSummary:
    """A handoff summary for staff built from the transcript and the triage result, without an LLM."""
    resident_lines = [t.text for t in transcript if t.sender == "resident"]
    topic = ""
    if result.entry_ids:
        topic = f"「{kb.entry(result.entry_ids[0]).title.ja}」について: "
    elif result.suggestions:
        topic = f"「{result.suggestions[0].title}」など: "
    # The longest resident line usually carries the need; the latest one the current state.
    main = max(resident_lines, key=len) if resident_lines else result.masked_text
    need = _one_line(topic + main)
    bot_said: list[str] = []
    for turn in transcript:
        if turn.sender != "bot":
            continue
        if turn.entry_ids:
            titles = [kb.entry(i).title.ja for i in turn.entry_ids if i in {e.id for e in kb.entries}]
            bot_said.append("回答: " + "、".join(titles) if titles else _one_line(turn.text, 60))
        elif turn.action == "clarify":
            bot_said.append("確認: " + _one_line(turn.text, 60))
        else:
            bot_said.append(_one_line(turn.text, 60))
    flags: list[str] = []
    if result.urgent:
        flags.append(_FLAG_NAMES["urgent"])
    for reason in result.reasons:
        kind = reason.split(" ", 1)[0].split(":", 1)
        if len(kind) == 2 and kind[0] in ("urgent", "handoff"):
            name = _FLAG_NAMES.get(kind[1], kind[1])
            if name not in flags:
                flags.append(name)
    if result.masked_kinds or any(token in result.masked_text for token in MASK_TOKENS):  # masked at the edge
        flags.append("個人番号など伏せ字あり")
    if result.language not in ("ja", "easy-ja"):
        flags.append(f"言語: {result.language}")
    return HandoffSummary(
        route=result.route,
        route_name=kb.municipality.route_name(result.route),
        need=need,
        bot_said=tuple(bot_said[-5:]),
        flags=tuple(flags),
        language=result.language,
    )
