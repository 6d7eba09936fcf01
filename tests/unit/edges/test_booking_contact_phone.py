"""The booking's contact as a phone number: a Japanese one only (10 or 11 digits starting with 0, or +81 and 9 or 10
digits without the 0), and never a 個人番号 in any form (session 11's outside attack: ``1234-5678-9018`` was taken
as a contact and stored). The refusal does not repeat the number. The forms' own check (static/js/bookinput.js, the
phone page and the console) agrees with the server's on every case here."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from madoguchi.booking_desk.form_fields import contact
from madoguchi.booking_desk.refusals import DeskError

JS = Path(__file__).resolve().parents[3] / "madoguchi" / "static" / "js" / "bookinput.js"

PHONES = [
    "090-1234-5678",
    "09012345678",
    "０９０−１２３４−５６７８",  # the minus sign
    "０９０ー１２３４ー５６７８",  # the long-vowel mark an IME gives for a hyphen
    "03-1234-5678",
    "0312345678",
    "(03) 1234-5678",
    "0120-123-456",
    "+81 90 1234 5678",
    "+81-3-1234-5678",
    "+819012345678",
    "+81 90 1234 5673",  # its twelve digits 819012345673 pass the 個人番号 check: a phone all the same
]
EMAILS = ["hanako@example.jp", "taro.yamada+booking@example.jp"]
NOT_PHONES = [
    "090-12",
    "12345678901",  # 11 digits, no leading 0
    "1234567890",
    "0012345678",  # 00: dialling abroad, no Japanese number
    "090123456789",  # 12 digits (and not a 個人番号)
    "+81 090 1234 5678",  # +81 and the 0 again
    "+1 202 555 0100",
    "+44 20 7946 0958",
    "+81 3 1234",
    "not a contact",
]
MY_NUMBERS = [
    "1234-5678-9018",
    "123456789018",
    "１２３４５６７８９０１８",
    "1234 5678 9018",
    "(1234) 5678-9018",
    "+1234 5678 9018",
    "123456789018@example.jp",
]


@pytest.mark.parametrize("text", PHONES)
def test_a_japanese_phone_number_is_taken(text: str) -> None:
    phone, email = contact(text)
    assert phone is not None and email is None


@pytest.mark.parametrize("text", NOT_PHONES)
def test_anything_else_is_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(DeskError) as refused:
        contact(text)
    assert refused.value.code == "invalid" and "Japanese phone number" in str(refused.value)


@pytest.mark.parametrize("text", MY_NUMBERS)
def test_a_personal_number_is_refused_without_being_repeated(text: str) -> None:
    with pytest.raises(DeskError) as refused:
        contact(text)
    message = str(refused.value)
    assert refused.value.code == "personal_number" and "個人番号" in message
    assert not any(group in message for group in ("1234", "5678", "9018", "１２３４"))


def test_the_forms_check_agrees_with_the_server() -> None:
    cases = [*PHONES, *EMAILS, "", *NOT_PHONES, *MY_NUMBERS]
    script = (
        f"import({json.dumps(JS.as_uri())}).then(m => console.log(JSON.stringify("
        f"{json.dumps(cases)}.map(t => m.contactProblem(t)))))"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    expected = [None] * (len(PHONES) + len(EMAILS) + 1) + ["contact"] * len(NOT_PHONES)
    expected += ["my_number"] * len(MY_NUMBERS)
    assert json.loads(out.stdout) == expected


@pytest.mark.parametrize(
    "text", [*EMAILS, *NOT_PHONES, *MY_NUMBERS, "+81 1234 5678 9018", "マイナンバー 1234 5678 9018"]
)
def test_a_contact_is_checked_for_a_personal_number_in_one_pass(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One check, one masking pass: the contact was read by two twin checks that each masked it (two passes for
    twelve digits with a wrong check digit); the answer is the same as both together."""
    from madoguchi.domain import pii_fields, privacy

    passes: list[str] = []
    real = privacy.mask_pii

    def counted(value: str) -> privacy.MaskResult:
        passes.append(value)
        return real(value)

    monkeypatch.setattr(privacy, "mask_pii", counted)
    monkeypatch.setattr(pii_fields, "mask_pii", counted)
    either = privacy.holds_personal_number(text) or pii_fields.holds_my_number(text)
    passes.clear()
    try:
        contact(text)
        refused = None
    except DeskError as error:
        refused = error.code
    assert len(passes) <= 1
    assert (refused == "personal_number") == either
