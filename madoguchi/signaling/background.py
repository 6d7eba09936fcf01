"""Ending the server's background loops, even when a library under them swallows the cancellation.

Why: python-socketio's Redis manager (and the Redis client under it) may catch the ``CancelledError`` that
``task.cancel()`` throws into an emit and carry on; a loop that then waits again never ends, and the app's
shutdown waits for it for ever (a two-process run hung at exit this way). So a loop asks
:func:`cancel_requested` after each round, and the shutdown stops tasks with :func:`stop`, which cancels again
and gives up after a bounded time rather than hang.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


def cancel_requested() -> bool:
    """Whether the running task has been asked to stop (a cancellation swallowed below still counts)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def stop(task: asyncio.Task[object] | asyncio.Task[None], *, grace_s: float = 5.0, attempts: int = 3) -> None:
    """Cancel ``task`` and wait for it; cancel again each ``grace_s / attempts`` while it lingers, and return
    (logging) after ``grace_s`` even if it never ends. Its outcome is consumed, errors logged."""
    for _ in range(attempts):
        if task.done():
            break
        task.cancel()
        await asyncio.wait({task}, timeout=grace_s / attempts)
    if not task.done():
        log.error("background task %s did not stop within %.1f s; leaving it", task.get_name(), grace_s)
        return
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("background task %s ended with an error: %r", task.get_name(), error)


__all__ = ["cancel_requested", "stop"]
