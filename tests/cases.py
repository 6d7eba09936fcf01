"""Small builders shared by the live-store tests (memory and Redis): one booth case, opened the same way."""

from __future__ import annotations

from madoguchi.signaling.consultation import Channel
from madoguchi.signaling.counter import Counter


def open_booth_case(counter: Counter, cid: str, now: float, *, route: str = "tax") -> str:
    """Open consultation ``cid`` for a booth of the same name in the test municipality; returns ``cid``."""
    counter.open(
        consultation_id=cid,
        municipality_id="setouchi",
        channel=Channel.BOOTH,
        resident=f"booth:{cid}",
        route=route,
        now=now,
    )
    return cid
