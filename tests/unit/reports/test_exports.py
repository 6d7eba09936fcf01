"""Excel exports: headers for every field, local times, a BOM, no formulas from resident text, XLSX that opens."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from openpyxl import load_workbook

from madoguchi.reports.kpis import JST
from madoguchi.storage.exports import EXPORT_FIELDS
from madoguchi.storage.spreadsheets import HEADERS, ExportOptions, csv_cell, csv_chunks, header_row, write_xlsx


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
        summary={"text": "住民票"},
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
    assert cells["やりとり"] == "[1] resident: -1+2"  # the transcript starts with its "[1]", not the text
    assert cells["要約"] == '{"text": "住民票"}'


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
    assert first["緊急"] is False
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
