"""Guessing booking codes from many addresses or from a booth at socket rate is stopped (issue 9, red team 5):
wrong codes spend a budget shared by every address and booth (``booking_wrong_codes_per_minute``, bursts of
three minutes' worth), then look-ups answer 429 ``too_many_wrong_codes`` with ``Retry-After`` and check-ins an
error ack with the same code; a real resident's right code works again once a token has come back."""

from __future__ import annotations

from pathlib import Path

from madoguchi.bookings import codes
from tests.bookings_support import running
from tests.integration.bookings.test_booking_checkin_socket import TEN_TO_NINE, booked_at_nine, live
from tests.support import booth_peer, ok

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
            "retry_after_s": int(retry_after or 0),  # ux16b: the page says when, as the header does
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


def other_wrong(n: int) -> str:
    """The n-th well-formed code that is not WRONG (each guess a different code, as a guesser sends them)."""
    body = f"{5_000_000 + n:07d}"
    return body + str(codes.damm(body))


async def test_three_addresses_guessing_pause_no_one_else_at_the_default_limits(tmp_path: Path) -> None:
    """Session 12's outside pass: 10 well-formed wrong codes from each of 127.0.0.2, .3 and .4 and a real code from a
    fresh address got 429 ``too_many_wrong_codes`` (one bucket for the town: 10 a minute, bursts of 30). Now each
    address and each network has its own budget and the backstop is far above what a few of them spend."""
    async with running(tmp_path, trusted_proxies=["127.0.0.1"], booking_lookups_per_minute=600.0) as api:
        code = await booked_at_nine(api)

        async def lookup(address: str, which: str) -> tuple[int, dict[str, object]]:
            url = f"{api.base_url}/api/bookings/{which}"
            async with api.http.get(url, headers={"X-Forwarded-For": address}) as resp:
                return resp.status, await resp.json()

        guesses = [
            (await lookup(a, other_wrong(n)))[0] for n, a in enumerate(["127.0.0.2", "127.0.0.3", "127.0.0.4"] * 10)
        ]
        assert guesses == [404] * 20 + [429] * 10  # one /24: together they have one network's burst (20)
        for address in ("198.51.100.7", "2001:db8:77::1"):  # residents elsewhere, IPv4 and IPv6
            status, body = await lookup(address, code)
            assert (status, body.get("code")) == (200, code), body
        # the guessers' own network is held: the next guess from it, even from a fourth address, waits
        status, body = await lookup("127.0.0.5", other_wrong(99))
        assert (status, body["error"]["code"]) == (429, "too_many_wrong_codes")  # type: ignore[index]


async def test_a_booth_checks_in_while_anonymous_guesses_have_spent_the_backstop(tmp_path: Path) -> None:
    async with running(
        tmp_path,
        start=TEN_TO_NINE,
        trusted_proxies=["127.0.0.1"],
        booking_lookups_per_minute=600.0,
        booking_wrong_codes_per_minute=2.0,  # a backstop of 6: spent by six networks
        session_ttl_s=365 * 86400,
    ) as api:
        code = await booked_at_nine(api)
        for n in range(8):
            url = f"{api.base_url}/api/bookings/{other_wrong(n)}"
            async with api.http.get(url, headers={"X-Forwarded-For": f"10.{n}.0.1"}) as resp:
                assert resp.status == (404 if n < 6 else 429)
        server = live(api)
        _, token, _ = await server.add_booth("汐見郵便局ブース")
        booth = await booth_peer(server, token)
        try:
            checked = ok(await booth.call("consultation.request", {"booking": code, "language": "ja"}))
            assert checked["booking"]["priority"] is True
        finally:
            await booth.close()
