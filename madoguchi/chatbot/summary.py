"""The handoff summary an agent reads in ten seconds: what the resident wants now, then what else they asked.

A chat wanders: a resident asks about the garbage day, then about their tax bill, then asks for a person. The
agent needs the current need first, so the summary follows the last clear question (the line the triage could
place with confidence), not the first or the longest line, and lists the earlier topics as "also asked".
Built without an LLM from the transcript and per-line triage results the engine passes in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from madoguchi.chatbot.knowledge import KnowledgeBase
from madoguchi.chatbot.lexicon import bundled_lexicon
from madoguchi.chatbot.normalise import answer_language, normalise
from madoguchi.chatbot.retrieval import ScoredEntry, route_scores
from madoguchi.chatbot.rules import topic_kinds
from madoguchi.domain.languages import JA_NAMES
from madoguchi.domain.privacy import MASK_TOKENS, without_mask_tokens
from madoguchi.domain.routes import RouteId


class HandoffSummary(BaseModel):
    """What an agent reads in ten seconds before taking over."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    route: RouteId
    route_name: str
    need: str
    bot_said: tuple[str, ...]
    flags: tuple[str, ...]
    language: str
    also_asked: tuple[str, ...] = ()
    gist: str = ""
    """For a resident writing in another language: the bot's guess in Japanese (the route, the knowledge-base
    entries it matched or found nearest, the flags), so an agent who reads only Japanese knows what the case is."""


@dataclass(frozen=True)
class LineTopic:
    """One resident line as the triage placed it: its route and best entry title, when it was clear."""

    text: str
    route: RouteId
    title: str | None
    clear: bool


FLAG_NAMES = {
    "urgent": "緊急",
    "dv": "DV",
    "child_abuse": "児童虐待の疑い",
    "elder_abuse": "高齢者虐待の疑い",
    "suicide": "自殺念慮",
    "collapse": "急病・倒れている",
    "missing": "行方不明",
    "eviction": "住まいを失う",
    "disaster": "災害発生中",
    "household": "ガス・一酸化炭素など家の中の危険",
    "model": "危険の兆候（学習モデル）",
    "safety_yes": "「危ない」と回答",
    "asks_person": "職員との会話を希望",
    "complaint": "苦情",
    "individual_case": "個別の事情",
    "learned": "職員対応が必要そう",
    "repeated_failure": "ボットで解決せず",
    "entry": "職員対応が必要な手続き",
}


# The urgent topic in Japanese, first in the summary box: from the lexicon's urgent kinds, the hotline topics
# (rules.TOPIC_ROWS) and the danger concepts that asked the question (a "yes" or the learned score made it urgent).
URGENT_TOPICS = {
    **{
        kind: FLAG_NAMES[kind]
        for kind in (
            "dv",
            "child_abuse",
            "elder_abuse",
            "suicide",
            "collapse",
            "missing",
            "eviction",
            "disaster",
            "household",
        )
    },
    "no_contact": "安否確認",
    "unwell": "急病",
    "water_rising": "災害発生中",
    "cannot_move": "避難に手助けが必要",
    "no_food": "食べ物がない（放置の疑い）",
    "family_fight": "家庭内の暴力",
}

# Languages other than Japanese, named in Japanese for the agent (「ベトナム語で 書かれています」).
JA_LANGUAGE_NAMES = {code: name for code, name in JA_NAMES.items() if code not in ("ja", "easy-ja")}

WRITTEN_MIN_LETTERS = 6
"""A line shorter than this ("ok", "yes", 「はい」) says too little to tell the language the resident writes in."""


def written_language(lines: Sequence[str], fallback: str) -> str:
    """The language the resident writes in: the language of their last line long enough to tell
    (:data:`WRITTEN_MIN_LETTERS` letters), else ``fallback`` (the page's language, or the triage's). Between
    ordinary and easy Japanese, and for kanji alone, ``fallback`` decides (:func:`answer_language`)."""
    for line in map(without_mask_tokens, reversed(lines)):
        if len(re.findall(r"\w", line)) >= WRITTEN_MIN_LETTERS:
            return answer_language(line, fallback)
    return fallback


def urgent_topics(reasons: Sequence[str], text: str) -> list[str]:
    """The urgent topics in Japanese (:data:`URGENT_TOPICS`), most specific first, without repeats."""
    kinds = [r.split(" ", 1)[0].removeprefix("urgent:") for r in reasons if r.startswith("urgent:")]
    kinds += topic_kinds(normalise(text), bundled_lexicon())
    for reason in reasons:
        if reason.startswith("safety:concepts ("):
            kinds += reason.removeprefix("safety:concepts (").rstrip(")").split("+")
    names = [URGENT_TOPICS[k] for k in kinds if k in URGENT_TOPICS]
    return list(dict.fromkeys(names))


