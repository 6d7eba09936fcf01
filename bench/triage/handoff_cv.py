"""Handoff levers by grouped cross-validation by writer, on the corpus TRAINING split only (never the test split).

A quick bench for the handoff flag alone: the feature matrix of every training line and knowledge-base phrasing is
built once (the vectoriser is fitted on all of them: a fold's held-out writers lend their vocabulary and idf, never
their labels — a small optimism shared by every candidate), then for each fold of the same grouped 5-fold as
``dev_writers.py --groups 5`` the handoff scorer is fitted as ``model.train`` fits it and scored on the held-out
writers. The engine's other reasons to hand off (an urgent verdict, an entry that always needs a person) come from
a ``dev_writers.py --dump`` of the same folds; the lexicon rules are run again, so new lists count.

    python bench/triage/handoff_cv.py --dump /tmp/base.jsonl [--candidates base budget8 ...] [--by-writer]

Prints recall on handoff lines and false handoffs on the other lines, engine-level, pooled over the held-out
writers (all lines, and calm lines only), and the learned scorer's separation (recall of handoff lines the rules
miss when the score may flag 5 / 8 / 10 % of the no-handoff lines the rules leave alone).
"""

from __future__ import annotations

import argparse
import json
import pickle
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.svm import LinearSVC

from madoguchi.chatbot.knowledge import bundled_kb_dir, load_knowledge_base
from madoguchi.chatbot.model import Example, ModelConfig, _vectoriser, fold_for_model, kb_examples
from madoguchi.chatbot.model_store import TRAIN_FILE, read_examples
from madoguchi.chatbot.normalise import normalise_sentences
from madoguchi.chatbot.rules import apply_rules
from madoguchi.domain.privacy import mask_pii, without_mask_tokens


@dataclass(frozen=True)
class Candidate:
    budget: float | None = None  # None: threshold max(0, 5 % quantile) as model.train; else this share, no floor
    corpus_budget: bool = False  # the budget counts corpus negatives only (not the knowledge base's phrasings)
    writer_oof: bool = False  # threshold from out-of-fold scores by writer
    kb_weight: float = 0.5
    kb_negatives: bool = True  # knowledge-base phrasings as no-handoff examples
    c: float = 0.3
    positive_weight: float = 1.0  # on top of "balanced"
    extra: bool = False  # the tokens of ``EXTRA`` as more columns, 1.0 each


CANDIDATES: dict[str, Candidate] = {
    "base": Candidate(),
    "floor off, 5 %": Candidate(budget=0.05),
    "corpus 5 %": Candidate(budget=0.05, corpus_budget=True),
    "corpus 8 %": Candidate(budget=0.08, corpus_budget=True),
    "corpus 10 %": Candidate(budget=0.10, corpus_budget=True),
    "writer oof corpus 5 %": Candidate(budget=0.05, corpus_budget=True, writer_oof=True),
    "writer oof corpus 8 %": Candidate(budget=0.08, corpus_budget=True, writer_oof=True),
    "kb weight 0.2": Candidate(kb_weight=0.2),
    "kb weight 0.1": Candidate(kb_weight=0.1),
    "no kb negatives": Candidate(kb_negatives=False),
    "C 0.1": Candidate(c=0.1),
    "C 1.0": Candidate(c=1.0),
    "positive x1.5": Candidate(positive_weight=1.5),
    "extra cues": Candidate(extra=True),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, required=True, help="dev_writers.py --groups 5 --dump of the same folds")
    parser.add_argument("--candidates", nargs="*", default=["base"])
    parser.add_argument("--matrix", type=Path, default=Path("/tmp/hand15/matrix.pickle"))
    parser.add_argument("--by-writer", action="store_true")
    parser.add_argument("--by-language", action="store_true")
    parser.add_argument("--train", type=Path, default=TRAIN_FILE, help="the training file the dump was made from")
    parser.add_argument("--out", type=Path, help="per-line verdicts of the last candidate (JSON lines)")
    args = parser.parse_args()
    kb = load_knowledge_base(bundled_kb_dir())
    corpus = read_examples(args.train)
    base = {(r["writer"], r["text"]): r for r in map(json.loads, args.dump.open(encoding="utf-8"))}
    kb_lines = kb_examples(kb, 1.0)
    examples = [*corpus, *kb_lines]
    matrix = _matrix(examples, args.matrix)
    for name in args.candidates:
        candidate = CANDIDATES[name]
        verdicts = run(candidate, corpus, kb_lines, matrix, base)
        report(name, verdicts, args.by_writer, args.by_language)
        if args.out:
            with args.out.open("w", encoding="utf-8") as out:
                for v in verdicts:
                    out.write(json.dumps(v, ensure_ascii=False) + "\n")
    return 0


