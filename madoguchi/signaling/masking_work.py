"""Where a long free text is masked: a thread of its own, off the event loop.

Why: personal-number masking (``domain.privacy.mask_pii``) is pure Python and linear in the text, but a
1,000-character line an anonymous resident chooses (a run of 〇, 「番号１２、」 repeated, letters typed for digits)
costs 5–10 ms of CPU (bench/masking), and a line is masked twice on its way (at the socket edge while the event is
read, and again where the chat stores it). Session 13's outside pass sent 60 such lines at once from one address and
held every socket of the process for 0.8 s. Here:

- a text of at least ``min_chars`` characters is masked on ``workers`` threads of its own (one: the loop keeps the
  other core, and the GIL is handed back to the loop every few milliseconds while a mask runs); shorter texts, the
  usual chat line, are masked in place, where a thread hop would cost more than the masking;
- only chat lines (``masked_events``; not a ``signal``, whose long SDP is not masked);
- nothing is reordered: each connection's events are handled one after the other (``async_handlers=False``), so a
  connection's next line is not read before its long line is masked and handled;
- the line in front of the thread is bounded by the connections, each with at most one event in flight, and by the
  resident line limits (``resident_lines_per_minute``, ``resident_lines_per_address_per_minute``) checked before
  any masking.

The composition root (``create_app``) makes one per process and closes it at shutdown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

from madoguchi.domain.privacy import MaskResult, mask_pii

A = TypeVar("A")
T = TypeVar("T")

OFF_LOOP_CHARS: Final = 200
"""Texts this long or longer are masked on the masking thread (a 200-character line costs ≤ 2 ms at worst)."""


class MaskingWork:
    def __init__(self, workers: int = 1, *, min_chars: int = OFF_LOOP_CHARS) -> None:
        if workers < 1 or min_chars < 0:
            raise ValueError("masking work needs at least one worker and a threshold of zero or more characters")
        self.min_chars = min_chars
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="masking")

    async def call(self, work: Callable[[A], T], argument: A, size: int) -> T:
        """``work(argument)``: on the masking thread when ``size`` (the characters of free text it reads) is at
        least ``min_chars``, else at once on the loop."""
        if size < self.min_chars:
            return work(argument)
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, argument)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


async def mask_line(masking: MaskingWork | None, text: str) -> MaskResult:
    """``mask_pii(text)``, on the masking thread when there is one and the text is long (else in place)."""
    return mask_pii(text) if masking is None else await masking.call(mask_pii, text, len(text))


def text_size(payload: object) -> int:
    """The characters of every string in an event payload, nested ones too (the text masking would read); read
    without recursion, so a deeply nested payload cannot exhaust the stack."""
    size, pending = 0, [payload]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list | tuple):
            pending.extend(value)
    return size
