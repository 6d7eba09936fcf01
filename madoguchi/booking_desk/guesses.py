"""A brake on guessing booking codes: wrong codes per source, and across all sources together.

Why both: a booking code is the only key to a booking (a name, a time, the power to cancel it). Each address
already has a lookup budget (``booking_desk.api``), but guessing from very many addresses, or from a booth's
socket (a stolen kiosk token sends as fast as the socket allows), gets around any per-address limit. So every
well-formed code that turns out wrong spends a token of its source's bucket *and* of one bucket for the whole
process; when either is empty, code lookups are refused (``too_many_wrong_codes``, 429 with ``Retry-After``)
until it refills. A code that is found gives its tokens back, and a mistyped code (the Damm check digit fails)
never gets here, so honest residents hardly spend any.

The trade-off: while someone floods wrong codes from many addresses, real residents' code lookups and check-ins
are refused too (they can still consult without the code, and staff can still look bookings up). When the flood
stops, the shared bucket refills at ``booking_wrong_codes_per_minute``: a resident is let in again within
60 / that many seconds (6 s at the default 10). With several processes each has its own shared bucket.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from madoguchi.booking_desk.service import DeskError
from madoguchi.signaling.ratelimit import TokenBucket

MAX_SOURCES: Final = 10_000
EACH_PER_MINUTE: Final = 5.0  # wrong codes a minute from one address or booth (bursts of 10)
T = TypeVar("T")


class TooManyWrongCodes(DeskError):
    def __init__(self, retry_after: float) -> None:
        super().__init__("too_many_wrong_codes")
        self.retry_after = retry_after


class WrongCodes:
    """Token buckets of wrong booking codes: one per source (address or booth), one for all of them."""

    def __init__(self, *, per_minute: float, each_per_minute: float = EACH_PER_MINUTE) -> None:
        self._all_rate, self._all_burst = per_minute / 60.0, max(1, round(per_minute * 3))
        self._each_rate, self._each_burst = each_per_minute / 60.0, max(1, round(each_per_minute * 2))
        self._all: TokenBucket | None = None  # started on first use, on the desk's clock
        self._sources: OrderedDict[str, TokenBucket] = OrderedDict()

    def _buckets(self, source: str, now: float) -> tuple[TokenBucket, TokenBucket]:
        if self._all is None:
            self._all = TokenBucket(rate=self._all_rate, burst=self._all_burst, now=now)
        mine = self._sources.pop(source, None) or TokenBucket(rate=self._each_rate, burst=self._each_burst, now=now)
        self._sources[source] = mine
        while len(self._sources) > MAX_SOURCES:
            self._sources.popitem(last=False)
        return mine, self._all

    async def look_up(self, source: str, now: float, lookup: Callable[[], Awaitable[T]]) -> T:
        """Run ``lookup`` (a desk call with a well-formed code) if both buckets allow one more wrong code; its
        ``unknown_code`` refusal spends the tokens, anything else gives them back. Raises
        :class:`TooManyWrongCodes` with the seconds to wait when a bucket is empty."""
        mine, everyone = self._buckets(source, now)
        if not mine.take(now):
            raise TooManyWrongCodes(mine.wait(now))
        if not everyone.take(now):
            mine.give_back()
            raise TooManyWrongCodes(everyone.wait(now))
        wrong = False
        try:
            result = await lookup()
        except DeskError as refused:
            wrong = refused.code == "unknown_code"
            raise
        finally:
            if not wrong:
                mine.give_back()
                everyone.give_back()
        return result