def _matrix(examples: Sequence[Example], path: Path) -> Any:
    if path.is_file():
        return pickle.loads(path.read_bytes())
    folded = [fold_for_model(e.text) for e in examples]
    matrix = _vectoriser(ModelConfig(), folded).fit_transform(folded).tocsr()
    path.write_bytes(pickle.dumps(matrix))
    return matrix


# An experiment's own feature tokens for the handoff scorer alone (``Candidate.extra``): round 13b measured the handoff
# cue lists of an earlier draft (who speaks a language, "could someone", refused or went up, the town should act) so.
EXTRA: list[Callable[[str], list[str]]] = []


def extra_block(texts: Sequence[str]) -> Any:
    tokens = [EXTRA[0](fold_for_model(t)) if EXTRA else [] for t in texts]
    vocabulary = sorted({t for row in tokens for t in row})
    index = {t: i for i, t in enumerate(vocabulary)}
    rows, cols = [], []
    for i, row in enumerate(tokens):
        for t in set(row):
            rows.append(i)
            cols.append(index[t])
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(texts), max(len(vocabulary), 1)))


def run(
    candidate: Candidate, corpus: list[Example], kb_lines: list[Example], matrix: Any, base: dict[tuple[str, str], Any]
) -> list[dict[str, Any]]:
    n_corpus = len(corpus)
    if candidate.extra:
        matrix = sp.hstack([matrix, extra_block([e.text for e in [*corpus, *kb_lines]])]).tocsr()
    writers = [e.writer for e in corpus]
    kb_index = np.arange(n_corpus, n_corpus + len(kb_lines))
    kb_labels = np.array([bool(e.handoff) for e in kb_lines])
    if not candidate.kb_negatives:
        kb_index = kb_index[kb_labels]
        kb_labels = kb_labels[kb_labels]
    verdicts: list[dict[str, Any]] = []
    for fit, held in GroupKFold(n_splits=5).split(corpus, groups=writers):
        fit_calm = np.array([i for i in fit if not corpus[i].urgent])
        index = np.concatenate([fit_calm, kb_index])
        labels = np.concatenate([np.array([bool(corpus[i].handoff) for i in fit_calm]), kb_labels])
        weights = np.concatenate([np.ones(len(fit_calm)), np.full(len(kb_index), candidate.kb_weight)])
        weights = weights * np.where(labels, candidate.positive_weight, 1.0)
        groups = [corpus[i].writer for i in fit_calm] + [f"kb-{i % 5}" for i in range(len(kb_index))]
        threshold = _threshold(candidate, matrix[index], labels, weights, groups, len(fit_calm))
        clf = _svc(candidate).fit(matrix[index], labels, sample_weight=weights)
        scores = clf.decision_function(matrix[held])
        for i, score in zip(held, scores, strict=True):
            e = corpus[i]
            row = base[(e.writer, e.text)]
            hits = apply_rules(normalise_sentences(without_mask_tokens(mask_pii(e.text).text)))
            entry = any(r.startswith("handoff:entry") for r in row["reasons"])
            learned = bool(score >= threshold)
            verdicts.append(
                {
                    "writer": e.writer,
                    "lang": e.lang,
                    "text": e.text,
                    "route": e.route,
                    "got_route": row["got_route"],
                    "urgent": bool(e.urgent),
                    "handoff": bool(e.handoff),
                    "got_urgent": row["got_urgent"],
                    "rule": bool(hits.handoff_kinds),
                    "entry": entry,
                    "score": float(score - threshold),
                    "learned": learned,
                    "asked": row["asked"],
                    "got": bool(not row["asked"] and (row["got_urgent"] or hits.handoff_kinds or entry or learned)),
                    "after": bool(
                        row["got_urgent"] or hits.handoff_kinds or entry or learned or (row["asked"] and e.urgent)
                    ),
                }
            )
    return verdicts


