"""A personal number sent in pieces over several chat lines is masked in every piece (``domain.pii_lines``)."""

from __future__ import annotations

from madoguchi.domain.pii_lines import PIECE_LINES, mask_across_lines
from madoguchi.domain.privacy import MY_NUMBER_MASK, PHONE_MASK, digits_of, mask_pii


def test_a_my_number_in_three_lines_is_masked_in_all_three() -> None:
    earlier: list[str] = []
    for piece in ("私のマイナンバーは 1234", "5678"):
        earlier, text = mask_across_lines(earlier, piece)
        earlier.append(text)
    assert earlier == ["私のマイナンバーは 1234", "5678"]  # no piece alone, nor two, is a number yet
    earlier, text = mask_across_lines(earlier, "9018")
    assert earlier == [f"私のマイナンバーは {MY_NUMBER_MASK}", MY_NUMBER_MASK] and text == MY_NUMBER_MASK


def test_a_phone_in_two_lines_and_lines_before_it_untouched() -> None:
    earlier, text = mask_across_lines(["予約は 12月8日 10:30", "電話は 090-1234"], "-5678 です")
    assert earlier[0] == "予約は 12月8日 10:30"
    assert PHONE_MASK in earlier[1] and digits_of(earlier[1]) == "" and text == f"-{PHONE_MASK} です"


def test_a_cue_word_in_the_line_before_counts() -> None:
    earlier, text = mask_across_lines(["マイナンバーを 言います"], "123456789012")  # wrong check digit
    assert text == MY_NUMBER_MASK and earlier == ["マイナンバーを 言います"]


def test_ordinary_lines_stay_as_written() -> None:
    lines = ["3階の 301号室です", "2026年12月8日 10:30 に", "手数料は 300円"]
    assert mask_across_lines(lines[:2], lines[2]) == (lines[:2], lines[2])
    assert mask_across_lines(["1234"], "はい") == (["1234"], "はい")


def written(lines: list[str]) -> list[str]:
    """The lines as stored one after the other, each read with the last :data:`PIECE_LINES` stored before it
    (as ``storage/records.py`` reads them)."""
    stored: list[str] = []
    for line in lines:
        head, tail = stored[: max(0, len(stored) - PIECE_LINES)], stored[-PIECE_LINES:]
        tail, text = mask_across_lines(tail, line)
        stored = [*head, *tail, text]
    return stored


def test_pieces_with_words_between_them_are_one_number() -> None:
    """Session 21: four lines of words between the pieces; only the last three lines were read together."""
    assert written(["9876 5432", "ちなみに", "わたしの", "番号の", "つづき", "1093"]) == [
        MY_NUMBER_MASK,
        "ちなみに",
        "わたしの",
        "番号の",
        "つづき",
        MY_NUMBER_MASK,
    ]
    assert written(["987", "はい", "654", "ええと", "321", "つぎは", "ちなみに 093"]) == [
        MY_NUMBER_MASK,
        "はい",
        MY_NUMBER_MASK,
        "ええと",
        MY_NUMBER_MASK,
        "つぎは",
        f"ちなみに {MY_NUMBER_MASK}",
    ]


def test_pieces_need_twelve_digits_with_the_check_digit_and_nothing_counted_between() -> None:
    for lines in (
        ["9876 5432", "ちなみに", "1094"],  # wrong check digit
        ["9876 5432", "3階の 301号室です", "1093"],  # a counted thing between: the chain ends there
        ["9876 5432", "12月8日に", "1093"],  # a date between
        ["9876 5432", "わたしの ばんごう とは ちがう 7 ですが", "1093"],  # digits among many words: no piece
        ["9876 54321", "1093"],  # thirteen digits
    ):
        assert written(lines) == lines, lines


def test_pieces_further_back_than_the_window_are_not_read() -> None:
    lines = ["9876 5432", *(["はい"] * PIECE_LINES), "1093"]
    assert written(lines) == lines
    lines = ["9876 5432", *(["はい"] * (PIECE_LINES - 1)), "1093"]
    assert written(lines)[0] == MY_NUMBER_MASK


