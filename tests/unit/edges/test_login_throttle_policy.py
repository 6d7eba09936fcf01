"""The login throttle's policy table and arithmetic, with time as plain floats."""

from __future__ import annotations

import hashlib

import pytest

from madoguchi.agent_console import throttle
from madoguchi.agent_console.attempts import MemoryAttemptStore
from madoguchi.agent_console.login_guard import LoginGuard
from madoguchi.agent_console.throttle import RULES, Scope, Tally
from madoguchi.signaling.ratelimit import MemoryKeyedLimit, Rate

NOW = 1_000_000.0


def test_every_throttled_scope_has_a_rule_and_the_account_rule_is_the_softest() -> None:
    assert set(RULES) == set(throttle.FAILURE_SCOPES) | set(throttle.DEVICE_SCOPES)
    assert RULES[Scope.ACCOUNT].max_delay_s <= 60 < RULES[Scope.PAIR].max_delay_s
    assert all(rule.max_delay_s < throttle.FORGET_AFTER_S for rule in RULES.values())


@pytest.mark.parametrize("scope", list(RULES))
def test_the_delay_is_free_then_doubles_up_to_its_cap(scope: Scope) -> None:
    rule = RULES[scope]
    delays = [throttle.delay_s(rule, n) for n in range(rule.free + 40)]
    assert delays[: rule.free + 1] == [0.0] * (rule.free + 1)
    assert delays[rule.free + 1 : rule.free + 4] == [1.0, 2.0, 4.0]
    assert delays == sorted(delays) and delays[-1] == rule.max_delay_s
    assert throttle.delay_s(rule, 10**9) == rule.max_delay_s  # no overflow


def test_the_longest_wait_wins_and_is_counted_from_the_last_failure() -> None:
    tallies = {
        Scope.PAIR: Tally(count=RULES[Scope.PAIR].free + 3, last=NOW),  # 4 s
        Scope.ACCOUNT: Tally(count=RULES[Scope.ACCOUNT].free + 2, last=NOW - 1),  # 2 s, 1 s ago
    }
    assert throttle.wait_s(tallies, NOW) == 4.0
    assert throttle.wait_s(tallies, NOW + 3.5) == 0.5
    assert throttle.wait_s(tallies, NOW + 4) == 0.0


def test_a_known_address_is_exempt_from_the_account_wide_count_only() -> None:
    account = {Scope.ACCOUNT: Tally(count=100, last=NOW)}
    known = {Scope.KNOWN: Tally(count=1, last=NOW - 86400)}
    assert throttle.wait_s(account, NOW) == RULES[Scope.ACCOUNT].max_delay_s
    assert throttle.wait_s({**account, **known}, NOW) == 0.0
    pair = {Scope.PAIR: Tally(count=100, last=NOW)}
    assert throttle.wait_s({**pair, **known}, NOW) == RULES[Scope.PAIR].max_delay_s


def test_counts_are_forgotten_after_a_quiet_hour() -> None:
    tallies = {Scope.PAIR: Tally(count=100, last=NOW)}
    assert throttle.wait_s(tallies, NOW + throttle.FORGET_AFTER_S) == 0.0


def test_retry_after_is_whole_seconds_and_never_zero() -> None:
    assert [throttle.retry_after(w) for w in (0.01, 1.0, 1.2, 59.99)] == [1, 1, 2, 60]


KEY = b"k" * 32


def test_keys_hide_the_username_and_address_and_ignore_case() -> None:
    keys = throttle.keys("Sato ", "192.0.2.7", key=KEY)
    assert keys == throttle.keys("sato", "192.0.2.7", key=KEY)
    assert not any("sato" in key or "192.0.2.7" in key for key in keys.values())
    assert keys[Scope.ACCOUNT] == throttle.keys("sato", "198.51.100.1", key=KEY)[Scope.ACCOUNT]
    assert keys[Scope.PAIR] != throttle.keys("sato", "198.51.100.1", key=KEY)[Scope.PAIR]


def bare_digests(*values: str) -> set[str]:
    """What the keys were before session 13 (SHA-256, no key): anyone could recompute them from a guessed name."""
    return {hashlib.sha256(value.encode()).hexdigest()[:32] for value in values} | {
        hashlib.sha256("\x00".join(values).encode()).hexdigest()[:32]
    }


def test_keys_are_keyed_so_a_copy_of_the_store_cannot_be_checked_against_guessed_usernames() -> None:
    keys = throttle.keys("sato", "192.0.2.7", key=KEY)
    digests = {key.split(":", 1)[1] for key in keys.values()}
    assert not digests & bare_digests("sato", "192.0.2.7")
    other = throttle.keys("sato", "192.0.2.7", key=b"o" * 32)
    assert not {key.split(":", 1)[1] for key in other.values()} & digests  # another deployment, other keys
    assert throttle.address_key("192.0.2.7", key=KEY) not in digests | bare_digests("192.0.2.7")


