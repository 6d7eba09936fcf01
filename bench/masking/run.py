"""Worst-case cost of personal-number masking (``madoguchi.domain.privacy.mask_pii``) on 1,000-character texts.

Every free text a socket event carries is masked while it is parsed, before any limit can refuse it, so the
slowest text of the longest allowed size is what one flooding client can make the event loop pay per event
(session 8's outside attack: a 1,000-digit chat line cost ~0.2 s even when refused). Shapes: long digit runs in
every width and script, digits split by each kind of separator, letters typed for digits, cue words repeated.

    python bench/masking/run.py                      # this tree
    python bench/masking/run.py --before 581b17c     # and the privacy.py of that commit, side by side

Median of ``--repeat`` runs per text, in milliseconds of this process's CPU (other work on the machine counts
less); results.json keeps the numbers.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SHAPES: dict[str, str] = {
    "kana (no digits)": "あ" * 1000,
    "1000 digits": "1" * 1000,
    "full-width digits": "１" * 1000,
    "mixed width 1１": "1１" * 500,
    "kanji 一": "一" * 1000,
    "circled ①": "①" * 1000,
    "+ and 999 digits": "+" + "1" * 999,
    "O9O letters": ("O9O" * 334)[:1000],
    "1 space": "1 " * 500,
    "1 hyphen": "1-" * 500,
    "1、": "1、" * 500,
    "1,": "1," * 500,
    "1/": "1/" * 500,
    "1 newline": "1\n" * 500,
    "12-": ("12-" * 334)[:1000],
    "12の": ("12の" * 334)[:1000],
    "番号1 repeated": ("番号1" * 334)[:1000],
    "cue + 1 space": ("マイナンバー" + "1 " * 497)[:1000],
    "電話 12の": ("電話" + "12の" * 333)[:1000],
    "dots 1.2.3.4.": ("1.2.3.4." * 125)[:1000],
    "paren (1)(2)": ("(1)(2)(3)" * 120)[:1000],
    "口座 普通 repeated": ("口座 普通1234567 " * 60)[:1000],
    "dates": ("2024/12/03 " * 100)[:1000],
    # session 11: groups joined by symbols (pii_symbols.py reads these; the shapes above never reach it)
    "1:": "1:" * 500,
    "1234:": "1234:" * 200,
    "1 → ": ("1 → " * 250)[:1000],
    "times 12:30": ("12:30 " * 167)[:1000],
    "my numbers 1234=5678=9018=": ("1234=5678=9018=" * 67)[:1000],
    "1━1━━1━━━": ("1━1━━1━━━" * 112)[:1000],
    # session 12: counts and ordinals that describe the groups (DIGIT_COUNT_WORDS, POSITION_WORDS)
    "次の4桁は1234、": ("次の4桁は1234、" * 100)[:1000],
    "next 4 digits 1234, ": ("next 4 digits 1234, " * 50)[:1000],
    "マイナンバー 2つ目は12": ("マイナンバー 2つ目は12 " * 67)[:1000],
    # session 13: characters drawn as nothing among digits make mask_pii read the text a second time without them
    "1 word joiner": "1\u2060" * 500,
    "1 soft hyphen ,": ("1\u00ad," * 334)[:1000],
    "12 ‒ (figure dash)": ("12\u2012" * 334)[:1000],
    # session 13 (attack13 F5): ordinary lines, a digit-heavy ordinary line, and the outside pass's worst shapes
    "ordinary ja": (
        "住民票の写しを取りたいのですが、窓口は何時まで開いていますか。母の介護保険のことも聞きたいです。" * 25
    )[:1000],
    "ordinary en": ("Hello, I moved here last month and need to register my address. What do I bring? " * 13)[:1000],
    "digit-heavy ordinary": (
        "4月12日の10時に3番窓口で住民票2通と印鑑証明1通、手数料は900円。電話は03-1234-5678、部屋は301号室です。" * 20
    )[:1000],
    "atk 〇": "〇" * 1000,
    "atk 番号１２、": ("番号１２、" * 200)[:1000],
    "atk 、12は口座": ("、12は口座" * 167)[:1000],
    "atk ・：一・1二三": ("・：一・1二三" * 143)[:1000],
    "atk 番号１⏎、〇零)": ("番号１\n、〇零)" * 125)[:1000],
    "atk 電話零": ("電話零" * 334)[:1000],
    "atk マイナンバー 1 ": ("マイナンバー 1 " * 110)[:1000],
}


def load_privacy(commit: str | None) -> ModuleType:
    if commit is None:
        from madoguchi.domain import privacy

        return privacy
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{commit}:madoguchi/domain/privacy.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / f"privacy_{commit}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"privacy_{commit}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


WORST: dict[str, float] = {}
"""The slowest of the repeats per shape of the last :func:`measure` (this tree's, when run last)."""


def measure(mask: Callable[[str], Any], repeat: int) -> dict[str, float]:
    out = {}
    WORST.clear()
    for name, text in SHAPES.items():
        times = []
        for _ in range(repeat):
            t0 = time.process_time()
            mask(text)
            times.append((time.process_time() - t0) * 1000)
        out[name] = round(statistics.median(times), 2)
        WORST[name] = round(max(times), 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", help="a commit whose privacy.py to measure beside this tree's")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args()
    before = measure(load_privacy(args.before).mask_pii, args.repeat) if args.before else None
    after = measure(load_privacy(None).mask_pii, args.repeat)
    worst = dict(WORST)
    print(f"{'shape':24s} {'before ms':>10s} {'after ms':>10s} {'ratio':>7s} {'after worst':>12s}")
    for name, ms in after.items():
        b = before[name] if before else float("nan")
        ratio = b / ms if before and ms else float("nan")
        print(f"{name:24s} {b:10.2f} {ms:10.2f} {ratio:7.1f} {worst[name]:12.2f}")
    worst_after = max(after.values())
    worst_before = max(before.values()) if before else None
    print("worst:", worst_before, "->", worst_after, "ms")
    args.json.write_text(
        json.dumps(
            {
                "repeat": args.repeat,
                "before_commit": args.before,
                "before": before,
                "after": after,
                "after_worst": worst,
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
