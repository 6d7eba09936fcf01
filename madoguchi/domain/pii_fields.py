"""A 個人番号 typed where a name or an id belongs: a staff username, a display name, a booth or place name, a
resident's ``client_id``, a booking's contact (session 11's outside attack: ``123456789018`` was taken as a staff
username and then listed in every export; a ``client_id`` of twelve such digits was stored).

Such fields are refused, not masked: they are identifiers, and a masked identifier would be a different one. The
refusal never repeats the value (it would be logged and shown). Pure: callers turn ``True`` into their own error.
"""

from __future__ import annotations

from madoguchi.domain.pii_digits import digits_of, is_valid_my_number
from madoguchi.domain.privacy import mask_pii, plus_81_my_number

MY_NUMBER_REFUSAL = "this looks like a personal number (個人番号, My Number); it must not be used here"
"""The one sentence every such refusal carries (no value in it)."""


def holds_my_number(text: str) -> bool:
    """Whether ``text`` holds a 個人番号 in any form: all its digits (any width or script, kanji numerals included)
    are twelve with the right check digit (``taro123456789018``, ``1234-5678-9018``), or the masker finds one in it
    (with a cue word, split by words or symbols)."""
    if len(digits_of(text)) < 11:
        return False
    return is_valid_my_number(text) or "my_number" in mask_pii(text).kinds


def holds_any_personal_number(text: str) -> bool:
    """Whether ``text`` is refused by either check above (:func:`holds_my_number` or
    :func:`~madoguchi.domain.privacy.holds_personal_number`), read once and masked once: its digits are twelve
    with the right check digit, or ``+81`` and such twelve, or the masker finds one in it. A booking's contact
    (a phone number or an e-mail address) is checked so: a field that is both an identifier and a phone number."""
    digits = digits_of(text)
    return is_valid_my_number(digits) or plus_81_my_number(text, digits) or "my_number" in mask_pii(text).kinds
