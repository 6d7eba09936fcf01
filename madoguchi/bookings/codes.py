"""Booking codes: eight digits a resident types on the kiosk's number pad or reads out on the phone.

Seven random digits and a Damm check digit. Why Damm: it catches every single mistyped digit and every swap
of two neighbours, so a typo is told apart from a wrong code without a database lookup (and without spending
the caller's lookup budget). Ten million codes: the guess odds under the limits of ``booking_desk.guesses`` are in
docs/bookings.md, "Guessing codes" (slow, but longer codes are what would make guessing hopeless).
"""

from __future__ import annotations

import secrets
from typing import Final

CODE_LENGTH: Final = 8

DAMM: Final = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
"""The totally anti-symmetric quasigroup of order 10 (Damm, 2004)."""


def damm(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = DAMM[interim][int(digit)]
    return interim


def new_code() -> str:
    body = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH - 1))
    return body + str(damm(body))


def normalise(text: str) -> str:
    """Digits only (full-width digits, spaces and hyphens as people type them are accepted)."""
    table = str.maketrans("０１２３４５６７８９", "0123456789", " -‐ー　")
    return text.translate(table)


def well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and code.isascii() and code.isdigit() and damm(code) == 0
