"""Wall time of ``madoguchi --help`` and ``madoguchi records export --help``: this checkout against another.

    python bench/cli/startup.py --reps 5 [--before /path/to/an/export/of/the/previous/commit]

Each rep runs the commands of both versions one after the other (interleaved, so the machine's load falls on
both alike) as ``python -c "from madoguchi.cli import main; main()" ARGS``, with ``PYTHONPATH`` pointing at the
version; the figures are the medians of wall and of CPU time (the first, uncounted run of each compiles the
``.pyc`` files). Results: RESULTS.md beside this file (written by hand from the output).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = (("--help",), ("records", "export", "--help"))


def wall(version: Path, argv: tuple[str, ...]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run; CPU is the figure a busy machine disturbs least."""
    env = {**os.environ, "PYTHONPATH": str(version)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from madoguchi.cli import main; main()", *argv],
        env=env,
        cwd="/",  # not the checkout: ``python -c`` puts the working directory before PYTHONPATH
        stdout=subprocess.DEVNULL,
        check=True,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--before", type=Path, default=None, help="a checkout (or export) of the version before")
    args = parser.parse_args()
    versions = {"after": ROOT} | ({"before": args.before} if args.before else {})
    times: dict[str, dict[str, list[float]]] = {v: {" ".join(c): [] for c in COMMANDS} for v in versions}
    cpu: dict[str, dict[str, list[float]]] = {v: {" ".join(c): [] for c in COMMANDS} for v in versions}
    for path in versions.values():  # compile the .pyc files first: a cold first run measures the compiler
        for command in COMMANDS:
            wall(path, command)
    load_start = os.getloadavg()[0]
    for _ in range(args.reps):
        for command in COMMANDS:
            for name, path in versions.items():
                seconds, used = wall(path, command)
                times[name][" ".join(command)].append(seconds)
                cpu[name][" ".join(command)].append(used)
    result = {
        "reps": args.reps,
        "load_1min": [round(load_start, 1), round(os.getloadavg()[0], 1)],
        "median_s": {v: {c: round(statistics.median(t), 3) for c, t in ts.items()} for v, ts in times.items()},
        "median_cpu_s": {v: {c: round(statistics.median(t), 3) for c, t in ts.items()} for v, ts in cpu.items()},
        "all_s": {v: {c: [round(x, 3) for x in t] for c, t in ts.items()} for v, ts in times.items()},
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
