"""Chat lines from one address are limited before they are read (session 8's outside attack: 10 sockets sending
1,000-digit lines stalled the whole server, each line masked before any limit refused it). Over the per-connection
or per-address line limit a line gets a quick ``rate_limited`` ack with a message, and another booth's requests are
still answered at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.support import booth_peer, ok, resident_peer, serve_topology

DIGITS = "1" * 1000


async def test_lines_over_the_connection_and_address_limits_are_refused_quickly(tmp_path: Path) -> None:
    limits = {"resident_lines_per_minute": 6, "resident_lines_per_address_per_minute": 10}  # bursts 3 and 5
    async with serve_topology("one", tmp_path, **limits) as server:
        _, token, _ = await server.add_booth()
        kiosk = await booth_peer(server, token)
        await kiosk.wait_for("booth.state")
        first, second = await resident_peer(server), await resident_peer(server)

        acks = [await first.call("chat.send", {"text": DIGITS, "client_id": f"a-{n}"}) for n in range(4)]
        assert all("error" not in ack for ack in acks[:3])
        refused = acks[3]["error"]
        assert refused["code"] == "rate_limited" and "this chat" in refused["message"]

        acks = [await second.call("chat.send", {"text": DIGITS, "client_id": f"b-{n}"}) for n in range(3)]
        assert [("error" in ack) for ack in acks] == [False, False, True]  # the address had 2 of its 5 left
        assert acks[2]["error"]["code"] == "rate_limited" and "address" in acks[2]["error"]["message"]

        # a flood past the limits costs next to nothing: every line refused, the booth answered meanwhile
        started = time.perf_counter()
        flood = [second.call("chat.send", {"text": DIGITS, "client_id": f"f-{n}"}) for n in range(30)]
        answers = await asyncio.gather(*flood, kiosk.call("hours.get", {}))
        assert {ack["error"]["code"] for ack in answers[:-1]} == {"rate_limited"}
        ok(answers[-1])
        assert time.perf_counter() - started < 2.0
        for peer in (first, second, kiosk):
            await peer.close()
