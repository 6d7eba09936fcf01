"""Copy the independently written triage corpus into the repository and split it once into train and test.

The corpus (``/work/corpus/batch_*.jsonl``) is written by independent writers who saw only the route table
(``triage_routes.md``), never the knowledge base, the lexicons, the project's own evaluation set or each
other's batches. This script validates every line, drops exact duplicate texts, tags each line with its
writer (``batch_1`` …), and splits once with a fixed seed: about 20 % of each (route, language) stratum goes to
the test part, which is used only for reporting, never for tuning. The split files are committed.

The first three batches were split together (no ``--append``). A later batch is split once, on its own, with
``--append batch_4 ...``: the lines already in train and test stay exactly as they are, the new batch's test
lines are appended to the test file and its training lines to the training file (lines whose text is already
in the corpus are dropped). A batch already present in either file is refused, so nothing is split twice.

    python bench/triage/split_corpus.py [--source /work/corpus] [--seed 20261206]
    python bench/triage/split_corpus.py --append batch_4 batch_5 batch_6 --by-cell batch_4 batch_5

A batch whose writer wrote the same situations in several languages (close translations) is split by cell
(``--by-cell``): every line with the same (route, urgent, handoff), in every language, goes to the same side.
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


def split(
    rows: list[dict[str, object]], seed: int, share: float
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """(train, test): about ``share`` of every (route, language) stratum to test, with a fixed seed."""
    strata: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        strata[(str(row["route"]), str(row["lang"]))].append(row)
    rng = random.Random(seed)
    train: list[dict[str, object]] = []
    test: list[dict[str, object]] = []
    for key in sorted(strata):
        group = strata[key]
        rng.shuffle(group)
        n_test = round(len(group) * share)
        test.extend(group[:n_test])
        train.extend(group[n_test:])
    return train, test


def split_by_cell(
    rows: list[dict[str, object]], seed: int, share: float
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """(train, test) for a batch that says the same situations in several languages (close translations):
    whole cells — all lines, in every language, with the same (route, urgent, handoff) — go to one side, so
    no translation of a test line is in training. Cells are drawn in a fixed-seed order until about ``share``
    of the urgent and of the other lines are in test."""
    cells: dict[tuple[str, bool, bool], list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        cells[(str(row["route"]), bool(row["urgent"]), bool(row["handoff"]))].append(row)
    rng = random.Random(seed)
    train: list[dict[str, object]] = []
    test: list[dict[str, object]] = []
    for urgent in (True, False):
        keys = sorted(k for k in cells if k[1] is urgent)
        rng.shuffle(keys)
        target = round(share * sum(len(cells[k]) for k in keys))
        taken = 0
        for key in keys:
            if taken < target and taken + len(cells[key]) <= target * 1.25:
                test.extend(cells[key])
                taken += len(cells[key])
            else:
                train.extend(cells[key])
    return train, test


def _read_split(path: Path) -> list[dict[str, object]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def append(args: argparse.Namespace) -> int:
    """Split each new batch once on its own and append it; the existing lines stay as they are."""
    existing = [*_read_split(TRAIN), *_read_split(TEST)]
    present = {str(r["writer"]) for r in existing}
    seen = {str(r["text"]).strip() for r in existing}
    for name in args.append:
        if name in present:
            raise SystemExit(f"{name} is already in the corpus split: a batch is split only once")
    for name in args.append:
        rows: list[dict[str, object]] = []
        dropped = 0
        for row in read_batch(args.source / f"{name}.jsonl"):
            key = str(row["text"]).strip()
            if key in seen:
                dropped += 1
                continue
            seen.add(key)
            rows.append(row)
        by_cell = name in (args.by_cell or [])
        train, test = (split_by_cell if by_cell else split)(rows, args.seed, args.test_share)
        for path, part in ((TRAIN, train), (TEST, test)):
            with path.open("a", encoding="utf-8") as handle:
                for row in part:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(
            f"{name}: {len(rows)} lines ({dropped} duplicates dropped), split by {'cell' if by_cell else 'line'}: "
            f"train {len(train)}, test {len(test)} (urgent {sum(bool(r['urgent']) for r in test)}); "
            f"urgent {sum(bool(r['urgent']) for r in rows)}, handoff {sum(bool(r['handoff']) for r in rows)}; "
            f"by language {dict(sorted(Counter(str(r['lang']) for r in rows).items()))}"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/work/corpus"))
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--append", nargs="+", metavar="BATCH", help="split these new batches once and append them")
    parser.add_argument(
        "--by-cell",
        nargs="+",
        metavar="BATCH",
        help="with --append: these batches say the same situations in several languages; split whole "
        "(route, urgent, handoff) cells, not lines, so translations of a test line stay out of training",
    )
    args = parser.parse_args()
    if args.append:
        return append(args)
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
    train, test = split(rows, args.seed, args.test_share)
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