async def test_the_login_guard_stores_only_keyed_hashes() -> None:
    store, attempts = MemoryAttemptStore(), MemoryKeyedLimit(Rate(60, 30))
    guard = LoginGuard(store, lambda: NOW, key=KEY, attempts=attempts)
    assert await guard.wait_s("sato", "192.0.2.7") == 0.0
    await guard.failed("sato", "192.0.2.7")
    await guard.succeeded("suzuki", "192.0.2.7")
    stored = [*store._tallies, *attempts._buckets]
    # pair and account of the failure (the success cleared the address), known of the success, the address bucket
    assert len(stored) == 4
    assert not any(
        value in key for key in stored for value in ("sato", "suzuki", "192.0.2.7", *bare_digests("sato", "192.0.2.7"))
    )
    assert await guard.wait_s("sato", "192.0.2.7") == 0.0  # the same keys are found again: one failure is free


async def test_the_memory_store_counts_expires_and_uses_nonces_once() -> None:
    store = MemoryAttemptStore()
    await store.add("k", NOW, 10)
    await store.add("k", NOW + 1, 10)
    assert await store.read(["k", "other"], NOW + 2) == {"k": Tally(count=2, last=NOW + 1)}
    assert await store.read(["k"], NOW + 11) == {}
    await store.add("k", NOW + 12, 10)  # an expired tally starts again
    assert (await store.read(["k"], NOW + 12))["k"].count == 1
    await store.clear(["k"])
    assert await store.read(["k"], NOW + 12) == {}
    assert await store.first_use("n", NOW, 10) is True
    assert await store.first_use("n", NOW + 9, 10) is False
    assert await store.first_use("n", NOW + 10, 10) is True


async def test_the_memory_store_stays_bounded_by_its_live_keys() -> None:
    store = MemoryAttemptStore()
    for n in range(20_000):  # one guess each from many usernames, spread over many hours
        await store.add(f"k{n}", NOW + n, 60)
        await store.first_use(f"n{n}", NOW + n, 60)
    assert len(store._tallies) + len(store._used) < 4 * 1024


def test_a_trusted_device_waits_only_for_its_own_failures() -> None:
    strangers = {scope: Tally(count=10_000, last=NOW) for scope in throttle.FAILURE_SCOPES}
    assert throttle.wait_s(strangers, NOW) == RULES[Scope.PAIR].max_delay_s
    assert throttle.wait_s(strangers, NOW, trusted=True) == 0.0
    own = {**strangers, Scope.DEVICE: Tally(count=RULES[Scope.DEVICE].free + 1, last=NOW)}
    assert throttle.wait_s(own, NOW, trusted=True) == 1.0
    assert throttle.wait_s({Scope.DEVICE: own[Scope.DEVICE]}, NOW) == 0.0, "a stranger's wait ignores device counts"


def test_a_device_token_vouches_for_its_account_only_and_cannot_be_forged() -> None:
    token = throttle.device_token("Sato", "n" * 22, key=KEY)
    assert throttle.trusted_nonce(token, "sato ", key=KEY) == "n" * 22
    assert throttle.trusted_nonce(token, "suzuki", key=KEY) is None
    assert throttle.trusted_nonce(token, "sato", key=b"other" * 8) is None
    nonce, _, mac = token.partition(".")
    assert throttle.trusted_nonce(f"{nonce}.{'0' * len(mac)}", "sato", key=KEY) is None
    assert throttle.trusted_nonce("x" * 600, "sato", key=KEY) is None


def test_one_browser_keeps_a_few_accounts_tokens_newest_first() -> None:
    cookie = ""
    for n, account in enumerate(["a1", "a2", "a3", "a4", "a5", "a2"]):
        cookie = throttle.remember_device(
            cookie, throttle.device_token(account, f"nonce{n:04d}x", key=KEY), account=account, key=KEY
        )
    tokens = cookie.split("~")
    assert len(tokens) == throttle.DEVICE_TOKENS_KEPT
    assert throttle.trusted_nonce(cookie, "a2", key=KEY) == "nonce0005x"  # the old a2 token was replaced
    assert throttle.trusted_nonce(cookie, "a1", key=KEY) is None  # the oldest dropped
    assert throttle.trusted_nonce(cookie, "a5", key=KEY) == "nonce0004x"


@pytest.mark.parametrize("scope", list(RULES))
def test_a_lockout_starts_once_at_the_first_counted_failure(scope: Scope) -> None:
    starts = [n for n in range(1, 200) if throttle.starts_lockout(scope, n)]
    assert starts == [RULES[scope].free + 1]


def test_strangers_filling_an_accounts_attempts_in_flight_do_not_hold_a_trusted_device_at_the_door() -> None:
    guard = LoginGuard(MemoryAttemptStore(), lambda: NOW, key=KEY)
    with guard.hold("admin", "192.0.2.1") as first, guard.hold("admin", "192.0.2.2") as second:
        assert first and second
        with guard.hold("Admin", "192.0.2.3") as stranger:
            assert not stranger
        with guard.hold("admin", "198.51.100.9", trusted=True) as owner:
            assert owner
