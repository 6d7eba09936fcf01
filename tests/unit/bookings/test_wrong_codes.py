"""The brake on guessing booking codes (``booking_desk.guesses``), on a fake clock: wrong codes per source, per
network (IPv4 /24, IPv6 /48) and across all sources, found codes and other refusals free, a few sources never
pausing anyone else, a real resident let in again soon after a flood of very many networks."""

from __future__ import annotations

import pytest

from madoguchi.booking_desk.guesses import EACH_PER_MINUTE, TooManyWrongCodes, WrongCodes, network_of
from madoguchi.booking_desk.service import DeskError

REAL = "24681357"


async def desk(code: str) -> str:
    if code == REAL:
        return "booking"
    if code == "00000000":
        raise DeskError("not_changeable")
    raise DeskError("unknown_code")


async def try_code(brake: WrongCodes, source: str, code: str, now: float) -> str:
    try:
        return await brake.look_up(source, now, lambda: desk(code))
    except TooManyWrongCodes as paused:
        return f"paused {paused.retry_after:.0f}"
    except DeskError as refused:
        return refused.code


def spread(n: int) -> str:
    """The n-th address, each in a network (/24) of its own."""
    return f"10.{n // 256}.{n % 256}.1"


async def test_many_networks_share_one_backstop_of_wrong_codes() -> None:
    brake = WrongCodes(per_minute=10)  # bursts of 30
    results = [await try_code(brake, spread(n), "11111111", now=0.0) for n in range(40)]
    assert results[:30] == ["unknown_code"] * 30
    assert results[30:] == ["paused 6"] * 10  # one token comes back every 6 s


async def test_a_real_code_is_refused_during_a_flood_of_many_networks_and_works_soon_after() -> None:
    brake = WrongCodes(per_minute=10)
    for n in range(30):
        await try_code(brake, spread(n), "11111111", now=0.0)
    assert await try_code(brake, "203.0.113.7", REAL, now=1.0) == "paused 5"
    assert await try_code(brake, "203.0.113.7", REAL, now=6.1) == "booking"
    assert await try_code(brake, "203.0.113.7", REAL, now=6.1) == "booking"  # a found code spends nothing


@pytest.mark.parametrize(
    "guessers",
    [["127.0.0.2", "127.0.0.3", "127.0.0.4"], ["198.51.100.9", "203.0.113.66", "192.0.2.200"]],
    ids=["one-network", "three-networks"],
)
async def test_three_addresses_spending_their_budgets_pause_nobody_elsewhere(guessers: list[str]) -> None:
    """Session 12's outside pass: 10 wrong codes from each of three addresses paused every code lookup in town
    (one shared bucket of 10 a minute, bursts of 30). At the default backstop they now spend a sliver of it."""
    brake = WrongCodes(per_minute=120)
    for guesser in guessers:
        assert [await try_code(brake, guesser, "11111111", now=0.0) for _ in range(12)][-1].startswith("paused")
    assert await try_code(brake, "100.64.7.20", REAL, now=0.0) == "booking"
    assert await try_code(brake, "2001:db8:1::/64", REAL, now=0.0) == "booking"
    assert await try_code(brake, "100.64.7.21", "11111111", now=0.0) == "unknown_code"  # budgets untouched


async def test_the_addresses_of_one_network_add_up_to_one_guesser() -> None:
    brake = WrongCodes(per_minute=1000)
    results = [await try_code(brake, f"198.51.100.{n}", "11111111", now=0.0) for n in range(1, 30)]
    assert results.count("unknown_code") == 20  # the /24's burst, though no address spent its own 10
    assert await try_code(brake, "198.51.101.1", "11111111", now=0.0) == "unknown_code"  # the next /24 is its own
    assert await try_code(brake, "198.51.100.200", REAL, now=0.0) == "paused 6"  # the trade-off: a neighbour waits


async def test_the_64s_of_one_ipv6_48_add_up_to_one_guesser() -> None:
    brake = WrongCodes(per_minute=1000)
    results = [await try_code(brake, f"2001:db8:0:{n:x}::/64", "11111111", now=0.0) for n in range(30)]
    assert results.count("unknown_code") == 20
    assert await try_code(brake, "2001:db8:1::/64", "11111111", now=0.0) == "unknown_code"


@pytest.mark.parametrize(
    ("source", "network"),
    [
        ("203.0.113.7", "203.0.113.0/24"),
        ("2001:db8:aa:bb::/64", "2001:db8:aa::/48"),
        ("2001:db8::/32", "2001:db8::/32"),  # wider than a /48 already: itself
        ("booth:b_1", "booth:b_1"),
        ("unknown", "unknown"),
    ],
)
def test_the_network_of_a_source(source: str, network: str) -> None:
    assert network_of(source) == network


async def test_one_source_at_socket_rate_is_stopped_by_its_own_bucket() -> None:
    brake = WrongCodes(per_minute=1000)
    results = [await try_code(brake, "booth:b_1", "11111111", now=i * 0.01) for i in range(50)]
    burst = int(EACH_PER_MINUTE * 2)
    assert results[:burst] == ["unknown_code"] * burst
    assert set(results[burst:]) == {"paused 12"}
    assert await try_code(brake, "booth:b_2", "11111111", now=0.5) == "unknown_code"  # others are not held up


@pytest.mark.parametrize("code", [REAL, "00000000"])
async def test_a_found_code_or_another_refusal_spends_no_token(code: str) -> None:
    brake = WrongCodes(per_minute=1)  # a budget of 3
    for _ in range(20):
        await try_code(brake, "203.0.113.7", code, now=0.0)
    assert [await try_code(brake, "203.0.113.8", "11111111", now=0.0) for _ in range(4)] == [
        "unknown_code",
        "unknown_code",
        "unknown_code",
        "paused 60",
    ]


async def test_a_failing_lookup_gives_its_tokens_back() -> None:
    brake = WrongCodes(per_minute=1)

    async def broken() -> str:
        raise OSError("database gone")

    for _ in range(5):
        with pytest.raises(OSError):
            await brake.look_up("203.0.113.7", 0.0, broken)
    assert await try_code(brake, "203.0.113.7", "11111111", now=0.0) == "unknown_code"
