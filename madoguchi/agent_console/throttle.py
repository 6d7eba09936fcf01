"""How long a login attempt must wait after earlier failures: the brake on guessing staff passwords.

Why three scopes, each with its own rule (the ``RULES`` table):

- ``pair`` (this account from this address) is throttled hardest: it is exactly what one guesser does.
- ``address`` (any account from this address) catches one machine spraying many usernames.
- ``account`` (this account from anywhere) catches guessing spread over many addresses. It is soft and its
  delay is capped at a minute, and it does not apply to an address this account has logged in from before
  (``known``), so an attacker who fails on purpose cannot keep the real user out of their own desk.

A success from an address clears that address's counters (pair and address) and marks the pair as known. Every
counter is forgotten after :data:`FORGET_AFTER_S` without a failure. A refused attempt (too early) is not a
failure: trying again while waiting does not lengthen the wait, and the password is not even checked.

Pure: time is passed in; the counts come from an :class:`~madoguchi.agent_console.attempts.AttemptStore`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Scope(StrEnum):
    PAIR = "pair"
    ADDRESS = "address"
    ACCOUNT = "account"
    KNOWN = "known"
    """Not a throttle: successes of this account from this address (exempts the pair from ``account``)."""


@dataclass(frozen=True)
class Tally:
    """How many times something happened, and when it last did."""

    count: int
    last: float


@dataclass(frozen=True)
class Rule:
    free: int
    """Failures allowed with no wait at all (typing mistakes)."""
    first_delay_s: float
    """The wait after the first failure beyond ``free``; each further failure doubles it ..."""
    max_delay_s: float
    """... up to this."""


RULES: Final[Mapping[Scope, Rule]] = {
    Scope.PAIR: Rule(free=5, first_delay_s=1.0, max_delay_s=300.0),
    Scope.ADDRESS: Rule(free=30, first_delay_s=1.0, max_delay_s=300.0),
    Scope.ACCOUNT: Rule(free=10, first_delay_s=1.0, max_delay_s=60.0),
}
FORGET_AFTER_S: Final = 3600.0
KNOWN_FOR_S: Final = 30 * 86400.0
FAILURE_SCOPES: Final = (Scope.PAIR, Scope.ADDRESS, Scope.ACCOUNT)
CLEARED_ON_SUCCESS: Final = (Scope.PAIR, Scope.ADDRESS)


def delay_s(rule: Rule, failures: int) -> float:
    """The wait after ``failures`` consecutive failures under ``rule``: 0, then doubling up to the cap."""
    beyond = failures - rule.free
    if beyond <= 0:
        return 0.0
    # 2**beyond overflows a float long before it matters: cap the exponent
    return min(rule.max_delay_s, rule.first_delay_s * 2.0 ** min(beyond - 1, 64))


def wait_s(tallies: Mapping[Scope, Tally], now: float) -> float:
    """Seconds until an attempt may be made (0: now). ``tallies`` holds whatever the store has, by scope."""
    exempt = {Scope.ACCOUNT} if Scope.KNOWN in tallies else set()
    longest = 0.0
    for scope in FAILURE_SCOPES:
        tally = tallies.get(scope)
        if tally is None or scope in exempt or now - tally.last >= FORGET_AFTER_S:
            continue
        longest = max(longest, tally.last + delay_s(RULES[scope], tally.count) - now)
    return max(0.0, longest)


def retry_after(wait: float) -> int:
    """Whole seconds for a ``Retry-After`` header: never 0 while a wait remains."""
    return max(1, math.ceil(wait))


def normal_account(username: str) -> str:
    """The account part of a key: case and surrounding spaces do not make a new account to guess on."""
    return username.strip().casefold()


def keys(account: str, address: str, *, key: bytes) -> dict[Scope, str]:
    """Store keys for one attempt. Keyed hashes (HMAC-SHA256 under ``key``, the deployment's ``login-throttle``
    key), so the store never holds a username or an address in clear, and a copy of it (a Redis dump) cannot be
    undone by hashing the likely usernames and addresses to see which were tried: a bare SHA-256 could."""

    def digest(*parts: str) -> str:
        return hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).hexdigest()[:32]

    account = normal_account(account)
    return {
        Scope.PAIR: f"pair:{digest(account, address)}",
        Scope.ADDRESS: f"address:{digest(address)}",
        Scope.ACCOUNT: f"account:{digest(account)}",
        Scope.KNOWN: f"known:{digest(account, address)}",
    }


def address_key(address: str, *, key: bytes) -> str:
    """The key of an address's attempt bucket (every attempt, right or wrong), keyed like :func:`keys`."""
    return hmac.new(key, b"attempts\x00" + address.encode(), hashlib.sha256).hexdigest()[:32]


def lifetime_s(scope: Scope) -> float:
    """How long the store keeps a tally of ``scope`` after its last change."""
    return KNOWN_FOR_S if scope is Scope.KNOWN else FORGET_AFTER_S
