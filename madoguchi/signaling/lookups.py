"""Lookups: the database reads views need (booth names, summaries, transcripts), made before a view is built.

A view must not fail because the database is away, since the call must still start: each read is skipped
while the database is known to be away (:class:`DatabaseHealth`, kept by the record writer) and cut short after
:data:`VIEW_READ_TIMEOUT_S` otherwise; a view then goes without (a booth name, a summary, the transcript so far).
Booths are cached per process: their names do not change during a call. The booths of the cases a process has not
seen yet are read in one query (a process that joins a counter of 2,000 waiting read them one query each, 2,000
round trips on the path of the first event it sent), and an id the database does not know is not asked again for
:data:`UNKNOWN_BOOTH_TTL_S` (after a failed read, :data:`UNREADABLE_BOOTH_RETRY_S`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from types import MappingProxyType
from typing import TypeVar

from pydantic import JsonValue

from madoguchi.domain.opening_hours import HoursSpec
from madoguchi.signaling.consultation import State
from madoguchi.signaling.counter import Counter
from madoguchi.signaling.ports import BoothDirectory, ChatLog, HoursSource, RecordReader
from madoguchi.signaling.server_events import ChatLine, IceServerEntry
from madoguchi.signaling.turn import TurnIssuer
from madoguchi.signaling.views import BoothName, Facts
from madoguchi.storage.booths import BoothRecord

log = logging.getLogger(__name__)
T = TypeVar("T")

VIEW_READ_TIMEOUT_S = 2.0
"""How long building a view (an offer, call.start, agent.state) waits for a database read before going without."""

UNKNOWN_BOOTH_TTL_S = 60.0
"""A booth id the database did not know is not asked for again for this long."""

UNREADABLE_BOOTH_RETRY_S = 5.0
"""After a read of booths failed (timeout, database away), they are asked for again after this long: each view
meanwhile goes without their names instead of waiting :data:`VIEW_READ_TIMEOUT_S` again."""


class DatabaseHealth:
    """Whether the last write round reached the database; shared by the writer and the view reads."""

    def __init__(self) -> None:
        self.away = False


class Lookups:
    def __init__(
        self,
        *,
        records: RecordReader,
        chat_log: ChatLog,
        booths: BoothDirectory,
        turn: TurnIssuer,
        health: DatabaseHealth,
        hours: HoursSource | None = None,
    ) -> None:
        self._records = records
        self._hours = hours
        self._chat_log = chat_log
        self._booths = booths
        self._turn = turn
        self._health = health
        self._booth_cache: dict[str, BoothRecord] = {}
        self._names: dict[str, BoothName] = {}
        """Each cached booth's name and place, as views show them (the same entries as ``_booth_cache``)."""
        self._unknown: dict[str, float] = {}
        """Booth ids not found (or not readable) and until when they are not asked for again."""

    def remember_booth(self, booth: BoothRecord) -> None:
        self._booth_cache[booth.id] = booth
        self._names[booth.id] = BoothName(booth.name, booth.place_name, booth.names)
        self._unknown.pop(booth.id, None)

    async def facts(
        self,
        counter: Counter,
        *,
        now: float,
        summaries: Collection[str] = (),
        chats: Collection[str] = (),
    ) -> Facts:
        """Booth names of every case the counter holds, the opening hours of the towns where someone waits, and the
        summaries and transcripts of the cases named."""
        names = self._names
        missing = {
            c.booth_id
            for c in counter.state.consultations.values()
            if c.booth_id is not None and c.booth_id not in names
        }
        if missing:
            await self._read_booths(missing, now)
        waiting = {c.municipality_id for c in counter.state.consultations.values() if c.state == State.WAITING}
        hours = {m: spec for m in sorted(waiting) if (spec := await self.hours_spec(m)) is not None}
        return Facts(
            now=now,
            hours=hours,
            turn=self._turn,
            booths=MappingProxyType(names),  # every booth this process knows: a superset of the cases' booths
            summaries={cid: await self.summary(counter, cid) for cid in summaries},
            chats={cid: await self.chat_lines(cid) for cid in chats},
        )

    async def hours_spec(self, municipality_id: str) -> HoursSpec | None:
        """The town's opening hours in force; None when it configured none (or they cannot be read now)."""
        source = self._hours
        if source is None:
            return None
        found = await self._read(f"hours of {municipality_id}", lambda: source.spec(municipality_id))
        return None if found is None else found[0]

    def self_test_servers(self, booth_id: str, *, now: float) -> list[IceServerEntry]:
        """ICE servers for a booth's self-test: TURN credentials of their own (``selftest-<booth id>``)."""
        return self._turn.ice_servers(f"selftest-{booth_id}", "resident", now=now)

    async def booth(self, booth_id: str) -> BoothRecord | None:
        booth = self._booth_cache.get(booth_id)
        if booth is None:
            booth = await self._read(f"booth {booth_id}", lambda: self._booths.get(booth_id))
            if booth is not None:
                self.remember_booth(booth)
        return booth

    async def _read_booths(self, booth_ids: set[str], now: float) -> None:
        """Cache the booths among ``booth_ids`` in one read; those not found are not asked for again for a while."""
        wanted = {b for b in booth_ids if self._unknown.get(b, 0.0) <= now}
        if not wanted:
            return
        found = await self._read(f"{len(wanted)} booths", lambda: self._booths.many(wanted))
        if found is None:  # unreadable now (or the database is away): try again a little later
            self._unknown.update(dict.fromkeys(wanted, now + UNREADABLE_BOOTH_RETRY_S))
            return
        for booth in found.values():
            self.remember_booth(booth)
        for booth_id in wanted - found.keys():
            self._unknown[booth_id] = now + UNKNOWN_BOOTH_TTL_S

    async def summary(self, counter: Counter, consultation_id: str) -> JsonValue:
        """From the record, or from a pending record while the database is away (the offer must still ring)."""
        record = await self._read(f"summary of {consultation_id}", lambda: self._records.get(consultation_id))
        if record is not None and record.summary is not None:
            summary: JsonValue = record.summary
            return summary
        for entry in reversed(counter.pending_records({consultation_id})):
            if entry.extra.get("summary") is not None:
                pending: JsonValue = entry.extra["summary"]
                return pending
        return None

    async def chat_lines(self, consultation_id: str) -> list[ChatLine]:
        """The transcript so far; empty while the database is away."""
        lines = await self._read(f"chat of {consultation_id}", lambda: self._chat_log.chat(consultation_id))
        return [
            ChatLine(
                consultation_id=consultation_id,
                seq=line.seq,
                sender=line.sender,
                text=line.text,
                at=line.at.timestamp(),
                agent_id=_agent_of(line.meta),
            )
            for line in lines or []
        ]

    async def _read(self, what: str, read: Callable[[], Awaitable[T]]) -> T | None:
        if self._health.away:
            return None
        try:
            async with asyncio.timeout(VIEW_READ_TIMEOUT_S):
                return await read()
        except Exception as exc:
            log.warning("%s unreadable (%s: %s); the view goes without", what, type(exc).__name__, exc)
            return None


def _agent_of(meta: Mapping[str, object] | None) -> str | None:
    """The member of staff who wrote a stored line (relay.chat keeps it in the line's meta)."""
    agent = (meta or {}).get("agent_id")
    return agent if isinstance(agent, str) else None
