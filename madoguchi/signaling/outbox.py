"""The outbox writer: pending records go to the database in order, and leave the live state's outbox once written.

The durability promise this serves: a fact is durable when the counter's transaction commits (its record is in
the same state); this module only moves records on to the database. When the database cannot take a write (a
failover, 10-60 s) the records stay in the outbox and :meth:`OutboxWriter.flush` (started by the timers, any
process) writes what is pending about once a second until it answers again. Writes are idempotent by the
record's key, so two processes writing the same record, or a retry after a lost commit reply, store it once.

Two kinds of failure, told apart by :func:`madoguchi.storage.refusals.refused_for_good`: the database away (a lost
connection, a timeout) stops the round and keeps the order, the records wait; a record the database refuses for its
values (invalid text, a value too long, a constraint) would be refused for ever, so it is set aside (moved from the
outbox to :attr:`CounterState.set_aside` with the refusal, logged once) and the records behind it are written. A NUL
in one booth's question once held every record of every case behind it (session 11).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

from madoguchi.domain.safe_text import printable
from madoguchi.signaling.counter import Counter, CounterError, PendingRecord, SetAsideRecord
from madoguchi.signaling.lookups import DatabaseHealth
from madoguchi.signaling.ports import RecordSink
from madoguchi.signaling.recording import record_update
from madoguchi.signaling.store import LiveStore
from madoguchi.storage.refusals import refused_for_good

log = logging.getLogger(__name__)

RECORD_WRITE_TIMEOUT_S = 5.0
"""How long an operation (or a round of the flusher) waits for the database before it leaves the records in the
outbox. Once a round has failed, operations stop waiting at all and leave their records to the flusher until it
gets through again. Cutting a write short is safe: a write whose commit did land is recognised by its key when it
is retried."""


class OutboxWriter:
    def __init__(
        self, *, store: LiveStore, sink: RecordSink, health: DatabaseHealth, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._sink = sink
        self._health = health
        self._clock = clock
        self._abandoned: set[asyncio.Task[bool]] = set()  # writes cut short, still cleaning up

    async def write_now(self, entries: list[PendingRecord]) -> None:
        """An operation's own records, right after its commit (skipped while the database is known away)."""
        if not entries or self._health.away:
            return
        done, refused = await self._write(entries, limit_s=RECORD_WRITE_TIMEOUT_S)
        if len(done) + len(refused) < len(entries):
            log.warning(
                "database unavailable: %d record(s) kept in the live state's outbox for later",
                len(entries) - len(done) - len(refused),
            )
        await self._settle_round(done, refused)

    async def flush(self, *, limit_s: float | None = None) -> int:
        """Write every pending record of the outbox, in order, and remove those written; returns how many were
        written. Safe in any process at any time; what the database does not take stays for the next round."""
        pending = (await self._store.read()).pending_records()
        if not pending:
            return 0
        done, refused = await self._write(pending, limit_s=limit_s)
        await self._settle_round(done, refused)
        if len(done) + len(refused) < len(pending):
            log.warning("%d record(s) still wait for the database", len(pending) - len(done) - len(refused))
        elif done:
            log.info("wrote %d pending record(s) to the database", len(done))
        return len(done)

    async def settle(self) -> None:
        """At shutdown: let writes cut short earlier finish cleaning up."""
        if self._abandoned:
            await asyncio.wait(set(self._abandoned), timeout=RECORD_WRITE_TIMEOUT_S)

    async def _write(self, entries: list[PendingRecord], *, limit_s: float | None) -> tuple[list[str], dict[str, str]]:
        """Write ``entries`` in order; returns the keys that are done (written or already there) and those refused
        for good (key -> the refusal). The first failure that may pass later (the database is unreachable) stops
        the round: nothing after it is written, so no transition overtakes its case's creation or an earlier
        change, and an outage costs one timeout, not one per record."""
        done: list[str] = []
        refused: dict[str, str] = {}
        # In a task of its own: cut short, a write against a hanging database cleans up (a rollback that hangs
        # too) for seconds more, and the operation must not wait for that.
        writing = asyncio.create_task(self._write_in_order(entries, done, refused), name="write-records")
        try:
            async with asyncio.timeout(limit_s):
                reached = await asyncio.shield(writing)
        except TimeoutError:
            log.warning("database did not answer within %.0f s", limit_s or 0)
            self._abandon(writing)
            reached = False
            done, refused = list(done), dict(refused)  # what it finished before the limit; nothing after a cancel
        except asyncio.CancelledError:
            self._abandon(writing)
            raise
        if reached == self._health.away:
            log.warning("records: database %s", "back; writing records again" if reached else "away")
        self._health.away = not reached
        return done, refused

    def _abandon(self, task: asyncio.Task[bool]) -> None:
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(self._abandoned.discard)

    async def _write_in_order(self, entries: list[PendingRecord], done: list[str], refused: dict[str, str]) -> bool:
        for entry in entries:
            try:
                await self._sink.apply(record_update(entry))
            except Exception as exc:
                if not refused_for_good(exc):
                    log.warning("record %s not written (%s: %s)", entry.key, type(exc).__name__, _one_line(exc))
                    return False
                # refused for its values (a NUL, a value too long, a booth deleted meanwhile...): retrying cannot
                # help, and it must not hold the records behind it
                refused[entry.key] = f"{type(exc).__name__}: {_one_line(exc)}"
                continue
            done.append(entry.key)
        return True

    async def _settle_round(self, done: list[str], refused: Mapping[str, str]) -> None:
        """Remove written records from the outbox and move refused ones to the set-aside list, in one transaction;
        if the live store is away they stay, and are written (a no-op) or refused again by a later round."""
        if not done and not refused:
            return
        at = self._clock()

        def settle(counter: Counter) -> list[SetAsideRecord]:
            counter.discard_records(frozenset(done))
            return counter.set_aside_records(refused, at)

        try:
            moved, _ = await self._store.transact(settle)
        except CounterError as exc:
            log.warning("could not settle %d record(s) in the outbox: %s", len(done) + len(refused), exc.message)
            return
        for item in moved:  # logged once: by the round that moved it (another process's round finds it gone)
            log.error(
                "record %s of consultation %s refused by the database for its values, set aside: %s",
                item.record.key,
                item.record.consultation_id,
                item.error,
            )


def _one_line(exc: BaseException) -> str:
    """The first line of an error's text, short: SQLAlchemy's messages carry the statement and its parameters."""
    text = str(exc).strip().splitlines()
    return printable(text[0][:300]) if text else type(exc).__name__
