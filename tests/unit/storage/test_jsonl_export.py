"""``madoguchi records export --format jsonl``: one record is one line for every line reader, whatever a resident
typed between the digits of a number (U+2028, U+2029 and NEL are line breaks to ``splitlines``)."""

from __future__ import annotations

import json

import pytest

from madoguchi.admin.records import jsonl_line


@pytest.mark.parametrize("typed", ["1234\u20285678", "1234\u20295678", "1234\x855678", "改行\nと\tタブ", "ふつう"])
def test_a_record_is_one_line_and_reads_back_the_same(typed: str) -> None:
    row = {"note": typed, "consultation_id": "c_1"}
    line = jsonl_line(row)
    assert line.endswith("\n") and len(line.splitlines()) == 1
    assert json.loads(line) == row
