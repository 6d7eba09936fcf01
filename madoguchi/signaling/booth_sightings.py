"""When each booth was last seen connected, kept in the database so every process (and the next one, after a
deploy) can say it.

Why the database: the supervisors' booth list says 「最後に つながっていた 時刻」 for an offline booth. Kept in one
process's memory, a restart lost it (未接続 with no time) and, with two processes, each knew only what its own
snapshots had seen. The live state dies with the process when it is in-process; the database does not.

How often: each process looks at the booth connections it holds every :data:`LOOK_EVERY_S` and writes a booth's
time at most once per :data:`WRITE_EVERY_S` (a booth connected all day costs one small UPDATE a minute). A booth
that left is written with the moment it was last seen held, as soon as its minute allows, and whatever is still
unwritten at shutdown is written then. So the stored time is at most a minute behind the truth, never ahead of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Final

from madoguchi.domain.participant import Participant
from madoguchi.signaling.background import cancel_requested

log = logging.getLogger(__name__)

LOOK_EVERY_S: Final = 5.0
"""How often this process looks at the booths it holds."""
WRITE_EVERY_S: Final = 60.0
"""A booth's time is written at most this often."""

Write = Callable[[Mapping[str, datetime]], Awaitable[None]]


def held_booths(held: Iterable[str]) -> set[str]:
    """The booth ids among participants held by this process."""
    found = set()
    for key in held:
        who = Participant(key)
        if who.kind == "booth":
            found.add(who.id)
    return found


class BoothSightings:
    """Remembers when this process last held each booth and writes it, throttled per booth. Time comes from
    ``clock`` (server epoch seconds); :meth:`look` is one round (tests call it with a fake clock)."""

    def __init__(self, *, held: Callable[[], Iterable[str]], write: Write, clock: Callable[[], float]) -> None:
        self._held = held
        self._write = write
        self._clock = clock
        self._seen: dict[str, float] = {}  # booth -> last moment found held here, not yet written
        self._written: dict[str, float] = {}  # booth -> when (clock) its time was last written

    async def look(self) -> None:
        now = self._clock()
        holding = held_booths(self._held())
        for booth_id in holding:
            self._seen[booth_id] = now
        due = {
            booth_id: at
            for booth_id, at in self._seen.items()
            if now - self._written.get(booth_id, float("-inf")) >= WRITE_EVERY_S
        }
        await self._flush(due, now)
        # a booth not held any more and written is done with: its written time stands
        for booth_id in [b for b in self._written if b not in holding and b not in self._seen]:
            if now - self._written[booth_id] >= WRITE_EVERY_S:
                del self._written[booth_id]

    async def close(self) -> None:
        """At shutdown: what is still unwritten is written now (the booths' sockets are going with the process)."""
        now = self._clock()
        for booth_id in held_booths(self._held()):
            self._seen[booth_id] = now
        await self._flush(dict(self._seen), now)

    async def _flush(self, due: Mapping[str, float], now: float) -> None:
        if not due:
            return
        try:
            await self._write({b: datetime.fromtimestamp(at, tz=UTC) for b, at in due.items()})
        except Exception:
            log.warning("booths' last-seen times not written (kept for the next round)", exc_info=True)
            return
        for booth_id, at in due.items():
            self._written[booth_id] = now
            if self._seen.get(booth_id) == at:
                del self._seen[booth_id]

    async def run_forever(self, every_s: float = LOOK_EVERY_S) -> None:
        while not cancel_requested():
            await self.look()
            await asyncio.sleep(every_s)
