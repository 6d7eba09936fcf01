"""How a consultation that asked for a person ended, for every figure that counts it: one rule.

Why in the shared kernel: the supervisor's "today" figures (``storage/today.py``, under the counter) and the
reports' KPIs (``reports/kpis.py``, a feature above it) must agree, and neither layer may import the other. They
did not: /reports counted a call-back request made after a long wait as abandoned, the supervisor page as 折り返し.

First match wins, for a consultation queued for a person (a booth request, a web chat from its first handoff):

| outcome | when |
|---|---|
| ``answered`` | a person took it (``answered_at`` set) |
| ``callback`` | not answered; the resident left a number instead (end reason :data:`CALLBACK_END_REASON`) |
| ``abandoned`` | not answered, state ``abandoned``, waited at least the short-abandon threshold |
| ``short_abandoned`` | the same, sooner than the threshold (counted apart) |
| ``in_hand`` | anything else: still waiting, ringing, interrupted… |

``reports/kpis.py`` computes the same table over numpy columns (a year of rows); a unit test holds the two to it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

CALLBACK_END_REASON: Final = "callback"
"""The end reason of a case the resident left for a call-back (the counter's ``cancel(reason="callback")``)."""


class Outcome(StrEnum):
    ANSWERED = "answered"
    CALLBACK = "callback"
    ABANDONED = "abandoned"
    SHORT_ABANDONED = "short_abandoned"
    IN_HAND = "in_hand"


def outcome(
    *, answered: bool, state: str, end_reason: str | None, waited_s: float | None, short_abandon_s: float
) -> Outcome:
    """The outcome of one queued consultation (module table); ``waited_s``: from queueing to closing (unknown
    counts as 0, as the reports count it)."""
    if answered:
        return Outcome.ANSWERED
    if end_reason == CALLBACK_END_REASON:
        return Outcome.CALLBACK
    if state == "abandoned":
        if (waited_s or 0.0) < short_abandon_s:
            return Outcome.SHORT_ABANDONED
        return Outcome.ABANDONED
    return Outcome.IN_HAND
