"""A token bucket per connection: a burst is fine, a flood is refused without touching anyone else."""

from __future__ import annotations


class TokenBucket:
    def __init__(self, *, rate: float, burst: int, now: float) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._last = now

    def take(self, now: float) -> bool:
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True

    def give_back(self) -> None:
        """Return the token the last :meth:`take` used (it turned out not to count)."""
        self._tokens = min(self._burst, self._tokens + 1.0)

    def wait(self, now: float) -> float:
        """Seconds from ``now`` until :meth:`take` can succeed again (0 when it can now)."""
        tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        return max(0.0, (1.0 - tokens) / self._rate)
