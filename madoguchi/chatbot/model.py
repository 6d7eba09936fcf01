"""The learned part of the triage: a route classifier and urgency/handoff scorers over character n-grams.

The hand-written rules recognise how their authors write; residents write otherwise (dialect, hiragana only,
voice input, nine languages, the need at the end of a long message). So the route, the danger signal and the
wish for a person are also learned, from a corpus written by people who never saw the knowledge base or the
lexicons, plus the knowledge base's own phrasings. Linear SVMs over character n-grams of the folded text (plus
SudachiPy's dictionary forms of Japanese words) need no hand-made features, train in seconds on two cores
and answer in well under a millisecond (logistic regression trained fifty times slower here; the choices
are measured in ``bench/triage/SELECTION.md``).

Pure: examples in, a fitted :class:`TriageModel` out; reading files and caching the fitted model is
``model_store.py``'s job. The urgency thresholds are chosen here from out-of-fold scores on the training data,
for recall first: the low threshold keeps every urgent training line at or above it (the bot then asks the
safety question), the high one keeps false alarms rare.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from madoguchi.chatbot.calibration import flag_thresholds, language_highs, language_lows, language_offsets
from madoguchi.chatbot.entry_model import EntryModel, train_entries
from madoguchi.chatbot.knowledge import KnowledgeBase
from madoguchi.chatbot.lexicon import LexiconName, bundled_lexicon, cue_tokens
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.retrieval import kb_readings
from madoguchi.chatbot.rules import apply_rules
from madoguchi.chatbot.situation import SituationModel, situation_features, slots
from madoguchi.domain.privacy import mask_pii, without_mask_tokens

MODEL_VERSION = "triage-model-14"


@dataclass(frozen=True)
class Example:
    """One labelled utterance to learn from (the corpus format; knowledge-base phrasings have no flags)."""

    text: str
    route: str
    urgent: bool | None = None
    handoff: bool | None = None
    lang: str = "ja"
    weight: float = 1.0
    writer: str = ""  # who wrote it (corpus batch); "" for knowledge-base phrasings


@dataclass(frozen=True)
class ModelConfig:
    char_ngrams: tuple[int, int] = (1, 4)
    word_ngrams: tuple[int, int] | None = (1, 2)  # latin words; None = characters only
    ja_words: bool = True  # SudachiPy dictionary forms of Japanese words (needs sudachipy + sudachidict-core)
    script_words: bool = True  # Hangul and Devanagari words, their stems and Devanagari syllable pairs
    cues: bool = True  # which lexicon lists a line hits (and pairs of them): features shared by all languages
    cue_weight: float = 1.0  # the cue features' scale beside the (unit-length) character n-grams
    lexicon_weight: float = 0.0  # > 0: the danger lexicons' phrases are also danger examples (this much each)
    route_c: float = 1.0
    route_temperature: float = 0.3  # softmax over the route margins: lower is more decided
    flag_c: float = 0.3
    kb_weight: float = 0.5  # a knowledge-base phrasing counts this much as a resident's line
    folds: int = 5
    writer_folds: bool = False  # out-of-fold danger scores by writer (measured, not chosen: SELECTION.md round 4)
    max_false_urgent: float = 0.01  # high threshold: at most this share of non-urgent training lines above it
    # Handoff threshold: at most this share of the no-handoff residents' lines (out-of-fold) above it, never below
    # ``handoff_floor`` (None: the share alone decides); with ``handoff_budget_corpus`` off, the knowledge base's
    # phrasings count too. Until session 15 the share (5 %, phrasings counted) fell below the SVM's own zero, so the
    # floor decided; 8 % of residents' lines without a floor was chosen by grouped cross-validation by writer
    # (bench/triage/SELECTION.md, round 13b): a missed handoff leaves a resident with a generic answer.
    max_false_handoff: float = 0.08
    handoff_floor: float | None = None
    handoff_budget_corpus: bool = True
    max_safety_rate: float = 0.04  # low threshold may not put more non-urgent lines than this into the question
    language_balance: float = (
        0.0  # route fit: a corpus line weighs (lines of the largest language / of its own) ** this
    )
    language_offsets: bool = (
        False  # per-language shift of the danger score (measured, not chosen: SELECTION.md round 6)
    )
    min_offset_lines: int = 60  # calm out-of-fold lines a language needs for its own offset
    language_lows: bool = True  # per-language question threshold: each language asks at most max_safety_rate
    language_low_keep: bool = True  # ... but never above an urgent training line only the model's question caught
    rules_budget: bool = False  # the rules' own verdicts count against the two budgets (measured, not chosen)
    language_highs: bool = False  # per-language urgent threshold (measured, not chosen: SELECTION.md round 10)
    # The situation layer (``situation.py``): a logistic model over who × state × when slots and the danger score,
    # fitted on out-of-fold scores by writer; a lexicon's weak danger signal whose probability is below
    # ``situation_calm`` is not asked about. False = no layer (SELECTION.md round 13).
    situation: bool = False  # off with the engine's situation_calms (session 15): five more fits by writer per training
    situation_c: float = 0.3
    situation_calm: float = 0.1
    seed: int = 13
    entry_model: bool = True  # fit the learned entry choice too (``entry_model.py``; the engine's entry_weight)


def fold_for_model(text: str) -> str:
    """What the model sees: masked, normalised text without the mask tokens (a number says nothing of the topic)."""
    return normalise(without_mask_tokens(mask_pii(text).text))


_JA_RE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_sudachi: list[Any] = []


def ja_word_tokens(text: str) -> list[str]:
    """Japanese words in their dictionary form (婆, 一人 for ばあちゃん, ひとり); empty for other scripts."""
    if not _JA_RE.search(text):
        return []
    if not _sudachi:
        from sudachipy import Dictionary, SplitMode  # an optional dependency, loaded on first use

        _sudachi.append((Dictionary().tokenizer(), SplitMode.A))
    tokenizer, mode = _sudachi[0]
    return [m.normalized_form() for m in tokenizer.tokenize(text, mode) if _JA_RE.search(m.surface())]


_HANGUL_WORD_RE = re.compile(r"[\uac00-\ud7af]+")
_DEVANAGARI_WORD_RE = re.compile(r"[\u0900-\u097f\u200c\u200d]+")
# One Devanagari syllable (akshara): consonants joined by virama, then a vowel sign and nasal marks; or a vowel.
_AKSHARA_RE = re.compile(
    r"(?:[\u0915-\u0939\u0958-\u095f]\u093c?\u094d[\u200c\u200d]?)*[\u0915-\u0939\u0958-\u095f]\u093c?"
    r"[\u093e-\u094c\u0962\u0963]?[\u0900-\u0903\u094d]?|[\u0904-\u0914\u0960\u0961][\u0900-\u0903]?|."
)


def script_word_tokens(folded: str) -> list[str]:
    """Words of the spaced scripts the other features cut badly: Korean words (and the word without its last
    one or two syllables, where particles and endings sit: 주민표를 → 주민표), Nepali words in Devanagari (with
    the same stems, counted in syllables, not code points: one syllable is two to four code points, so the
    character n-grams see less than two of them) and pairs of Devanagari syllables. Empty for other scripts."""
    out: list[str] = []
    for word in _HANGUL_WORD_RE.findall(folded):
        out.append("k:" + word)
        out.extend(f"ks:{word[:-cut]}" for cut in (1, 2) if len(word) - cut >= 2)
    for word in _DEVANAGARI_WORD_RE.findall(folded):
        syllables = _AKSHARA_RE.findall(word)
        out.append("d:" + word)
        out.extend(f"ds:{''.join(syllables[:-cut])}" for cut in (1, 2) if len(syllables) - cut >= 2)
        out.extend(f"da:{a}{b}" for a, b in pairwise(syllables))
    return out


def _vectoriser(config: ModelConfig, texts: Sequence[str]) -> FeatureUnion:
    parts: list[tuple[str, Any]] = [
        (
            "chars",
            TfidfVectorizer(analyzer="char_wb", ngram_range=config.char_ngrams, sublinear_tf=True, min_df=1),
        )
    ]
    if config.word_ngrams is not None:
        parts.append(
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=config.word_ngrams,
                    token_pattern=r"(?u)\b[a-z0-9][a-z0-9]+\b",
                    sublinear_tf=True,
                ),
            )
        )
    if config.ja_words:
        parts.append(("ja_words", TfidfVectorizer(analyzer=ja_word_tokens, ngram_range=(1, 1), sublinear_tf=True)))
    if config.script_words and any(_HANGUL_WORD_RE.search(t) or _DEVANAGARI_WORD_RE.search(t) for t in texts):
        parts.append(("script_words", TfidfVectorizer(analyzer=script_word_tokens, sublinear_tf=True)))
    weights: dict[str, float] = {}
    if config.cues:
        parts.append(("cues", TfidfVectorizer(analyzer=cue_tokens, sublinear_tf=True)))
        weights["cues"] = config.cue_weight
    return FeatureUnion(parts, transformer_weights=weights or None)


@dataclass(frozen=True)
class FlagModel:
    """A binary scorer (a margin: positive leans yes) with its two decision thresholds (``low`` ≤ ``high``)."""

    classifier: LinearSVC
    low: float
    high: float
    # language → how much higher this language's calm lines score than all calm lines (out-of-fold medians);
    # subtracted before the thresholds, so a language with few training lines is not asked about more often.
    offsets: dict[str, float] = field(default_factory=dict)
    # language → its own, higher question threshold (``ModelConfig.language_lows``)
    lows: dict[str, float] = field(default_factory=dict)
    # language → its own, higher urgent-at-once threshold (``ModelConfig.language_highs``)
    highs: dict[str, float] = field(default_factory=dict)

    def low_for(self, language: str) -> float:
        return max(self.low, self.lows.get(language, self.low))

    def high_for(self, language: str) -> float:
        return max(self.high, self.highs.get(language, self.high))

    def score(self, features: Any) -> float:
        return float(self.classifier.decision_function(features)[0])

    def calibrated(self, score: float, language: str) -> float:
        """``score`` on the common scale the thresholds were chosen on."""
        return score - self.offsets.get(language, 0.0)


@dataclass(frozen=True)
class TriageModel:
    """The fitted vectoriser, route classifier and the urgent and handoff scorers."""

    vectoriser: FeatureUnion
    route_classifier: LinearSVC
    urgent: FlagModel | None
    handoff: FlagModel | None
    config: ModelConfig
    info: dict[str, Any] = field(default_factory=dict)
    situation: SituationModel | None = None  # the who × state × when layer of the danger stage
    readings: dict[str, str] = field(default_factory=dict)  # kana readings of the KB's texts (retrieval.kb_readings)
    entries: EntryModel | None = None  # the learned entry choice (``entry_model.py``)

    def features(self, folded: str) -> Any:
        return self.vectoriser.transform([folded])

    def route_probabilities(self, features: Any) -> dict[str, float]:
        margins = self.route_classifier.decision_function(features)[0] / self.config.route_temperature
        exps = np.exp(margins - margins.max())
        probabilities = exps / exps.sum()
        return {str(c): float(p) for c, p in zip(self.route_classifier.classes_, probabilities, strict=True)}


def kb_examples(kb: KnowledgeBase, weight: float) -> list[Example]:
    """Every title, keyword and example phrasing of the knowledge base, labelled with its entry's route and
    handoff flag (a plain question the bot answers is a "no person needed" example; urgency is not labelled)."""
    out: list[Example] = []
    for entry in kb.entries:
        for text in (*entry.title.all_texts(), *entry.keywords, *entry.examples):
            out.append(Example(text=text, route=entry.route.value, handoff=entry.handoff, weight=weight))
    return out


LEXICON_WRITER = "lexicon"
_DANGER_LISTS = (
    LexiconName.VIOLENCE,
    LexiconName.SUICIDE,
    LexiconName.COLLAPSE,
    LexiconName.EVICTION_NOW,
    LexiconName.DISASTER_STRONG,
    LexiconName.WEAK_DANGER,
)
_CALM_LISTS = (
    LexiconName.SUICIDE_NOT,
    LexiconName.COLLAPSE_NOT,
    LexiconName.DISASTER_NOT,
    LexiconName.PAST,
    LexiconName.PLANNING,
)


def lexicon_examples(weight: float) -> list[Example]:
    """The bundled lexicons' danger phrases as danger examples, and their "talks about it, not in it" phrases
    as calm ones, in every language that has a file: the danger model then knows them even in a language
    with few corpus lines. They teach the danger scorer only (no route), and never set its thresholds."""
    lexicon = bundled_lexicon()
    return [
        Example(text=phrase, route="", urgent=urgent, weight=weight, writer=LEXICON_WRITER)
        for lists, urgent in ((_DANGER_LISTS, True), (_CALM_LISTS, False))
        for name in lists
        for phrase in lexicon.phrases.get(name, ())
    ]


def _language_balance(examples: Sequence[Example], power: float) -> np.ndarray:
    """Route-fit weight factors: a corpus line of a language with few lines counts more (knowledge-base
    phrasings, which have no writer, keep 1), so the rare words of Korean or Nepali lines are not
    regularised away beside the many Japanese lines."""
    factors = np.ones(len(examples))
    if power <= 0:
        return factors
    counts: dict[str, int] = {}
    for e in examples:
        if e.writer:
            counts[e.lang] = counts.get(e.lang, 0) + 1
    if not counts:
        return factors
    largest = max(counts.values())
    for i, e in enumerate(examples):
        if e.writer:
            factors[i] = (largest / counts[e.lang]) ** power
    return factors


def _folds(labels: np.ndarray, writers: Sequence[str], config: ModelConfig) -> list[tuple[np.ndarray, np.ndarray]]:
    """Out-of-fold splits: by writer when there are two or more (a fold's lines then come from someone the
    fold's model never read, as a resident's will), else stratified. Lines without a writer (the knowledge
    base's phrasings) are spread over the folds."""
    named = sorted({w for w in writers if w})
    if config.writer_folds and len(named) >= 2:
        groups = [w or f"kb-{i % config.folds}" for i, w in enumerate(writers)]
        n_splits = min(config.folds, len(set(groups)))
        return list(GroupKFold(n_splits=n_splits).split(np.zeros(len(labels)), labels, groups))
    folds = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    return list(folds.split(np.zeros(len(labels)), labels))


def _fit_flag(
    features: Any, labels: np.ndarray, weights: np.ndarray, writers: Sequence[str], config: ModelConfig
) -> tuple[LinearSVC, np.ndarray]:
    """The fitted scorer and its out-of-fold scores on the training lines (for the thresholds). Lexicon
    phrases are in every fold's training part and get no out-of-fold score (NaN)."""
    oof = np.full(len(labels), np.nan)
    always = np.array([i for i, w in enumerate(writers) if w == LEXICON_WRITER], dtype=np.int64)
    rest = np.array([i for i, w in enumerate(writers) if w != LEXICON_WRITER], dtype=np.int64)
    rest_writers = [writers[i] for i in rest]
    for fold_train, fold_test in _folds(labels[rest], rest_writers, config):
        train_index = np.concatenate([rest[fold_train], always])
        test_index = rest[fold_test]
        if len(set(labels[train_index].tolist())) < 2:
            continue
        clf = LinearSVC(C=config.flag_c, class_weight="balanced", random_state=config.seed)
        clf.fit(features[train_index], labels[train_index], sample_weight=weights[train_index])
        oof[test_index] = clf.decision_function(features[test_index])
    final = LinearSVC(C=config.flag_c, class_weight="balanced", random_state=config.seed)
    final.fit(features, labels, sample_weight=weights)
    return final, oof


def train(corpus: Sequence[Example], kb: KnowledgeBase, config: ModelConfig | None = None) -> TriageModel:
    """Fit the model on the corpus lines plus the knowledge base's phrasings."""
    cfg = config or ModelConfig()
    lexicon = lexicon_examples(cfg.lexicon_weight) if cfg.lexicon_weight > 0 else []
    examples = [*corpus, *kb_examples(kb, cfg.kb_weight), *lexicon]
    folded = [fold_for_model(e.text) for e in examples]
    vectoriser = _vectoriser(cfg, folded)
    matrix = vectoriser.fit_transform(folded)
    weights = np.array([e.weight for e in examples])
    routed = np.array([i for i, e in enumerate(examples) if e.route])
    routes = np.array([examples[i].route for i in routed])
    route_weights = weights * _language_balance(examples, cfg.language_balance)
    route_classifier = LinearSVC(C=cfg.route_c, random_state=cfg.seed)
    route_classifier.fit(matrix[routed], routes, sample_weight=route_weights[routed])

    flagged = [i for i, e in enumerate(examples) if e.urgent is not None]
    urgent_model: FlagModel | None = None
    handoff_model: FlagModel | None = None
    situation: SituationModel | None = None
    info: dict[str, Any] = {
        "examples": len(examples),
        "corpus_examples": len(corpus),
        "lexicon_examples": len(lexicon),
        "features": matrix.shape[1],
    }
    if len(flagged) >= 4 * cfg.folds:
        sub = matrix[flagged]
        sub_weights = weights[flagged]
        urgent_labels = np.array([bool(examples[i].urgent) for i in flagged])
        if urgent_labels.sum() >= cfg.folds:
            clf, oof = _fit_flag(sub, urgent_labels, sub_weights, [examples[i].writer for i in flagged], cfg)
            scored = ~np.isnan(oof)
            offsets = language_offsets(oof, urgent_labels, [examples[i].lang for i in flagged], cfg)
            oof = oof - np.array([offsets.get(examples[i].lang, 0.0) for i in flagged])
            hits = [apply_rules(folded[i]) for i in flagged] if cfg.rules_budget else []
            ruled_urgent = np.array([h.urgent for h in hits]) if hits else None
            ruled_weak = np.array([h.weak_danger for h in hits]) if hits else None
            low, high = flag_thresholds(
                oof[scored],
                urgent_labels[scored],
                cfg,
                None if ruled_urgent is None else ruled_urgent[scored],
                None if ruled_weak is None else ruled_weak[scored],
            )
            names = np.array([examples[i].lang for i in flagged])[scored]
            lows: dict[str, float] = {}
            if cfg.language_lows:
                needs_model = None
                if cfg.language_low_keep:
                    ruled = [apply_rules(folded[i]) if examples[i].urgent else None for i in flagged]
                    needs_model = np.array(
                        [h is not None and not h.urgent and (not h.weak_danger or h.past_event) for h in ruled]
                    )
                    needs_model = needs_model[scored]
                lows = language_lows(oof[scored], urgent_labels[scored], names, low, cfg, needs_model)
                if needs_model is not None:  # for measuring both from one model (bench/triage/dev_writers.py)
                    plain = language_lows(oof[scored], urgent_labels[scored], names, low, cfg)
                    info["urgent_language_lows_unkept"] = {k: round(v, 4) for k, v in sorted(plain.items())}
            candidate = language_highs(oof[scored], urgent_labels[scored], names, high, cfg)
            highs = candidate if cfg.language_highs else {}
            # for measuring both from one model (bench/triage/dev_writers.py --highs)
            info["urgent_language_highs_candidate"] = {k: round(v, 4) for k, v in sorted(candidate.items())}
            urgent_model = FlagModel(clf, low, high, offsets, lows, highs)
            if cfg.situation:
                corpus_lines = [j for j, i in enumerate(flagged) if examples[i].writer not in ("", LEXICON_WRITER)]
                situation = _fit_situation(
                    sub[corpus_lines],
                    urgent_labels[corpus_lines],
                    sub_weights[corpus_lines],
                    [examples[flagged[j]] for j in corpus_lines],
                    [folded[flagged[j]] for j in corpus_lines],
                    urgent_model,
                    cfg,
                )
                if situation is not None:
                    info["situation"] = situation.info
            info["urgent_thresholds"] = [round(low, 4), round(high, 4)]
            info["urgent_language_highs"] = {k: round(v, 4) for k, v in sorted(highs.items())}
            info["urgent_language_lows"] = {k: round(v, 4) for k, v in sorted(lows.items())}
            info["urgent_offsets"] = {k: round(v, 3) for k, v in sorted(offsets.items())}
    # Handoff also learns from the knowledge base: its phrasings are questions the bot answers (or, for
    # entries marked handoff, questions that always need a person).
    labelled = [i for i, e in enumerate(examples) if e.handoff is not None and not e.urgent and e.route]
    handoff_labels = np.array([bool(examples[i].handoff) for i in labelled])
    if cfg.folds <= handoff_labels.sum() < len(labelled) - cfg.folds:
        clf, oof = _fit_flag(
            matrix[labelled], handoff_labels, weights[labelled], [examples[i].writer for i in labelled], cfg
        )
        counted = ~handoff_labels & ~np.isnan(oof)
        residents = counted & np.array([bool(examples[i].writer) for i in labelled])
        if cfg.handoff_budget_corpus and residents.any():  # (a corpus of handoff lines alone: every negative)
            counted = residents
        negatives = np.sort(oof[counted])[::-1]
        high = float(negatives[int(cfg.max_false_handoff * len(negatives))]) + 1e-6
        if cfg.handoff_floor is not None:
            high = max(cfg.handoff_floor, high)
        handoff_model = FlagModel(clf, high, high)
        info["handoff_threshold"] = round(high, 4)
    readings = kb_readings(kb)  # read once here, not at every engine start
    entries = train_entries(kb, readings) if cfg.entry_model else None
    return TriageModel(
        vectoriser, route_classifier, urgent_model, handoff_model, cfg, info, situation, readings, entries
    )


def _fit_situation(
    features: Any,
    labels: np.ndarray,
    weights: np.ndarray,
    examples: Sequence[Example],
    folded: Sequence[str],
    urgent: FlagModel,
    config: ModelConfig,
) -> SituationModel | None:
    """The situation layer, fitted on the corpus lines' slots and their danger scores out of fold by writer (a
    line's score from a scorer that never read its writer, as a resident's will be)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    writers = [e.writer for e in examples]
    if len(set(writers)) < 2 or labels.all() or not labels.any():
        return None
    oof = np.zeros(len(labels))
    n_splits = min(config.folds, len(set(writers)))
    for fit, held in GroupKFold(n_splits=n_splits).split(np.zeros(len(labels)), labels, writers):
        if len(set(labels[fit].tolist())) < 2:
            continue
        clf = LinearSVC(C=config.flag_c, class_weight="balanced", random_state=config.seed)
        clf.fit(features[fit], labels[fit], sample_weight=weights[fit])
        oof[held] = clf.decision_function(features[held])
    lexicon = bundled_lexicon()
    margins = np.array(
        [urgent.calibrated(float(s), e.lang) - urgent.low_for(e.lang) for s, e in zip(oof, examples, strict=True)]
    )
    line_slots = [slots(f, lexicon) for f in folded]
    rows = [
        {**dict.fromkeys(situation_features(s, m), 1.0), _SCORE: float(m)}
        for s, m in zip(line_slots, margins, strict=True)
    ]
    vectoriser = DictVectorizer()
    matrix = vectoriser.fit_transform(rows)
    model = LogisticRegression(C=config.situation_c, class_weight="balanced", max_iter=5000)
    model.fit(matrix, labels)
    coef = model.coef_[0]
    vocabulary: dict[str, int] = vectoriser.vocabulary_
    table = {name: float(coef[i]) for name, i in vocabulary.items() if coef[i] != 0.0 and name != _SCORE}
    p = model.predict_proba(matrix)[:, 1]
    weak = np.array([apply_rules(f).weak_danger for f in folded])
    calm = weak & (p < config.situation_calm)
    info = {
        "features": float(len(table)),
        "weak_urgent_calmed": float((calm & labels).sum()),
        "weak_calm_calmed": float((calm & ~labels).sum()),
    }
    score_weight = float(coef[vocabulary[_SCORE]])
    return SituationModel(table, score_weight, float(model.intercept_[0]), config.situation_calm, info)


_SCORE = "score"  # the situation model's one numeric feature: the danger score above the question threshold


@dataclass(frozen=True)
class ModelScores:
    """Everything the model says about one utterance."""

    routes: dict[str, float]  # route → probability
    urgent: float | None  # danger margin (compare with the urgent FlagModel's thresholds)
    handoff: float | None


class FastScorer:
    """The fitted model as plain weight tables: the same numbers as scikit-learn's ``transform`` and
    ``decision_function``, without their per-call overhead (a few milliseconds an utterance on a busy
    2-core machine). Built from a :class:`TriageModel` when an engine starts; not pickled."""

    def __init__(self, model: TriageModel) -> None:
        self._model = model
        self._parts: list[tuple[Any, dict[str, int], np.ndarray, int, float]] = []
        offset = 0
        scales = model.vectoriser.transformer_weights or {}
        for name, vectoriser in model.vectoriser.transformer_list:
            vocabulary: dict[str, int] = vectoriser.vocabulary_
            scale = scales.get(name, 1.0)
            self._parts.append((vectoriser.build_analyzer(), vocabulary, vectoriser.idf_, offset, scale))
            offset += len(vocabulary)
        blocks = [model.route_classifier.coef_.T]
        intercepts = [model.route_classifier.intercept_]
        for flag in (model.urgent, model.handoff):
            if flag is not None:
                blocks.append(flag.classifier.coef_.T)
                intercepts.append(flag.classifier.intercept_)
        self._weights = np.ascontiguousarray(np.hstack(blocks))
        self._intercept = np.concatenate(intercepts)
        self._routes = [str(c) for c in model.route_classifier.classes_]

    def score(self, folded: str) -> ModelScores:
        columns: list[int] = []
        values: list[float] = []
        for analyzer, vocabulary, idf, offset, scale in self._parts:
            counts: dict[int, int] = {}
            for token in analyzer(folded):
                index = vocabulary.get(token)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            weights = tf * idf[indices]
            weights *= scale / np.sqrt(np.dot(weights, weights))
            columns.extend((indices + offset).tolist())
            values.extend(weights.tolist())
        raw = self._intercept.copy()
        if columns:
            raw += np.asarray(values) @ self._weights[columns]
        n = len(self._routes)
        margins = raw[:n] / self._model.config.route_temperature
        exps = np.exp(margins - margins.max())
        probabilities = exps / exps.sum()
        extra = raw[n:].tolist()
        urgent = extra.pop(0) if self._model.urgent is not None else None
        handoff = extra.pop(0) if self._model.handoff is not None else None
        return ModelScores(
            routes={r: float(p) for r, p in zip(self._routes, probabilities, strict=True)},
            urgent=urgent,
            handoff=handoff,
        )
