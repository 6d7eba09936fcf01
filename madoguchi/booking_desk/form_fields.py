"""The name and contact a resident types into a booking, as the desk keeps them or refuses them.

Apart from the desk's operations because they are pure text rules (no clock, store or mail), tested on their
own: a foreign resident's Latin name, a full-width phone number, an e-mail that could not name more recipients.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from madoguchi.booking_desk.refusals import DeskError
from madoguchi.domain.pii_fields import holds_any_personal_number

KANA: Final = re.compile(r"[\u30a1-\u30fa\u30fc\u30fb ]{1,40}")
_LATIN: Final = r"A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
LATIN_NAME: Final = re.compile(rf"(?=.*[{_LATIN}])[{_LATIN} .'\-]{{1,40}}")
"""A name in Latin letters (accents too) with spaces, hyphen, apostrophe, dot: a foreign resident's "Maria Santos".
No digit anywhere, so a personal number or a phone number typed into the name field is still refused."""
PHONE: Final = re.compile(r"\+?[0-9()\- ]{10,20}")
"""The characters a phone number is written with; :func:`japanese_phone` says whether its digits are one."""
# One mailbox, as a dot-atom: no comma, semicolon, angle bracket, quote, colon or comment that would let the
# contact field name further recipients (or an internal list) in the booking e-mail's To header.
EMAIL: Final = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def kana(text: str) -> str:
    """A name as people type it: in kana (hiragana, half-width, either space), kept as full-width katakana, or in
    Latin letters (full-width ones made plain), kept as typed. Why both: a foreign resident may not write their
    name in kana, and refusing "Maria Santos" turned them away (#14); the staff read either aloud at the desk."""
    normal = unicodedata.normalize("NFKC", text).replace("\u3000", " ").strip()
    normal = re.sub(r" +", " ", normal)
    katakana = "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in normal)
    if KANA.fullmatch(katakana):
        return katakana
    if LATIN_NAME.fullmatch(normal):
        return normal
    raise DeskError(
        "invalid", "write the name in kana (ひらがな or カタカナ) or Latin letters, no digits, up to 40 characters"
    )


DASHES: Final = "‐‑‒–—―−ー"
"""Dashes people type between a phone number's groups (the minus sign, the katakana long-vowel mark an IME gives):
read as a hyphen."""


def japanese_phone(value: str) -> bool:
    """A Japanese phone number as people write it (NFKC-normalised; spaces, hyphens, parentheses between the
    digits): 10 or 11 digits starting with 0 and not 00 (``090-1234-5678``, ``03-1234-5678``), or ``+81`` and the
    same number without its 0, 9 or 10 digits (``+81 90 1234 5678``). Anything else is no phone number the desk
    can call: twelve digits (a 個人番号 typed into the wrong field, session 11), a foreign number, a short one."""
    if not PHONE.fullmatch(value):
        return False
    digits = "".join(ch for ch in value if ch.isdigit())
    if value.startswith("+"):
        return digits.startswith("81") and len(digits) in (11, 12) and digits[2] != "0"
    return len(digits) in (10, 11) and digits[0] == "0" and digits[1] != "0"


_HYPHEN: Final = str.maketrans(dict.fromkeys(DASHES, "-"))


def contact(text: str | None) -> tuple[str | None, str | None]:
    """(phone, e-mail) from the one optional contact field. A 個人番号 in any form is refused without repeating it."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        return None, None
    phone = value.translate(_HYPHEN)
    if japanese_phone(phone):  # first: a real ``+81 90 …`` is twelve digits that pass the check one time in eleven
        return phone, None
    if holds_any_personal_number(value):
        raise DeskError("personal_number")  # its sentence names no digit: nothing to log or echo
    if EMAIL.fullmatch(value) and len(value) <= 254 and len(value.split("@", 1)[0]) <= 64:
        return None, value
    raise DeskError(
        "invalid",
        "the contact must be a Japanese phone number (10 or 11 digits starting with 0, or +81 and 9 or 10 digits)"
        " or an e-mail address",
    )
