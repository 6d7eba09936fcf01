"""The danger stage's situation layer: WHO is at risk × WHAT STATE they are in × WHEN, not which words were used.

The learned danger score reads character n-grams, so it learns how the corpus's writers word a danger, and that
does not carry over to the next writer or language (bench/triage/SELECTION.md, rounds 4–12). Urgency is a
combination — a frail or lonely person (who) in a state that cannot wait (unreachable, cannot get up, no food,
water reaching the house) that holds now (since this morning, for days) and is not told as the past, a plan, a
story or paperwork (when). The lexicon files already map the words of nine languages onto those concepts, so a
line is described here by slots (which who, which state, which when) and their crosses, and a small logistic
model over those slots plus the linear danger score learns from every language's lines at once: what Japanese
writers taught about "an old father unreachable since this morning" holds for the Nepali line that names the
same concepts in other words. Pure: a folded line and a lexicon in, feature names out; the fitted weights are a
plain table (:class:`SituationModel`), trained in ``model.py`` on out-of-fold danger scores by writer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from madoguchi.chatbot.lexicon import Lexicon, LexiconName

L = LexiconName

# Who is at risk: a child, an old or frail person, someone alone, a partner (the other side of violence at home).
WHO: tuple[LexiconName, ...] = (L.CHILD, L.ELDER, L.ALONE, L.PARTNER)
# What state they are in now: the lists that name a body, a home or a mind in trouble.
STATE: tuple[LexiconName, ...] = (
    L.NO_CONTACT,
    L.CANNOT_MOVE,
    L.NO_FOOD,
    L.WATER_RISING,
    L.HOPELESS,
    L.FEAR,
    L.INJURY,
    L.FAMILY_FIGHT,
    L.UNWELL,
    L.HEAT,
    L.HOUSEHOLD_DANGER,
    L.FELL_DOWN,
    L.COLLAPSE,
    L.MISSING,
    L.VIOLENCE,
    L.ABUSE,
    L.SUICIDE,
    L.EVICTION,
    L.EVICTION_NOW,
    L.DISASTER,
    L.DISASTER_STRONG,
    L.FAREWELL,
    L.WEAK_DANGER,
    L.HELP_HIDING,
    L.HIDING,
    L.SHELTER_NOW,
)
# When: it holds now (today, for days, since …) ...
NOW: tuple[LexiconName, ...] = (L.TODAY, L.DURATION, L.DISASTER_NOW, L.DISASTER_EXPLICIT_NOW)
# ... or the line is about a danger, not in one: over, planned, hypothetical, a story, a figure of speech, paperwork,
# a thing lost, a move. ``past`` is read as :meth:`Lexicon.tells_of_the_past` (a past word that is no duration).
CALM: tuple[LexiconName, ...] = (
    L.PAST,
    L.PLANNING,
    L.GENERAL_QUESTION,
    L.STORY,
    L.IDIOM,
    L.RESOLVED,
    L.PROCEDURE,
    L.DISASTER_NOT,
    L.SUICIDE_NOT,
    L.COLLAPSE_NOT,
    L.FELL_NOT_PERSON,
    L.LOST_THING,
    L.FAREWELL_NOT,
)


@dataclass(frozen=True)
class Slots:
    """Which who, state and when lists one line names."""

    who: tuple[str, ...]
    state: tuple[str, ...]
    now: tuple[str, ...]
    calm: tuple[str, ...]


def slots(folded: str, lexicon: Lexicon) -> Slots:
    """The line's slots, each list named once (searches are remembered by the lexicon for the line)."""

    def named(names: Sequence[LexiconName]) -> tuple[str, ...]:
        out = []
        for name in names:
            hit = lexicon.tells_of_the_past(folded) if name is L.PAST else lexicon.hits(name, folded)
            if hit:
                out.append(name.value)
        return tuple(out)

    return Slots(named(WHO), named(STATE), named(NOW), named(CALM))


def _bucket(score: float) -> str:
    """The linear danger score (an SVM margin, around −1 … +1) in coarse steps, so its crosses with the slots
    stay a handful of features."""
    if score >= 0.0:
        return "hi"
    if score >= -0.4:
        return "mid"
    return "lo"


def situation_features(s: Slots, score: float) -> list[str]:
    """Binary features of one line: each slot, how many states, the crosses who × state, state × when and
    who × state × when at the level of "any", and the danger score's bucket crossed with the when slots."""
    any_who = bool(s.who)
    any_now = bool(s.now)
    any_calm = bool(s.calm)
    n_state = min(len(s.state), 3)
    when = "calm" if any_calm and not any_now else ("now" if any_now else "plain")
    band = _bucket(score)
    out = [f"who:{w}" for w in s.who]
    out += [f"state:{x}" for x in s.state]
    out += [f"now:{x}" for x in s.now]
    out += [f"calm:{x}" for x in s.calm]
    out.append(f"states:{n_state}")
    out.append(f"when:{when}")
    out += [f"who+state:{w}+{x}" for w in s.who for x in s.state]
    out += [f"state+when:{x}+{when}" for x in s.state]
    out += [f"state+calm:{x}+{c}" for x in s.state for c in s.calm]
    out.append(f"who+states+when:{int(any_who)}+{n_state}+{when}")
    out.append(f"band+when:{band}+{when}")
    out.append(f"band+states:{band}+{n_state}")
    out.append(f"band+who:{band}+{int(any_who)}")
    return out


@dataclass(frozen=True)
class SituationModel:
    """A logistic model over :func:`situation_features` and the linear danger score, as a weight table, with the
    probability below which a lexicon's weak danger signal is not asked about (the situation reads calm)."""

    weights: dict[str, float]
    score_weight: float
    intercept: float
    calm_below: float
    info: dict[str, float] = field(default_factory=dict)

    def probability(self, s: Slots, score: float) -> float:
        z = self.intercept + self.score_weight * score
        z += sum(self.weights.get(f, 0.0) for f in situation_features(s, score))
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
