"""The booking figures as an Excel workbook (the reports page's 「予約の 数字を Excel で」): the same numbers as
``GET /api/staff/bookings/report`` and ``madoguchi bookings report``, one sheet per table, Japanese headers.

Why its own module: the figures come from :class:`~madoguchi.bookings.kpis.BookingKpis` (pure); turning them
into cells is this edge's one job. Cells are numbers or text from our own data (route and place ids), never a
resident's words, so no formula guard is needed beyond typing them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from typing import Final

from openpyxl import Workbook

from madoguchi.bookings.kpis import BookingKpis

STATUS_COLUMNS: Final = (
    ("booked", "予約中"),
    ("checked_in", "来た（受付中）"),
    ("done", "来た（済み）"),
    ("no_show", "来なかった"),
    ("cancelled", "取り消し"),
)


FILTER_LABELS: Final = (("route", "窓口"), ("place", "場所"), ("booth", "ブース"), ("channel", "受付の 方法"))


def workbook(report: BookingKpis, first: date, last: date, filters: Mapping[str, str] | None = None) -> bytes:
    """``filters`` (the report's, as ``ReportFilter.as_dict``) are written under the period, so a sheet passed on
    says what it covers."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "予約"
    summary.append(["期間", f"{first.isoformat()} 〜 {last.isoformat()}"])
    for key, label in FILTER_LABELS:
        if filters and key in filters:
            summary.append([f"絞り込み: {label}", filters[key]])
    summary.append(["予約の数", report.bookings])
    summary.append(["職員が 代わりに 予約", report.booked_by_staff])
    summary.append(["来なかった 割合", report.no_show_rate])
    summary.append(["予約から 当日までの 時間（中央値・時間）", report.lead_time_median_h])
    summary.append(["予約した 方の 待ち時間（中央値・秒）", report.wait_median_booked_s])
    summary.append(["予約なしの 方の 待ち時間（中央値・秒）", report.wait_median_walk_in_s])
    for title, key_name, table in (("窓口別", "窓口", report.by_route), ("場所別", "場所", report.by_place)):
        sheet = book.create_sheet(title)
        sheet.append([key_name, "合計", *(label for _, label in STATUS_COLUMNS)])
        for key, statuses in table.items():
            sheet.append([key, sum(statuses.values()), *(statuses.get(status, 0) for status, _ in STATUS_COLUMNS)])
    use = book.create_sheet("予約枠の使われ方")
    use.append(["場所", "用意した 枠", "予約された 枠", "使われた 割合"])
    for place, figures in report.utilisation.items():
        use.append(["すべて" if place == "*" else place, figures["offered"], figures["booked"], figures["rate"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
