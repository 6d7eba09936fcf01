"""Copy the independently written triage corpus into the repository and split it once into train and test.

The corpus (``/work/corpus/batch_*.jsonl``) was written by three writers who saw only the route table
(``triage_routes.md``), never the knowledge base, the lexicons, the project's own evaluation set or each
other's batches. This script validates every line, drops exact duplicate texts, tags each line with its
writer (``batch_1`` …), and splits once with a fixed seed: about 20 % of each (route, language) stratum goes to
the test part, which is used only for reporting, never for tuning. Run it once; the split files are committed.

    python bench/triage/split_corpus.py [--source /work/corpus] [--seed 20261206]
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

from madoguchi.domain.routes import ROUTE_IDS

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "madoguchi" / "chatbot" / "data" / "corpus" / "train.jsonl"
TEST = ROOT / "bench" / "data" / "triage_corpus" / "test.jsonl"
LANGS = {"ja", "easy-ja", "en", "zh", "ko", "vi", "pt", "tl", "ne"}
KEYS = ("text", "route", "handoff", "urgent", "lang", "style")


def read_batch(path: Path) -> list[dict[str, object]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        problems = [
            k
            for k, ok in (
                ("text", isinstance(row.get("text"), str) and row["text"].strip()),
                ("route", row.get("route") in ROUTE_IDS),
                ("lang", row.get("lang") in LANGS),
                ("urgent", isinstance(row.get("urgent"), bool)),
                ("handoff", isinstance(row.get("handoff"), bool)),
            )
            if not ok
        ]
        if problems:
            raise SystemExit(f"{path}:{number}: bad {', '.join(problems)}")
        rows.append({k: row.get(k, "") for k in KEYS} | {"writer": path.stem})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--test-share", type=float, default=0.2)
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    dropped = 0
    for path in sorted(args.source.glob("batch_*.jsonl")):
        for row in read_batch(path):
            key = str(row["text"]).strip()
            if key in seen:
                dropped += 1
                continue
            seen.add(key)
            rows.append(row)
    strata: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        strata[(str(row["route"]), str(row["lang"]))].append(row)
    rng = random.Random(args.seed)
    train: list[dict[str, object]] = []
    test: list[dict[str, object]] = []
    for key in sorted(strata):
        group = strata[key]
        rng.shuffle(group)
        n_test = round(len(group) * args.test_share)
        test.extend(group[:n_test])
        train.extend(group[n_test:])
    for path, part in ((TRAIN, train), (TEST, test)):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            for row in part:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    for name, part in (("train", train), ("test", test)):
        print(
            f"{name}: {len(part)} lines; urgent {sum(bool(r['urgent']) for r in part)}, "
            f"handoff {sum(bool(r['handoff']) for r in part)}; "
            f"by writer {dict(sorted(Counter(str(r['writer']) for r in part).items()))}"
        )
    print("by language:", dict(sorted(Counter(str(r["lang"]) for r in rows).items())))
    print("by route:", dict(sorted(Counter(str(r["route"]) for r in rows).items())))
    print(f"duplicates dropped: {dropped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
