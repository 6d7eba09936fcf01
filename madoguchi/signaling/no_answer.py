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
| ``nobody`` | nobody on duty may take the case (route, language, town; overflow and interpreter overflow counted) |
| ``long_wait`` | someone could, but the resident has waited ``no_answer_wait_s`` or longer |

A case whose console is ringing has someone answering: no reason. Opening hours alone never turn a resident away
while someone on duty can take the case (staff working late answer). The hours are the town's one set of opening
hours (``opening_hours`` table, editable on /admin and with ``madoguchi hours``, else the municipality file's),
passed in by the view builders, so an admin's change reaches the booth without a restart.

Three of the reasons change with the clock alone, with nothing happening at the counter: the counter closes
(``nobody`` → ``closed``) or opens, a case reaches its overflow time (a fallback route's agents now count:
``nobody`` → none), a resident's wait reaches ``no_answer_wait_s``. No operation runs then, so nothing would re-send
the resident's place. :func:`next_reason_change` says when a case's reason may next change with time alone and
:func:`changed_by_time` which cases' reasons did between two moments; the edge
(:mod:`madoguchi.signaling.no_answer_refresh`) sleeps until the first such moment and re-sends those residents'
places.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Final, Literal

from madoguchi.domain.opening_hours import OpeningHours, next_boundary, open_now
from madoguchi.signaling.consultation import Consultation, State
from madoguchi.signaling.routing import Routing
from madoguchi.signaling.supervision import StrandedCheck, stranded

NoAnswer = Literal["closed", "nobody", "long_wait"]
REASONS: Final[tuple[NoAnswer, ...]] = ("closed", "nobody", "long_wait")


def no_answer(
    counter: Routing,
    c: Consultation,
    now: float,
    hours: OpeningHours | None = None,
    *,
    is_stranded: Callable[[Consultation], bool] | None = None,
) -> NoAnswer | None:
    """Why nobody can answer ``c`` now (see the module's table), or None while someone can. ``hours``: the town's
    opening hours (the admin-editable ones, read beforehand); None: none configured, never ``closed``.
    ``is_stranded``: :func:`~madoguchi.signaling.supervision.stranded` at ``now`` for many cases at once (a
    :class:`~madoguchi.signaling.supervision.StrandedCheck`), when the caller asks about many."""
    if c.state != State.WAITING:
        return None
    if is_stranded(c) if is_stranded is not None else stranded(counter, c, now):
        if hours is not None and not open_now(hours, c.route, datetime.fromtimestamp(now, tz=UTC)):
            return "closed"
        return "nobody"
    if now - c.waiting_from >= counter.config.no_answer_wait_s:
        return "long_wait"
    return None


def next_reason_change(counter: Routing, c: Consultation, now: float, hours: OpeningHours | None) -> float | None:
    """The first moment after ``now`` at which :func:`no_answer` for ``c`` may differ with the counter unchanged:
    its overflow times (the office's rule, the interpreter overflow), the moment its wait reaches
    ``no_answer_wait_s``, the next turn of its route's opening hours; None when the case is not waiting or none is
    ahead. A moment at which nothing turns out to change is harmless (:func:`changed_by_time` then finds nothing)."""
    if c.state != State.WAITING:
        return None
    moments = counter.overflow_moments(c)
    moments.append(c.enqueued_at + counter.config.no_answer_wait_s)
    if hours is not None:
        turn = next_boundary(hours, c.route, datetime.fromtimestamp(now, tz=UTC))
        if turn is not None:
            moments.append(turn.timestamp())
    ahead = [m for m in moments if m > now]
    return min(ahead, default=None)


def next_refresh(
    counter: Routing, cases: Iterable[Consultation], now: float, hours: Mapping[str, OpeningHours]
) -> float | None:
    """The first :func:`next_reason_change` of ``cases`` (``hours``: each town's, absent = none configured)."""
    moments = (next_reason_change(counter, c, now, hours.get(c.municipality_id)) for c in cases)
    return min((m for m in moments if m is not None), default=None)


def changed_by_time(
    counter: Routing, cases: Iterable[Consultation], since: float, now: float, hours: Mapping[str, OpeningHours]
) -> list[Consultation]:
    """The waiting cases whose reason at ``now`` differs from the one at ``since``, the counter being as it is now:
    what the passing of time alone changed (a change made by an operation is sent by that operation). Whether a case
    is stranded is worked out once per group of alike cases at each moment (:class:`StrandedCheck`), not once per
    case and agent: 2,000 waiting and 200 agents were 800,000 agent checks per look."""
    then, current = StrandedCheck(counter, since), StrandedCheck(counter, now)
    return [
        c
        for c in cases
        if c.state == State.WAITING
        and no_answer(counter, c, since, hours.get(c.municipality_id), is_stranded=then)
        != no_answer(counter, c, now, hours.get(c.municipality_id), is_stranded=current)
    ]