def test_plus_and_x_between_the_groups_of_one_line() -> None:
    for text in ("9876+5432+1093", "9876x5432x1093", "9876×5432×1093", "９８７６＋５４３２＋１０９３"):
        assert mask_pii(text).text == MY_NUMBER_MASK, text
    for text in ("1920x1080", "1+1=2", "100x200"):
        assert mask_pii(text).text == text
    assert written(["9876+5432", "1093"]) == [MY_NUMBER_MASK, MY_NUMBER_MASK]
    # a "+" after a space still starts a number dialled abroad: two phone numbers, not one list of twenty digits
    assert mask_pii("03-1234-5678 +81-3-1234-5678").text == f"{PHONE_MASK} {PHONE_MASK}"


def test_numbered_lines_are_no_number_in_parts() -> None:
    """「職員003」…「職員006」: the digits in order make 003004005006, a valid 個人番号, but lines that all carry
    the same words around a count are a numbered series (the kiosk's resume test lost its lines to the mask)."""
    lines = [f"職員{n:03d}" for n in range(3, 7)]
    assert written(lines) == lines
    assert written([f"msg {n:03d}" for n in range(3, 7)]) == [f"msg {n:03d}" for n in range(3, 7)]
    # bare pieces, or pieces with different words, are still one number
    assert written(["003", "004", "005", "006"]) == [MY_NUMBER_MASK] * 4
    assert written(["番号は 003", "004", "つづき 005", "006"])[-1] == MY_NUMBER_MASK


def test_pieces_each_ended_with_a_word_are_one_number() -> None:
    """Session 11's outside attack: 「1234です」, 「5678です」, 「9018です」 were taken for a numbered series (the same
    words on every line) and stored whole. です, だよ, と, 、 end or join a piece; they are no label."""
    for ending in ("です", "だよ", "です。", "と", "、", "だね", " です"):
        lines = [f"1234{ending}", f"5678{ending}", f"9018{ending}"]
        assert written(lines) == [f"{MY_NUMBER_MASK}{ending}"] * 3, lines
    assert written(["1234と", "5678と", "9018です"]) == [f"{MY_NUMBER_MASK}と"] * 2 + [f"{MY_NUMBER_MASK}です"]


def test_a_corrected_last_group_is_read_in_place_of_the_one_it_corrects() -> None:
    """「番号は 1234 5678」, 「9017」, then 「9018」: the resident retyped the last group. Every line is masked, the
    mistyped group's too (eleven of its twelve digits are the number)."""
    assert written(["番号は 1234 5678", "9017", "9018"]) == [f"番号は {MY_NUMBER_MASK}", MY_NUMBER_MASK, MY_NUMBER_MASK]
    assert written(["1234 5678 9017", "9018"]) == [MY_NUMBER_MASK, MY_NUMBER_MASK]
    assert written(["1234", "5678", "9017", "まちがえました", "9018です"]) == [
        MY_NUMBER_MASK,
        MY_NUMBER_MASK,
        MY_NUMBER_MASK,
        "まちがえました",
        f"{MY_NUMBER_MASK}です",
    ]
    # a correction of another length is no correction, and a wrong check digit stays wrong
    for lines in (["1234 5678 9017", "901"], ["1234 5678 9017", "9019"], ["1234です", "5678です", "9017です"]):
        assert written(lines) == lines, lines


def test_lists_times_amounts_and_series_stay_as_written() -> None:
    for lines in (
        ["1.", "2.", "3."],
        ["1. 申請書", "2. 本人確認書類", "3. 印鑑"],
        ["10:30です", "11:00です", "12:00です"],
        ["300円です", "400円です", "500円です"],
        ["職員003です", "職員004です", "職員005です", "職員006です"],
        [f"職員{n:03d}" for n in range(3, 7)],
    ):
        assert written(lines) == lines, lines
