"""Guessing booking codes from many addresses or from a booth at socket rate is stopped (issue 9, red team 5):
wrong codes spend a budget shared by every address and booth (``booking_wrong_codes_per_minute``, bursts of
three minutes' worth), then look-ups answer 429 ``too_many_wrong_codes`` with ``Retry-After`` and check-ins an
error ack with the same code; a real resident's right code works again once a token has come back."""

from __future__ import annotations

from pathlib import Path

from madoguchi.bookings import codes
from tests.bookings_support import running
from tests.integration.bookings.test_booking_checkin_socket import booked_at_nine, live
from tests.support import booth_peer

WRONG = next(c for c in (f"{n:07d}" + str(codes.damm(f"{n:07d}")) for n in range(1000, 2000)))


async def test_wrong_codes_from_many_addresses_pause_lookups_until_the_budget_refills(tmp_path: Path) -> None:
    async with running(
        tmp_path, trusted_proxies=["127.0.0.1"], booking_lookups_per_minute=600.0, booking_wrong_codes_per_minute=2.0
    ) as api:
        code = await booked_at_nine(api)
        assert codes.well_formed(WRONG) and code != WRONG

        async def lookup(address: str, which: str) -> tuple[int, dict[str, object], str | None]:
            url = f"{api.base_url}/api/bookings/{which}"
            async with api.http.get(url, headers={"X-Forwarded-For": address}) as resp:
                return resp.status, await resp.json(), resp.headers.get("Retry-After")

        flood = [await lookup(f"198.51.100.{n}", WRONG) for n in range(8)]
        assert [status for status, _, _ in flood] == [404] * 6 + [429] * 2  # a budget of 6, whoever asks
        status, body, retry_after = flood[-1]
        assert body["error"] == {
            "code": "too_many_wrong_codes",
            "message": "too many wrong booking codes were tried; code look-ups are paused, try again in a minute",
        }
        assert retry_after is not None and 1 <= int(retry_after) <= 30

        status, body, _ = await lookup("203.0.113.7", code)
        assert (status, body["error"]["code"]) == (429, "too_many_wrong_codes")  # the trade-off, while it lasts
        status, _, _ = await lookup("203.0.113.7", "1234567")  # a typo never spends or waits for a token
        assert status == 404

        api.clock.offset += 31  # one token back (2 a minute)
        status, body, _ = await lookup("203.0.113.7", code)
        assert (status, body["code"]) == (200, code)


async def test_a_booth_guessing_at_socket_rate_is_stopped_with_a_plain_error(tmp_path: Path) -> None:
    async with running(tmp_path, booking_wrong_codes_per_minute=600.0, session_ttl_s=365 * 86400) as api:
        server = live(api)
        _, token, _ = await server.add_booth("汐見郵便局ブース")
        booth = await booth_peer(server, token)
        try:
            codes_seen = []
            for _ in range(12):
                ack = await booth.call("consultation.request", {"booking": WRONG})
                codes_seen.append(ack["error"]["code"])
            assert codes_seen == ["unknown_code"] * 10 + ["too_many_wrong_codes"] * 2  # 5 a minute, bursts of 10
            assert "paused" in ack["error"]["message"]
        finally:
            await booth.close()
