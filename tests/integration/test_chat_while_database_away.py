"""A resident's first chat line while the database is locked (session 8's outside attack: no ack at all, the
socket closed, ``UnknownConsultation`` in the log, the line lost). The resident gets an answer in time, ok or
``unavailable`` with a message; sent again with the same client id once the database is back, the line is stored
exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from typing import Any

from tests.support import LiveServer, Peer, resident_peer

LOCK_S = 6.0
LINE = "住民票の写しがほしいです"


async def send(peer: Peer, payload: dict[str, str]) -> dict[str, Any]:
    ack: dict[str, Any] = await peer.sio.call("chat.send", payload, namespace="/resident", timeout=15)
    return ack


def hold_the_database(path: str, locked: threading.Event) -> None:
    con = sqlite3.connect(path, timeout=1, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    locked.set()
    time.sleep(LOCK_S)
    con.execute("ROLLBACK")
    con.close()


async def test_a_first_line_while_the_database_is_locked_is_answered_and_kept(live_server: LiveServer) -> None:
    url = live_server.settings.effective_database_url
    assert url.startswith("sqlite")
    home = await resident_peer(live_server)
    await home.wait_for("resident.state")
    locked = threading.Event()
    holder = threading.Thread(target=hold_the_database, args=(url.split("///", 1)[1], locked))
    holder.start()
    await asyncio.to_thread(locked.wait, 5)

    payload = {"text": LINE, "client_id": "k-1"}
    started = time.perf_counter()
    ack = await send(home, payload)
    assert time.perf_counter() - started < 10
    if "error" in ack:  # not stored yet: a clear, retryable refusal the page shows
        assert ack["error"]["code"] == "unavailable" and "sent again" in ack["error"]["message"]
    await asyncio.to_thread(holder.join)

    deadline = time.perf_counter() + 30
    while "error" in ack and time.perf_counter() < deadline:  # what the page's outbox does
        await asyncio.sleep(1)
        ack = await send(home, payload)
    assert ack.get("ok") is True, ack
    again = await send(home, payload)
    assert again["seq"] == ack["seq"]
    [record] = [r for r in await live_server.export_records() if r["consultation_id"] == ack["consultation_id"]]
    assert [line["text"] for line in record["transcript"] if line["sender"] == "resident"] == [LINE]
    await home.close()
