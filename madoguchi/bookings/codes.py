"""Booking codes: digits a resident types on the kiosk's number pad or reads out on the phone.

New codes are twelve digits: eleven random digits and a Damm check digit (10^11 × 10/11 codes, see below). Codes
given out before session 13 are eight digits (seven random and the Damm digit) and stay valid until their day has
passed; the two are told apart by their length, and the Damm digit works for both. Why Damm: it catches every
single mistyped digit and every swap of two neighbours, so a typo is told apart from a wrong code without a
database lookup (and without spending the caller's lookup budget). Why twelve: docs/bookings.md, "The code space
and the odds".

Twelve digits are also the shape of a 個人番号 (My Number). About one body in eleven passes its check digit by
chance, and the chat's masking (``domain.privacy``) would then hide the code (「予約番号は ［個人番号］ です」) from
the staff it is read to. So a new code is drawn again while :func:`~madoguchi.domain.privacy.is_valid_my_number`
(the masker's own test) says it is one, and also while :func:`~madoguchi.domain.privacy.mask_pii` hides any of its
digits, written plain or grouped: measured over 20,000 codes, the 0.9 % that start with ``00`` were masked as a
phone number dialled abroad (「予約番号は ［電話番号］ です」). About 10 % of the draws are redrawn.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from madoguchi.domain.pii_digits import DAMM, damm
from madoguchi.domain.privacy import is_valid_my_number, mask_pii

__all__ = [
    "CODE_LENGTH",
    "CODE_LENGTHS",
    "DAMM",
    "OLD_CODE_LENGTH",
    "BookingCode",
    "damm",
    "grouped",
    "new_code",
    "normalise",
    "well_formed",
]

CODE_LENGTH: Final = 12
"""The length of every new code."""
OLD_CODE_LENGTH: Final = 8
"""The length of the codes given out before session 13: still looked up, checked in and cancelled."""
CODE_LENGTHS: Final = frozenset({OLD_CODE_LENGTH, CODE_LENGTH})

_TYPED: Final = str.maketrans("０１２３４５６７８９", "0123456789", " -‐ー　")


@dataclass(frozen=True, slots=True)
class BookingCode:
    """A well-formed booking code of either length: ASCII digits, 8 or 12 of them, with a right Damm digit."""

    digits: str

    def __post_init__(self) -> None:
        if not well_formed(self.digits):
            raise ValueError("not a booking code")

    @classmethod
    def parse(cls, text: str) -> BookingCode | None:
        """A code as people type it (full-width digits, spaces, hyphens); None for anything else, a typo too."""
        digits = normalise(text)
        return cls(digits) if well_formed(digits) else None

    @property
    def grouped(self) -> str:
        """In groups of four for reading aloud: ``1234 5678 9012`` (an old code ``1234 5678``)."""
        return grouped(self.digits)

    def __str__(self) -> str:
        return self.digits


def new_code(choice: Callable[[str], str] = secrets.choice) -> str:
    """A fresh 12-digit code that the masker would not take for a 個人番号, nor hide as anything else (``choice``
    draws one digit)."""
    while True:
        body = "".join(choice("0123456789") for _ in range(CODE_LENGTH - 1))
        code = body + str(damm(body))
        if not is_valid_my_number(code) and not _masked(code):
            return code


def _masked(code: str) -> bool:
    """Whether the chat's masking hides a digit of the code, written plain or in groups of four."""
    return any(mask_pii(shown).text != shown for shown in (code, grouped(code)))


def normalise(text: str) -> str:
    """Digits only (full-width digits, spaces and hyphens as people type them are accepted)."""
    return text.translate(_TYPED)


def well_formed(code: str) -> bool:
    return len(code) in CODE_LENGTHS and code.isascii() and code.isdigit() and damm(code) == 0


def grouped(code: str) -> str:
    """Digits in groups of four, as every screen, mail and calendar file shows a code; anything else unchanged."""
    if not (code.isascii() and code.isdigit() and len(code) in CODE_LENGTHS):
        return code
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
