"""How many call-back requests one source and one phone number may leave: without a limit a booth (or an
anonymous chat) could put any number of strangers' numbers on the staff's list in a second.

Per source: the booth, or the resident's chat session and, separately, their client address
(``MADOGUCHI_CALLBACKS_PER_SOURCE_PER_HOUR``). Per number: however many sources leave it
(``MADOGUCHI_CALLBACKS_PER_NUMBER_PER_DAY``); the bucket is keyed by an HMAC of the digits, so Redis never holds a
number. A repeat of a number already waiting is listed to staff once (``Callbacks.pending``), not twice.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from madoguchi.settings import Settings
from madoguchi.signaling.counter import CounterError
from madoguchi.signaling.ratelimit import KeyedLimit, Rate
from madoguchi.signaling.shared_limits import Limits


def callback_rates(settings: Settings) -> tuple[Rate, Rate]:
    """(per source, per number): a full bucket to start with, refilled over the hour / the day."""
    per_source, per_number = settings.callbacks_per_source_per_hour, settings.callbacks_per_number_per_day
    return Rate(per_source / 60.0, per_source), Rate(per_number / 1440.0, per_number)


@dataclass(frozen=True)
class CallbackLimits:
    per_source: KeyedLimit
    per_number: KeyedLimit
    number_key: bytes

    @classmethod
    def open(cls, limits: Limits, settings: Settings, number_key: bytes) -> CallbackLimits:
        source, number = callback_rates(settings)
        return cls(limits.keyed("callback_sources", source), limits.keyed("callback_numbers", number), number_key)

    async def take(self, sources: Sequence[str], phone: str, now: float) -> None:
        """Spend one request of each source and of the number; raises ``rate_limited`` (with how long to wait)
        when one of them has none left."""
        for source in sources:
            wait = await self.per_source.take(source, now)
            if wait > 0:
                minutes = max(1, round(wait / 60))
                raise CounterError(
                    "rate_limited",
                    f"too many call-back requests from here; try again in {minutes} min or call the office",
                    {"retry_after_s": round(wait)},
                )
        digest = hmac.new(self.number_key, phone.encode(), hashlib.sha256).hexdigest()[:32]
        wait = await self.per_number.take(digest, now)
        if wait > 0:
            raise CounterError(
                "rate_limited",
                "this number was left for a call-back too often today; the office will call it, or call the office",
                {"retry_after_s": round(wait)},
            )
