"""One connection's events run one after the other on its lane, in the order they came, even when more arrive than
the lane holds (the reader then waits for room), and the lane is dropped only when nothing is left for it
(madoguchi/signaling/socket_server.py, Lane)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from madoguchi.signaling.socket_server import LANE_DEPTH, Lane


async def test_a_full_lane_keeps_order_and_stays_until_its_waiting_reader_has_added() -> None:
    done: list[int] = []
    running = 0
    dropped: list[bool] = []

    async def run(event: str, args: tuple[Any, ...]) -> None:
        nonlocal running
        running += 1
        assert running == 1, "never two events of one connection at once"
        done.append(args[0])  # no await: a handler that finishes at once
        running -= 1

    lane: Lane
    finished = asyncio.Event()

    def on_idle() -> None:
        dropped.append(lane.idle)
        if lane.idle:
            finished.set()

    lane = Lane(run, on_idle)
    count = LANE_DEPTH * 2 + 3
    await asyncio.gather(*(lane.add("message", (n,), wait_for_room=True) for n in range(count)))
    await asyncio.wait_for(finished.wait(), 5.0)
    assert done == list(range(count))
    assert dropped and dropped[-1] is True and lane.idle


async def test_closing_a_lane_ends_its_task_even_when_the_handler_swallows_the_cancel() -> None:
    """Shutting down: the queued events are dropped, the running handler is cancelled and the task awaited, though
    python-engineio's handler wrapper swallows ``CancelledError`` (so cancelling alone would run the next one)."""
    started = asyncio.Event()
    ran: list[int] = []

    async def run(event: str, args: tuple[Any, ...]) -> None:
        ran.append(args[0])
        started.set()
        with contextlib.suppress(asyncio.CancelledError):  # what engineio.AsyncServer._trigger_event does
            await asyncio.Event().wait()  # a handler that would never end

    idle: list[bool] = []
    lane = Lane(run, lambda: idle.append(True))
    for n in range(3):
        await lane.add("message", (n,), wait_for_room=True)
    await asyncio.wait_for(started.wait(), 5.0)
    task = lane._task
    assert task is not None

    assert await lane.close() is True

    assert task.done() and not task.cancelled() and task.exception() is None
    assert ran == [0], "the queued events are dropped, not run"
    assert lane.idle and idle == [True]
    await lane.add("message", (9,), wait_for_room=True)  # a late message after the close starts nothing
    assert lane._task is None and ran == [0]


async def test_a_reader_waiting_for_room_is_released_by_the_close() -> None:
    gate = asyncio.Event()

    async def run(event: str, args: tuple[Any, ...]) -> None:
        await gate.wait()

    lane = Lane(run, lambda: None)
    for n in range(LANE_DEPTH + 1):  # one running, LANE_DEPTH queued: the lane is full
        await lane.add("message", (n,), wait_for_room=True)
    reader = asyncio.create_task(lane.add("message", ("late",), wait_for_room=True))
    await asyncio.sleep(0)
    assert not reader.done(), "a full lane makes its reader wait"
    assert await lane.close() is True
    await asyncio.wait_for(reader, 5.0)
    assert lane.idle
