"""Excel exports: headers for every field, local times, a BOM, no formulas from resident text, XLSX that opens."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

import madoguchi
from madoguchi.domain.languages import LANGUAGE_CODES
from madoguchi.domain.outcomes import Outcome
from madoguchi.reports.kpis import JST
from madoguchi.storage.exports import EXPORT_FIELDS
from madoguchi.storage.models import SENDERS
from madoguchi.storage.spreadsheets import (
    HEADERS,
    SENDER_NAMES,
    STATE_BY_OUTCOME,
    VALUE_NAMES,
    ExportOptions,
    csv_cell,
    csv_chunks,
    header_row,
    write_xlsx,
)


def a_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {name: None for name in EXPORT_FIELDS}
    row.update(
        consultation_id="c1",
        municipality_id="shiomi",
        channel="booth",
        route="tax",
        language="ja",
        urgent=False,
        state="closed",
        requested_at="2026-11-30T15:10:00+00:00",  # 00:10 on 1 Dec in Japan
        answered_at="2026-11-30T15:11:30.250000+00:00",
        waited_s=90.25,
        note='=HYPERLINK("http://x.example")',
        summary={"need": "住民票がほしい", "flags": ["職員との会話を希望"], "route": "tax", "bot_said": []},
        transcript=[{"seq": 1, "sender": "resident", "text": "-1+2"}],
    )
    row.update(changes)
    return row


async def _rows(*rows: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    for row in rows:
        yield row


def test_every_field_has_a_japanese_header() -> None:
    for language, names in HEADERS.items():
        assert set(names) == set(EXPORT_FIELDS), language
        assert all(names.values()), language
    assert header_row("keys") == list(EXPORT_FIELDS)
    assert header_row("ja")[0] == "相談ID"
    # session 15: 担当職員 is the name /reports shows, the login name has its own column right after it
    names = dict(zip(EXPORT_FIELDS, header_row("ja"), strict=True))
    assert (names["agent_name"], names["agent_username"]) == ("担当職員", "担当職員のログイン名")
    assert header_row("ja").index("担当職員") + 1 == header_row("ja").index("担当職員のログイン名")


def test_without_a_zone_cells_stay_as_the_cli_always_wrote_them() -> None:
    options = ExportOptions()

    assert csv_cell("requested_at", "2026-11-30T15:10:00+00:00", options) == "2026-11-30T15:10:00+00:00"
    assert csv_cell("urgent", True, options) == "true"
    assert csv_cell("note", "=1+1", options) == "=1+1"
    assert csv_cell("offered_at", None, options) == ""


def test_local_times_cross_midnight_into_the_japanese_day() -> None:
    options = ExportOptions(zone=JST)

    assert csv_cell("requested_at", "2026-11-30T15:10:00+00:00", options) == "2026-12-01 00:10:00"


async def test_excel_csv_has_a_bom_japanese_headers_and_no_formulas() -> None:
    options = ExportOptions(zone=JST, headers="ja", bom=True, formula_guard=True)

    data = b"".join([chunk async for chunk in csv_chunks(_rows(a_row()), options)])

    assert data.startswith("\ufeff".encode())
    [header, row] = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    cells = dict(zip(header, row, strict=True))
    assert cells["受付日時"] == "2026-12-01 00:10:00"
    assert cells["応答日時"] == "2026-12-01 00:11:30"
    assert cells["待ち時間（秒）"] == "90.25"
    assert cells["メモ"] == '\'=HYPERLINK("http://x.example")'
    assert cells["やりとり"] == "[1] 住民: -1+2"  # the transcript starts with its "[1]", not the text
    assert cells["要約"] == "用件: 住民票がほしい\n注意: 職員との会話を希望"  # read by people, not JSON


def test_xlsx_opens_with_dates_numbers_and_text() -> None:
    target = io.BytesIO()

    write_xlsx([a_row(), a_row(consultation_id="c2", note="@SUM(A1)\x07")], target, zone=JST, headers="ja")

    target.seek(0)
    sheet = load_workbook(target).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:2] == ["相談ID", "自治体"]
    first = dict(zip(header, rows[1], strict=True))
    assert first["受付日時"] == datetime(2026, 12, 1, 0, 10)
    assert first["待ち時間（秒）"] == 90.25
    assert first["緊急"] == "いいえ"  # ux7: a yes/no in words under Japanese headers (a bool under keys)
    assert first["メモ"] == '=HYPERLINK("http://x.example")'
    note_cell = next(iter(sheet.iter_rows(min_row=2, max_row=2)))[header.index("メモ")]
    assert note_cell.data_type == "s"  # text, not a formula Excel would run
    assert dict(zip(header, rows[2], strict=True))["メモ"] == "@SUM(A1)"  # control character dropped
    assert len(rows) == 3


FORMULAS = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "\n=1",
    '＝HYPERLINK("http://x.example")',  # full width, as a Japanese keyboard types it
    "＋1",
    "－1",
    "＠SUM(A1)",
    "﹦1",
    "﹢1",
    "﹣1",
    "﹫SUM(A1)",
    "−1",  # U+2212 minus sign
    " =1",
    "\u3000＝1",  # an ideographic space first
    "  @SUM(A1)",
]


def test_every_formula_start_is_neutralised_in_csv_and_plain_text_is_not() -> None:
    options = ExportOptions(formula_guard=True)
    for text in FORMULAS:
        assert csv_cell("note", text, options) == "'" + text, repr(text)
    for text in ("住民票の写し", "1+1", "a=b", "［電話番号］", "（＝ 等しい）", "'quoted"):
        assert csv_cell("note", text, options) == text
    assert csv_cell("waited_s", -1.5, options) == "-1.5"  # numbers stay numbers


def test_xlsx_types_full_width_formula_starts_as_text() -> None:
    target = io.BytesIO()
    write_xlsx([a_row(consultation_id=f"c{i}", note=text) for i, text in enumerate(FORMULAS)], target, zone=JST)
    target.seek(0)
    sheet = load_workbook(target).active
    assert sheet is not None
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    notes = [row[header.index("note")] for row in sheet.iter_rows(min_row=2)]
    assert [cell.data_type for cell in notes] == ["s"] * len(FORMULAS)


async def test_japanese_headers_name_the_values_and_keys_keep_the_codes() -> None:
    """ux6: under Japanese headers the cells said booth, closed, hung_up_by_resident, resolved and the summary was
    JSON; link figures were text ('32.0'). Codes stay for ``keys`` (scripts read them)."""
    row = a_row(end_reason="hung_up_by_resident", disposition="resolved", route="elderly_care", link_rtt_ms_median=-1.5)
    names = {"shiomi": {"elderly_care": "介護・お年寄り"}}
    ja = ExportOptions(zone=JST, headers="ja", bom=True, formula_guard=True, route_names=names)
    [header, cells] = list(csv.reader(io.StringIO(b"".join([c async for c in csv_chunks(_rows(row), ja)]).decode())))
    by_name = dict(zip(header, cells, strict=True))
    assert [by_name[h] for h in ("受付方法", "状態", "終了理由", "結果", "担当窓口")] == [
        "ブース",
        "完了",
        "住民が切った",
        "解決した",
        "介護・お年寄り",
    ]
    assert by_name["回線の往復時間（ミリ秒・中央値）"] == "-1.5"  # a number, no text guard
    keys = ExportOptions(formula_guard=True)
    [_, plain] = list(csv.reader(io.StringIO(b"".join([c async for c in csv_chunks(_rows(row), keys)]).decode())))
    assert plain[EXPORT_FIELDS.index("end_reason")] == "hung_up_by_resident"
    assert plain[EXPORT_FIELDS.index("route")] == "elderly_care"
    target = io.BytesIO()
    write_xlsx([row], target, zone=JST, headers="ja", route_names=names)
    target.seek(0)
    sheet = load_workbook(target).active
    assert sheet is not None
    [xheader, xrow] = list(sheet.iter_rows(values_only=True))
    xcells = dict(zip(xheader, xrow, strict=True))
    assert xcells["回線の往復時間（ミリ秒・中央値）"] == -1.5 and xcells["状態"] == "完了"


UX7_ROWS = [
    # (state, outcome, end_reason, language, urgent) of the outside tester's nine cases (/reports: 3 answered,
    # 3 gave up, 2 left at once, 1 call-back); their 状態 said 待ちきれずに終了 seven times
    ("abandoned", "short_abandoned", "cancelled", "ja", False),  # cancelled after 7 s
    ("abandoned", "short_abandoned", "cancelled", "ja", False),  # after 6 s
    ("closed", "answered", "hung_up_by_resident", "ja", False),
    ("abandoned", "abandoned", "resident_link_lost", "ne", True),  # a chat handed over, waited 42 s
    ("abandoned", "abandoned", "resident_link_lost", "vi", True),
    ("abandoned", "answered", "resident_link_lost", "ja", False),  # answered, passed on, then the link dropped
    ("abandoned", "abandoned", "resident_link_lost", "vi", False),
    ("closed", "answered", "hung_up_by_resident", "vi", False),
    ("abandoned", "callback", "callback", "ja", False),  # left a number after 246 s
]
UX7_SAID = [
    ("すぐに終了", "すぐに帰った", "日本語", "いいえ"),
    ("すぐに終了", "すぐに帰った", "日本語", "いいえ"),
    ("完了", "職員が応対", "日本語", "いいえ"),
    ("待ちきれずに終了", "待ちきれずに帰った", "ネパール語", "はい"),
    ("待ちきれずに終了", "待ちきれずに帰った", "ベトナム語", "はい"),
    ("応対のあと途中で終了", "職員が応対", "日本語", "いいえ"),
    ("待ちきれずに終了", "待ちきれずに帰った", "ベトナム語", "いいえ"),
    ("完了", "職員が応対", "ベトナム語", "いいえ"),
    ("折り返し電話の依頼で終了", "折り返し電話の依頼", "日本語", "いいえ"),
]
TRANSCRIPT = [
    {"seq": 1, "sender": "resident", "text": "固定資産税の 払い方を 知りたいです"},
    {"seq": 2, "sender": "bot", "text": "口座振替が 便利です。"},
    {"seq": 3, "sender": "agent", "text": "はい、口座振替が 便利です。"},
]


def ux7_rows() -> list[dict[str, Any]]:
    return [
        a_row(
            consultation_id=f"c{n}",
            state=state,
            outcome=outcome,
            end_reason=reason,
            language=language,
            urgent=urgent,
            transcript=TRANSCRIPT,
        )
        for n, (state, outcome, reason, language, urgent) in enumerate(UX7_ROWS)
    ]


async def test_japanese_headers_say_every_row_as_the_page_counts_it_and_keys_keep_the_codes() -> None:
    """ux7: 状態 said 待ちきれずに終了 for a call-back, a case answered then passed on and two 7-second cancels, so
    the sheet disagreed with /reports; language, yes/no, town and the transcript's speakers were codes."""
    towns = {"shiomi": "汐見町"}
    ja = ExportOptions(zone=JST, headers="ja", bom=True, formula_guard=True, municipality_names=towns)
    data = b"".join([chunk async for chunk in csv_chunks(_rows(*ux7_rows()), ja)])
    [header, *cells] = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    shown = [dict(zip(header, row, strict=True)) for row in cells]
    columns = ("状態", "集計の区分", "言語", "緊急")
    assert [tuple(row[c] for c in columns) for row in shown] == UX7_SAID
    assert {row["自治体"] for row in shown} == {"汐見町"}
    assert shown[0]["やりとり"].split("\n") == [
        "[1] 住民: 固定資産税の 払い方を 知りたいです",
        "[2] 自動案内: 口座振替が 便利です。",
        "[3] 職員: はい、口座振替が 便利です。",
    ]

    target = io.BytesIO()
    write_xlsx(ux7_rows(), target, zone=JST, headers="ja", municipality_names=towns)
    target.seek(0)
    sheet = load_workbook(target).active
    assert sheet is not None
    [xheader, *xrows] = list(sheet.iter_rows(values_only=True))
    xshown = [dict(zip(xheader, row, strict=True)) for row in xrows]
    assert [tuple(row[c] for c in columns) for row in xshown] == UX7_SAID
    assert xshown[0]["自治体"] == "汐見町" and str(xshown[0]["やりとり"]).startswith("[1] 住民: ")

    keys = ExportOptions(formula_guard=True, municipality_names=towns)  # scripts read the codes, as before
    data = b"".join([chunk async for chunk in csv_chunks(_rows(*ux7_rows()), keys)])
    [_, *plain] = list(csv.reader(io.StringIO(data.decode())))
    at = EXPORT_FIELDS.index
    assert [(row[at("state")], row[at("outcome")], row[at("language")], row[at("urgent")]) for row in plain] == [
        (state, outcome, language, "true" if urgent else "false") for state, outcome, _, language, urgent in UX7_ROWS
    ]
    assert {row[at("municipality_id")] for row in plain} == {"shiomi"}
    assert plain[0][at("transcript")].startswith("[1] resident: ") and "\n[3] agent: " in plain[0][at("transcript")]


def test_every_outcome_has_a_state_wording_and_every_language_its_catalog_name() -> None:
    """A new outcome cannot fall back to a wording that calls it something else; the language names are the
    Japanese catalog's own (``lang.*``)."""
    catalog = json.loads((Path(madoguchi.__file__).parent / "static/i18n/ja.json").read_text(encoding="utf-8"))
    for language, by_state in STATE_BY_OUTCOME.items():
        assert set(by_state["abandoned"]) == {""} | {o.value for o in Outcome} - {"in_hand"}, language
        assert set(VALUE_NAMES[language]["outcome"]) == {o.value for o in Outcome}, language
        assert set(SENDER_NAMES[language]) == set(SENDERS), language
    assert VALUE_NAMES["ja"]["language"] == {code: catalog[f"lang.{code}"] for code in LANGUAGE_CODES}
