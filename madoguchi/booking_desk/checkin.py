"""The booth's way into the bookings: a resident types their code on the kiosk, the case opens with its topic
and, within the plan's window, ahead of walk-ins.

Why an adapter: the booth namespace (``signaling``) knows only its small ``BookingCheckIn`` Protocol and its
``CounterError``; the desk knows bookings. This turns one into the other, so neither package imports the other's
insides.
"""

from __future__ import annotations

from datetime import timedelta

from madoguchi.booking_desk.guesses import WrongCodes
from madoguchi.booking_desk.service import BookingDesk, DeskError
from madoguchi.bookings import codes
from madoguchi.signaling.booth_socket import CheckedIn
from madoguchi.signaling.state import CounterError


class BoothCheckIn:
    def __init__(self, desk: BookingDesk, wrong_codes: WrongCodes) -> None:
        self._desk = desk
        self._wrong_codes = wrong_codes

    async def check_in(
        self, code: str, *, municipality_id: str, source: str, modes: frozenset[str] | None = None
    ) -> CheckedIn:
        parsed = codes.BookingCode.parse(code)  # 12 digits, or 8 from before session 13
        try:
            if parsed is None:
                raise DeskError("unknown_code")
            digits = parsed.digits
            record, outcome = await self._wrong_codes.look_up(
                source,
                self._desk.now().timestamp(),
                lambda: self._desk.check_in(digits, municipality_id=municipality_id, modes=modes),
            )
        except DeskError as refused:
            raise CounterError(refused.code, str(refused), dict(refused.facts or {}) or None) from refused
        return CheckedIn(
            code=record.code,
            route=record.route,
            priority=outcome.priority,
            outcome=outcome.outcome,
            mode=record.mode,
            language=record.language,
            start=record.start.isoformat(),
            priority_from=(record.start - timedelta(minutes=self._early_minutes(record.municipality_id))).isoformat(),
        )

    def _early_minutes(self, municipality_id: str) -> int:
        """How long before its start a booking's check-in goes ahead of walk-ins (the town's plan)."""
        return self._desk.plan(self._desk.town(municipality_id)).checkin.early_minutes

    async def undo(self, code: str) -> None:
        await self._desk.undo_check_in(code)
