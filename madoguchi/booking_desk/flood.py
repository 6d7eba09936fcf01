"""A brake on anonymous bookings: how many one address may make in a day, and all addresses together in an hour.

Why: booking needs no account, so nothing but the client's address tells one booker from another. The per-minute
budget of ``booking_desk.api`` slows one address down, yet an outsider with a few dozen addresses (one home's
IPv6 /56 holds 256 of the /64s counted as addresses) booked every free time of a day in a third of a second, and
real residents found the town full. So a new booking from ``/api/bookings`` also spends a token of its address's
daily bucket (``MADOGUCHI_BOOKING_CREATES_PER_ADDRESS_PER_DAY``) and of one bucket for every address together
(``MADOGUCHI_BOOKING_CREATES_PER_HOUR``, bursts of an hour's worth); when either is empty the booking is refused
with ``too_many_bookings`` (429, ``Retry-After``) and nothing is taken. Moves and cancellations take no new time,
and staff booking for a resident (``/api/staff/bookings``) is not braked.

Shared networks (session 16, ux16 M9): a post office's Wi-Fi, a care home's NAT or a carrier's shared address
puts many residents behind one address, and five a day (the default before) refused the sixth resident of the
day. The per-address day is now 20 (``MADOGUCHI_BOOKING_CREATES_PER_ADDRESS_PER_DAY``), and one more bucket holds
one **person** to a few a day (``MADOGUCHI_BOOKING_CREATES_PER_PERSON_PER_DAY``, 3): the person is the contact
they give (a phone number's digits, an e-mail in lower case), or without one their name on that address (two
residents of the same name at one post office on one day are rare; two people are not one because they share
Wi-Fi). The flood guard is still the hourly bucket for everyone, unchanged: raising one address's day lets a
single address take more of an hour, never more than the hour. Kept in memory as a keyed hash, never the contact.
A refusal says when the bucket that refused will take a booking again (``retry_after``: the page shows the time).

The trade-off: while someone keeps the shared bucket empty, residents booking on the web are refused too (the
page says to wait or telephone; staff can still book for them), for at most as long as the flood lasts. With
several processes each has its own buckets (N processes allow N times the rate). Stopping a flood for good needs
what anonymity cannot give (a confirmed e-mail or phone number); this only keeps one from filling the town fast.
"""

from __future__ import annotations

import hashlib
import unicodedata
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


def person_key(address: str, name_kana: str, contact: str | None) -> str:
    """Who books, as the brake tells people apart: the contact (a phone number's digits, an e-mail folded to lower
    case) when given, else the name on this address; a hash, so the brake holds no contact in memory."""
    if contact and contact.strip():
        folded = unicodedata.normalize("NFKC", contact).strip().casefold()
        digits = "".join(ch for ch in folded if ch.isdigit())
        who = f"tel:{digits}" if "@" not in folded and digits else f"mail:{folded}"
    else:
        name = "".join(unicodedata.normalize("NFKC", name_kana).split()).casefold()
        who = f"name:{name}@{address}"
    return hashlib.blake2b(who.encode(), digest_size=16).hexdigest()


class _Buckets:
    """One day-long token bucket per key, the oldest forgotten past :data:`MAX_ADDRESSES`."""

    def __init__(self, per_day: int) -> None:
        self._spec = (per_day / DAY_S, max(1, per_day))
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def of(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets.pop(key, None) or TokenBucket(rate=self._spec[0], burst=self._spec[1], now=now)
        self._buckets[key] = bucket
        while len(self._buckets) > MAX_ADDRESSES:
            self._buckets.popitem(last=False)
        return bucket

    def give_back(self, key: str) -> None:
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.give_back()


class NewBookings:
    """Token buckets of new anonymous bookings: one per client address (a day's worth), one per person (a day's
    few, :func:`person_key`), one for all of them (an hour's worth)."""

    def __init__(self, *, per_address_per_day: int, per_hour: int, per_person_per_day: int | None = None) -> None:
        self._addresses = _Buckets(per_address_per_day)
        self._people = None if per_person_per_day is None else _Buckets(per_person_per_day)
        self._all_spec = (per_hour / HOUR_S, max(1, per_hour))
        self._all: TokenBucket | None = None  # started on first use, on the desk's clock

    def take(self, address: str, now: float, person: str | None = None) -> None:
        """Spend one booking of ``address``, of ``person`` (a :func:`person_key`; None: not counted) and of
        everyone; raises :class:`TooManyBookings` (nothing spent) with the seconds until the bucket that refused
        takes one again."""
        if self._all is None:
            self._all = TokenBucket(rate=self._all_spec[0], burst=self._all_spec[1], now=now)
        spent: list[TokenBucket] = []
        buckets = [self._addresses.of(address, now)]
        if self._people is not None and person is not None:
            buckets.append(self._people.of(person, now))
        buckets.append(self._all)
        for bucket in buckets:
            if not bucket.take(now):
                for taken in spent:
                    taken.give_back()
                raise TooManyBookings(bucket.wait(now))
            spent.append(bucket)

    def give_back(self, address: str, person: str | None = None) -> None:
        """The booking was refused after all (full, closed day …): it took no time from the town."""
        self._addresses.give_back(address)
        if self._people is not None and person is not None:
            self._people.give_back(person)
        if self._all is not None:
            self._all.give_back()
