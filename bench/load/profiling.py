"""Where a server's CPU goes: py-spy samples a running server by pid; this turns its raw (collapsed) stacks into
a short table of the functions that hold the most samples, inclusive and on their own.

py-spy is optional (``pip install py-spy``); without it ``run.py --profile`` says so and carries on.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

PY_SPY = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))


def available() -> bool:
    return Path(PY_SPY).exists()


class Recording:
    """py-spy sampling one pid from :meth:`start` until :meth:`stop` (SIGINT makes it write the file)."""

    def __init__(self, pid: int, out: Path, rate: int = 200) -> None:
        self.pid, self.out, self.rate = pid, out, rate
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            # --gil: only samples holding the GIL, i.e. Python work; threads parked in a C-level queue get (the
            # aiosqlite and executor threads) would otherwise look busy
            PY_SPY,
            "record",
            "--pid",
            str(self.pid),
            "--rate",
            str(self.rate),
            "--format",
            "raw",
            "--gil",
            "--output",
            str(self.out),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(0.3)  # attached

    async def stop(self) -> dict[str, Any] | None:
        proc = self._proc
        if proc is None:
            return None
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()  # this py-spy's own pid
                await proc.wait()
        return summarise(self.out) if self.out.exists() else None


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module.py)"
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rstrip(")")
    parts = Path(file).parts
    for anchor in ("site-packages", "madoguchi", "lib"):
        if anchor in parts:
            i = len(parts) - 1 - parts[::-1].index(anchor)
            file = "/".join(parts[i + 1 :] if anchor != "madoguchi" else parts[i:])
            break
    else:
        if file.startswith("/"):
            file = Path(file).name
    return f"{name} ({file})"


GENERIC = (
    "asyncio/",
    "threading.py",
    "runpy.py",
    "<module>",
    "main (madoguchi/cli.py)",
    "main (bare_server.py)",
    "run (madoguchi",
    "concurrent/",
)


def package(frame: str) -> str:
    where = frame.rpartition(" (")[2].rstrip(")")
    head = where.split("/", 1)[0]
    if where.endswith(".py") and "/" not in where:
        return "stdlib" if head not in ("bare_server.py",) else "bare_server"
    return {"json": "json (stdlib)", "asyncio": "asyncio (stdlib)"}.get(head, head.removesuffix(".py"))


def summarise(path: Path, top: int = 16) -> dict[str, Any]:
    """Top functions by inclusive and by self share of the samples, and self time by package."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")]
        total += count
        own[frames[-1]] += count
        by_package[package(frames[-1])] += count
        for frame in set(frames):
            if not any(g in frame for g in GENERIC):
                inclusive[frame] += count

    def share(c: Counter[str], n_top: int = top) -> list[dict[str, Any]]:
        return [{"function": f, "share": round(n / total, 3)} for f, n in c.most_common(n_top)] if total else []

    return {
        "samples": total,
        "inclusive": share(inclusive, 4 * top),
        "self": share(own),
        "self_by_package": share(by_package),
    }
