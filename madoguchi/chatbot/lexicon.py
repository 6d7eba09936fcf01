"""The safety and handoff lexicons: phrase lists per language, in YAML files staff and municipalities edit.

The words residents use when they are in danger, want a person or complain are data, not code: a new language
is a new file, and a municipality adds its own words (place names of its rivers, its dialect) in
``<kb_dir>/lexicons/*.yaml`` without touching the program. Every file is validated on load and a mistake comes
back as ``file:line: what is wrong``, like the knowledge base. How the lists combine into decisions (an abuse
word plus a child word is child abuse) stays in ``rules.py``; the format is in ``docs/knowledge_base.md``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.yaml_source import KnowledgeBaseError, compose, line_of, raise_validation

LEXICON_DIR = Path(__file__).resolve().parent / "data" / "lexicons"


class LexiconName(StrEnum):
    """Every list a lexicon file may fill; what each means is documented in docs/knowledge_base.md."""

    VIOLENCE = "violence"  # someone is hurting, threatening or stalking the resident
    ABUSE = "abuse"  # abuse or neglect (with a child or elder word it names whose)
    CHILD = "child"  # words for children
    ELDER = "elder"  # words for old or frail people and parents
    PARTNER = "partner"  # spouse or partner: violence with these words is DV, not child abuse
    SUICIDE = "suicide"
    SUICIDE_NOT = "suicide_not"  # 「自殺対策」: talks about the topic, not about oneself
    COLLAPSE = "collapse"  # someone collapsed, unconscious, not breathing
    COLLAPSE_NOT = "collapse_not"
    FELL_DOWN = "fell_down"  # 「倒れ」: a person only when no thing (tree, wall) fell
    FELL_NOT_PERSON = "fell_not_person"
    MISSING = "missing"  # (with a child or elder word) a person has gone missing
    LOST_THING = "lost_thing"  # a card, wallet, key, pet...: beside a MISSING word, a thing is lost, not a person
    EVICTION_NOW = "eviction_now"  # no place to sleep tonight
    EVICTION = "eviction"  # evicted: urgent only with a TODAY word
    TODAY = "today"
    DISASTER = "disaster"  # flood, fire, landslide...: urgent only when strong, or with a DISASTER_NOW word
    DISASTER_NOW = "disaster_now"
    DISASTER_STRONG = "disaster_strong"
    DISASTER_NOT = "disaster_not"  # hazard maps, drills, certificates: not happening now
    DISASTER_EXPLICIT_NOW = "disaster_explicit_now"  # overrides DISASTER_NOT
    HELP_HIDING = "help_hiding"  # 「助けて」「怖い」: urgent (DV) together with a HIDING word
    HIDING = "hiding"
    WEAK_DANGER = "weak_danger"  # a weak danger signal: the bot asks the safety question
    ASK_PERSON = "ask_person"
    COMPLAINT = "complaint"
    INDIVIDUAL_CASE = "individual_case"  # needs the resident's file or a decision
    NOT_UNDERSTOOD = "not_understood"  # 「ちがう」 right after the bot spoke
    GENERIC_WORDS = "generic_words"  # whole words that are no topic (「please」「someone」)
    SCHEDULE = "schedule"  # "when / what day / timetable": prefer an entry marked as a schedule
    LOST = "lost"  # lost, stolen, torn (なくした, 紛失, perdi, हरायो): answered only by an entry about it
    BOOKING = "booking"  # asks to book or about booking: the bot's answer offers the booking page
    ANSWER_YES = "answer_yes"  # answers to the safety question
    ANSWER_NO = "answer_no"
    # Danger cues: no rule reads these; the learned danger model sees which cue lists (and which pairs of
    # lists) a line hits, so what it learns from one language's lines carries over to every language whose
    # file names the same cue (a relative alone + no contact; water rising + cannot walk).
    ALONE = "alone"  # alone, living alone, left by themselves
    NO_CONTACT = "no_contact"  # not answering the phone, no reply, not seen for days
    NO_FOOD = "no_food"  # nothing to eat, has not eaten
    CANNOT_MOVE = "cannot_move"  # cannot walk or get up, bedridden, wheelchair
    WATER_RISING = "water_rising"  # river or sea rising, water reaching the road or the house
    SHELTER_NOW = "shelter_now"  # which shelter is open, where to flee
    HOPELESS = "hopeless"  # tired of everything, cannot go on, nobody understands
    FEAR = "fear"  # afraid, scared
    INJURY = "injury"  # bleeding, injured, broken bone, burn
    FAMILY_FIGHT = "family_fight"  # arguments, shouting, throwing things, drinking
    UNWELL = "unwell"  # limp, slurred speech, short of breath, chest pain, heatstroke: a body in trouble now
    DURATION = "duration"  # since this morning, for days: how long a worrying state has lasted
    PAST = "past"  # last week, yesterday: damage that is over (leans not urgent)
    SINCE = "since"  # から, since, desde, 부터, देखि: beside a PAST word it says how long a state has lasted
    RESOLVED = "resolved"  # found, safe now, nobody hurt, the doctor said it was fine: the danger is over
    PLANNING = "planning"  # in case of, to prepare, how would the town warn (leans not urgent)
    GENERAL_QUESTION = "general_question"  # "a general question", "not urgent", 「参考までに」: asks about, is not in
    # Indirect farewells (issue #10, session 11): thanks or sorry for everything, "look after my cat", giving one's
    # things away, "this is my last message". Alone the bot asks; with a hopeless word, no contact or a person
    # alone, it is suicidal. A farewell beside a move (転出, going home to my country, leaving a job) is a move.
    FAREWELL = "farewell"
    FAREWELL_NOT = "farewell_not"
    # Dangers in the home that are not a disaster outside: a gas smell or leak, a carbon monoxide alarm, charcoal,
    # a stove or a generator burning in a closed room. Urgent now; told in the past, or as a question about
    # preparing, the learned score decides between the question and an answer.
    HOUSEHOLD_DANGER = "household_danger"
    HEAT = "heat"  # a very hot room, no air conditioner in a heatwave (with an unwell or frail person: ask)
    # Mirror images of danger words: figures of speech ("this heat is killing me", 「死ぬほど忙しい」, 累死了) and
    # someone else's story (the news, a film, a dream). A danger word inside a figure of speech, or a learned
    # danger score beside a story, is lowered to the danger question at most, never cleared.
    IDIOM = "idiom"
    STORY = "story"
    # Paperwork (issue #10, session 14): a certificate, an application, a form, a fee, a deadline, a death or damage
    # registered — the words of a line that deals with an event's aftermath at the counter, not with a danger now
    # ("the certificate for last week's flood", 「死亡届を出したい」). A learned "urgent" beside one asks instead.
    PROCEDURE = "procedure"


Phrase = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v),
    Field(min_length=1, max_length=80),
]


# One row of the danger-concept table: lists that, all hit in one line, make the bot ask the danger question.
ConceptRow = Annotated[tuple[LexiconName, ...], Field(min_length=2, max_length=4)]

ANY_LANGUAGE = "any"  # a file whose content holds for every language (the concept table)


class LexiconFile(BaseModel):
    """One lexicon file: a language code, some of the named phrase lists and, optionally, rows of the
    danger-concept table (``ask_when_all``; the bundled rows are in ``concepts.yaml``, ``language: any``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[a-z]{2,4})?$|^any$")]
    safety_question: Annotated[str, Field(min_length=4, max_length=200)] | None = None
    phrases: dict[LexiconName, tuple[Phrase, ...]]
    ask_when_all: tuple[ConceptRow, ...] = ()


