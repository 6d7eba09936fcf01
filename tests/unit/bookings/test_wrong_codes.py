"""The brake on guessing booking codes (``booking_desk.guesses``), on a fake clock: wrong codes per source and
across all sources, found codes and other refusals free, a real resident let in again soon after a flood."""

from __future__ import annotations

import pytest

from madoguchi.booking_desk.guesses import EACH_PER_MINUTE, TooManyWrongCodes, WrongCodes
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


async def test_many_addresses_share_one_budget_of_wrong_codes() -> None:
    brake = WrongCodes(per_minute=10)  # bursts of 30
    results = [await try_code(brake, f"198.51.100.{n}", "11111111", now=0.0) for n in range(40)]
    assert results[:30] == ["unknown_code"] * 30
    assert results[30:] == ["paused 6"] * 10  # one token comes back every 6 s


async def test_a_real_code_is_refused_during_the_flood_and_works_soon_after() -> None:
    brake = WrongCodes(per_minute=10)
    for n in range(30):
        await try_code(brake, f"198.51.100.{n}", "11111111", now=0.0)
    assert await try_code(brake, "203.0.113.7", REAL, now=1.0) == "paused 5"
    assert await try_code(brake, "203.0.113.7", REAL, now=6.1) == "booking"
    assert await try_code(brake, "203.0.113.7", REAL, now=6.1) == "booking"  # a found code spends nothing


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
