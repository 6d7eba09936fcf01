"""Session 13's login flood (attack13 F1), bounded and on loopback: what a burst of wrong logins does to a booth's
triage and to a real staff login.

Against a running ``madoguchi demo`` (its ``demo-credentials.json`` names the booth and the accounts):

    madoguchi demo --host 127.0.0.1 --port 18131     # MADOGUCHI_DATA_DIR=/tmp/x
    python bench/login_flood/run.py http://127.0.0.1:18131 /tmp/x/demo-credentials.json --first-address 40

Sends ``--burst`` (56) wrong logins at once, split over two client addresses 127.0.0.N and N+1 (use fresh N for
each run: the throttle remembers an address's failures for an hour), a booth ``triage.preview`` 1, 2 and 4 s into
the burst and a real login (another address) 0.3 s into it; prints one JSON line. Nothing else is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import socketio


async def login(session: aiohttp.ClientSession, base: str, username: str, password: str) -> tuple[int, float]:
    started = time.perf_counter()
    async with session.post(base + "/api/login", json={"username": username, "password": password}) as response:
        await response.read()
        return response.status, round(time.perf_counter() - started, 2)


def memory_mb(pid: int | None) -> dict[str, int] | None:
    """The server's resident memory now and at its peak (Linux ``/proc``), when its pid is given."""
    if pid is None:
        return None
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {name: int(fields[key].split()[0]) // 1024 for name, key in (("rss_mb", "VmRSS"), ("peak_mb", "VmHWM"))}


async def run(base: str, credentials: dict[str, Any], burst: int, first: int, pid: int | None) -> dict[str, Any]:
    booth = credentials["booths"][0]
    agent = next(a for a in credentials["accounts"] if a["role"] == "agent")
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(base, namespaces=["/booth"], auth={"token": booth["token"]}, transports=["websocket"])

    async def preview(delay: float) -> float:
        await asyncio.sleep(delay)
        started = time.perf_counter()
        await sio.call("triage.preview", {"text": "税金の相談をしたい"}, namespace="/booth", timeout=90)
        return round(time.perf_counter() - started, 2)

    def bound(address: str) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(address, 0), limit=0))

    attackers = [bound(f"127.0.0.{first}"), bound(f"127.0.0.{first + 1}")]
    legit = bound(f"127.0.0.{first + 2}")
    try:
        baseline_preview = await preview(0)
        baseline_login = await login(legit, base, agent["username"], agent["password"])
        memory_before = memory_mb(pid)

        async def real_login() -> tuple[int, float]:
            await asyncio.sleep(0.3)
            return await login(legit, base, agent["username"], agent["password"])

        started = time.perf_counter()
        results = await asyncio.gather(
            *(login(attackers[n % 2], base, f"spray{n}", "wrong-password") for n in range(burst)),
            real_login(),
            preview(1.0),
            preview(2.0),
            preview(4.0),
        )
        spray = results[:burst]
        return {
            "server": base,
            "burst": burst,
            "baseline": {"triage_preview_s": baseline_preview, "login": baseline_login, "memory": memory_before},
            "during_burst": {
                "real_login": results[burst],
                "triage_preview_s_at_1_2_4": results[burst + 1 :],
                "spray_statuses": dict(Counter(status for status, _ in spray)),
                "spray_slowest_s": max(seconds for _, seconds in spray),
                "burst_done_s": round(time.perf_counter() - started, 2),
                "memory": memory_mb(pid),
            },
        }
    finally:
        for session in (*attackers, legit):
            await session.close()
        await sio.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("credentials", type=Path)
    parser.add_argument("--burst", type=int, default=56)
    parser.add_argument("--pid", type=int, help="the server's process id, to report its memory (Linux)")
    parser.add_argument("--first-address", type=int, default=40, help="N of 127.0.0.N (N, N+1 spray; N+2 logs in)")
    args = parser.parse_args()
    if not 1 <= args.burst <= 200:
        parser.error("--burst must be 1..200 (this is a bounded measurement)")
    credentials = json.loads(args.credentials.read_text(encoding="utf-8"))
    base = args.base_url.rstrip("/")
    print(json.dumps(asyncio.run(run(base, credentials, args.burst, args.first_address, args.pid))))


if __name__ == "__main__":
    main()