def one_line(text: str, limit: int = 90) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _topic_label(kb: KnowledgeBase, topic: LineTopic) -> str:
    return topic.title or kb.municipality.route_name(topic.route)


def matched_title(ranked: Sequence[ScoredEntry], entry_id: str, *, strong_score: float) -> str | None:
    """The entry's title as the name of the resident's need, only when the knowledge base itself points at it:
    the entry scored at least ``strong_score`` for the line and its route is the one retrieval ranks first.

    The route can come from the learned model while retrieval found nothing close: "talk to a person about my
    tax bill" is the tax route, but the tax entry retrieval matched best was 「確定申告を手伝ってほしい」 (on the
    word "tax" alone; the best match overall was the water bill). Naming that entry would tell the agent the
    resident asked about something they did not; the summary then names the route and quotes the resident."""
    by_route = route_scores(ranked)
    if not by_route:
        return None
    top_route = max(by_route, key=lambda r: by_route[r])
    item = next((i for i in ranked if i.entry.id == entry_id), None)
    if item is None or item.score < strong_score or item.entry.route.value != top_route:
        return None
    return item.entry.title.ja


def build_summary(
    kb: KnowledgeBase,
    *,
    route: RouteId,
    urgent: bool,
    reasons: Sequence[str],
    masked_kinds: Sequence[str],
    masked_text: str = "",
    language: str,
    current: LineTopic,
    earlier: Sequence[LineTopic],
    bot_lines: Sequence[tuple[str, str | None, tuple[str, ...]]],
    nearest: Sequence[str] = (),
) -> HandoffSummary:
    """``current`` is the resident's present need (the last clear line), ``earlier`` the other resident lines
    (oldest first), ``bot_lines`` (text, action, entry ids) what the bot said, ``nearest`` the Japanese titles of
    the entries the knowledge base finds nearest the current line (the gist of a case in another language)."""
    topics = urgent_topics(reasons, current.text) if urgent else []
    urgent_head = "【" + "・".join([FLAG_NAMES["urgent"], *topics]) + "】" if urgent else ""
    label = _topic_label(kb, current) if current.clear or current.title else ""
    written = JA_LANGUAGE_NAMES.get(language)
    prefix = (
        urgent_head + (f"「{label}」について" if label else "") + (f"（{written}で 書かれています）" if written else "")
    )
    need = one_line(prefix + (": " if prefix else "") + current.text, 140 if written else 90)
    also: list[str] = []
    for topic in reversed(earlier):
        if not topic.clear or topic.text == current.text:
            continue
        label = _topic_label(kb, topic)
        if topic.route == current.route and topic.title == current.title:
            continue
        line = one_line(f"{label}: {topic.text}", 60)
        if line not in also:
            also.append(line)
    known = {e.id for e in kb.entries}
    bot_said: list[str] = []
    for text, action, entry_ids in bot_lines:
        titles = [kb.entry(i).title.ja for i in entry_ids if i in known]
        if titles:
            bot_said.append("回答: " + "、".join(titles))
        elif action == "clarify":
            bot_said.append("確認: " + one_line(text, 60))
        elif action == "safety_check":
            bot_said.append("安全確認: " + one_line(text, 60))
        else:
            bot_said.append(one_line(text, 60))
    flags: list[str] = []
    if urgent:
        flags.append(FLAG_NAMES["urgent"])
        flags.extend(t for t in topics if t not in flags)
    for reason in reasons:
        kind = reason.split(" ", 1)[0].split(":", 1)
        if len(kind) == 2 and kind[0] in ("urgent", "handoff"):
            name = FLAG_NAMES.get(kind[1], kind[1])
            if name not in flags:
                flags.append(name)
    if masked_kinds or any(token in masked_text for token in MASK_TOKENS):  # here, or already at the edge
        flags.append("個人番号など伏せ字あり")
    if language not in ("ja", "easy-ja"):
        flags.append(f"言語: {JA_LANGUAGE_NAMES.get(language, language)}")
    route_name = kb.municipality.route_name(route)
    gist = ""
    if written:
        answered = [kb.entry(i).title.ja for _t, _a, ids in bot_lines for i in ids if i in known]
        titles = list(dict.fromkeys([*([current.title] if current.title else []), *answered, *nearest]))[:3]
        gist = one_line(
            f"「{route_name}」の 用件"
            + (f"。近い 案内: {'、'.join(titles)}" if titles else "")
            + (f"。注意: {'・'.join(f for f in flags if not f.startswith('言語:'))}" if len(flags) > 1 else ""),
            160,
        )
    return HandoffSummary(
        route=route,
        route_name=route_name,
        gist=gist,
        need=need,
        bot_said=tuple(bot_said[-5:]),
        flags=tuple(flags),
        language=language,
        also_asked=tuple(also[:3]),
    )
