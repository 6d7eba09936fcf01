"""The digit groups a cross-line masking took out of chat lines, masked in texts written from the lines before
(the handoff summary's ``need``, the triage's ``masked_text``)."""

from __future__ import annotations

from madoguchi.domain.pii_lines import (
    SUMMARY_TEXTS,
    TRIAGE_TEXTS,
    mask_across_lines,
    mask_groups_in,
    mask_record_texts,
    masked_pieces,
)
from madoguchi.domain.privacy import MY_NUMBER_MASK

EARLIER = ["職員と話したいです。マイナンバーは1234", "5678"]
LAST = "9018"


def groups() -> dict[str, str]:
    masked, last = mask_across_lines(EARLIER, LAST)
    return masked_pieces([*zip(EARLIER, masked, strict=True), (LAST, last)])


def test_the_masked_groups_are_the_pieces_with_their_token() -> None:
    assert groups() == {"1234": MY_NUMBER_MASK, "5678": MY_NUMBER_MASK, "9018": MY_NUMBER_MASK}


def test_groups_a_masked_line_still_holds_are_none() -> None:
    before, after = "次の4桁は5678です。", f"次の4桁は{MY_NUMBER_MASK}です。"
    assert masked_pieces([(before, after)]) == {"5678": MY_NUMBER_MASK}
    assert masked_pieces([("1234", "1234")]) == {}


def test_a_group_is_masked_where_it_stands_alone_not_inside_a_longer_run() -> None:
    text = "マイナンバーは1234、電話は0997-00-1234、番号 51234"
    assert mask_groups_in(text, {"1234": MY_NUMBER_MASK}) == (
        f"マイナンバーは{MY_NUMBER_MASK}、電話は0997-00-{MY_NUMBER_MASK}、番号 51234"
    )


def test_the_summary_and_triage_texts_are_masked_and_the_rest_kept() -> None:
    summary = {
        "need": "「その他」について: 職員と話したいです。マイナンバーは1234",
        "also_asked": ["5678 のこと"],
        "gist": "",
        "bot_said": ["代表 0997-00-1234"],
        "route": "general_inquiry",
    }
    masked = mask_record_texts(summary, SUMMARY_TEXTS, groups())
    assert masked["need"].endswith(f"マイナンバーは{MY_NUMBER_MASK}")
    assert masked["also_asked"] == [f"{MY_NUMBER_MASK} のこと"]
    assert masked["bot_said"] == ["代表 0997-00-1234"]  # the bot's words are not the resident's
    triage = {"masked_text": "マイナンバーは1234", "confidence": 0.5}
    assert mask_record_texts(triage, TRIAGE_TEXTS, groups()) == {
        "masked_text": f"マイナンバーは{MY_NUMBER_MASK}",
        "confidence": 0.5,
    }


def test_an_unchanged_record_is_the_same_object() -> None:
    summary = {"need": "住民票がほしい"}
    assert mask_record_texts(summary, SUMMARY_TEXTS, groups()) is summary
    assert mask_record_texts(None, SUMMARY_TEXTS, groups()) is None
