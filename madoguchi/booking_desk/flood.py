"""A brake on anonymous bookings: how many one address may make in a day, and all addresses together in an hour.

Why: booking needs no account, so nothing but the client's address tells one booker from another. The per-minute
budget of ``booking_desk.api`` slows one address down, yet an outsider with a few dozen addresses (one home's
IPv6 /56 holds 256 of the /64s counted as addresses) booked every free time of a day in a third of a second, and
real residents found the town full. So a new booking from ``/api/bookings`` also spends a token of its address's
daily bucket (``MADOGUCHI_BOOKING_CREATES_PER_ADDRESS_PER_DAY``) and of one bucket for every address together
(``MADOGUCHI_BOOKING_CREATES_PER_HOUR``, bursts of an hour's worth); when either is empty the booking is refused
with ``too_many_bookings`` (429, ``Retry-After``) and nothing is taken. Moves and cancellations take no new time,
and staff booking for a resident (``/api/staff/bookings``) is not braked.

The trade-off: while someone keeps the shared bucket empty, residents booking on the web are refused too (the
page says to wait or telephone; staff can still book for them), for at most as long as the flood lasts. With
several processes each has its own buckets (N processes allow N times the rate). Stopping a flood for good needs
what anonymity cannot give (a confirmed e-mail or phone number); this only keeps one from filling the town fast.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

from madoguchi.booking_desk.service import DeskError
from madoguchi.signaling.ratelimit import TokenBucket

MAX_ADDRESSES: Final = 10_000
DAY_S: Final = 86_400.0
HOUR_S: Final = 3_600.0


MESSAGE: Final = "too many bookings from here or from everyone just now; try again later, or telephone the town office"


class TooManyBookings(DeskError):
    def __init__(self, retry_after: float) -> None:
        super().__init__("too_many_bookings", MESSAGE)
        self.retry_after = retry_after


class NewBookings:
    """Token buckets of new anonymous bookings: one per client address (a day's worth), one for all of them."""

    def __init__(self, *, per_address_per_day: int, per_hour: int) -> None:
        self._each = (per_address_per_day / DAY_S, max(1, per_address_per_day))
        self._all_spec = (per_hour / HOUR_S, max(1, per_hour))
        self._all: TokenBucket | None = None  # started on first use, on the desk's clock
        self._addresses: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, address: str, now: float) -> None:
        """Spend one booking of ``address`` and of everyone; raises :class:`TooManyBookings` (nothing spent) with
        the seconds to wait when either bucket is empty."""
        if self._all is None:
            self._all = TokenBucket(rate=self._all_spec[0], burst=self._all_spec[1], now=now)
        mine = self._addresses.pop(address, None) or TokenBucket(rate=self._each[0], burst=self._each[1], now=now)
        self._addresses[address] = mine
        while len(self._addresses) > MAX_ADDRESSES:
            self._addresses.popitem(last=False)
        if not mine.take(now):
            raise TooManyBookings(mine.wait(now))
        if not self._all.take(now):
            mine.give_back()
            raise TooManyBookings(self._all.wait(now))

    def give_back(self, address: str) -> None:
        """The booking was refused after all (full, closed day …): it took no time from the town."""
        mine = self._addresses.get(address)
        if mine is not None:
            mine.give_back()
        if self._all is not None:
            self._all.give_back()
