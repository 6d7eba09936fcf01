"""A brake on guessing booking codes: wrong codes per source, per network prefix, and a backstop for everyone.

Why: a booking code is the only key to a booking (a name, a time, the power to cancel it). Each address already has
a lookup budget (``booking_desk.api``), but guessing from very many addresses, or from a booth's socket (a stolen
kiosk token sends as fast as the socket allows), gets around any per-address limit. So every well-formed code that
turns out wrong spends a token of three buckets, and when any is empty code lookups from that source are refused
(``too_many_wrong_codes``, 429 with ``Retry-After``) until it refills:

- its **source** (a client address, an IPv6 address counted as its /64 by ``ui.address_key``; a booth): 5 a minute,
  bursts of 10;
- its **network** (``domain.networks.network_of``: the IPv4 /24, the IPv6 /48 around the /64): 10 a minute,
  bursts of 20, so the addresses of one network (a hosting provider's, a home's IPv6 prefix) add up to one
  guesser's budget;
- the **backstop** for every source of this brake together (``booking_wrong_codes_per_minute``, bursts of three
  minutes' worth): sized far above what a few networks can spend, so a few sources never pause the town; it only
  caps the whole process's guessing when very many networks guess at once.

A code that is found gives its tokens back, and a mistyped code (the Damm check digit fails) never gets here, so
honest residents hardly spend any. Booths check in through a brake of their own (``BOOTH_WRONG_CODES``): an
authenticated booth is never paused by anonymous web guesses, and a stolen kiosk token is held by its own bucket.

Session 12's outside pass: with one bucket of 10 a minute (bursts of 30) shared by everyone, 10 wrong codes from each
of three addresses paused every code lookup, cancellation, move and booth check-in in the town. The trade-off now:
a flood from very many networks at once can still empty the backstop (and then pauses web lookups for everyone, not
booths), and a guesser pauses the lookups of its own network's neighbours. With several processes each has its own
buckets. The code space and the odds (12-digit codes since session 13): docs/bookings.md, "Guessing codes".
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from madoguchi.booking_desk.service import DeskError
from madoguchi.domain.networks import network_of
from madoguchi.signaling.ratelimit import TokenBucket

MAX_SOURCES: Final = 10_000
EACH_PER_MINUTE: Final = 5.0  # wrong codes a minute from one address or booth (bursts of 10)
NETWORK_PER_MINUTE: Final = 10.0  # wrong codes a minute from one /24 or IPv6 /48 together (bursts of 20)
T = TypeVar("T")


class TooManyWrongCodes(DeskError):
    def __init__(self, retry_after: float) -> None:
        super().__init__("too_many_wrong_codes")
        self.retry_after = retry_after


class _Buckets:
    """One token bucket per key, the least recently used forgotten past :data:`MAX_SOURCES`."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self._rate, self._burst = per_minute / 60.0, burst
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def of(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets.pop(key, None) or TokenBucket(rate=self._rate, burst=self._burst, now=now)
        self._buckets[key] = bucket
        while len(self._buckets) > MAX_SOURCES:
            self._buckets.popitem(last=False)
        return bucket


class WrongCodes:
    """Token buckets of wrong booking codes: one per source, one per network (:func:`network_of`), one for all."""

    def __init__(
        self,
        *,
        per_minute: float,
        each_per_minute: float = EACH_PER_MINUTE,
        network_per_minute: float = NETWORK_PER_MINUTE,
    ) -> None:
        self._all_rate, self._all_burst = per_minute / 60.0, max(1, round(per_minute * 3))
        self._all: TokenBucket | None = None  # started on first use, on the desk's clock
        self._sources = _Buckets(each_per_minute, max(1, round(each_per_minute * 2)))
        self._networks = _Buckets(network_per_minute, max(1, round(network_per_minute * 2)))

    def _buckets(self, source: str, now: float) -> tuple[TokenBucket, ...]:
        if self._all is None:
            self._all = TokenBucket(rate=self._all_rate, burst=self._all_burst, now=now)
        mine = self._sources.of(source, now)
        network = network_of(source)
        if network == source:
            return mine, self._all
        return mine, self._networks.of(network, now), self._all

    async def look_up(self, source: str, now: float, lookup: Callable[[], Awaitable[T]]) -> T:
        """Run ``lookup`` (a desk call with a well-formed code) if every bucket of ``source`` allows one more wrong
        code; its ``unknown_code`` refusal spends the tokens, anything else gives them back. Raises
        :class:`TooManyWrongCodes` with the seconds to wait when a bucket is empty."""
        taken: list[TokenBucket] = []
        for bucket in self._buckets(source, now):
            if not bucket.take(now):
                for spent in taken:
                    spent.give_back()
                raise TooManyWrongCodes(bucket.wait(now))
            taken.append(bucket)
        wrong = False
        try:
            result = await lookup()
        except DeskError as refused:
            wrong = refused.code == "unknown_code"
            raise
        finally:
            if not wrong:
                for spent in taken:
                    spent.give_back()
        return result
