"""Measure the situation layer (``madoguchi/chatbot/situation.py``) on a per-line dump of grouped CV by writer.

Input: ``bench/triage/dev_writers.py --groups 5 --dump FILE`` (training split only): every training line scored by
a model that never read its writer, with the engine's verdict. Here a second, nested grouped 5-fold by writer fits
the situation model on some writers' dumped lines (slots + their out-of-fold danger score) and scores the others,
so every line gets a situation probability from a model that saw neither its writer's words nor its writer's
slots. The engine's decision is then replayed with the layer: a line the danger stage left alone is asked when the
probability reaches the threshold (chosen on the fitting writers' calm lines: at most ``--budget`` of them asked).

    .venv/bin/python bench/triage/situation_cv.py /tmp/dump.jsonl [--budget 0.01] [--model lr|hgb] [--c 0.3]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from madoguchi.chatbot.lexicon import bundled_lexicon
from madoguchi.chatbot.model import fold_for_model
from madoguchi.chatbot.situation import situation_features, slots


def features(row: dict[str, Any], variant: str) -> dict[str, float]:
    s = slots(fold_for_model(row["text"]), bundled_lexicon())
    score = float(row["score"]) - float(row["low"])  # the margin above the line's own question threshold
    names = situation_features(s, score)
    if variant == "slots":  # no crosses: each list alone
        names = [n for n in names if n.split(":", 1)[0] in ("who", "state", "now", "calm")]
    out = {n: 1.0 for n in names}
    out["score"] = score
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path)
    parser.add_argument("--budget", type=float, nargs="*", default=[0.005, 0.01, 0.015, 0.02])
    parser.add_argument("--c", type=float, default=0.3)
    parser.add_argument("--model", default="lr")
    parser.add_argument("--variant", default="cross")
    parser.add_argument("--only-silent", action="store_true", help="fit on lines the danger stage left alone")
    parser.add_argument("--lower", type=float, default=0.0, help="urgent by the score with p below this: ask")
    parser.add_argument("--drop", type=float, default=0.0, help="a question the score asked with p below this: none")
    parser.add_argument("--drop-rules", action="store_true", help="--drop also for the rules' questions")
    parser.add_argument("--lower-rule", type=float, default=0.0, help="an event kind's rule verdict with p below: ask")
    parser.add_argument("--out", type=Path, help="write the lines the layer adds (no text)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dump.open(encoding="utf-8")]
    feats = [features(r, args.variant) for r in rows]
    y = np.array([bool(r["urgent"]) for r in rows])
    writers = np.array([r["writer"] for r in rows])
    silent = np.array([not r["got_urgent"] and not r["asked"] and not r["weak"] for r in rows])
    raw = np.array([float(r["score"]) - float(r["low"]) for r in rows])
    prob = np.full(len(rows), np.nan)
    thresholds: dict[float, np.ndarray] = {b: np.full(len(rows), np.inf) for b in args.budget}
    for fit, held in GroupKFold(n_splits=5).split(rows, y, writers):
        fit_rows = fit[silent[fit]] if args.only_silent else fit
        vec = DictVectorizer()
        x_fit = vec.fit_transform([feats[i] for i in fit_rows])
        if args.model == "score":  # the baseline: the raw danger score alone, same budget
            p_fit = raw[fit]
            prob[held] = raw[held]
        elif args.model == "hgb":
            from sklearn.ensemble import HistGradientBoostingClassifier

            clf: Any = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, random_state=13)
            clf.fit(x_fit.toarray(), y[fit_rows])
            p_fit = clf.predict_proba(vec.transform([feats[i] for i in fit]).toarray())[:, 1]
            prob[held] = clf.predict_proba(vec.transform([feats[i] for i in held]).toarray())[:, 1]
        else:
            clf = LogisticRegression(C=args.c, class_weight="balanced", max_iter=2000)
            clf.fit(x_fit, y[fit_rows])
            p_fit = clf.predict_proba(vec.transform([feats[i] for i in fit]))[:, 1]
            prob[held] = clf.predict_proba(vec.transform([feats[i] for i in held]))[:, 1]
        # threshold on the fitting writers' lines (their p is in-sample: the nested estimate stays honest on held)
        calm_silent = p_fit[~y[fit] & silent[fit]]
        n_calm = int((~y[fit]).sum())
        for b in args.budget:
            k = int(b * n_calm)
            ordered = np.sort(calm_silent)[::-1]
            thresholds[b][held] = ordered[min(k, len(ordered) - 1)] + 1e-9

    def report(name: str, urgent: np.ndarray, asked: np.ndarray, mask: np.ndarray) -> str:
        u = y & mask
        c = ~y & mask
        return (
            f"{name:10} caught={int((u & (urgent | asked)).sum())}/{int(u.sum())} at_once={int((u & urgent).sum())} "
            f"false_urgent={int((c & urgent).sum())} ({100 * (c & urgent).sum() / max(c.sum(), 1):.2f}%) "
            f"asked={int((c & asked).sum())} ({100 * (c & asked).sum() / max(c.sum(), 1):.2f}%)"
        )

    got_u = np.array([bool(r["got_urgent"]) for r in rows])
    got_a = np.array([bool(r["asked"]) for r in rows])
    everyone = np.ones(len(rows), dtype=bool)
    print(report("before", got_u, got_a, everyone))
    from sklearn.metrics import roc_auc_score

    print(
        f"AUC on silent lines: raw score {roc_auc_score(y[silent], raw[silent]):.4f} "
        f"situation {roc_auc_score(y[silent], prob[silent]):.4f}"
    )
    model_urgent = np.array([r["got_urgent"] and any(x.startswith("urgent:model") for x in r["reasons"]) for r in rows])
    for b in args.budget:
        add = silent & (prob >= thresholds[b])
        new_u = got_u.copy()
        new_a = got_a | add
        model_asked = np.array([any(x.startswith("safety:model") for x in r["reasons"]) for r in rows])
        if args.drop > 0:
            dropped = got_a & (prob < args.drop) & (model_asked | args.drop_rules)
            new_a &= ~dropped | add
        if args.lower_rule > 0:
            events = {"collapse", "disaster", "missing", "eviction", "household"}
            ruled = np.array([bool(r["rule_kinds"]) and set(r["rule_kinds"]) <= events for r in rows]) & got_u
            lowered = ruled & ~model_urgent & (prob < args.lower_rule)
            new_u &= ~lowered
            new_a |= lowered
        if args.lower > 0:
            lowered = model_urgent & (prob < args.lower)
            new_u &= ~lowered
            new_a |= lowered
        print(report(f"budget {b}", new_u, new_a, everyone))
        if b == args.budget[-1] or len(args.budget) == 1:
            for lang in sorted({r["lang"] for r in rows}):
                m = np.array([r["lang"] == lang for r in rows])
                print("  " + report(lang, got_u, got_a, m) + "  →  " + report("", new_u, new_a, m)[11:])
            for w in sorted(set(writers.tolist()), key=lambda s: int(s.split("_")[1])):
                m = writers == w
                if w in ("batch_35", "batch_36", "batch_33", "batch_34"):
                    print("  " + report(w, got_u, got_a, m) + "  →  " + report("", new_u, new_a, m)[11:])
            if args.out:
                with args.out.open("w", encoding="utf-8") as out:
                    for i in np.flatnonzero(add):
                        out.write(
                            json.dumps(
                                {
                                    "writer": rows[i]["writer"],
                                    "lang": rows[i]["lang"],
                                    "urgent": bool(y[i]),
                                    "p": round(float(prob[i]), 3),
                                }
                            )
                            + "\n"
                        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
