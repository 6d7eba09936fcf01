"""Whether anyone can answer a waiting resident, and if not, why. Pure: time is passed in.

Why a module of its own: the booth and the chat page must say at once, in plain words, when nobody can take the
case, and offer what the town has instead (its phone number and hours, a call-back request). The answer depends
on the whole counter (who is on duty, who may take the case once the office's overflow rules apply) and on the
clock (opening hours, how long the resident has waited), so it is one rule here, tested with a fake clock, and
the views only carry its result.

The reasons, first match wins:

| reason | when |
|---|---|
| ``closed`` | nobody on duty may take the case, and the counter is outside its opening hours |
| ``nobody`` | nobody on duty may take the case (its route, language and town; overflow counted) |
| ``long_wait`` | someone could, but the resident has waited ``no_answer_wait_s`` or longer |

A case whose console is ringing has someone answering: no reason. Opening hours alone never turn a resident away
while someone on duty can take the case (staff working late answer). The hours are the town's one set of opening
hours (``opening_hours`` table, editable on /admin and with ``madoguchi hours``, else the municipality file's),
passed in by the view builders, so an admin's change reaches the booth without a restart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Literal

from madoguchi.domain.opening_hours import OpeningHours, open_now
from madoguchi.signaling.consultation import Consultation, State
from madoguchi.signaling.routing import Routing
from madoguchi.signaling.supervision import stranded

NoAnswer = Literal["closed", "nobody", "long_wait"]
REASONS: Final[tuple[NoAnswer, ...]] = ("closed", "nobody", "long_wait")


def no_answer(counter: Routing, c: Consultation, now: float, hours: OpeningHours | None = None) -> NoAnswer | None:
    """Why nobody can answer ``c`` now (see the module's table), or None while someone can. ``hours``: the town's
    opening hours (the admin-editable ones, read beforehand); None: none configured, never ``closed``."""
    if c.state != State.WAITING:
        return None
    if stranded(counter, c, now):
        if hours is not None and not open_now(hours, c.route, datetime.fromtimestamp(now, tz=UTC)):
            return "closed"
        return "nobody"
    if now - c.enqueued_at >= counter.config.no_answer_wait_s:
        return "long_wait"
    return None
