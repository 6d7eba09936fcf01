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
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import IO, Any, Final, TypeVar

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from madoguchi.domain.languages import JA_NAMES
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
        "outcome": "集計の区分",
        "agent_name": "担当職員",
        "agent_username": "担当職員のログイン名",
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
        "legs": "通話ごと（窓口・職員・時刻・通話秒）",
    },
}
"""Column names by language; ``keys`` (the field names themselves) is always available."""

VALUE_NAMES: Final[Mapping[str, Mapping[str, Mapping[str, str]]]] = {
    "ja": {
        "channel": {"booth": "ブース", "chat": "ウェブのチャット"},
        "state": {
            "triage": "自動案内中",
            "waiting": "順番待ち",
            "offered": "呼出中",
            "active": "応対中",
            "wrap_up": "記録の入力中",
            "closed": "完了",
            "abandoned": "途中で終了",  # said by how it is counted: STATE_BY_OUTCOME
            "interrupted": "中断（サーバー停止）",
        },
        "outcome": {
            "answered": "職員が応対",
            "callback": "折り返し電話の依頼",
            "abandoned": "待ちきれずに帰った",
            "short_abandoned": "すぐに帰った",
            "in_hand": "受付中・中断",
        },
        "end_reason": {
            "hung_up_by_resident": "住民が切った",
            "hung_up_by_agent": "職員が切った",
            "resident_link_lost": "住民の通信が切れた",
            "agent_link_lost": "職員の通信が切れた",
            "cancelled": "住民が待つのをやめた",
            "callback": "折り返し電話の依頼",
            "revoked": "ブースの登録取り消し",
            "interrupted": "サーバー停止で中断",
            "evicted": "混雑のため終了（ボットとの相談中）",
            "wrap_up_timeout": "記録が入力されないまま終了",
            "transferred": "ほかの窓口へ回した",
        },
        "disposition": {
            "resolved": "解決した",
            "referred": "ほかの窓口を案内した",
            "follow_up": "後日対応する",
            "booked": "予約をとった",
            "dropped": "途中で切れた",
            "other": "そのほか",
        },
        "link_worst_step": {"video": "映像", "low-video": "小さい映像", "audio": "声だけ", "chat": "文字だけ"},
        "language": JA_NAMES,
        "urgent": {"true": "はい", "false": "いいえ"},
        "csat": {"good": "よかった", "ok": "ふつう", "bad": "よくなかった", "skip": "答えなかった"},
    },
}
"""With Japanese column names, the values people read are Japanese too (codes are for scripts: ``keys``). The
route column takes the town's own route names (``ExportOptions.route_names``), the municipality column the town's
name (``ExportOptions.municipality_names``); a code without a name stays. Keys are the codes as a ``keys`` CSV
writes them (``true``/``false`` for a yes/no). The language names are the catalog's ``lang.*`` (a unit test)."""

STATE_BY_OUTCOME: Final[Mapping[str, Mapping[str, Mapping[str, str]]]] = {
    "ja": {
        "abandoned": {
            "answered": "応対のあと途中で終了",
            "callback": "折り返し電話の依頼で終了",
            "abandoned": "待ちきれずに終了",
            "short_abandoned": "すぐに終了",
            "": "自動案内だけで終了",
        },
    },
}
"""A state that ends a case without a call (``abandoned``: the resident's side closed it while no one was talking
to them) is said by the row's ``outcome`` — the reports' one rule, :func:`madoguchi.domain.outcomes.outcome` — so
状態 and 集計の区分 tell the page's story: a call-back request, a case answered and then passed on, or a cancel
within seconds is not 「待ちきれずに終了」 (ux7). ``""``: a web chat that never asked for a person."""

SENDER_NAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "ja": {"resident": "住民", "agent": "職員", "bot": "自動案内", "system": "お知らせ"},
}
"""Who said each line of the やりとり column (``keys`` keeps ``resident:``, ``agent:``)."""

SUMMARY_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "ja": {"need": "用件", "flags": "注意", "also_asked": "ほかに聞いたこと", "bot_said": "自動案内の答え"},
}
"""The handoff summary as lines a person reads (route and language have their own columns)."""

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
    route_names: Mapping[str, Mapping[str, str]] | None = None
    """Each town's route names (municipality id → route id → name; ``*``: any other town), used with Japanese
    headers."""
    municipality_names: Mapping[str, str] | None = None
    """Each town's name (municipality id → 汐見町), used with Japanese headers."""


def header_row(headers: str) -> list[str]:
    if headers == "keys":
        return list(EXPORT_FIELDS)
    names = HEADERS[headers]
    return [names[field] for field in EXPORT_FIELDS]


def local_time(value: str, zone: tzinfo) -> datetime:
    """An export row's ISO time as a naive wall-clock time in ``zone`` (what Excel shows as a date)."""
    return datetime.fromisoformat(value).astimezone(zone).replace(tzinfo=None)


