"""The impairment proxy itself: its decisions (pure, seeded) and, on real UDP sockets, the delay and loss it makes."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from typing import Any

import pytest

from tests.links.impair import Direction, Impairment, ImpairmentProxy

pytestmark = pytest.mark.links


def test_the_same_seed_drops_the_same_datagrams_and_the_loss_rate_is_the_one_asked() -> None:
    def fates(seed: str) -> list[float | None]:
        direction = Direction(Impairment(delay_s=0.15, loss=0.05), random.Random(seed), max_queue=100_000)
        return [direction.admit(float(n)) for n in range(20_000)]

    first, again, other = fates("7"), fates("7"), fates("8")
    assert first == again
    assert first != other
    dropped = sum(1 for at in first if at is None)
    assert 0.04 < dropped / len(first) < 0.06
    assert all(at == pytest.approx(n + 0.15) for n, at in enumerate(first) if at is not None)


def test_a_full_queue_drops_the_newest_and_counts_it() -> None:
    direction = Direction(Impairment(delay_s=1.0), random.Random(1), max_queue=3)
    assert [direction.admit(0.0) for _ in range(5)] == [1.0, 1.0, 1.0, None, None]
    assert (direction.passed, direction.overflowed, direction.lost) == (3, 2, 0)
    direction.delivered()
    assert direction.admit(0.5) == 1.5


@pytest.mark.parametrize(("delay_s", "loss"), [(-0.1, 0.0), (11.0, 0.0), (0.0, 1.0), (0.0, -0.01)])
def test_impossible_links_are_refused(delay_s: float, loss: float) -> None:
    with pytest.raises(ValueError):
        Impairment(delay_s=delay_s, loss=loss)


class _Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.transport.sendto(data, addr)  # type: ignore[attr-defined]


class _Client(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.rtts: dict[int, float] = {}
        self.sent: dict[int, float] = {}

    def datagram_received(self, data: bytes, addr: Any) -> None:
        number = int(data)
        self.rtts[number] = time.monotonic() - self.sent[number]


async def test_datagrams_through_the_proxy_are_delayed_and_lost_each_way() -> None:
    loop = asyncio.get_running_loop()
    echo, _ = await loop.create_datagram_endpoint(_Echo, local_addr=("127.0.0.1", 0))
    proxy = ImpairmentProxy(
        target=echo.get_extra_info("sockname")[:2],
        up_link=Impairment(delay_s=0.05, loss=0.1),
        down_link=Impairment(delay_s=0.03, loss=0.1),
        seed=3,
    )
    host, port = await proxy.start()
    client_transport, client = await loop.create_datagram_endpoint(_Client, remote_addr=(host, port))
    try:
        for number in range(400):
            client.sent[number] = time.monotonic()
            client_transport.sendto(str(number).encode())
            if number % 50 == 49:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.5)
    finally:
        client_transport.close()
        proxy.close()
        echo.close()
    counters = proxy.counters.as_dict()
    assert counters["up"]["passed"] + counters["up"]["lost"] == 400
    assert counters["up"]["lost"] > 0 and counters["down"]["lost"] > 0
    assert len(client.rtts) == counters["down"]["passed"]
    # 0.9 × 0.9 of them come back, each after at least 80 ms (50 up + 30 down)
    assert 0.7 < len(client.rtts) / 400 < 0.9
    assert min(client.rtts.values()) >= 0.08
    assert statistics.median(client.rtts.values()) < 0.3
