"""A userspace UDP impairment proxy: delay and loss each way, for links ``tc netem`` cannot make here.

Put in front of coturn's UDP port, it is the island's satellite hop: every datagram a client sends is delayed
and maybe dropped on its way up, every datagram coturn sends back the same on its way down. Each client gets
its own upstream socket, so coturn sees one 5-tuple per client, as without the proxy.

:class:`Direction` is the whole decision (pure, seeded: the same seed drops the same datagrams), the asyncio
edge only schedules deliveries. Everything is bounded: datagrams in flight per direction (tail drop beyond
``max_queue``, counted like a full router queue) and the number of clients.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any, cast


@dataclass(frozen=True)
class Impairment:
    """One direction's link: ``delay_s`` one way, ``loss`` fraction dropped (independently, per datagram)."""

    delay_s: float = 0.0
    loss: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.delay_s <= 10:
            raise ValueError(f"delay must be between 0 and 10 s, got {self.delay_s}")
        if not 0 <= self.loss < 1:
            raise ValueError(f"loss must be at least 0 and below 1, got {self.loss}")


@dataclass
class Direction:
    """Decides each datagram's fate on one direction; counts what it did."""

    impairment: Impairment
    rng: random.Random
    max_queue: int = 2000
    in_flight: int = 0
    passed: int = 0
    lost: int = 0
    overflowed: int = 0

    def admit(self, now: float) -> float | None:
        """When to deliver a datagram arriving at ``now``, or None to drop it."""
        if self.rng.random() < self.impairment.loss:
            self.lost += 1
            return None
        if self.in_flight >= self.max_queue:
            self.overflowed += 1
            return None
        self.in_flight += 1
        self.passed += 1
        return now + self.impairment.delay_s

    def delivered(self) -> None:
        self.in_flight -= 1


@dataclass
class Counters:
    up: Direction
    down: Direction

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            name: {"passed": d.passed, "lost": d.lost, "overflowed": d.overflowed}
            for name, d in (("up", self.up), ("down", self.down))
        }


class _Upstream(asyncio.DatagramProtocol):
    """One client's socket towards the target: what comes back goes down to that client."""

    def __init__(self, proxy: ImpairmentProxy, client: tuple[str, int]) -> None:
        self.proxy = proxy
        self.client = client
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # a selector transport is not a subclass

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.proxy.send_down(data, self.client)


@dataclass
class ImpairmentProxy(asyncio.DatagramProtocol):
    """Listens on a UDP port and relays to ``target``, impairing each direction."""

    target: tuple[str, int]
    up_link: Impairment
    down_link: Impairment
    seed: int = 1
    max_queue: int = 2000
    max_clients: int = 64
    counters: Counters = field(init=False)
    _listener: asyncio.DatagramTransport | None = field(default=None, init=False)
    _upstreams: dict[tuple[str, int], _Upstream] = field(default_factory=dict, init=False)
    _pending: dict[tuple[str, int], list[bytes]] = field(default_factory=dict, init=False)
    _timers: set[asyncio.TimerHandle] = field(default_factory=set, init=False)
    _openings: set[asyncio.Task[None]] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.counters = Counters(
            up=Direction(self.up_link, random.Random(f"{self.seed}:up"), self.max_queue),
            down=Direction(self.down_link, random.Random(f"{self.seed}:down"), self.max_queue),
        )

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))
        address: tuple[str, int] = transport.get_extra_info("sockname")[:2]
        return address

    def close(self) -> None:
        for task in self._openings:
            task.cancel()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for upstream in self._upstreams.values():
            if upstream.transport is not None:
                upstream.transport.close()
        self._upstreams.clear()
        if self._listener is not None:
            self._listener.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._listener = cast(asyncio.DatagramTransport, transport)

    # -- the two directions ------------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        client = (str(addr[0]), int(addr[1]))
        self._schedule(self.counters.up, lambda: self._send_up(data, client))

    def send_down(self, data: bytes, client: tuple[str, int]) -> None:
        self._schedule(self.counters.down, lambda: self._deliver_down(data, client))

    def _schedule(self, direction: Direction, deliver: Any) -> None:
        loop = asyncio.get_running_loop()
        at = direction.admit(loop.time())
        if at is None:
            return

        def fire() -> None:
            self._timers.discard(handle)
            direction.delivered()
            deliver()

        handle = loop.call_at(at, fire)
        self._timers.add(handle)

    def _deliver_down(self, data: bytes, client: tuple[str, int]) -> None:
        if self._listener is not None and not self._listener.is_closing():
            self._listener.sendto(data, client)

    def _send_up(self, data: bytes, client: tuple[str, int]) -> None:
        upstream = self._upstreams.get(client)
        if upstream is not None and upstream.transport is not None:
            upstream.transport.sendto(data)
            return
        if client in self._pending:  # its socket is being opened
            if len(self._pending[client]) < 100:
                self._pending[client].append(data)
            return
        if len(self._upstreams) + len(self._pending) >= self.max_clients:
            return
        self._pending[client] = [data]
        task = asyncio.ensure_future(self._open_upstream(client))
        self._openings.add(task)
        task.add_done_callback(self._openings.discard)

    async def _open_upstream(self, client: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, upstream = await loop.create_datagram_endpoint(lambda: _Upstream(self, client), remote_addr=self.target)
        except OSError:
            self._pending.pop(client, None)
            return
        self._upstreams[client] = upstream
        for data in self._pending.pop(client, []):
            if upstream.transport is not None:
                upstream.transport.sendto(data)
