"""Engine.IO sessions that are in no Socket.IO namespace: how many one address and the whole process may hold, and
how long each may stay so.

An Engine.IO session (long-polling or WebSocket) is opened before any namespace is joined, and costs the server a
socket, its queue and its ping task whether or not it ever joins one. Every namespace bounds its own connections
(``/resident`` per address, the others by credentials), but a session that never joins was bounded by nothing: one
client could open thousands (session 11). Here:

- a new session first takes a place (:meth:`SessionDoor.reserve`): at most ``per_address`` sessions of one client
  address, and ``total`` of all addresses, may be outside every namespace at once; past either it is refused
  before anything is made for it (``429`` with a sentence, see ``socket_server.EdgeEngineServer``);
- joining a namespace gives the place back (:meth:`settle`), and so does closing;
- a session outside every namespace for longer than ``join_within_s`` is closed (:meth:`overdue`); one that leaves
  its last namespace is outside again and takes a place again (:meth:`pend`; refused, it is closed at once).

Real clients join within one round trip of opening (the pages' Socket.IO client sends its namespace's CONNECT
with the handshake's answer), so a place is held for well under a second; the numbers and why they never refuse a
real town are in docs/operations.md ("Sessions that join nothing"). Pure: the caller passes the time and does the
closing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Final, Literal

Refusal = Literal["address", "total"]

LOG_EVERY_S: Final = 60.0
"""One log line per address per this many seconds, whatever the number of refusals in between."""
LOG_KEYS: Final = 10_000
"""Addresses remembered for the log's once-a-minute rule; more are forgotten oldest first (a flood from very many
addresses then logs a little more often, never more than once per refusal)."""


@dataclass(frozen=True)
class DoorLimits:
    per_address: int
    total: int
    join_within_s: float


class SessionDoor:
    """The places of sessions outside every namespace, counted per client address (module doc)."""

    def __init__(self, limits: DoorLimits) -> None:
        self.limits = limits
        self._held: Counter[str] = Counter()  # address → places held (reserved or pending)
        self._total = 0
        self._pending: dict[str, tuple[str, float]] = {}  # session → (address, when it must have joined by)

    @property
    def total(self) -> int:
        return self._total

    def held(self, address: str) -> int:
        return self._held[address]

    def reserve(self, address: str) -> Refusal | None:
        """Take a place for a new session of ``address``; what refuses it when there is none."""
        if self._held[address] >= self.limits.per_address:
            return "address"
        if self._total >= self.limits.total:
            return "total"
        self._held[address] += 1
        self._total += 1
        return None

    def release(self, address: str) -> None:
        """Give back a place taken by :meth:`reserve` for a session that was never made."""
        self._held[address] -= 1
        if self._held[address] <= 0:
            del self._held[address]
        self._total -= 1

    def bind(self, session: str, address: str, now: float) -> None:
        """The session a reserved place was taken for now exists: it must join a namespace within the limit."""
        self._pending[session] = (address, now + self.limits.join_within_s)

    def pend(self, session: str, address: str, now: float) -> Refusal | None:
        """A session left its last namespace: it takes a place again (or is refused one: then close it)."""
        if session in self._pending:
            return None
        refused = self.reserve(address)
        if refused is None:
            self.bind(session, address, now)
        return refused

    def settle(self, session: str) -> None:
        """The session joined a namespace or closed: its place is free (nothing when it held none)."""
        held = self._pending.pop(session, None)
        if held is not None:
            self.release(held[0])

    def is_pending(self, session: str) -> bool:
        return session in self._pending

    def overdue(self, now: float) -> list[tuple[str, str]]:
        """Sessions outside every namespace past their time, with their addresses (still holding their places:
        closing them settles them)."""
        return [(session, address) for session, (address, due) in self._pending.items() if due <= now]


class PerAddressLog:
    """At most one line per address per :data:`LOG_EVERY_S`: :meth:`note` says whether to write one now, and how many
    refusals of that address went unwritten since the last."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[float, int]] = {}  # address → (when its last line was written, left out since)

    def note(self, address: str, now: float) -> int | None:
        """``None``: do not write a line now; otherwise write one, saying this many more were left out before."""
        last = self._last.get(address)
        if last is not None and now - last[0] < LOG_EVERY_S:
            self._last[address] = (last[0], last[1] + 1)
            return None
        if last is None and len(self._last) >= LOG_KEYS:
            self._forget(now)
        self._last.pop(address, None)  # re-inserted last: the dict stays ordered by the time of the last line
        self._last[address] = (now, 0)
        return 0 if last is None else last[1]

    def _forget(self, now: float) -> None:
        for address, (when, _left_out) in list(self._last.items()):
            if now - when < LOG_EVERY_S and len(self._last) < LOG_KEYS:
                break
            del self._last[address]
