"""Two real ``madoguchi serve`` processes behind one address share the per-address limits through Redis (session
9's outside attack: each process counted alone, so a flooder behind a balancer got twice the allowance)."""

from __future__ import annotations

import aiohttp

from tests.faults.conftest import Deployment
from tests.support import Peer


async def test_a_flooder_gets_one_allowance_across_two_processes(deployment: Deployment) -> None:
    deployment.env.update(
        MADOGUCHI_RESIDENT_LINES_PER_MINUTE="600",  # per connection: not the limit under test
        MADOGUCHI_RESIDENT_LINES_PER_ADDRESS_PER_MINUTE="10",  # a burst of 5 lines per address, all processes
        MADOGUCHI_BOOKING_LOOKUPS_PER_MINUTE="5",  # a burst of 5 look-ups per address, all processes
    )
    one, two = await deployment.start(2)
    residents = [Peer(one.url, "/resident"), Peer(two.url, "/resident")]
    for peer in residents:
        await peer.connect(auth={})
    try:
        acks = [await residents[n % 2].call("chat.send", {"text": "住民票", "client_id": f"l-{n}"}) for n in range(10)]
        refused = [ack["error"] for ack in acks if "error" in ack]
        assert len(acks) - len(refused) == 5, acks
        assert {e["code"] for e in refused} == {"rate_limited"} and all("address" in e["message"] for e in refused)
    finally:
        for peer in residents:
            await peer.close()

    statuses = []
    async with aiohttp.ClientSession() as http:
        for n in range(10):
            async with http.get(f"{(one, two)[n % 2].url}/api/bookings/12345674") as resp:
                statuses.append(resp.status)
    assert sum(1 for s in statuses if s != 429) == 5, statuses
