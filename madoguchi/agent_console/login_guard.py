"""The login brake as the login pages use it: the throttle policy, its store and the app's clock in one place.

When the store cannot be reached (Redis down) logins are refused with 503 rather than let through unthrottled:
nothing an agent could do after logging in works without the live state either.

Besides the counts per minute, attempts *in flight* (password being checked) are capped per client address and
per account (:meth:`LoginGuard.hold`): session 13's outside pass sent 28 wrong logins at once from one address and
all 28 waited for a password hash together. These caps are per process and in memory only (an attempt is in
flight for a second at most; the password threads' line, ``storage/password_work.py``, bounds the whole process).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Final, TypeVar

from aiohttp import web

from madoguchi.agent_console import throttle
from madoguchi.agent_console.attempts import AttemptStore
from madoguchi.agent_console.throttle import Scope
from madoguchi.signaling.ratelimit import KeyedLimit

log = logging.getLogger(__name__)
T = TypeVar("T")
STORE_TIMEOUT_S = 2.0
IN_FLIGHT_PER_ADDRESS: Final = 2
"""Attempts of one client address being checked at once (a person types one password at a time; an office NAT's
few staff rarely press the button in the same second, and a refused one is told to retry in a second)."""
IN_FLIGHT_PER_ACCOUNT: Final = 2
"""Attempts for one username (from anywhere) being checked at once."""
IN_FLIGHT_RETRY_AFTER_S: Final = 1


class LoginGuardUnavailable(Exception):
    """The attempt store did not answer: refuse the login for now."""


class LoginGuard:
    def __init__(
        self, store: AttemptStore, clock: Callable[[], float], *, key: bytes, attempts: KeyedLimit | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.key = key
        """The deployment's ``login-throttle`` key (``kept_keys.deployment_key``): what the store's keys are HMACs
        under, so a copy of the store does not say which usernames and addresses were tried."""
        self.attempts = attempts
        """Every attempt of an address, right or wrong (the throttle counts failures only, after the password was
        checked: a burst of simultaneous guesses all passed it and each cost a password hash)."""
        self._in_flight: Counter[tuple[str, str]] = Counter()

    @contextmanager
    def hold(self, account: str, address: str, *, trusted: bool = False) -> Iterator[bool]:
        """Yields True while this attempt has a place among the address's and the account's attempts in flight
        (check it, then the password), False when either is full: answer "retry in a second" without checking.
        A trusted device (a valid device token for ``account``) takes a place of its own instead of the
        account's, so strangers keeping the account's places full cannot hold its owner at the door."""
        account_place = ("device" if trusted else "account", throttle.normal_account(account))
        places = (("address", address), account_place)
        if self._in_flight[places[0]] >= IN_FLIGHT_PER_ADDRESS or self._in_flight[places[1]] >= IN_FLIGHT_PER_ACCOUNT:
            yield False
            return
        self._in_flight.update(places)
        try:
            yield True
        finally:
            self._in_flight.subtract(places)
            for place in places:
                if self._in_flight[place] <= 0:
                    del self._in_flight[place]  # nothing of a finished attempt stays in memory

    def trusted_nonce(self, account: str, device_cookie: str) -> str | None:
        """The device token's nonce when ``device_cookie`` holds a valid one for ``account`` (a trusted device)."""
        return throttle.trusted_nonce(device_cookie, account, key=self.key)

    def _keys(self, account: str, address: str, device: str | None) -> dict[Scope, str]:
        keys = throttle.keys(account, address, key=self.key)
        if device is not None:
            keys[Scope.DEVICE] = throttle.device_key(device, key=self.key)
        return keys

    async def wait_s(self, account: str, address: str, device: str | None = None) -> float:
        """Seconds this attempt must still wait (0: go ahead and check the password). ``device``: the nonce of a
        valid device token for ``account`` (:meth:`trusted_nonce`); such an attempt is held to its own budget."""
        keys = self._keys(account, address, device)
        now = self.clock()
        if self.attempts is not None:
            spent = await self._call(self.attempts.take(throttle.address_key(address, key=self.key), now))
            if spent > 0:
                return spent
        found = await self._call(self.store.read(list(keys.values()), now))
        tallies = {scope: found[key] for scope, key in keys.items() if key in found}
        return throttle.wait_s(tallies, now, trusted=device is not None)

    async def failed(self, account: str, address: str, device: str | None = None) -> list[Scope]:
        """Count a wrong password; returns the scopes this failure just locked (the first wait in each)."""
        keys = self._keys(account, address, device)
        now = self.clock()
        locked: list[Scope] = []
        for scope in throttle.held_to(trusted=device is not None):
            count = await self._call(self.store.add(keys[scope], now, throttle.lifetime_s(scope)))
            if throttle.starts_lockout(scope, count):
                locked.append(scope)
        return locked

    async def succeeded(self, account: str, address: str, device: str | None = None) -> None:
        keys = self._keys(account, address, device)
        cleared = [*throttle.CLEARED_ON_SUCCESS, *((Scope.DEVICE,) if device is not None else ())]
        await self._call(self.store.clear([keys[scope] for scope in cleared]))
        await self._call(self.store.add(keys[Scope.KNOWN], self.clock(), throttle.lifetime_s(Scope.KNOWN)))

    async def nonce_first_use(self, nonce: str, ttl_s: float) -> bool:
        return await self._call(self.store.first_use(f"nonce:{nonce}", self.clock(), ttl_s))

    async def close(self) -> None:
        await self.store.close()

    async def _call(self, operation: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(operation, STORE_TIMEOUT_S)
        except Exception as exc:
            log.warning("login attempt store unreachable: %s", type(exc).__name__)
            raise LoginGuardUnavailable from exc


LOGIN_GUARD = web.AppKey("login_guard", LoginGuard)
