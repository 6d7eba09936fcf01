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
while someone on duty can take the case (staff working late answer).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Literal

from madoguchi.domain.holidays import JAPAN
from madoguchi.domain.opening_hours import DEFAULT_ROUTE, HoursError, OpeningHours, open_now, parse_schedule
from madoguchi.signaling.consultation import Consultation, State
from madoguchi.signaling.routing import Routing
from madoguchi.signaling.supervision import stranded

NoAnswer = Literal["closed", "nobody", "long_wait"]
REASONS: Final[tuple[NoAnswer, ...]] = ("closed", "nobody", "long_wait")


def town_hours(days: dict[str, str] | None) -> OpeningHours | None:
    """A town's weekly hours from the counter's config (weekday -> windows), closed on national holidays, or None
    when it names none."""
    if not days:
        return None
    try:
        return OpeningHours({DEFAULT_ROUTE: parse_schedule(days)}, calendar=JAPAN)
    except HoursError:
        return None  # validated where the municipality file is read; a bad value here never blocks a resident


def no_answer(counter: Routing, c: Consultation, now: float) -> NoAnswer | None:
    """Why nobody can answer ``c`` now (see the module's table), or None while someone can."""
    if c.state != State.WAITING:
        return None
    if stranded(counter, c, now):
        hours = town_hours(counter.config.hours.get(c.municipality_id))
        if hours is not None and not open_now(hours, c.route, datetime.fromtimestamp(now, tz=UTC)):
            return "closed"
        return "nobody"
    if now - c.enqueued_at >= counter.config.no_answer_wait_s:
        return "long_wait"
    return None
