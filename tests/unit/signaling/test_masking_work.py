"""A long free text is masked on the masking thread, a short one at once on the loop (session 13's outside pass:
60 long resident lines at once held every socket of the process for 0.8 s while they were masked on the loop)."""

from __future__ import annotations

import threading

import pytest

from madoguchi.domain.privacy import mask_pii
from madoguchi.settings import Settings
from madoguchi.signaling import events as ev
from madoguchi.signaling.masking_work import OFF_LOOP_CHARS, MaskingWork, text_size


def _thread(_text: str) -> str:
    return threading.current_thread().name


async def test_a_long_text_goes_to_the_masking_thread_and_a_short_one_stays_on_the_loop() -> None:
    work = MaskingWork(min_chars=10)
    try:
        assert (await work.call(_thread, "x" * 10, 10)).startswith("masking")
        assert await work.call(_thread, "x" * 9, 9) == threading.current_thread().name
    finally:
        work.close()


async def test_an_event_read_on_the_masking_thread_is_masked_as_on_the_loop() -> None:
    text = "マイナンバーは 1234 5678 9018 です。" + "窓口は何時までですか。" * 20
    assert len(text) >= OFF_LOOP_CHARS
    payload = {"text": text, "client_id": "c-1"}
    work = MaskingWork()
    try:
        read = await work.call(ev.ResidentSay.model_validate, payload, text_size(payload))
    finally:
        work.close()
    expected = mask_pii(text)
    assert read.text == expected.text and "1234" not in read.text
    assert read.masked_count == expected.masked_count == 1 and read.masked_kinds == {"my_number"}


def test_text_size_counts_every_string_of_a_payload_without_recursion() -> None:
    assert text_size({"text": "abc", "n": 3, "items": ["de", {"f": "g"}], "t": ("hi",)}) == 8
    deep: object = "x"
    for _ in range(10_000):  # deeper than the interpreter's recursion limit
        deep = [deep]
    assert text_size({"a": deep}) == 1


def test_masking_work_refuses_no_worker() -> None:
    with pytest.raises(ValueError):
        MaskingWork(workers=0)


def test_one_address_sends_at_most_ten_lines_at_once_by_default() -> None:
    settings = Settings()
    assert settings.resident_line_burst_per_address == 10
    assert settings.resident_lines_per_address_per_minute // 2 > settings.resident_line_burst_per_address
