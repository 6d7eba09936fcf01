"""Consultation exports as files people open in Excel: CSV (UTF-8 with a BOM) and XLSX, in local time.

Why here, beside ``exports.py``: the CLI (``madoguchi records export``) and the reports page write the same
rows (:func:`~madoguchi.storage.exports.export_rows`), and both must agree cell for cell. What Excel needs:

- a BOM, or it reads UTF-8 as Shift_JIS and Japanese turns to mojibake;
- local wall-clock times without an offset (``2026-12-01 09:30:00``), which it recognises as dates; UTC ISO
  strings stay text and are nine hours off for a Japanese office;
- optionally Japanese column names (:data:`HEADERS`);
- no cell that starts with ``=``, ``+``, ``-`` or ``@`` taken as a formula: resident text reaches notes and
  transcripts, and a formula there would run on the supervisor's PC. The full-width and small forms a Japanese
  keyboard types (``＝ ＋ － ＠``, ``﹦ ﹢ ﹣ ﹫``, and ``−`` U+2212) count too, as do a leading tab, CR or line feed
  and any spaces before such a character: Japanese Excel turns ``＝`` into ``=`` on input, and a spreadsheet may
  trim the spaces. CSV cells of text get a leading ``'``; XLSX cells are typed as text.

Without a zone the CSV cells are exactly the CLI's historical ones (UTC ISO 8601), so scripts reading
``records export --format csv`` keep working.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import IO, Any, Final, TypeVar

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from madoguchi.storage.errors import InvalidValue
from madoguchi.storage.exports import EXPORT_FIELDS

HEADERS: Final[Mapping[str, Mapping[str, str]]] = {
    "ja": {
        "consultation_id": "相談ID",
        "municipality_id": "自治体",
        "channel": "受付方法",
        "booth_id": "ブースID",
        "booth_name": "ブース名",
        "place": "設置場所",
        "route": "担当窓口",
        "language": "言語",
        "urgent": "緊急",
        "state": "状態",
        "agent_username": "担当職員",
        "requested_at": "受付日時",
        "offered_at": "呼出日時",
        "answered_at": "応答日時",
        "ended_at": "終了日時",
        "wrapped_up_at": "記録完了日時",
        "closed_at": "完了日時",
        "waited_s": "待ち時間（秒）",
        "handled_s": "通話時間（秒）",
        "end_reason": "終了理由",
        "disposition": "結果",
        "note": "メモ",
        "csat": "満足度",
        "link_worst_step": "回線（最も下げた段階）",
        "link_rtt_ms_median": "回線の往復時間（ミリ秒・中央値）",
        "link_loss_pct_max": "回線の損失率（％・最大）",
        "link_weak_s": "映像を下げた時間（秒）",
        "summary": "要約",
        "transcript": "やりとり",
    },
}
"""Column names by language; ``keys`` (the field names themselves) is always available."""

HEADER_CHOICES: Final = ("keys", *HEADERS)
TIME_FIELDS: Final = frozenset(name for name in EXPORT_FIELDS if name.endswith("_at"))
NUMBER_FIELDS: Final = frozenset({"waited_s", "handled_s"})
XLSX_CELL_LIMIT: Final = 32_767
FORMULA_MARKS: Final = frozenset("=+-@＝＋－＠﹦﹢﹣﹫−")
"""First characters that make a cell a formula in a spreadsheet, in every width."""
CONTROL_STARTS: Final = frozenset("\t\r\n")
_CSV_CHUNK: Final = 64 * 1024
BOM: Final = "\ufeff"


@dataclass(frozen=True, slots=True)
class ExportOptions:
    zone: tzinfo | None = None
    """Write times as local ``YYYY-MM-DD HH:MM:SS`` in this zone; None keeps UTC ISO 8601 (the CLI's default)."""
    headers: str = "keys"
    bom: bool = False
    formula_guard: bool = False
    """Prefix text cells that Excel would take as a formula with ``'`` (CSV for Excel)."""


def header_row(headers: str) -> list[str]:
    if headers == "keys":
        return list(EXPORT_FIELDS)
    names = HEADERS[headers]
    return [names[field] for field in EXPORT_FIELDS]


def local_time(value: str, zone: tzinfo) -> datetime:
    """An export row's ISO time as a naive wall-clock time in ``zone`` (what Excel shows as a date)."""
    return datetime.fromisoformat(value).astimezone(zone).replace(tzinfo=None)


def _text(name: str, value: Any) -> str:
    if name == "transcript":
        return "\n".join(f"[{line['seq']}] {line['sender']}: {line['text']}" for line in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def reads_as_formula(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula: it starts with a control character, or with a
    formula mark after nothing but spaces (any width)."""
    first = text.lstrip(" \u3000\u00a0")[:1]
    return text[:1] in CONTROL_STARTS or first in FORMULA_MARKS or first in CONTROL_STARTS


def csv_cell(name: str, value: Any, options: ExportOptions) -> str:
    if value is None:
        return ""
    if options.zone is not None and name in TIME_FIELDS:
        return local_time(value, options.zone).isoformat(sep=" ", timespec="seconds")
    text = _text(name, value)
    if options.formula_guard and name not in NUMBER_FIELDS and reads_as_formula(text):
        return "'" + text
    return text


async def csv_chunks(rows: AsyncIterator[Mapping[str, Any]], options: ExportOptions) -> AsyncIterator[bytes]:
    """The CSV file in pieces of about 64 KB (CRLF line ends, as Excel writes them)."""
    buffer = io.StringIO()
    if options.bom:
        buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header_row(options.headers))
    async for row in rows:
        writer.writerow([csv_cell(name, row[name], options) for name in EXPORT_FIELDS])
        if buffer.tell() > _CSV_CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx_value(name: str, value: Any, zone: tzinfo) -> Any:
    if value is None:
        return None
    if name in TIME_FIELDS:
        return local_time(value, zone)
    if name in NUMBER_FIELDS or isinstance(value, bool):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", _text(name, value))
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - 1] + "…"
    return text


def write_xlsx(rows: Sequence[Mapping[str, Any]], target: IO[bytes], *, zone: tzinfo, headers: str = "keys") -> None:
    """One sheet, one row per consultation, times as Excel dates in ``zone``; text cells are typed as text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("consultations")
    sheet.freeze_panes = "A2"
    sheet.append(header_row(headers))
    for row in rows:
        cells: list[Any] = []
        for name in EXPORT_FIELDS:
            value = _xlsx_value(name, row[name], zone)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(cell)
        sheet.append(cells)
    workbook.save(target)


def export_window(
    since: datetime | None, until: datetime | None, first: date | None, last: date | None, zone: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """Instants (``since``/``until``) or whole local days (``first``/``last``, both included), never both."""
    if (first or last) and (since or until):
        raise InvalidValue("use --from/--to (days) or --since/--until (times), not both")
    if first and last and last < first:
        raise InvalidValue("--to must be the same day as --from or later")
    start = datetime.combine(first, time(), zone) if first else since
    end = datetime.combine(last + timedelta(days=1), time(), zone) if last else until
    return start, end


Row = TypeVar("Row")


class Counted(AsyncIterator[Row]):
    """Passes rows through, counting them (an export's audit entry says how many it wrote)."""

    def __init__(self, rows: AsyncIterator[Row]) -> None:
        self._rows = rows
        self.count = 0

    async def __anext__(self) -> Row:
        row = await anext(self._rows)
        self.count += 1
        return row