def _route(value: Any, row: Mapping[str, Any], options: ExportOptions) -> Any:
    routes = options.route_names or {}
    return (routes.get(str(row.get("municipality_id"))) or routes.get("*", {})).get(value, value)


def _town(value: Any, row: Mapping[str, Any], options: ExportOptions) -> Any:
    return (options.municipality_names or {}).get(value, value)


def _state(value: Any, row: Mapping[str, Any], options: ExportOptions) -> Any:
    by_outcome = STATE_BY_OUTCOME[options.headers].get(value)
    named = VALUE_NAMES[options.headers]["state"].get(value, value)
    return named if by_outcome is None else by_outcome.get(row.get("outcome") or "", named)


def _summary(value: Any, row: Mapping[str, Any], options: ExportOptions) -> Any:
    if not isinstance(value, Mapping):
        return value
    lines = []
    for key, label in SUMMARY_LABELS[options.headers].items():
        part = value.get(key)
        text = "、".join(str(v) for v in part) if isinstance(part, list | tuple) else str(part or "")
        if text:
            lines.append(f"{label}: {text}")
    return "\n".join(lines)


def _transcript(value: Any, row: Mapping[str, Any], options: ExportOptions) -> Any:
    senders = SENDER_NAMES[options.headers]
    return [{**line, "sender": senders.get(line["sender"], line["sender"])} for line in value]


def _legs(value: Any, row: Mapping[str, Any], options: ExportOptions) -> Any:
    """Each call of the case on its own line: 「1. 保険・年金 窓口 一郎 09:44:01〜09:45:20（79秒）」 (local times when
    the export has a zone, else UTC ISO)."""
    if not isinstance(value, list):
        return value

    def when(at: Any) -> str:
        if not isinstance(at, str):
            return ""
        if options.zone is None:
            return at
        return local_time(at, options.zone).strftime("%H:%M:%S")

    lines = []
    for number, leg in enumerate(value, start=1):
        route = _route(leg.get("route"), row, options)
        talk = leg.get("talk_s")
        seconds = "" if talk is None else f"（{round(float(talk))}秒）"
        lines.append(
            f"{number}. {route} {leg.get('agent_name') or ''} {when(leg.get('answered_at'))}〜"
            f"{when(leg.get('ended_at'))}{seconds}"
        )
    return "\n".join(lines)


_NAMED_BY: Final[Mapping[str, Callable[[Any, Mapping[str, Any], ExportOptions], Any]]] = {
    "route": _route,
    "municipality_id": _town,
    "state": _state,
    "summary": _summary,
    "transcript": _transcript,
    "legs": _legs,
}
"""Columns whose readable value needs more than :data:`VALUE_NAMES` (the town's names, the row's outcome)."""


def display_value(name: str, value: Any, row: Mapping[str, Any], options: ExportOptions) -> Any:
    """The value people read under ``options.headers``: codes stay codes under ``keys`` (scripts read them);
    under a language, every code by name (:data:`VALUE_NAMES`, :data:`STATE_BY_OUTCOME`, the town's names), the
    summary as lines and the transcript's speakers in words."""
    if options.headers not in VALUE_NAMES or value is None:
        return value
    named_by = _NAMED_BY.get(name)
    if named_by is not None:
        return named_by(value, row, options)
    table = VALUE_NAMES[options.headers].get(name)
    if table is None:
        return value
    code = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return table.get(code, value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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
    # a number is a number (a negative one is no formula): only text gets the guard
    if options.formula_guard and name not in NUMBER_FIELDS and not _number(value) and reads_as_formula(text):
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
        shown = (display_value(name, row[name], row, options) for name in EXPORT_FIELDS)
        writer.writerow([csv_cell(name, value, options) for name, value in zip(EXPORT_FIELDS, shown, strict=True)])
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
    if name in NUMBER_FIELDS or isinstance(value, bool) or _number(value):
        return value  # a figure stays a figure Excel can add up
    text = ILLEGAL_CHARACTERS_RE.sub("", _text(name, value))
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - 1] + "…"
    return text


def write_xlsx(
    rows: Sequence[Mapping[str, Any]],
    target: IO[bytes],
    *,
    zone: tzinfo,
    headers: str = "keys",
    route_names: Mapping[str, Mapping[str, str]] | None = None,
    municipality_names: Mapping[str, str] | None = None,
) -> None:
    """One sheet, one row per consultation, times as Excel dates in ``zone``; text cells are typed as text,
    figures as numbers; with Japanese headers, values by name (:func:`display_value`)."""
    options = ExportOptions(headers=headers, route_names=route_names, municipality_names=municipality_names, zone=zone)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("consultations")
    sheet.freeze_panes = "A2"
    sheet.append(header_row(headers))
    for row in rows:
        cells: list[Any] = []
        for name in EXPORT_FIELDS:
            value = _xlsx_value(name, display_value(name, row[name], row, options), zone)
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
