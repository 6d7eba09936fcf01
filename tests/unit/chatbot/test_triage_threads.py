"""The chatbot has threads of its own: a login flood that fills every password thread does not delay a resident's
answer (session 13, attack F1: 56 wrong logins made a booth's triage take 26–29 s on the shared default pool)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from madoguchi.chatbot.engine import TriageEngine
from madoguchi.chatbot.llm import Triage
from madoguchi.storage.password_work import PasswordWork


def stuck(gate: threading.Event, started: threading.Semaphore) -> None:
    started.release()
    assert gate.wait(10), "the test never opened the gate"


async def test_triage_answers_while_every_password_thread_is_busy(tiny_engine: TriageEngine) -> None:
    passwords = PasswordWork(workers=2, queue=4)
    threads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="triage")
    triage = Triage(tiny_engine, executor=threads)
    gate, started = threading.Event(), threading.Semaphore(0)
    try:
        flood = [asyncio.create_task(passwords.admit(stuck, gate, started)) for _ in range(6)]
        for _ in range(2):
            await asyncio.to_thread(started.acquire)  # both password workers are held, four more wait
        assert passwords.in_line == 6
        result = await asyncio.wait_for(triage.triage("住民票がほしい"), timeout=10)
        assert result.masked_text and not any(task.done() for task in flood), "answered while the flood still waits"
    finally:
        gate.set()
        await asyncio.gather(*flood)
        passwords.close()
        threads.shutdown()
