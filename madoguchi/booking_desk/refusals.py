"""What the booking desk refuses, each with a code and one sentence: the phone page, the staff console and the
CLI say the same thing for the same refusal, and the HTTP edge turns a :class:`DeskError` into a 4xx with it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from madoguchi.bookings.slots import REFUSALS
from madoguchi.domain.privacy import PERSONAL_NUMBER_REFUSAL

ERRORS: Final[Mapping[str, str]] = {
    **{str(code): text for code, text in REFUSALS.items()},
    "unknown_town": "this town takes no bookings",
    "unknown_code": "there is no booking with that code",
    "not_changeable": "this booking can no longer be changed",
    "unknown_ferry": "there is no such ferry line for this place",
    "invalid": "the request is not valid",
    "personal_number": PERSONAL_NUMBER_REFUSAL,
    "not_today": "this booking is for another day",
    "cancelled": "this booking was cancelled",
    "wrong_way": "this booking is not a video call from home: come to the place you booked",
    "too_many_wrong_codes": "too many wrong booking codes were tried; code look-ups are paused, try again in a minute",
}
"""Every code a refusal can carry, with its one sentence."""


class DeskError(Exception):
    def __init__(self, code: str, detail: str | None = None, *, facts: dict[str, str] | None = None) -> None:
        super().__init__(detail or ERRORS[code])
        self.code = code
        self.facts = facts
        """What the resident is told beside the code (``not_today``: the booking's ``start``, ``end``
        and ``language``)."""