_JA_RE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_KANJI_RE = re.compile(r"[\u4e00-\u9fff]")
_JA_PAIR = re.compile(r"([\u3040-\u30ff\u4e00-\u9fff])(?=[\u3040-\u30ff\u4e00-\u9fff])")


# The polite form of a plain Japanese negative: the a-row kana before ない moves to the i-row (つながらない →
# つながりません, つかない → つきません); an adjective's く and "there is no" (返事がない) take ありません.
_A_TO_I = str.maketrans("かがさたなばまらわこ", "きぎしちにびみりいき")  # こない (来る) → きません
_NO_SUCH = ("が", "は", "も")


def polite_negative(folded: str) -> str | None:
    """「電話にでない」 → 「電話にでません」, 「連絡がつかない」 → 「連絡がつきません」, 「返事がない」 → 「返事が
    ありません」, 「生きていたくない」 → 「生きていたくありません」: residents write to the town politely, and
    every plain negative of the lists (no contact, no food, cannot move) is also said that way. ``None`` for a
    phrase that is no Japanese negative."""
    stem = folded.removesuffix("ない")
    core = stem.rstrip()  # 「ごはん が ない」, written with spaces between words
    if stem == folded or not core or not _JA_RE.match(core[-1]):
        return None
    if core.endswith(_NO_SUCH) or core[-1] == "く":
        return stem + "ありません"
    return core[:-1] + core[-1].translate(_A_TO_I) + "ません"


