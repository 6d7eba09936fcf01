"""Recovery at start and a clean leave at shutdown: what a process does about the others, once.

At start, if no other process is alive this is a full restart: calls nobody can rejoin are interrupted, and
records the live state no longer knows (in-process state died with the process) are marked interrupted, after
the outbox has been written (a case that closed while the database was away must get its own end). At shutdown
the process's connections are gone now, not after the heartbeat times out, and records still pending get a last
chance (with the in-process live state they die with the process).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from madoguchi.signaling.consultation import State, Trigger
from madoguchi.signaling.counter import Counter
from madoguchi.signaling.liveness import Liveness
from madoguchi.signaling.outbox import RECORD_WRITE_TIMEOUT_S, OutboxWriter
from madoguchi.signaling.ports import RecordReader, RecordSink
from madoguchi.signaling.recording import utc
from madoguchi.signaling.store import LiveStore
from madoguchi.signaling.timers import Run
from madoguchi.storage.updates import Transition

log = logging.getLogger(__name__)


class Recovery:
    def __init__(
        self,
        *,
        store: LiveStore,
        outbox: OutboxWriter,
        liveness: Liveness,
        records: RecordReader,
        sink: RecordSink,
        run: Run,
        process_id: str,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._liveness = liveness
        self._records = records
        self._sink = sink
        self._run = run
        self._process_id = process_id
        self._clock = clock

    async def recover(self) -> int:
        """Returns how many records were marked interrupted."""
        now = self._clock()
        # a process whose heartbeat is overdue but whose liveness signal is present runs (slow): no full restart
        overdue = [p for p in (await self._store.read()).overdue_processes(now) if p != self._process_id]
        try:
            alive = await self._liveness.remaining(overdue) if overdue else {}
        except Exception as exc:
            log.warning("liveness signals not read at start (%s): going by heartbeats alone", exc)
            alive = {}
        full_restart = await self._run(
            partial(Counter.recover_after_restart, process_id=self._process_id, now=now, alive=alive)
        )
        if not full_restart:
            return 0
        await self._outbox.flush(limit_s=RECORD_WRITE_TIMEOUT_S)
        counter = await self._store.read()
        known = set(counter.state.consultations) | {e.consultation_id for e in counter.pending_records()}
        count = 0
        for record in await self._records.unfinished():
            if record.id in known:
                continue
            await self._sink.apply(
                Transition(
                    consultation_id=record.id,
                    at=utc(now),
                    kind=Trigger.INTERRUPT.value,
                    state=State.INTERRUPTED.value,
                    key=f"{record.id}:interrupted",
                    columns={"closed_at": utc(now), "end_reason": "interrupted"},
                )
            )
            count += 1
        return count

    async def leave(self) -> None:
        """Gone now: this process's connections are taken with it and its liveness signal withdrawn (stop the
        :class:`~madoguchi.signaling.liveness.Beacon` first)."""
        now = self._clock()
        try:
            try:
                await self._run(partial(Counter.process_left, process_id=self._process_id, now=now))
            finally:
                try:
                    await self._liveness.withdraw(self._process_id)
                except Exception as exc:  # it runs out by itself within process_timeout_s
                    log.warning("liveness signal not withdrawn at shutdown: %s", exc)
            try:
                await self._outbox.flush(limit_s=RECORD_WRITE_TIMEOUT_S)
            except Exception as exc:
                log.warning("pending records not written at shutdown: %s", exc)
        finally:
            await self._outbox.settle()
