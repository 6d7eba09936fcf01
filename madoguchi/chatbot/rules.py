"""How the safety and handoff lexicons combine into decisions, run on the normalised (masked) text.

The phrases are data (``lexicon.py``, ``data/lexicons/<lang>.yaml``); what stays here is what cannot be a
table: an abuse word is child abuse next to a child word and elder abuse next to an elder word, a flood word
is urgent only when it is happening now, 「倒れ」 is a person only when no tree or wall fell. Missing a resident
in danger is the worst thing the bot can do, so the urgent rules favour recall, with narrow exclusions for
ordinary questions that share words (「死亡届」, 「浸水想定区域」, 「防災訓練」, 「木が倒れて」). A weak
danger signal does not make a case urgent; it makes the bot ask (see ``safety.py``). The rules never decide
the route alone; they give a route hint the engine combines with the route model and retrieval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from madoguchi.chatbot.lexicon import Lexicon, LexiconName, bundled_lexicon
from madoguchi.domain.routes import RouteId

L = LexiconName

# Urgent kinds that are events (someone collapsed, a fire or flood, a beating, a person went missing, an
# eviction). Told in the past tense without a duration — 「先月しごと中にたおれた」, "two years ago, because of
# DV", 「去年の台風で実家が流されて」 — the event is over and the line asks about its aftermath: the bot asks
# the danger question instead of calling it urgent, and stays quiet when the line also says it is over
# (found, safe now, nobody hurt). A fallen thing with nobody hurt (「木がたおれて けが人なし」) is no collapse.
# Suicide and abuse words keep their verdict: a past attempt or a child's bruises still need a person now.
EVENT_KINDS = frozenset({"collapse", "disaster", "dv", "missing", "eviction", "household"})
# 「見つからない」, "can't find my", हराए, nawawala, sumiu: a person gone missing, or a card, wallet, key or pet
# lost. With a LOST_THING word this close to the missing phrase it is the thing: no danger signal of its own (the
# learned score still weighs the line), and only the question when a child or an old person is named too.
_THING_REACH = 20


def concept_row(folded: str, lex: Lexicon) -> tuple[LexiconName, ...] | None:
    """The first row of the lexicons' concept table (``ask_when_all``, bundled in ``data/lexicons/concepts.yaml``)
    the line hits in full, unless it talks about planning, or about past damage without saying how long a
    state has lasted (「昨日から」 is now, 「昨日の大雨で」 is over; 「おとといから」 is a duration too)."""
    if lex.search(L.PLANNING, folded) or lex.tells_of_the_past(folded):
        return None
    return next((row for row in lex.ask_when_all if all(lex.hits(name, folded) for name in row)), None)


# Hotline topics a line points to by the concepts it names, whatever made it urgent (a lexicon kind, the learned
# danger score, a "yes" to the danger question): every language's cue lists, so 「夫が こわくて」, "my husband
# scares me" and "chồng tôi ... sợ" all bring the DV hotline (municipality.yaml hotlines[].topics).
TOPIC_ROWS: tuple[tuple[str, tuple[LexiconName, ...]], ...] = (
    ("dv", (L.PARTNER, L.FEAR)),
    ("dv", (L.PARTNER, L.VIOLENCE)),
    ("dv", (L.PARTNER, L.FAMILY_FIGHT)),
    ("dv", (L.PARTNER, L.ABUSE)),
    ("dv", (L.PARTNER, L.HIDING)),
)


def topic_kinds(folded: str, lex: Lexicon) -> tuple[str, ...]:
    """The hotline topics of :data:`TOPIC_ROWS` whose concepts all occur in ``folded``."""
    return tuple(dict.fromkeys(kind for kind, row in TOPIC_ROWS if all(lex.search(name, folded) for name in row)))


@dataclass(frozen=True)
class RuleHits:
    """What the explicit rules found in one utterance."""

    # dv, child_abuse, elder_abuse, suicide, collapse, missing, eviction, disaster, household
    urgent_kinds: tuple[str, ...] = ()
    handoff_kinds: tuple[str, ...] = ()  # asks_person, complaint, individual_case
    not_understood: bool = False
    weak_danger: bool = False  # a danger word without what makes it urgent: worth asking
    past_event: bool = (
        False  # ... and that word is only an urgent event told in the past tense, or as a general question
    )
    route_hints: tuple[RouteId, ...] = ()
    reasons: tuple[str, ...] = field(default=())
    topics: tuple[str, ...] = ()  # hotline topics besides the urgent kinds (TOPIC_ROWS)
    # The line tells of the past, a plan, a general question, a story or a figure of speech: a learned danger
    # score high enough for "urgent at once" asks the danger question instead (engine._safety)
    calm_context: bool = False
    # ... or says the danger is over, names a hazard map or drill, or deals with paperwork (a certificate, an
    # application): a learned danger score just below the question threshold does not ask (engine._safety)
    quiet: bool = False

    @property
    def urgent(self) -> bool:
        return bool(self.urgent_kinds)

    @property
    def handoff(self) -> bool:
        return self.urgent or bool(self.handoff_kinds)


_KEPT_WHEN_CALLED_GENERAL: frozenset[str] = frozenset({"suicide", "dv", "child_abuse", "elder_abuse"})
"""Urgent kinds that a 'general question' or 'not urgent' phrase never clears: the resident tells of violence or
of wanting to die, and that is how such lines are often softened."""


# Lists that say a household danger is asked about, told as a story, or over.
_ABOUT_IT = (L.PLANNING, L.GENERAL_QUESTION, L.STORY, L.RESOLVED)
# Lists that say the line is about a danger, not in one (with ``Lexicon.tells_of_the_past``).
_CALM_CONTEXT = (L.PLANNING, L.GENERAL_QUESTION, L.STORY, L.IDIOM)
# ... and lists that say it is over, a preparation, or a matter of paperwork (``RuleHits.quiet``).
_QUIET = (*_CALM_CONTEXT, L.RESOLVED, L.DISASTER_NOT, L.PROCEDURE)


def apply_rules(folded: str, lexicon: Lexicon | None = None) -> RuleHits:
    """Run every rule on ``folded`` (the output of :func:`normalise` on masked text)."""
    lex = lexicon or bundled_lexicon()
    urgent: list[str] = []
    hints: list[RouteId] = []
    reasons: list[str] = []
    weak: list[str] = []
    gated: list[str] = []  # weak signals the engine asks about only when the learned score reaches the question

    spans: list[tuple[int, int]] = []

    def hit(kind: str, route: RouteId, match: re.Match[str] | None) -> None:
        urgent.append(kind)
        hints.append(route)
        reasons.append(f"urgent:{kind} ({match.group(0).strip() if match else ''})")
        if match:
            spans.append(match.span())

    child = lex.search(L.CHILD, folded)
    elder = lex.search(L.ELDER, folded)
    partner = lex.search(L.PARTNER, folded)
    if m := lex.search(L.ABUSE, folded):
        if partner and not child:  # 「夫が こわくて 家に帰りたくない」 is a partner's violence, not a child's
            hit("dv", RouteId.LIVELIHOOD_SUPPORT, m)
        elif child or not elder:
            hit("child_abuse", RouteId.CHILD_FAMILY, m)
        else:
            hit("elder_abuse", RouteId.ELDERLY_CARE, m)
    if (m := lex.search(L.VIOLENCE, folded)) and "child_abuse" not in urgent and "elder_abuse" not in urgent:
        if child and not partner:
            hit("child_abuse", RouteId.CHILD_FAMILY, m)
        else:
            hit("dv", RouteId.LIVELIHOOD_SUPPORT, m)
    if (m := lex.search(L.SUICIDE, folded)) and not lex.search(L.SUICIDE_NOT, folded):
        hit("suicide", RouteId.HEALTH_CHECKUPS, m)
    hopeless = lex.search(L.HOPELESS, folded)
    if "suicide" not in urgent and (m := lex.search(L.FAREWELL, folded)):
        if hopeless or lex.search(L.NO_CONTACT, folded):  # "thanks for everything" and no answer since
            hit("suicide", RouteId.HEALTH_CHECKUPS, m)
        elif not lex.search(L.FAREWELL_NOT, folded):  # 「今までお世話になりました、来月帰国します」 is a move
            weak.append(f"farewell ({m.group(0).strip()})")
    collapse = lex.search(L.COLLAPSE, folded)
    if collapse and lex.search(L.COLLAPSE_NOT, folded):
        collapse = None
    if collapse is None and (fell := lex.search(L.FELL_DOWN, folded)) and not lex.search(L.FELL_NOT_PERSON, folded):
        collapse = fell
    if collapse:
        hit("collapse", RouteId.ELDERLY_CARE if elder else RouteId.HEALTH_CHECKUPS, collapse)
    missing = lex.search(L.MISSING, folded)
    if missing and folded[missing.end() : missing.end() + 1] == "ら":  # 「いなくなったら」 is a worry about later
        missing = None
    thing = lex.near(L.LOST_THING, folded, missing, _THING_REACH) if missing else None
    if missing and thing:
        if elder or child:
            weak.append(f"missing ({missing.group(0).strip()}, or a lost {thing.group(0).strip()})")
    elif (m := missing) and (elder or child):
        hit("missing", RouteId.CHILD_FAMILY if child and not elder else RouteId.ELDERLY_CARE, m)
    elif missing:
        weak.append(f"missing ({missing.group(0).strip()})")
    eviction = lex.search(L.EVICTION_NOW, folded)
    if eviction is None and (m := lex.search(L.EVICTION, folded)):
        if lex.search(L.TODAY, folded):
            eviction = m
        else:
            weak.append(f"eviction ({m.group(0).strip()})")
    if eviction:
        hit("eviction", RouteId.LIVELIHOOD_SUPPORT, eviction)
    if m := lex.search(L.DISASTER, folded):
        strong = lex.search(L.DISASTER_STRONG, folded)
        now = lex.search(L.DISASTER_NOW, folded)
        excluded = lex.search(L.DISASTER_NOT, folded) and not lex.search(L.DISASTER_EXPLICIT_NOW, folded)
        if (strong or now) and not excluded:
            hit("disaster", RouteId.DISASTER_SAFETY, strong or m)
    if not urgent and (m := lex.search(L.HELP_HIDING, folded)) and lex.search(L.HIDING, folded):
        hit("dv", RouteId.LIVELIHOOD_SUPPORT, m)
    if m := lex.search(L.HOUSEHOLD_DANGER, folded):
        # a gas smell, a CO alarm, charcoal in a closed room: urgent when someone is unwell (a headache beside a
        # gas smell), cannot get out or cannot be reached; asked about otherwise; a question about preparing, a
        # story or a leak already fixed goes to the learned score (the past tense too, below)
        unwell = lex.search(L.UNWELL, folded)
        calm = next((c for name in _ABOUT_IT if (c := lex.search(name, folded))), None)
        people = (L.UNWELL, L.NO_CONTACT, L.CANNOT_MOVE, L.COLLAPSE, L.FELL_DOWN)
        if calm and not unwell:
            gated.append(f"calm household ({m.group(0).strip()}, {calm.group(0).strip()})")
        elif any(lex.search(name, folded) for name in people):
            hit("household", RouteId.DISASTER_SAFETY, m)
        elif lex.tells_of_the_past(folded):
            gated.append(f"past household ({m.group(0).strip()})")
        else:
            weak.append(f"household ({m.group(0).strip()})")
    idioms = lex.spans(L.IDIOM, folded) if urgent else []
    if idioms and all(any(a <= s and e <= b for a, b in idioms) for s, e in spans):
        # every danger word is part of a figure of speech: 「死ぬほど忙しい」, "this heat is killing me"
        weak.append(f"idiom {urgent[0]} ({reasons[0].split('(', 1)[-1].rstrip(')')})")
        reasons.clear()
        urgent.clear()
        hints.clear()
    if urgent and set(urgent) <= EVENT_KINDS:
        past = lex.tells_of_the_past(folded)
        over = lex.search(L.RESOLVED, folded)
        if over and (past or set(urgent) == {"collapse"}):
            reasons[:] = [f"calm:{kind} is over ({over.group(0).strip()})" for kind in urgent]
            urgent.clear()
            hints.clear()
        elif past:
            gated.append(f"past {urgent[0]} ({reasons[0].split('(', 1)[-1].rstrip(')')})")
            reasons.clear()
            urgent.clear()
            hints.clear()
    feels = lex.search(L.FEAR, folded) or lex.search(L.INJURY, folded) or lex.search(L.HELP_HIDING, folded)
    kept = not _KEPT_WHEN_CALLED_GENERAL.isdisjoint(urgent)
    if urgent and not kept and not feels and (general := lex.search(L.GENERAL_QUESTION, folded)):
        # "a general question: if someone were abused by a partner, which hotline?", 「急ぎではないのですが」: the
        # resident says the line is a question about the topic, not a danger now — unless the line also tells of fear,
        # an injury or a cry for help ("not an emergency, but he hit me again and I'm scared"), and never for
        # suicidal words (「急ぎではないけど、もう消えたい」 is said that way). Like a past event
        # it is not urgent by the rules; the learned danger score decides between urgent and the danger question —
        # never a plain answer (「急ぎではないけど、母が倒れて起きない」 must at least be asked). Violence and abuse
        # keep their verdict however they are introduced ("not urgent, but my husband hits me every night": the
        # review of session 10 found such lines answered with no hotline).
        weak.append(f"general {urgent[0]} ({general.group(0).strip()})")
        reasons.clear()
        urgent.clear()
        hints.clear()
    weak[:0] = gated
    if not urgent and (m := lex.search(L.WEAK_DANGER, folded)):
        weak.append(f"weak ({m.group(0).strip()})")
    if not urgent and not weak and (row := concept_row(folded, lex)):
        weak.append("concepts (" + "+".join(name.value for name in row) + ")")
    if not urgent and weak:
        reasons.append("safety:" + weak[0])

    handoff: list[str] = []
    for kind, name in (
        ("asks_person", L.ASK_PERSON),
        ("complaint", L.COMPLAINT),
        ("individual_case", L.INDIVIDUAL_CASE),
    ):
        if m := lex.search(name, folded):
            handoff.append(kind)
            reasons.append(f"handoff:{kind} ({m.group(0).strip()})")
    return RuleHits(
        urgent_kinds=tuple(dict.fromkeys(urgent)),
        handoff_kinds=tuple(handoff),
        not_understood=bool(lex.search(L.NOT_UNDERSTOOD, folded)),
        weak_danger=bool(weak) and not urgent,
        past_event=bool(weak) and len(weak) == len(gated) and not urgent,
        route_hints=tuple(dict.fromkeys(hints)),
        reasons=tuple(reasons),
        topics=topic_kinds(folded, lex),
        calm_context=bool(lex.tells_of_the_past(folded) or any(lex.search(name, folded) for name in _CALM_CONTEXT)),
        quiet=bool(lex.tells_of_the_past(folded) or any(lex.search(name, folded) for name in _QUIET)),
    )


def without_handoff_phrases(folded: str, lexicon: Lexicon | None = None) -> str:
    """The text minus 「担当の人と話したい」-style phrases, so retrieval looks at the topic, not at the request
    for a person (which every route shares)."""
    lex = lexicon or bundled_lexicon()
    stripped = lex.remove((L.ASK_PERSON, L.COMPLAINT), folded).strip()
    return stripped or folded


def has_topic(folded_without_handoff: str, lexicon: Lexicon | None = None) -> bool:
    """Whether anything but grammar is left: 「人と話したいです」 minus the request is no topic at all."""
    lex = lexicon or bundled_lexicon()
    rest = re.sub(r"[\u3040-\u309f]+", " ", folded_without_handoff)
    words = [w for w in re.findall(r"[a-z0-9]+|[^\sa-z0-9]+", rest) if not lex.is_generic_word(w)]
    return len("".join(words)) >= 2
