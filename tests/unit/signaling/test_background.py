"""Background loops end when cancelled although a library below them swallows the cancellation (python-socketio's
Redis manager did, and a two-process server then never finished shutting down), and the shutdown's wait is
bounded even for a task that never ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import pytest

from madoguchi.signaling import background
from madoguchi.signaling.background import cancel_requested
from madoguchi.signaling.dispatch import Delivery, Notifier
from madoguchi.signaling.state import CounterConfig
from madoguchi.signaling.store import MemoryStore
from madoguchi.signaling.supervisor_feed import SupervisorFeed
from madoguchi.storage.booths import Booths
from madoguchi.storage.records import ConsultationRecords


class SwallowingNotifier:
    """Like an emit through Redis that catches the CancelledError thrown into it and returns normally."""

    def __init__(self) -> None:
        self.delivered = asyncio.Event()
        self.release = asyncio.Event()

    async def deliver(self, deliveries: Sequence[Delivery]) -> None:
        self.delivered.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self.release.wait()


class NoBooths:
    async def list(self, municipality_id: str | None = None) -> list[Any]:
        return []


class NoRecords:
    async def counts_since(
        self, municipality_id: str, since: datetime, *, short_abandon_s: float = 0.0
    ) -> tuple[int, int, int]:
        return 0, 0, 0


@pytest.mark.timeout(10)
async def test_the_supervisor_feed_ends_although_its_emit_swallowed_the_cancellation() -> None:
    notifier = SwallowingNotifier()
    feed = SupervisorFeed(
        store=MemoryStore(CounterConfig()),
        notifier=cast(Notifier, notifier),
        booths=cast(Booths, NoBooths()),
        records=cast(ConsultationRecords, NoRecords()),
        clock=lambda: 1_000_000.0,
        interval=0.0,
    )
    task = asyncio.create_task(feed.run_forever())
    feed.watch(["town"])  # the feed builds only what this process's sockets watch
    feed.touch(["town"])
    await notifier.delivered.wait()
    task.cancel()  # lands inside the emit, which swallows it
    done, _ = await asyncio.wait({task}, timeout=5.0)
    assert done == {task} and task.cancelled()


@pytest.mark.timeout(10)
async def test_a_loop_that_checks_cancel_requested_ends_after_a_swallowed_cancel() -> None:
    rounds = 0

    async def loop() -> None:
        nonlocal rounds
        while True:
            rounds += 1
            with contextlib.suppress(asyncio.CancelledError):  # swallowed below us
                await asyncio.Event().wait()
            if cancel_requested():
                raise asyncio.CancelledError

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    await background.stop(task, grace_s=5.0)
    assert task.cancelled() and rounds == 1


@pytest.mark.timeout(10)
async def test_stop_cancels_again_and_then_gives_up_on_a_task_that_never_ends(caplog: pytest.LogCaptureFixture) -> None:
    cancels = 0
    finish = asyncio.Event()

    async def stubborn() -> None:
        nonlocal cancels
        while not finish.is_set():
            try:
                await finish.wait()
            except asyncio.CancelledError:
                cancels += 1

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    await background.stop(task, grace_s=0.3, attempts=3)
    assert not task.done() and cancels == 3
    assert "stubborn did not stop" in caplog.text
    finish.set()
    await task


@pytest.mark.timeout(10)
async def test_stop_logs_a_task_that_died_of_an_error(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(broken(), name="broken")
    await asyncio.sleep(0)
    await background.stop(task)
    assert "broken ended with an error" in caplog.text
