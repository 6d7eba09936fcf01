"""The booking form's one contact field becomes the e-mail's ``To``: it must name exactly one mailbox, so a
resident (or anyone) cannot have the town's mail server copy a booking e-mail to other or internal addresses
(red team, issue 9)."""

from __future__ import annotations

from email.utils import getaddresses

import pytest

from madoguchi.booking_desk import mail
from madoguchi.booking_desk.form_fields import contact
from madoguchi.booking_desk.refusals import DeskError


@pytest.mark.parametrize(
    "text",
    [
        "all-staff,me@example.jp",
        "all-staff;me@example.jp",
        "me@example.jp,all-staff",
        "<all-staff>me@example.jp",
        '"all-staff"me@example.jp',
        "all-staff:me@example.jp",
        "me@example.jp(x),all-staff",
        "me@[192.0.2.1]",
        "me@example.jp\\,all",
    ],
)
def test_a_contact_that_names_more_than_one_mailbox_is_refused(text: str) -> None:
    with pytest.raises(DeskError) as refused:
        contact(text)
    assert refused.value.code == "invalid"


@pytest.mark.parametrize(
    "text", ["taro.yamada+booking@example.jp", "ＴＡＲＯ@ｅｘａｍｐｌｅ.ｊｐ", "a_b-c@mail.example.co.jp"]
)
def test_an_ordinary_address_is_one_recipient(text: str) -> None:
    phone, email = contact(text)
    assert phone is None and email is not None
    message = mail.message(to=email, subject="s", body="b", ics="", code="12345678")
    assert len(getaddresses(message.get_all("To", []))) == 1
