"""Password hashing runs on its own few threads with a short line; a login past the line is refused at once
(session 13, attack F1: 56 wrong logins queued on the shared default pool in front of every resident's answer)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from argon2 import PasswordHasher

from madoguchi.storage.accounts import Accounts
from madoguchi.storage.db import Database
from madoguchi.storage.password_work import PasswordWork, PasswordWorkBusy, workers_for_host


def blocked(gate: threading.Event, started: threading.Semaphore) -> str:
    started.release()
    assert gate.wait(10), "the test never opened the gate"
    return "done"


async def settle() -> None:
    """Let tasks already made reach their first wait (no clock involved)."""
    for _ in range(5):
        await asyncio.sleep(0)


def test_one_worker_on_a_small_host_two_above() -> None:
    assert [workers_for_host(n) for n in (1, 2, 3, 4, 64)] == [1, 1, 2, 2, 2]


async def test_a_login_past_the_line_is_refused_at_once_and_the_line_drains() -> None:
    work = PasswordWork(workers=1, queue=2)
    gate, started = threading.Event(), threading.Semaphore(0)
    try:
        jobs = [asyncio.create_task(work.admit(blocked, gate, started)) for _ in range(3)]
        await settle()
        assert work.in_line == 3 == work.limit
        with pytest.raises(PasswordWorkBusy):
            await work.admit(blocked, gate, started)  # refused without waiting: nothing to await but the refusal
        waiting_admin = asyncio.create_task(work.run(blocked, gate, started))  # a signed-in admin waits instead
        await settle()
        assert work.in_line == 4 and not waiting_admin.done()
        gate.set()
        assert await asyncio.gather(*jobs, waiting_admin) == ["done"] * 4
        await settle()
        assert work.in_line == 0
        assert await work.admit(str.upper, "ok") == "OK", "room again once the line drained"
    finally:
        gate.set()
        work.close()


async def test_a_caller_that_stops_waiting_keeps_its_place_until_its_hash_ends() -> None:
    """A dropped request's hash still runs on its thread: its place is given back when the hash ends."""
    work = PasswordWork(workers=1, queue=0)
    gate, started = threading.Event(), threading.Semaphore(0)
    try:
        job = asyncio.create_task(work.admit(blocked, gate, started))
        await asyncio.to_thread(started.acquire)  # the hash is running
        job.cancel()
        await settle()
        assert work.in_line == 1
        with pytest.raises(PasswordWorkBusy):
            await work.admit(str.upper, "x")
        gate.set()
        for _ in range(100):  # the worker thread hands the place back through the loop
            if work.in_line == 0:
                break
            await asyncio.to_thread(lambda: None)
        assert work.in_line == 0
    finally:
        gate.set()
        work.close()


class GatedHasher(PasswordHasher):
    """Cheap Argon2 whose verify waits for the test's gate: every password thread stays busy until it opens."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.gate = threading.Event()
        self.started = threading.Semaphore(0)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.started.release()
        assert self.gate.wait(10), "the test never opened the gate"
        return super().verify(hash, password)


async def test_a_login_flood_is_refused_at_once_once_the_password_line_is_full(db: Database, town: str) -> None:
    hasher = GatedHasher()
    work = PasswordWork(workers=1, queue=3)
    accounts = Accounts(db, hasher=hasher, work=work)
    await accounts.add_user(
        "sato", "correct horse", role="agent", municipality_ids=[town], routes=["*"], languages=["ja"]
    )
    try:
        flood = [asyncio.create_task(accounts.authenticate(f"spray{n}", "wrong-password")) for n in range(10)]
        await asyncio.to_thread(hasher.started.acquire)  # the first verify holds the only worker
        done, _ = await asyncio.wait(flood, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        while sum(1 for task in flood if task.done()) < 6:  # the six past the line of four fail without a hash
            done, _ = await asyncio.wait(
                [t for t in flood if not t.done()], timeout=5, return_when=asyncio.FIRST_COMPLETED
            )
            assert done, "refusals must not wait for the gate"
        refused = [task for task in flood if task.done()]
        assert len(refused) == 6 and all(isinstance(task.exception(), PasswordWorkBusy) for task in refused)
        assert work.in_line == 4
        with pytest.raises(PasswordWorkBusy):
            await accounts.authenticate("sato", "correct horse")  # the real user is told "busy", at once
        hasher.gate.set()
        assert [await task for task in flood if task not in refused] == [None] * 4
        assert (await accounts.authenticate("sato", "correct horse")) is not None
    finally:
        hasher.gate.set()
        work.close()
