"""A 個人番号 in a name or an id (``domain/pii_fields.py``) and in a socket event's ``client_id``: refused in any form
(session 11: ``123456789018`` was taken as a staff username and as a ``client_id``), without repeating it; the random
keys the pages and the media peer make are never refused by chance."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from madoguchi.domain.pii_fields import holds_my_number
from madoguchi.signaling.events import ChatSend

HOLDING = [
    "123456789018",
    "１２３４５６７８９０１８",
    "1234-5678-9018",
    "1234_5678_9018",
    "taro123456789018",
    "taro.1234.5678.9018",
    "佐藤 1234:5678:9018",
    "マイナンバー 12345678901",  # a cue word: eleven digits are one too
    "一二三四五六七八九〇一八",
]
NOT_HOLDING = ["yamada", "tanaka2", "booth-3", "123456789017", "090-1234-5678", "山田 一郎", "ブース 12", "2026-12-08"]


@pytest.mark.parametrize("text", HOLDING)
def test_a_personal_number_in_any_form_is_found(text: str) -> None:
    assert holds_my_number(text)


@pytest.mark.parametrize("text", NOT_HOLDING)
def test_names_and_other_numbers_are_not(text: str) -> None:
    assert not holds_my_number(text)


@pytest.mark.parametrize("client_id", ["123456789018", "1234-5678-9018", "id_123456789018", "abc123456789018"])
def test_a_client_id_holding_one_is_refused_without_repeating_it(client_id: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ChatSend.model_validate({"consultation_id": "c1", "text": "はい", "client_id": client_id})
    [error] = refused.value.errors()
    assert error["loc"] == ("client_id",) and "personal number" in error["msg"] and "5678" not in error["msg"]


def test_generated_keys_are_never_refused() -> None:
    for make in (lambda: secrets.token_hex(16), lambda: secrets.token_hex(12)):
        for _ in range(3000):
            ChatSend.model_validate({"consultation_id": "c1", "text": "はい", "client_id": make()})
    # one that happens to hold twelve digits with a right check digit
    ChatSend.model_validate({"consultation_id": "c1", "text": "はい", "client_id": "ab123456789018cd"})
