"""Chat lines from one address are limited before they are read (session 8's outside attack: 10 sockets sending
1,000-digit lines stalled the whole server, each line masked before any limit refused it). Over the per-connection
or per-address line limit a line gets a quick ``rate_limited`` ack with a message, and another booth's requests are
still answered at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.support import booth_peer, make_settings, office_hours_clock, ok, resident_peer, serve, serve_topology

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


async def test_an_address_sends_ten_lines_at_once_and_long_lines_keep_their_order(tmp_path: Path) -> None:
    """Session 13 (attack13 F5): 60 long lines at once from one address held every socket for 0.8 s while they were
    masked on the loop. Now one address sends at most 10 at once (the default), and a line of 200 characters or more
    is masked on the masking thread: a chat's lines still come back in the order they were sent, masked."""
    now = office_hours_clock()()  # a server clock that stands still: the line buckets do not refill meanwhile
    async with serve(make_settings(tmp_path), clock=lambda: now) as server:  # the default line limits
        first, second = await resident_peer(server), await resident_peer(server)
        long = "窓口は何時までですか。" * 20 + "マイナンバーは 1234 5678 9018 です。"
        short = "ありがとうございます"
        texts = [long if n % 2 == 0 else short for n in range(8)]  # long and short in turn
        acks = await asyncio.gather(
            *(first.call("chat.send", {"text": text, "client_id": f"a-{n}"}) for n, text in enumerate(texts))
        )
        assert all("error" not in ack for ack in acks)
        seqs = [ack["seq"] for ack in acks]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)  # stored in the order sent
        assert [ack["masked"] for ack in acks] == [n % 2 == 0 for n in range(8)]
        assert [ack["personal_number"] for ack in acks] == [n % 2 == 0 for n in range(8)]

        acks = [await second.call("chat.send", {"text": short, "client_id": f"b-{n}"}) for n in range(3)]
        assert [("error" in ack) for ack in acks] == [False, False, True]  # the address had 2 of its 10 left
        assert acks[2]["error"]["code"] == "rate_limited" and "address" in acks[2]["error"]["message"]
        for peer in (first, second):
            await peer.close()