def _svc(candidate: Candidate) -> LinearSVC:
    return LinearSVC(C=candidate.c, class_weight="balanced", random_state=13)


def _threshold(
    candidate: Candidate, features: Any, labels: np.ndarray, weights: np.ndarray, groups: list[str], n_corpus: int
) -> float:
    oof = np.full(len(labels), np.nan)
    if candidate.writer_oof:
        splits = GroupKFold(n_splits=5).split(np.zeros(len(labels)), labels, groups)
    else:
        splits = StratifiedKFold(n_splits=5, shuffle=True, random_state=13).split(np.zeros(len(labels)), labels)
    for tr, te in splits:
        clf = _svc(candidate).fit(features[tr], labels[tr], sample_weight=weights[tr])
        oof[te] = clf.decision_function(features[te])
    negatives_mask = ~labels
    if candidate.corpus_budget:
        negatives_mask = negatives_mask & (np.arange(len(labels)) < n_corpus)
    negatives = np.sort(oof[negatives_mask])[::-1]
    budget = 0.05 if candidate.budget is None else candidate.budget
    cut = float(negatives[int(budget * len(negatives))]) + 1e-6
    return max(0.0, cut) if candidate.budget is None else cut


def report(name: str, verdicts: list[dict[str, Any]], by_writer: bool, by_language: bool) -> None:
    def counts(rows: list[dict[str, Any]]) -> str:
        c: Counter[str] = Counter()
        for v in rows:
            key = "calm_" if not v["urgent"] else "urgent_"
            c[("pos" if v["handoff"] else "neg")] += 1
            c[("tp" if v["handoff"] else "fp")] += v["got"]
            c[key + ("pos" if v["handoff"] else "neg")] += 1
            c[key + ("tp" if v["handoff"] else "fp")] += v["got"]
            c["route_ok"] += v["route"] == v["got_route"]
            c["after"] += v["handoff"] and v["after"]
        return (
            f"n={len(rows):5} handoff {c['tp']}/{c['pos']} ({c['tp'] / max(c['pos'], 1):.3f}) "
            f"false {c['fp']}/{c['neg']} ({100 * c['fp'] / max(c['neg'], 1):.1f}%) "
            f"after question {c['after'] / max(c['pos'], 1):.3f} | calm: "
            f"{c['calm_tp']}/{c['calm_pos']} ({c['calm_tp'] / max(c['calm_pos'], 1):.3f}) "
            f"false {c['calm_fp']}/{c['calm_neg']} ({100 * c['calm_fp'] / max(c['calm_neg'], 1):.1f}%)"
        )

    calm = [v for v in verdicts if not v["urgent"] and not v["rule"] and not v["entry"]]
    sep = []
    for share in (0.05, 0.08, 0.10):
        neg = np.sort([v["score"] for v in calm if not v["handoff"]])[::-1]
        cut = neg[int(share * len(neg))]
        pos = [v for v in calm if v["handoff"]]
        sep.append(f"{sum(v['score'] > cut for v in pos) / max(len(pos), 1):.3f}")
    print(f"{name:28} {counts(verdicts)} | separation 5/8/10 %: {' / '.join(sep)}", flush=True)
    if by_language:
        for lang in sorted({v["lang"] for v in verdicts}):
            print(f"  {lang:9} {counts([v for v in verdicts if v['lang'] == lang])}")
    if by_writer:
        for writer in sorted({v["writer"] for v in verdicts}, key=lambda w: int(w.split("_")[1])):
            print(f"  {writer:9} {counts([v for v in verdicts if v['writer'] == writer])}")


if __name__ == "__main__":
    raise SystemExit(main())
