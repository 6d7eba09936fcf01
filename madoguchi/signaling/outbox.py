"""The outbox writer: pending records go to the database in order, and leave the live state's outbox once written.

The durability promise this serves: a fact is durable when the counter's transaction commits (its record is in
the same state); this module only moves records on to the database. When the database cannot take a write (a
failover, 10-60 s) the records stay in the outbox and :meth:`OutboxWriter.flush` (started by the timers, any
process) writes what is pending about once a second until it answers again. Writes are idempotent by the
record's key, so two processes writing the same record, or a retry after a lost commit reply, store it once.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from madoguchi.signaling.counter import Counter, CounterError, PendingRecord
from madoguchi.signaling.lookups import DatabaseHealth
from madoguchi.signaling.ports import RecordSink
from madoguchi.signaling.recording import record_update
from madoguchi.signaling.store import LiveStore
from madoguchi.storage.errors import StorageError

log = logging.getLogger(__name__)

RECORD_WRITE_TIMEOUT_S = 5.0
"""How long an operation (or a round of the flusher) waits for the database before it leaves the records in the
outbox. Once a round has failed, operations stop waiting at all and leave their records to the flusher until it
gets through again. Cutting a write short is safe: a write whose commit did land is recognised by its key when it
is retried."""


class OutboxWriter:
    def __init__(self, *, store: LiveStore, sink: RecordSink, health: DatabaseHealth) -> None:
        self._store = store
        self._sink = sink
        self._health = health
        self._abandoned: set[asyncio.Task[bool]] = set()  # writes cut short, still cleaning up

    async def write_now(self, entries: list[PendingRecord]) -> None:
        """An operation's own records, right after its commit (skipped while the database is known away)."""
        if not entries or self._health.away:
            return
        done = await self._write(entries, limit_s=RECORD_WRITE_TIMEOUT_S)
        if len(done) < len(entries):
            log.warning(
                "database unavailable: %d record(s) kept in the live state's outbox for later", len(entries) - len(done)
            )
        await self._discard(done)

    async def flush(self, *, limit_s: float | None = None) -> int:
        """Write every pending record of the outbox, in order, and remove those written; returns how many were
        written. Safe in any process at any time; what the database does not take stays for the next round."""
        pending = (await self._store.read()).pending_records()
        if not pending:
            return 0
        done = await self._write(pending, limit_s=limit_s)
        await self._discard(done)
        if len(done) < len(pending):
            log.warning("%d record(s) still wait for the database", len(pending) - len(done))
        else:
            log.info("wrote %d pending record(s) to the database", len(done))
        return len(done)

    async def settle(self) -> None:
        """At shutdown: let writes cut short earlier finish cleaning up."""
        if self._abandoned:
            await asyncio.wait(set(self._abandoned), timeout=RECORD_WRITE_TIMEOUT_S)

    async def _write(self, entries: list[PendingRecord], *, limit_s: float | None) -> list[str]:
        """Write ``entries`` in order; returns the keys that are done (written, already there, or refused for
        good). The first failure that is not a storage refusal (the database is unreachable) stops the round:
        nothing after it is written, so no transition overtakes its case's creation or an earlier change, and an
        outage costs one timeout, not one per record."""
        done: list[str] = []
        # In a task of its own: cut short, a write against a hanging database cleans up (a rollback that hangs
        # too) for seconds more, and the operation must not wait for that.
        writing = asyncio.create_task(self._write_in_order(entries, done), name="write-records")
        try:
            async with asyncio.timeout(limit_s):
                reached = await asyncio.shield(writing)
        except TimeoutError:
            log.warning("database did not answer within %.0f s", limit_s or 0)
            self._abandon(writing)
            reached = False
            done = list(done)  # what it finished before the limit; nothing is added after a cancel
        except asyncio.CancelledError:
            self._abandon(writing)
            raise
        if reached == self._health.away:
            log.warning("records: database %s", "back; writing records again" if reached else "away")
        self._health.away = not reached
        return done

    def _abandon(self, task: asyncio.Task[bool]) -> None:
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(self._abandoned.discard)

    async def _write_in_order(self, entries: list[PendingRecord], done: list[str]) -> bool:
        for entry in entries:
            try:
                await self._sink.apply(record_update(entry))
            except StorageError as exc:
                # refused for good (a booth deleted meanwhile...): retrying cannot help
                log.error("record %s refused by storage, dropped: %s", entry.key, exc)
            except Exception as exc:
                log.warning("record %s not written (%s: %s)", entry.key, type(exc).__name__, exc)
                return False
            done.append(entry.key)
        return True

    async def _discard(self, keys: list[str]) -> None:
        """Remove written records from the outbox; if the live store is away they stay, and are written again
        (a no-op) by a later flush."""
        if not keys:
            return
        try:
            await self._store.transact(partial(Counter.discard_records, keys=frozenset(keys)))
        except CounterError as exc:
            log.warning("could not remove %d written record(s) from the outbox: %s", len(keys), exc.message)
