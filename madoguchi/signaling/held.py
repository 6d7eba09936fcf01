"""The connections this process holds: the process's own word on its sockets, which its heartbeat states.

The heartbeat (:meth:`Counter.heartbeat`) closes every live-state entry of this process that is not held here, so
a connection must be held from BEFORE its opening is written to the live state until AFTER its closing is: held
only once the opening's whole run was done (records written, events delivered), a heartbeat falling inside that
run closed the new connection again. The agent then lost their link right after connecting and, with a grace
period shorter than the heartbeat interval, left the counter while still connected (no offers, shown offline).
And the heartbeat reads this at the moment its operation is applied, never a copy taken before it waited for the
live state.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence


class HeldConnections:
    def __init__(self) -> None:
        self._held: dict[str, set[str]] = {}  # participant -> connections open on this process

    def snapshot(self) -> Mapping[str, Sequence[str]]:
        return {participant: sorted(conns) for participant, conns in self._held.items()}

    @contextlib.asynccontextmanager
    async def opening(self, participant: str, connection_id: str) -> AsyncIterator[None]:
        """Held while the opening is written and from then on; not held if the opening fails (an entry it wrote
        anyway goes at the next heartbeat)."""
        self._held.setdefault(participant, set()).add(connection_id)
        try:
            yield
        except BaseException:
            self.release(participant, connection_id)
            raise

    def release(self, participant: str, connection_id: str) -> None:
        """No longer held: before the closing is written, so a heartbeat meanwhile closes it too, never reopens it."""
        held = self._held.get(participant)
        if held is not None:
            held.discard(connection_id)
            if not held:
                del self._held[participant]
