"""A phone number said in groups with filler between them (session 15's outside attack): the
chat lines 「電話は」, 「090」, 「1234」, 「えっと」, 「5678」 were stored as written (a 個人番号 sent so
was masked: its pieces are looked for among the last ten lines, a phone only among the last three read
as one text), and so was the one line 「090 えっと 1234-5678」. Now groups apart that make a phone number
together (0, nine or ten more digits, the last group of four: ``pii_runs.phone_shaped``) are one, within
a line and over lines; prices, dates, times, counts and booking codes stay readable."""

from __future__ import annotations

import pytest

from madoguchi.domain.pii_lines import PIECE_LINES, mask_across_lines
from madoguchi.domain.privacy import PHONE_MASK, digits_of, mask_pii


def stored(lines: list[str]) -> list[str]:
    """The lines as ``storage.records.add_chat_line`` keeps them: each masked on its own at the edge, then read
    with the sender's last :data:`PIECE_LINES` stored lines."""
    kept: list[str] = []
    for line in lines:
        head, tail = kept[: max(0, len(kept) - PIECE_LINES)], kept[-PIECE_LINES:]
        tail, text = mask_across_lines(tail, mask_pii(line).text)
        kept = [*head, *tail, text]
    return kept


@pytest.mark.parametrize(
    "lines",
    [
        ["職員と話したい。電話は", "090", "1234", "えっと", "5678"],
        ["職員と話したい。電話は", "090", "1234", "すみません", "ちょっと待ってください", "5678"],
        ["090", "えっと", "1234", "えっと", "5678"],
        ["090", "1234", "あの", "すみません", "ちょっと待ってください", "5678"],
        ["03", "えーと", "1234", "5678"],
        ["０９０", "えっと", "１２３４－５６７８"],
    ],
)
def test_a_phone_number_over_lines_with_fillers_is_masked_in_every_piece(lines: list[str]) -> None:
    kept = stored(lines)
    assert "".join(digits_of(line) for line in kept) == "", kept
    assert PHONE_MASK in kept[-1]
    assert [line for line in kept if not digits_of(line) and PHONE_MASK not in line] == [
        line for line in lines if not digits_of(line)
    ]  # the fillers stay as written


@pytest.mark.parametrize(
    "text",
    [
        "090 えっと 1234-5678",
        "090 えっと 1234 えっと 5678",
        "０９０、あの、１２３４ ５６７８",
        "携帯は 080 ですけど 1234-5678 です",
        "03 ええと 1234 5678",
    ],
)
def test_a_phone_number_with_filler_words_in_one_line_is_masked(text: str) -> None:
    result = mask_pii(text)
    assert digits_of(result.text) == "" and result.kinds == ("phone",), result.text


@pytest.mark.parametrize(
    "lines",
    [
        ["予約は 12月8日", "えっと", "10:30 です"],
        ["手数料は 300円", "えっと", "2部で 600円"],
        ["予約番号は", "1234 5678", "えっと", "9012"],
        ["3人です", "えっと", "1234"],
        ["0", "えっと", "1234"],
        ["2026-12-07", "えっと", "1030"],
    ],
)
def test_prices_dates_times_counts_and_codes_over_lines_stay(lines: list[str]) -> None:
    assert stored(lines) == [mask_pii(line).text for line in lines]


@pytest.mark.parametrize(
    "text",
    [
        "0 えっと 1234",
        "予約は 12月8日 えっと 10:30",
        "300円 えっと 1234-5678",
        "2026-12-07 えっと 12:30",
        "予約番号 1234 5678 えっと 9012",
        "090 は 2026年12月7日 1234-5678",  # a date between: no filler
    ],
)
def test_prices_dates_times_and_codes_with_filler_in_one_line_stay(text: str) -> None:
    assert mask_pii(text).text == text


def test_a_number_dialled_abroad_with_filler_is_masked_with_its_plus() -> None:
    assert mask_pii("+81 90 えっと 1234 5678 です").text == f"{PHONE_MASK} です"


def test_phone_numbers_one_after_another_are_each_masked() -> None:
    """A number may end inside a run that goes on (「…5678 090 えっと…」): the reading goes on from there."""
    result = mask_pii("090 えっと 1234-5678 090 えっと 1234-5678 と 自宅 03 えっと 1234 5678")
    assert result.kinds == ("phone", "phone", "phone") and digits_of(result.text) == ""