def dialect_negative(folded: str) -> str | None:
    """「起き上がれない」 → 「起き上がれん」, 「動けない」 → 「動けん」: the negative of western and Kyushu Japanese
    (鹿児島, 関西), said by many of the town's old residents. Not for two kana (「いない」 → 「いん」 would be inside
    every 「〜いんです」), not after て (「食べてん」 is "I ate" in 関西弁), and not "there is no" or an adjective's
    く."""
    stem = folded.removesuffix("ない")
    core = stem.rstrip()
    if stem == folded or core != stem or not all(_JA_RE.match(c) for c in core[-2:]):
        return None
    if len(core) < 3 and not _KANJI_RE.search(core):  # 動けん, 歩けん; not いん, でん
        return None
    if core.endswith((*_NO_SUCH, "てい")) or core[-1] in "くて":  # 食べていない is 食べとらん, not 食べていん
        return None
    return core + "ん"


def _phrase_regex(phrase: str) -> str | None:
    """A phrase as a regex over folded text. Latin phrases match whole words; a trailing ``*`` lets the last
    word continue (``escond*`` matches escondida); spaces match any run of spaces, or none; a Japanese plain
    negative also matches its polite and dialect forms (:func:`polite_negative`, :func:`dialect_negative`)."""
    prefix = phrase.endswith("*")
    folded = normalise(phrase.removesuffix("*"))
    if not folded:
        return None
    forms = [folded] if prefix else [folded, *(f for f in (polite_negative(folded), dialect_negative(folded)) if f)]
    escaped = _ja_regex(folded) if len(forms) == 1 else "(?:" + "|".join(_ja_regex(f) for f in forms) + ")"
    if folded[0].isascii() and folded[0].isalnum():
        escaped = r"(?<![a-z0-9])" + escaped
    if not prefix and folded[-1].isascii() and folded[-1].isalnum():
        escaped += r"(?![a-z0-9])"
    return escaped


def _ja_regex(folded: str) -> str:
    """``folded`` escaped, spaces matching any run of spaces or none; Japanese written with spaces between words
    (やさしい日本語, voice input): 「でんわに でない」 also matches 「でんわ に でない」 — an optional space between
    two kana or kanji of the phrase."""
    return _JA_PAIR.sub(r"\1 ?", re.escape(folded).replace("\\ ", "\\s*"))


_NEVER = re.compile(r"(?!)")
_RECENT_LINES = 32  # lines whose list searches a lexicon remembers (one triage asks about one line many times)
_SINCE_REACH = 6  # characters between a PAST word and its SINCE marker (「昨日の晩から」, "since yesterday morning")


