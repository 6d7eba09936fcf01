"""Where password hashing runs: its own few threads with a short line in front, never the shared default pool.

Why: an Argon2 hash or verify costs about a quarter of a second of CPU and 64 MiB (``PasswordHasher()``'s
defaults, RFC 9106's "low memory" choice). Session 13's outside pass sent 56 wrong logins at once; on the
process's default thread pool (6 threads on a 2-core host) they queued in front of every resident's chatbot answer
and every booth's triage (26–29 s) and of a real staff login (23 s), and held +380 MB. Here:

- hashing runs on ``workers`` threads of its own (1 on a host of 1–2 cores, 2 above: one Argon2 with parallelism 4
  already keeps two cores busy), so the most memory it holds is ``workers`` × 64 MiB;
- at most ``queue`` more jobs wait; a login past that is refused at once (:class:`PasswordWorkBusy`, the login
  answers ``503`` with ``Retry-After``) instead of waiting behind a flood it cannot see;
- :meth:`PasswordWork.run` (an admin setting a password, ``madoguchi user add``) waits for its turn instead: it is
  already signed in and rare.

The composition root (``create_app``) makes one per process and closes it at shutdown; the CLI's short runs use
:meth:`PasswordWork.for_host` too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

T = TypeVar("T")

DEFAULT_QUEUE: Final = 4
"""Jobs that may wait for a worker: about a second of waiting at a quarter second each, per worker."""
RETRY_AFTER_S: Final = 2
"""What a refused login is told to wait: the line is a few hashes long and drains in about a second."""


class PasswordWorkBusy(Exception):
    """Every worker is busy and the line is full: answer "busy, try again in a moment" without hashing."""

    retry_after_s = RETRY_AFTER_S


def workers_for_host(cpus: int | None = None) -> int:
    """1 worker on a host of up to 2 cores, else 2 (never more: each holds 64 MiB and keeps ~2 cores busy)."""
    count = os.cpu_count() if cpus is None else cpus
    return 1 if (count or 1) <= 2 else 2


class PasswordWork:
    def __init__(self, workers: int, queue: int = DEFAULT_QUEUE) -> None:
        if workers < 1 or queue < 0:
            raise ValueError("password work needs at least one worker and a queue of zero or more")
        self.workers = workers
        self.limit = workers + queue
        """Jobs running or waiting at most; :meth:`admit` refuses the one past it."""
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password")
        self._in_line = 0

    @classmethod
    def for_host(cls, queue: int = DEFAULT_QUEUE) -> PasswordWork:
        return cls(workers_for_host(), queue)

    @property
    def in_line(self) -> int:
        """Jobs running or waiting now (for tests and metrics)."""
        return self._in_line

    async def admit(self, work: Callable[..., T], *args: object) -> T:
        """Run ``work(*args)`` on the password threads, or raise :class:`PasswordWorkBusy` at once when the line is
        full (a login: an unauthenticated caller must not make others wait)."""
        if self._in_line >= self.limit:
            raise PasswordWorkBusy
        return await self._run(work, *args)

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """Run ``work(*args)`` on the password threads, waiting for a turn however long the line is (a signed-in
        admin or the CLI; its place still counts against :meth:`admit`)."""
        return await self._run(work, *args)

    async def _run(self, work: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        self._in_line += 1
        try:
            job = self._pool.submit(work, *args)
        except RuntimeError:  # closed: the server is stopping
            self._in_line -= 1
            raise PasswordWorkBusy from None
        # the place is given back when the job ends, not when its caller stops waiting (a dropped request's hash
        # still runs to the end on its thread)
        job.add_done_callback(lambda _: _call_soon(loop, self._done))
        return await asyncio.wrap_future(job)

    def _done(self) -> None:
        self._in_line -= 1

    def close(self) -> None:
        """Stop taking work; jobs already running finish on their threads, waiting ones are dropped."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody counts any more
        loop.call_soon_threadsafe(callback)
