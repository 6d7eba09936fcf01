"""Does Chromium's ICE candidate pool serve an answer? (bench/links/notes.md, session 6)

One Chromium page, one RTCPeerConnection at a time, relay-only, its TURN server behind the impairment proxy at
150 ms / 5% loss each way (the ``lossy`` scenario's hop). Each connection is made with ``iceCandidatePoolSize`` 1
(or 0), left alone for ``wait`` ms, then made to describe itself: as the offerer (``setLocalDescription()``) or as
the answerer (a remote offer from a throwaway second connection, then ``setLocalDescription()``). Printed: ms from
that description until the relay candidate. A pool that serves the description gives it in a few ms; one that does
not gives the full TURN allocation (two round trips and retransmissions: ~0.7-0.9 s here).

Run as root from the repository root: ``.venv/bin/python bench/links/pool_probe.py`` (about a minute).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.async_api import async_playwright

from tests.links.calls import launch
from tests.links.coturn import run_coturn
from tests.links.impair import Impairment, ImpairmentProxy

PROBE = """async ([servers, waitMs, pool, answer]) => {
  const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: "relay", iceCandidatePoolSize: pool });
  pc.addTransceiver("audio");
  await new Promise((r) => setTimeout(r, waitMs));
  const relay = new Promise((r) => {
    pc.onicecandidate = (e) => e.candidate && e.candidate.type === "relay" && r(performance.now());
    setTimeout(() => r(null), 8000);
  });
  const described = performance.now();
  if (answer) {
    const other = new RTCPeerConnection();
    other.addTransceiver("audio");
    await other.setLocalDescription();
    await pc.setRemoteDescription(other.localDescription);
    other.close();
  }
  await pc.setLocalDescription();
  const at = await relay;
  pc.close();
  return at === null ? null : Math.round(at - described);
}"""

CASES = (  # (role, pool size, wait ms)
    ("offer", 1, 1500),
    ("answer", 1, 1500),
    ("offer", 1, 3000),
    ("answer", 1, 3000),
    ("offer", 0, 1500),
)
REPEATS = 3


async def main() -> None:
    island = Impairment(delay_s=0.150, loss=0.05)
    with tempfile.TemporaryDirectory() as work, run_coturn(Path(work) / "coturn") as turn:
        proxy = ImpairmentProxy(target=(turn.host, turn.port), up_link=island, down_link=island, seed=2026)
        host, port = await proxy.start(turn.host)
        user = f"{int(time.time()) + 3600}:probe.resident"
        login = base64.b64encode(hmac.new(turn.secret.encode(), user.encode(), hashlib.sha1).digest()).decode()
        servers = [{"urls": [f"turn:{host}:{port}?transport=udp"], "username": user, "credential": login}]
        try:
            async with async_playwright() as playwright:
                browser = await launch(playwright)
                page = await browser.new_page()
                for role, pool, wait in CASES:
                    found = [
                        await page.evaluate(PROBE, [servers, wait, pool, role == "answer"]) for _ in range(REPEATS)
                    ]
                    known = [ms for ms in found if ms is not None]
                    median = statistics.median(known) if known else None
                    print(
                        json.dumps({"role": role, "pool": pool, "wait_ms": wait, "relay_ms": found, "median": median})
                    )
                await browser.close()
        finally:
            proxy.close()


if __name__ == "__main__":
    asyncio.run(main())
