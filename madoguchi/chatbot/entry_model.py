"""The learned entry choice: which knowledge-base entry a resident's question is about.

Retrieval (``retrieval.py``) compares a question with each entry's own phrasings; residents ask otherwise (the
town's labelled questions, ``questions/*.jsonl``, show how). A linear SVM over the retrieval's own matching
features (character n-grams with Chinese folded onto Japanese, latin words and stems, Nepali words), fitted at
``madoguchi triage train`` on every entry's title, keywords and examples (and their kana readings) plus the town's
labelled questions, scores every entry for a question; :class:`LearnedRetriever` adds its softmax probability
(scaled to the retrieval's top score) to the retrieval score, so the engine's thresholds keep their meaning. How
much, and with which data, was chosen by leave-one-writer-out cross-validation over the question files
(``bench/triage/kb_writer_cv.py``, ``bench/triage/RESULTS.md``).

Pure: a knowledge base in, a fitted :class:`EntryModel` out; scoring is a dictionary look-up and one small dot
product per question.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from madoguchi.chatbot.knowledge import KbEntry, KnowledgeBase
from madoguchi.chatbot.normalise import normalise
from madoguchi.chatbot.retrieval import Retriever, ScoredEntry, features


@dataclass(frozen=True)
class EntryModelConfig:
    c: float = 0.5
    kb_weight: float = 1.0  # an entry's own phrasing (and its kana reading)
    question_weight: float = 1.0  # a labelled resident's question
    min_df: int = 1


@dataclass(frozen=True)
class EntryModel:
    """Per-entry linear weights over the retrieval's features (float32, only the features seen in training)."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    entries: tuple[str, ...]
    coef: np.ndarray  # features × entries
    intercept: np.ndarray

    def margins(self, folded: str) -> np.ndarray:
        counts: dict[int, int] = {}
        for token in features(folded):
            index = self.vocabulary.get(token)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return self.intercept.copy()
        indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[indices]
        weights /= np.sqrt(np.dot(weights, weights))
        result: np.ndarray = self.intercept + weights.astype(np.float32) @ self.coef[indices]
        return result


def train_entries(
    kb: KnowledgeBase, readings: Mapping[str, str] | None = None, config: EntryModelConfig | None = None
) -> EntryModel | None:
    """Fit the entry model on the entries' phrasings (with their kana readings) and the town's labelled questions."""
    cfg = config or EntryModelConfig()
    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []
    known = {e.id for e in kb.entries}

    def add(text: str, entry_id: str, weight: float) -> None:
        for form in (text, (readings or {}).get(text)):
            if form:
                texts.append(normalise(form))
                labels.append(entry_id)
                weights.append(weight)

    for entry in kb.entries:
        for text in _phrasings(entry):
            add(text, entry.id, cfg.kb_weight)
    for question in kb.questions:
        if question.entry in known:
            add(question.text, question.entry, cfg.question_weight)
    if len(set(labels)) < 2:
        return None
    vectoriser = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=cfg.min_df, dtype=np.float64)
    matrix = vectoriser.fit_transform(texts)
    classifier = LinearSVC(C=cfg.c, random_state=13)
    classifier.fit(matrix, np.array(labels), sample_weight=np.array(weights))
    return EntryModel(
        vocabulary={str(k): int(v) for k, v in vectoriser.vocabulary_.items()},
        idf=np.asarray(vectoriser.idf_, dtype=np.float64),
        entries=tuple(str(c) for c in classifier.classes_),
        coef=np.ascontiguousarray(classifier.coef_.T, dtype=np.float32),
        intercept=np.asarray(classifier.intercept_, dtype=np.float32),
    )


def _phrasings(entry: KbEntry) -> list[str]:
    return [*entry.title.all_texts(), *entry.keywords, *entry.examples]


SURE_TEMPERATURE = 0.1
"""The softmax temperature of :attr:`ScoredEntry.learned`, the entry model's certainty (the engine's plain-question
test), apart from the re-ranking's own: a margin 0.25 ahead of the next entry is about 0.9."""


def _softmax(values: np.ndarray) -> np.ndarray:
    exps = np.exp(values - values.max())
    result: np.ndarray = exps / exps.sum()
    return result


class LearnedRetriever:
    """Retrieval re-ranked by the entry model: each entry's score plus ``weight`` × its entry-model probability ×
    the retrieval's top score (entries the model finds likely are added when retrieval missed them)."""

    def __init__(
        self, base: Retriever, kb: KnowledgeBase, model: EntryModel, *, weight: float = 1.0, temperature: float = 0.3
    ) -> None:
        self._base = base
        self._model = model
        self._weight = weight
        self._temperature = temperature
        by_id = {e.id: e for e in kb.entries}
        self._entries = [by_id.get(i) for i in model.entries]

    def search(self, folded: str, *, limit: int = 8) -> list[ScoredEntry]:
        ranked = self._base.search(folded, limit=30)
        top = max((item.score for item in ranked), default=0.0)
        if top <= 0:
            return ranked[:limit]
        raw = self._model.margins(folded)
        probabilities = _softmax(raw / self._temperature)
        sure = _softmax(raw / SURE_TEMPERATURE)  # how sure the model is of one entry (ScoredEntry.learned)
        combined: dict[str, ScoredEntry] = {item.entry.id: item for item in ranked}
        for index in np.argsort(-probabilities)[:10]:
            entry = self._entries[int(index)]
            if entry is None:
                continue
            boost = self._weight * float(probabilities[index]) * top
            if not math.isfinite(boost):
                continue
            old = combined.get(entry.id, ScoredEntry(entry, 0.0))
            combined[entry.id] = ScoredEntry(entry, old.score + boost, old.phrase, float(sure[index]))
        ordered = sorted(combined.values(), key=lambda item: item.score, reverse=True)
        return ordered[:limit]
