"""How long a login attempt must wait after earlier failures: the brake on guessing staff passwords.

Why three scopes, each with its own rule (the ``RULES`` table):

- ``pair`` (this account from this address) is throttled hardest: it is exactly what one guesser does.
- ``address`` (any account from this address) catches one machine spraying many usernames.
- ``account`` (this account from anywhere) catches guessing spread over many addresses. It is soft and its
  delay is capped at a minute, and it does not apply to an address this account has logged in from before
  (``known``), so an attacker who fails on purpose cannot keep the real user out of their own desk.

A browser that has logged in as this account before is a *trusted device* (OWASP's "device cookies"): on a
success the server gives it a device token (a random nonce and an HMAC binding it to the account, kept in the
``madoguchi_device`` cookie). An attempt that shows a valid token for the account it names is counted only in its
own ``device`` budget (this token's failures, same rule as a pair) and ignores every other scope: failures of
strangers, from any number of addresses, cannot lock the owner's own browser out (session 16's outside pass kept
``admin`` out all day with one wrong login every few minutes). A stolen token gives a guesser no more than one
pair's budget. A login without a token (new browser, cleared cookies) is throttled as a stranger's.

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
    DEVICE = "device"
    """Failures from one trusted device (a valid device token for the account): the only scope it is held to."""


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
    Scope.DEVICE: Rule(free=5, first_delay_s=1.0, max_delay_s=300.0),
}
FORGET_AFTER_S: Final = 3600.0
KNOWN_FOR_S: Final = 30 * 86400.0
FAILURE_SCOPES: Final = (Scope.PAIR, Scope.ADDRESS, Scope.ACCOUNT)
"""What a stranger's failure (no device token for the account) counts in, and is held to."""
DEVICE_SCOPES: Final = (Scope.DEVICE,)
"""What a trusted device's failure counts in, and is held to."""
CLEARED_ON_SUCCESS: Final = (Scope.PAIR, Scope.ADDRESS)
DEVICE_COOKIE: Final = "madoguchi_device"
DEVICE_TOKENS_KEPT: Final = 4
"""Device tokens one browser keeps (a shared desk PC used by a few staff); the oldest is dropped."""
MAX_DEVICE_COOKIE: Final = 512


def delay_s(rule: Rule, failures: int) -> float:
    """The wait after ``failures`` consecutive failures under ``rule``: 0, then doubling up to the cap."""
    beyond = failures - rule.free
    if beyond <= 0:
        return 0.0
    # 2**beyond overflows a float long before it matters: cap the exponent
    return min(rule.max_delay_s, rule.first_delay_s * 2.0 ** min(beyond - 1, 64))


def held_to(*, trusted: bool) -> tuple[Scope, ...]:
    """The scopes an attempt is counted in and waits for: a trusted device's own, or a stranger's three."""
    return DEVICE_SCOPES if trusted else FAILURE_SCOPES


def wait_s(tallies: Mapping[Scope, Tally], now: float, *, trusted: bool = False) -> float:
    """Seconds until an attempt may be made (0: now). ``tallies`` holds whatever the store has, by scope;
    ``trusted``: the attempt came with a valid device token for the account."""
    exempt = {Scope.ACCOUNT} if Scope.KNOWN in tallies else set()
    longest = 0.0
    for scope in held_to(trusted=trusted):
        tally = tallies.get(scope)
        if tally is None or scope in exempt or now - tally.last >= FORGET_AFTER_S:
            continue
        longest = max(longest, tally.last + delay_s(RULES[scope], tally.count) - now)
    return max(0.0, longest)


def starts_lockout(scope: Scope, count: int) -> bool:
    """True when failure number ``count`` in ``scope`` is the first one that makes the next attempt wait: the
    moment worth an audit entry (once per lockout, not once per failure)."""
    return count == RULES[scope].free + 1


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


def device_key(nonce: str, *, key: bytes) -> str:
    """The store key of one device token's failures (keyed like :func:`keys`)."""
    return "device:" + hmac.new(key, b"device\x00" + nonce.encode(), hashlib.sha256).hexdigest()[:32]


def _device_mac(account: str, nonce: str, key: bytes) -> str:
    signed = f"device-token\x00{normal_account(account)}\x00{nonce}".encode()
    return hmac.new(key, signed, hashlib.sha256).hexdigest()[:32]


def device_token(account: str, nonce: str, *, key: bytes) -> str:
    """A device token for ``account``: ``<nonce>.<HMAC>``; ``nonce`` is random (the caller's ``secrets``)."""
    return f"{nonce}.{_device_mac(account, nonce, key)}"


def trusted_nonce(cookie: str, account: str, *, key: bytes) -> str | None:
    """The nonce of the token in the device cookie that is valid for ``account``, or None (a stranger)."""
    if not cookie or len(cookie) > MAX_DEVICE_COOKIE:
        return None
    for token in cookie.split("~")[:DEVICE_TOKENS_KEPT]:
        nonce, _, mac = token.partition(".")
        if nonce and mac and hmac.compare_digest(mac, _device_mac(account, nonce, key)):
            return nonce
    return None


def remember_device(cookie: str, token: str, *, account: str, key: bytes) -> str:
    """The device cookie after a success: ``token`` first, then the other accounts' tokens it held (this account's
    old one and anything malformed are dropped), at most :data:`DEVICE_TOKENS_KEPT`."""
    kept = [token]
    if cookie and len(cookie) <= MAX_DEVICE_COOKIE:
        for old in cookie.split("~"):
            nonce, _, mac = old.partition(".")
            if (
                nonce.isascii()
                and 8 <= len(nonce) <= 64
                and len(mac) == 32
                and all(c.isalnum() or c in "-_" for c in nonce)
                and not hmac.compare_digest(mac, _device_mac(account, nonce, key))
            ):
                kept.append(old)
    return "~".join(kept[:DEVICE_TOKENS_KEPT])