@dataclass(frozen=True)
class Lexicon:
    """All loaded lexicon files merged: one compiled pattern per list, longest phrase first."""

    phrases: dict[LexiconName, tuple[str, ...]]
    languages: tuple[str, ...]
    safety_questions: dict[str, str]  # language → 「いま、あなたや だれかが 危ない 状態ですか？」
    # Danger concepts that together ask the danger question, in every language (see ``rules.concept_row``).
    ask_when_all: tuple[tuple[LexiconName, ...], ...] = ()

    def safety_question(self, language: str) -> str:
        """The danger question in ``language``; English, then Japanese, when that language has none."""
        for candidate in (language, "ja") if language == "easy-ja" else (language, "en", "ja"):
            if candidate in self.safety_questions:
                return self.safety_questions[candidate]
        return "いま、あなたや だれかが 危ない 状態ですか？"

    def __post_init__(self) -> None:
        patterns: dict[LexiconName, re.Pattern[str]] = {}
        for name in LexiconName:
            parts = {r for p in self.phrases.get(name, ()) if (r := _phrase_regex(p))}
            patterns[name] = re.compile("|".join(sorted(parts, key=len, reverse=True))) if parts else _NEVER
        words = frozenset(normalise(w) for w in self.phrases.get(LexiconName.GENERIC_WORDS, ()))
        object.__setattr__(self, "_patterns", patterns)
        object.__setattr__(self, "_words", words)
        object.__setattr__(self, "_recent", {})

    def search(self, name: LexiconName, folded: str) -> re.Match[str] | None:
        """The first phrase of list ``name`` in ``folded`` (normalised text).

        Remembered for the last few lines: the rules, the concept table, the hotline topics and the model's cue
        features all ask about the same line, and one list's pattern (hundreds of phrases in nine languages)
        costs about 0.1 ms a search — 40 % of a triage's time when each asked again (bench/triage/RESULTS.md)."""
        recent: dict[str, dict[LexiconName, re.Match[str] | None]] = getattr(self, "_recent")  # noqa: B009
        found = recent.get(folded)
        if found is None:
            if len(recent) >= _RECENT_LINES:
                recent.clear()
            found = recent[folded] = {}
        if name not in found:
            patterns: dict[LexiconName, re.Pattern[str]] = getattr(self, "_patterns")  # noqa: B009
            found[name] = patterns[name].search(folded)
        return found[name]

    def spans(self, name: LexiconName, folded: str) -> list[tuple[int, int]]:
        """Where every phrase of list ``name`` occurs in ``folded`` (not remembered: few lists are asked this)."""
        patterns: dict[LexiconName, re.Pattern[str]] = getattr(self, "_patterns")  # noqa: B009
        return [m.span() for m in patterns[name].finditer(folded)]

    def near(self, name: LexiconName, folded: str, match: re.Match[str], reach: int) -> re.Match[str] | None:
        """A phrase of list ``name`` within ``reach`` characters of ``match`` (before or after it)."""
        patterns: dict[LexiconName, re.Pattern[str]] = getattr(self, "_patterns")  # noqa: B009
        start, end = match.span()
        return patterns[name].search(folded, max(0, start - reach), min(len(folded), end + reach))

    def remove(self, names: Iterable[LexiconName], folded: str) -> str:
        patterns: dict[LexiconName, re.Pattern[str]] = getattr(self, "_patterns")  # noqa: B009
        for name in names:
            folded = patterns[name].sub(" ", folded)
        return folded

    def tells_of_the_past(self, folded: str) -> bool:
        """A PAST word that is not part of a duration: 「先週の火事で」 is over, but 「昨日の晩から」,
        "since yesterday morning" and 「हिजो बेलुकादेखि」 say how long something has been going on (a SINCE
        marker within a few characters of the PAST word, or a DURATION phrase)."""
        if self.search(LexiconName.DURATION, folded):
            return False
        patterns: dict[LexiconName, re.Pattern[str]] = getattr(self, "_patterns")  # noqa: B009
        since = patterns[LexiconName.SINCE]
        for match in patterns[LexiconName.PAST].finditer(folded):
            start, end = match.span()
            if not since.search(folded, max(0, start - _SINCE_REACH), min(len(folded), end + _SINCE_REACH)):
                return True
        return False

    def tells_how_long(self, folded: str) -> bool:
        """A DURATION phrase, or a PAST word with its SINCE marker (「おとといから」, "since last Tuesday",
        「हिजोदेखि」): how long a worrying state has lasted, also when the lists name only the day it began."""
        if self.search(LexiconName.DURATION, folded):
            return True
        patterns: dict[LexiconName, re.Pattern[str]] = getattr(self, "_patterns")  # noqa: B009
        since = patterns[LexiconName.SINCE]
        return any(
            since.search(folded, max(0, m.start() - _SINCE_REACH), min(len(folded), m.end() + _SINCE_REACH))
            for m in patterns[LexiconName.PAST].finditer(folded)
        )

    def hits(self, name: LexiconName, folded: str) -> bool:
        """Whether ``folded`` names the concept of list ``name``; a duration is also a PAST word with its SINCE
        marker (:meth:`tells_how_long`)."""
        if name is LexiconName.DURATION:
            return self.tells_how_long(folded)
        return self.search(name, folded) is not None

    def is_generic_word(self, word: str) -> bool:
        words: frozenset[str] = getattr(self, "_words")  # noqa: B009
        return word in words


