"""``records export`` for Excel: whole Japanese days (--from/--to), XLSX, Japanese headers, local times."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from madoguchi.storage.db import open_database
from madoguchi.storage.records import ConsultationRecords, NewConsultation

from .conftest import Cli, assert_user_error
from .test_storage_cli import write_consultations


async def add_chat_at(database_url: str, cid: str, when: datetime) -> None:
    db = await open_database(database_url)
    try:
        await ConsultationRecords(db).create(
            NewConsultation(
                id=cid,
                municipality_id="shiomi",
                channel="chat",
                route="tax",
                language="ja",
                state="triage",
                requested_at=when,
            )
        )
    finally:
        await db.close()


async def test_from_and_to_are_whole_days_in_japan(admin: Cli, database_url: str) -> None:
    await write_consultations(database_url)  # c1 09:30 and c2 10:30 on 3 June, Japan time
    await add_chat_at(database_url, "late", datetime(2024, 6, 2, 14, 59, 59, tzinfo=UTC))  # 23:59:59 on 2 June
    await add_chat_at(database_url, "early", datetime(2024, 6, 2, 15, 0, tzinfo=UTC))  # 00:00 on 3 June

    third = await admin("records", "export", "--format", "csv", "--from", "2024-06-03", "--to", "2024-06-03")
    second = await admin("records", "export", "--format", "csv", "--from", "2024-06-02", "--to", "2024-06-02")

    assert third.status == 0, third
    assert [row["consultation_id"] for row in csv.DictReader(io.StringIO(third.stdout))] == ["early", "c1", "c2"]
    assert [row["consultation_id"] for row in csv.DictReader(io.StringIO(second.stdout))] == ["late"]


async def test_csv_with_japanese_headers_and_local_times(admin: Cli, database_url: str) -> None:
    await write_consultations(database_url)

    result = await admin("records", "export", "--format", "csv", "--excel", "--headers", "ja", "--local-time")

    assert result.status == 0, result
    assert result.raw_stdout.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(result.raw_stdout.decode("utf-8-sig"), newline="")))
    assert rows[0]["相談ID"] == "c1"
    assert rows[0]["受付日時"] == "2024-06-03 09:30:00"
    assert rows[0]["やりとり"] == '[1] 住民: 住民票を, 2通\n[2] 職員: はい "承知" しました'  # ux7: words, not codes
    assert (rows[0]["自治体"], rows[0]["言語"]) == ("汐見町", "日本語")


async def test_excel_csv_neutralises_formulas_in_every_width(admin: Cli, database_url: str) -> None:
    """Every CSV (``--excel`` is the reports page's) puts a ``'`` before a note starting with a full-width ＝;
    ``--raw-formulas`` keeps it as stored."""
    await write_consultations(database_url)
    when = datetime(2024, 6, 3, 1, 0, tzinfo=UTC)
    await add_chat_at(database_url, "f1", when)
    db = await open_database(database_url)
    try:
        await ConsultationRecords(db).transition(
            "f1", at=when, kind="wrap_up", state="closed", closed_at=when, note='＝HYPERLINK("http://x.example")'
        )
    finally:
        await db.close()

    excel = await admin("records", "export", "--format", "csv", "--excel")
    plain = await admin("records", "export", "--format", "csv")
    raw = await admin("records", "export", "--format", "csv", "--raw-formulas")

    assert excel.status == 0, excel
    rows = csv.DictReader(io.StringIO(excel.raw_stdout.decode("utf-8-sig"), newline=""))
    assert {row["consultation_id"]: row["note"] for row in rows}["f1"] == '\'＝HYPERLINK("http://x.example")'
    rows = csv.DictReader(io.StringIO(plain.stdout, newline=""))  # guarded without --excel too (session 8)
    assert {row["consultation_id"]: row["note"] for row in rows}["f1"] == '\'＝HYPERLINK("http://x.example")'
    rows = csv.DictReader(io.StringIO(raw.stdout, newline=""))
    assert {row["consultation_id"]: row["note"] for row in rows}["f1"] == '＝HYPERLINK("http://x.example")'  # as stored


async def test_xlsx_opens_with_a_row_per_consultation(admin: Cli, database_url: str) -> None:
    await write_consultations(database_url)

    result = await admin("records", "export", "--format", "xlsx", "--headers", "ja")

    assert result.status == 0, result
    sheet = load_workbook(io.BytesIO(result.raw_stdout)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[0] == "相談ID"
    assert [row[0] for row in rows[1:]] == ["c1", "c2"]
    first = dict(zip(header, rows[1], strict=True))
    assert first["受付日時"] == datetime(2024, 6, 3, 9, 30)  # an Excel date in Japan time
    assert first["待ち時間（秒）"] == 20.0
    assert first["ブース名"] == "汐見郵便局ブース"
    assert first["自治体"] == "汐見町"  # ux7: the town's name, not its id


async def test_export_format_mistakes(admin: Cli) -> None:
    both = await admin("records", "export", "--from", "2024-06-01", "--since", "2024-06-01")
    assert_user_error(both, "not both")
    assert_user_error(await admin("records", "export", "--from", "2024-06-02", "--to", "2024-06-01"), "--to")
    assert_user_error(await admin("records", "export", "--local-time"), "--local-time")
    bad_day = await admin("records", "export", "--from", "June 1")
    assert bad_day.status == 2 and "not a date" in bad_day.stderr and "Traceback" not in bad_day.stderr
