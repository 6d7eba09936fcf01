"""A load-generator process: holds simulated booths, residents and agents, obeys ``run.py`` over stdin/stdout.

``run.py`` starts several of these so that the clients' own CPU is spread over processes and the server stays
the bottleneck. Protocol: one JSON command per line on stdin, one JSON reply per line on stdout (``{"ok": true,
...}`` or ``{"ok": false, "error": "..."}``). Every wait has a timeout; a command never runs longer than the
``timeout_s`` it was given (default 120 s).

Commands:

- ``idle``: open many connections and leave them idle (they answer pings), for memory per connection.
- ``close_idle``: drop them.
- ``pair``: build one pair of participants in an active consultation (through the real protocol on madoguchi:
  agent connects and goes available, booth requests, agent gets the offer and accepts, both get
  ``call.start``; on the bare server both just join the pair's room).
- ``relay``: every pair of a group sends ``signal`` candidates both ways for a while, each sender with a bounded
  window of unacknowledged messages and optionally a fixed rate; the receiver checks sequence numbers and takes
  the latency from the send timestamp in the payload (sender and receiver are in this same process, so they
  share one clock).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from wire import Connection

ROUTE = "general_inquiry"


@dataclass
class Direction:
    """One sender → receiver stream of a pair, with its sequence bookkeeping."""

    sender: Connection
    receiver: Connection
    consultation_id: str
    next_seq: int = 0
    acked_ok: int = 0
    ack_errors: int = 0
    error_sample: list[Any] = field(default_factory=list)
    expected: int = 1  # next sequence number the receiver should see
    received_total: int = 0
    out_of_order: int = 0
    gaps: int = 0
    duplicates: int = 0
    # the sender's window: a permit comes back when the message ARRIVES (or its ack is an error), so that a slow
    # delivery path (Redis pub/sub between processes) cannot build an unbounded backlog behind quick acks
    gate: asyncio.Semaphore | None = None
    # measurement window
    counting: bool = False
    window_received: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def on_signal(self, data: dict[str, Any], received_at: float) -> None:
        words = data["candidate"]["candidate"].split()
        seq, sent_at = int(words[-3]), float(words[-1])
        self.received_total += 1
        if self.gate is not None:
            self.gate.release()
        if seq == self.expected:
            self.expected += 1
        elif seq > self.expected:
            self.gaps += seq - self.expected  # missing so far: filled later = reordered, never = lost
            self.expected = seq + 1
        elif seq < self.expected:
            self.out_of_order += 1
        if self.counting:
            self.window_received += 1
            self.latencies_ms.append((received_at - sent_at) * 1000.0)

    def payload(self) -> dict[str, Any]:
        self.next_seq += 1
        now = time.perf_counter()
        candidate = (
            f"candidate:842163049 1 udp 1677729535 198.51.100.{self.next_seq % 250} {40000 + self.next_seq % 20000} "
            f"typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag bnch network-cost 999 seq {self.next_seq} t {now:.9f}"
        )
        return {
            "consultation_id": self.consultation_id,
            "candidate": {"candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "bnch"},
        }


@dataclass
class Pair:
    booth: Connection
    agent: Connection
    consultation_id: str
    directions: tuple[Direction, Direction]


class Worker:
    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None
        self.idle: list[Connection] = []
        self.pairs: dict[str, list[Pair]] = {}

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False))

    async def stop(self) -> None:
        await self._close_all([*self.idle, *(c for ps in self.pairs.values() for p in ps for c in (p.booth, p.agent))])
        if self.session is not None:
            await self.session.close()

    # --- commands ----------------------------------------------------------------------------------------------

    async def idle_connect(self, url: str, clients: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
        """``clients``: ``{"namespace", "auth"}`` each. Returns how many connected and how long it took."""
        assert self.session is not None
        gate = asyncio.Semaphore(concurrency)
        failures: list[str] = []
        started = time.perf_counter()

        async def one(spec: dict[str, Any]) -> None:
            async with gate:
                conn = Connection(spec["namespace"])
                try:
                    await conn.open(self.session, url, auth=spec.get("auth"))  # type: ignore[arg-type]
                    self.idle.append(conn)
                except Exception as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")
                    await conn.close(within_s=1.0)

        await asyncio.gather(*(one(spec) for spec in clients))
        return {
            "connected": len(clients) - len(failures),
            "failed": len(failures),
            "errors": failures[:3],
            "seconds": time.perf_counter() - started,
        }

    async def close_idle(self) -> dict[str, Any]:
        count = len(self.idle)
        conns, self.idle = self.idle, []
        await self._close_all(conns)
        return {"closed": count}

    async def close_pairs(self) -> dict[str, Any]:
        pairs, self.pairs = self.pairs, {}
        conns = [c for ps in pairs.values() for p in ps for c in (p.booth, p.agent)]
        await self._close_all(conns)
        return {"closed": len(conns)}

    async def pair(self, spec: dict[str, Any]) -> dict[str, Any]:
        assert self.session is not None
        group = spec["group"]
        booth, agent = Connection("/booth"), Connection("/agent")
        if spec["kind"] == "madoguchi":
            await agent.open(self.session, spec["agent_url"], headers={"Cookie": f"madoguchi_session={spec['cookie']}"})
            await agent.wait_for("agent.state")
            _ok(await agent.call("agent.status", {"status": "available"}), "agent.status")
            await booth.open(self.session, spec["booth_url"], auth={"token": spec["token"]})
            await booth.wait_for("booth.state")
            ack = _ok(await booth.call("consultation.request", {"route": ROUTE, "language": "ja"}), "request")
            cid = ack["consultation_id"]
            await agent.wait_for("offer", lambda d: d.get("consultation_id") == cid)
            _ok(await agent.call("offer.accept", {"consultation_id": cid}), "offer.accept")
            await booth.wait_for("call.start", lambda d: d.get("consultation_id") == cid)
            await agent.wait_for("call.start", lambda d: d.get("consultation_id") == cid)
        else:
            cid = spec["pair_id"]
            await agent.open(self.session, spec["agent_url"], auth={"room": cid})
            await booth.open(self.session, spec["booth_url"], auth={"room": cid})
        to_agent = Direction(booth, agent, cid)
        to_booth = Direction(agent, booth, cid)
        agent.on_signal = to_agent.on_signal
        booth.on_signal = to_booth.on_signal
        self.pairs.setdefault(group, []).append(Pair(booth, agent, cid, (to_agent, to_booth)))
        return {"consultation_id": cid}

    async def relay(
        self,
        group: str,
        *,
        warmup_s: float,
        measure_s: float,
        window: int,
        rate_per_sender: float | None,
        pairs: int | None = None,
        drain_s: float = 10.0,
    ) -> dict[str, Any]:
        """Senders run for warmup + measure seconds; only receipts during the measure interval are counted."""
        chosen = self.pairs.get(group, [])[: pairs if pairs is not None else None]
        directions = [d for p in chosen for d in p.directions]
        for d in directions:
            d.window_received, d.latencies_ms, d.counting = 0, [], False
        before = {id(d): (d.next_seq, d.out_of_order, d.gaps, d.acked_ok, d.ack_errors) for d in directions}
        loop = asyncio.get_running_loop()
        start = loop.time()
        measure_from, stop_at = start + warmup_s, start + warmup_s + measure_s

        async def send_loop(d: Direction, phase: float) -> None:
            gate = d.gate = asyncio.Semaphore(window)
            interval = 1.0 / rate_per_sender if rate_per_sender else 0.0
            next_at = start + phase * interval
            inflight: set[asyncio.Future[Any]] = set()

            def acked(future: asyncio.Future[Any]) -> None:
                inflight.discard(future)
                if future.cancelled() or future.exception() is not None:
                    d.ack_errors += 1
                    gate.release()  # never relayed: it will not arrive
                    return
                ack = future.result()
                if isinstance(ack, dict) and ack.get("ok"):
                    d.acked_ok += 1
                else:
                    d.ack_errors += 1
                    gate.release()
                    if len(d.error_sample) < 3:
                        d.error_sample.append(ack)

            while loop.time() < stop_at and not d.sender.closed.is_set():
                if interval:
                    delay = next_at - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    next_at += interval
                try:
                    await asyncio.wait_for(gate.acquire(), max(0.001, stop_at - loop.time()))
                except TimeoutError:
                    break
                future = await d.sender.emit("signal", d.payload())
                inflight.add(future)
                future.add_done_callback(acked)
            if inflight:
                await asyncio.wait(inflight, timeout=drain_s)

        async def window_switch() -> None:
            await asyncio.sleep(max(0.0, measure_from - loop.time()))
            for d in directions:
                d.counting = True
            await asyncio.sleep(max(0.0, stop_at - loop.time()))
            for d in directions:
                d.counting = False

        n = max(1, len(directions))
        await asyncio.gather(window_switch(), *(send_loop(d, i / n) for i, d in enumerate(directions)))
        # let the last relayed messages arrive (bounded), then compare what was sent with what arrived
        drain_until = loop.time() + drain_s
        while loop.time() < drain_until and any(d.received_total < d.acked_ok for d in directions):  # noqa: ASYNC110 - bounded poll
            await asyncio.sleep(0.02)
        latencies: list[float] = [x for d in directions for x in d.latencies_ms]
        return {
            "pairs": len(chosen),
            "senders": len(directions),
            "received": sum(d.window_received for d in directions),
            "measure_s": measure_s,
            "sent": sum(d.next_seq - before[id(d)][0] for d in directions),
            "acked_ok": sum(d.acked_ok - before[id(d)][3] for d in directions),
            "ack_errors": sum(d.ack_errors - before[id(d)][4] for d in directions),
            "error_sample": [e for d in directions for e in d.error_sample][:3],
            "out_of_order": sum(d.out_of_order - before[id(d)][1] for d in directions),
            "gaps": sum(d.gaps - before[id(d)][2] for d in directions),
            # cumulative since the pairs were made: acknowledged as relayed but never received (after the drain)
            "missing_total": sum(max(0, d.acked_ok - d.received_total) for d in directions),
            "latencies_ms": [round(x, 4) for x in latencies],
        }

    # --- helpers -----------------------------------------------------------------------------------------------

    @staticmethod
    async def _close_all(conns: list[Connection]) -> None:
        for start in range(0, len(conns), 200):
            await asyncio.gather(*(c.close(within_s=2.0) for c in conns[start : start + 200]))


def _ok(ack: Any, what: str) -> dict[str, Any]:
    if not isinstance(ack, dict) or not ack.get("ok"):
        raise RuntimeError(f"{what} refused: {ack}")
    return ack


async def serve_commands() -> None:
    worker = Worker()
    await worker.start()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            command = json.loads(line)
            op = command.pop("op")
            timeout = float(command.pop("timeout_s", 120.0))
            try:
                async with asyncio.timeout(timeout):
                    if op == "quit":
                        reply: dict[str, Any] = {}
                    elif op == "idle":
                        reply = await worker.idle_connect(**command)
                    elif op == "close_idle":
                        reply = await worker.close_idle()
                    elif op == "close_pairs":
                        reply = await worker.close_pairs()
                    elif op == "pair":
                        reply = await worker.pair(command)
                    elif op == "relay":
                        reply = await worker.relay(**command)
                    else:
                        raise ValueError(f"unknown op {op!r}")
                out = {"ok": True, **reply}
            except Exception as exc:
                out = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            sys.stdout.write(json.dumps(out) + "\n")
            sys.stdout.flush()
            if op == "quit":
                break
    finally:
        await worker.stop()


if __name__ == "__main__":
    asyncio.run(serve_commands())
