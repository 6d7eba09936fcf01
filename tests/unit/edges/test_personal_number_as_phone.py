"""A 個人番号 typed where a phone number goes (the call-back's number, a booking's contact) is refused, with the
chat's sentence about personal numbers and no digit in the answer (session 11: 「+123456789018」 and
「1234 5678 9018」 were kept as phone numbers, unmasked on purpose). The forms' own check (bookinput.js, used by the
call-back panel and both booking forms) agrees with the server's, less the cue-word reading."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from madoguchi.booking_desk.form_fields import contact
from madoguchi.booking_desk.refusals import DeskError
from madoguchi.domain.privacy import PERSONAL_NUMBER_REFUSAL, holds_personal_number, my_number_check_digit
from madoguchi.signaling import events as ev

JS = Path(__file__).resolve().parents[3] / "madoguchi" / "static" / "js" / "bookinput.js"


def my_number(first_eleven: str) -> str:
    return first_eleven + str(my_number_check_digit(first_eleven))


VALID = my_number("12345678901")  # 123456789018
WRONG = VALID[:11] + str((int(VALID[11]) + 1) % 10)
MY_NUMBERS = [
    f"{VALID[:4]} {VALID[4:8]} {VALID[8:]}",
    "".join(chr(0xFF10 + int(d)) for d in VALID),
    f"({VALID[:4]}) {VALID[4:8]} {VALID[8:]}",
    "+81 " + VALID,
]
PHONES = [
    "090-1234-5678",
    "０９０１２３４５６７８",
    "0997-12-3456",
    "+81 90 1234 5678",
    "+81 90 1234 5673",  # 819012345673 passes the 個人番号 check: +81 and ten digits is read as the phone
    "+" + WRONG,  # twelve digits, the wrong check digit: a number dialled abroad
    "+63 917 123 4567",
    "+1 415 555 0100",
    "+82 10 1234 5600",  # a Korean mobile whose twelve digits pass the 個人番号 check (one in eleven do)
    "+63 917 123 4507",  # a Philippine one, the same
]
PLUS_TWELVE = ["+" + VALID, "＋" + VALID, f"+{VALID[:4]}-{VALID[4:8]}-{VALID[8:]}"]
"""A 個人番号 typed after a '+' reads as a number dialled abroad in the call-back box (refusing the real ones that
pass the check by chance would be worse); the booking's contact takes Japanese numbers only and refuses it."""


@pytest.mark.parametrize("typed", MY_NUMBERS)
def test_a_personal_number_is_no_phone_number(typed: str) -> None:
    assert holds_personal_number(typed)
    with pytest.raises(ValidationError) as refused:
        ev.CallbackRequest.model_validate({"consultation_id": "c" * 8, "phone": typed})
    [error] = refused.value.errors()
    assert error["type"] == ev.PERSONAL_NUMBER and error["msg"] == PERSONAL_NUMBER_REFUSAL
    with pytest.raises(DeskError) as desk:
        contact(typed)
    assert desk.value.code == "personal_number"
    for message in (PERSONAL_NUMBER_REFUSAL, str(desk.value)):
        assert not any(ch.isdigit() for ch in message)


@pytest.mark.parametrize("typed", PHONES)
def test_phone_numbers_are_still_taken(typed: str) -> None:
    """Not read as a 個人番号 (the call-back box takes them); a booking's contact takes Japanese numbers only
    (tests/unit/edges/test_booking_contact_phone.py)."""
    assert not holds_personal_number(typed)
    ev.CallbackRequest.model_validate({"consultation_id": "c" * 8, "phone": typed})
    if not typed.startswith("+") or typed.startswith("+81"):
        assert contact(typed)[0] is not None


@pytest.mark.parametrize("typed", PLUS_TWELVE)
def test_twelve_digits_after_a_plus_are_a_call_back_number_but_no_booking_contact(typed: str) -> None:
    assert not holds_personal_number(typed)
    ev.CallbackRequest.model_validate({"consultation_id": "c" * 8, "phone": typed})
    with pytest.raises(DeskError) as desk:
        contact(typed)
    assert desk.value.code == "personal_number"


def test_a_callback_number_with_a_cue_word_is_refused_as_one() -> None:
    assert holds_personal_number(f"マイナンバー {VALID[:4]} {VALID[4:8]} {VALID[8:]}")


def test_the_forms_check_agrees_with_the_server() -> None:
    cases = [*MY_NUMBERS, *PHONES, *PLUS_TWELVE]
    script = (
        f"import({json.dumps(JS.as_uri())}).then(m => console.log(JSON.stringify("
        f"{json.dumps(cases)}.map(t => m.holdsPersonalNumber(t)))))"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [True] * len(MY_NUMBERS) + [False] * (len(PHONES) + len(PLUS_TWELVE))