def load_lexicon_file(path: Path) -> LexiconFile:
    """One validated lexicon file; :class:`KnowledgeBaseError` (``file:line: ...``) when it is wrong."""
    node, data = compose(path)
    if not isinstance(data, dict):
        raise KnowledgeBaseError(path, 1, "a lexicon file must be a mapping with 'language' and 'phrases'")
    lists = data.get("phrases")
    if isinstance(lists, dict):
        known = {name.value for name in LexiconName}
        for key in lists:
            if key not in known:
                where = line_of(node, ["phrases", key]) if isinstance(key, str) else line_of(node, ["phrases"])
                raise KnowledgeBaseError(
                    path, where, f"phrases: unknown list {key!r} (known lists: {', '.join(sorted(known))})"
                )
    try:
        return LexiconFile.model_validate(data)
    except ValidationError as exc:
        raise_validation(path, node, exc)


def lexicon_files(directory: Path) -> list[Path]:
    """The lexicon files of a folder and of its subfolders (the bundled ``team/`` additions, a town's own
    grouping), the folder's own first."""
    own = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    return [*own, *sorted([*directory.glob("*/*.yaml"), *directory.glob("*/*.yml")])]


def load_lexicon(paths: Sequence[Path]) -> Lexicon:
    """Merge lexicon files (the bundled ones, then a municipality's own) into one :class:`Lexicon`."""
    merged: dict[LexiconName, list[str]] = {name: [] for name in LexiconName}
    languages: list[str] = []
    questions: dict[str, str] = {}
    rows: list[tuple[LexiconName, ...]] = []
    for path in paths:
        loaded = load_lexicon_file(path)
        if loaded.language != ANY_LANGUAGE:
            languages.append(loaded.language)
        rows.extend(row for row in loaded.ask_when_all if row not in rows)
        if loaded.safety_question:
            questions[loaded.language] = loaded.safety_question
        for name, phrases in loaded.phrases.items():
            merged[name].extend(p for p in phrases if p not in merged[name])
    return Lexicon(
        phrases={k: tuple(v) for k, v in merged.items()},
        languages=tuple(dict.fromkeys(languages)),
        safety_questions=questions,
        ask_when_all=tuple(rows),
    )


# The lists whose hits the learned model sees as features (the answers to the danger question, the
# "not understood" words and the generic words are about the conversation, not about the line's content).
CUE_LISTS: tuple[LexiconName, ...] = tuple(
    n
    for n in LexiconName
    if n
    not in (
        LexiconName.ANSWER_YES,
        LexiconName.ANSWER_NO,
        LexiconName.NOT_UNDERSTOOD,
        LexiconName.GENERIC_WORDS,
        LexiconName.SCHEDULE,
        LexiconName.BOOKING,
        LexiconName.SINCE,
        LexiconName.PAST,  # replaced by ``cue:past`` only when the PAST word is no duration (tells_of_the_past)
    )
)


def cue_tokens(folded: str) -> list[str]:
    """The bundled lexicons' lists that ``folded`` hits, and every pair of them, as feature tokens
    (``cue:alone``, ``cue:alone+no_contact``): language-independent features for the learned model."""
    lexicon = bundled_lexicon()
    hits = [n.value for n in CUE_LISTS if lexicon.hits(n, folded)]
    if lexicon.tells_of_the_past(folded):
        hits.append(LexiconName.PAST.value)
    pairs = [f"cue:{a}+{b}" for i, a in enumerate(hits) for b in hits[i + 1 :]]
    return [*(f"cue:{h}" for h in hits), *pairs]


@functools.cache
def bundled_lexicon() -> Lexicon:
    """The lexicons shipped with Madoguchi (read once per process)."""
    return load_lexicon(lexicon_files(LEXICON_DIR))


def municipality_lexicon(kb_dir: Path) -> Lexicon:
    """The bundled lexicons plus the municipality's own ``<kb_dir>/lexicons/*.yaml``, if any."""
    own = lexicon_files(kb_dir / "lexicons")
    if not own:
        return bundled_lexicon()
    return load_lexicon([*lexicon_files(LEXICON_DIR), *own])
