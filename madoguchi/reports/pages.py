"""``/reports`` and its API: KPIs as JSON, consultations as CSV or XLSX, for supervisors and admins only.

Why these rules: the figures and exports name staff and carry residents' words, so they are for supervisors and
admins (an agent gets a 403 in plain words), each sees only the municipalities they belong to (joint operation,
共同運用), and every export is written to the audit log. Dates are local calendar days of the report's zone:
the municipality file's own zone when the report covers one town that names one, ``MADOGUCHI_TIMEZONE``
(Japan) otherwise.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from aiohttp import web

from madoguchi import keys, ui
from madoguchi.domain.languages import DEFAULT_LANGUAGE
from madoguchi.domain.routes import ROUTE_IDS
from madoguchi.domain.sessions import SESSION_COOKIE
from madoguchi.domain.staff_pages import pages_for
from madoguchi.reports.kpis import KpiSettings, compute, day_bounds, finish
from madoguchi.reports.params import BadReportRequest, ReportRequest, parse_report_request
from madoguchi.reports.query import ReportFilter, booths_in_place, names, read_columns
from madoguchi.reports.rollups import report_summary
from madoguchi.storage.accounts import StaffRecord
from madoguchi.storage.audit import AuditLog
from madoguchi.storage.municipalities import Municipalities
from madoguchi.storage.spreadsheets import Counted, ExportOptions, csv_chunks, write_xlsx

REPORT_ROLES: Final = frozenset({"supervisor", "admin"})
_MAX_TOKEN_LENGTH: Final = 200
XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def setup(app: web.Application) -> None:
    ui.setup_static(app)
    app.router.add_get("/reports", reports_page, name="reports")
    app.router.add_get("/api/reports/kpis", api_kpis)
    app.router.add_get("/api/reports/consultations.csv", api_csv)
    app.router.add_get("/api/reports/consultations.xlsx", api_xlsx)


async def _session(request: web.Request) -> tuple[StaffRecord, str] | None:
    """The signed-in member of staff and their session's CSRF token (the page's ログアウト form posts it)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    found: tuple[StaffRecord, str] | None = await request.app[keys.ACCOUNTS].session(token, datetime.now(UTC))
    return found


async def _staff(request: web.Request) -> StaffRecord | None:
    found = await _session(request)
    return None if found is None else found[0]


def _json_error(status: int, code: str, message: str, **more: str | None) -> web.Response:
    error = {"code": code, "message": message, **{k: v for k, v in more.items() if v is not None}}
    response = web.json_response({"error": error}, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


class _Refused(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


async def _reporter(request: web.Request) -> StaffRecord:
    staff = await _staff(request)
    if staff is None:
        raise _Refused(_json_error(401, "unauthorized", "log in first (POST /api/login)"))
    if staff.role not in REPORT_ROLES:
        raise _Refused(_json_error(403, "forbidden", "reports are for supervisors and admins"))
    return staff


def _parse(request: web.Request, staff: StaffRecord) -> ReportRequest:
    try:
        return parse_report_request(request.query, staff.municipality_ids)
    except BadReportRequest as exc:
        raise _Refused(_json_error(400, "invalid_request", str(exc), reason=exc.reason, field=exc.field)) from None


def report_zone(app: web.Application, municipality_ids: tuple[str, ...]) -> ZoneInfo:
    """The municipality file's zone when all covered towns name the same one, else ``MADOGUCHI_TIMEZONE``."""
    triages = app[keys.TRIAGES]
    zones = {
        triage.engine.kb.municipality.timezone if (triage := triages.get(m)) is not None else None
        for m in municipality_ids
    }
    (only,) = zones if len(zones) == 1 else (None,)
    return ZoneInfo(only or app[keys.SETTINGS].timezone)


def _filter(report: ReportRequest, zone: ZoneInfo) -> ReportFilter:
    since, until = day_bounds(report.first, report.last, zone)
    return ReportFilter(
        since=since,
        until=until,
        municipality_ids=report.municipality_ids,
        route=report.route,
        place_id=report.place_id,
        booth_id=report.booth_id,
        channel=report.channel,
    )


def _filtered(report: ReportRequest) -> bool:
    """A filter by route, place, booth or channel: such a report reads rows (the stored days are split by one
    key at a time, and the filter makes the rows few)."""
    return any(value is not None for value in (report.route, report.place_id, report.booth_id, report.channel))


def _kpi_settings(app: web.Application, zone: ZoneInfo) -> KpiSettings:
    settings = app[keys.SETTINGS]
    return KpiSettings(
        zone=zone,
        short_abandon_s=settings.short_abandon_s,
        target_s=settings.service_level_target_s,
        route_targets=dict(settings.service_level_targets),
    )


async def api_kpis(request: web.Request) -> web.Response:
    try:
        staff = await _reporter(request)
        report = _parse(request, staff)
    except _Refused as refused:
        return refused.response
    db = request.app[keys.DATABASE]
    zone = report_zone(request.app, report.municipality_ids)
    settings = _kpi_settings(request.app, zone)
    if _filtered(report):
        columns = await read_columns(db, _filter(report, zone))
        figures = await asyncio.to_thread(compute, columns, settings)
    else:
        summary = await report_summary(db, report.municipality_ids, report.first, report.last, settings)
        figures = finish(summary, settings)
    body: dict[str, Any] = {
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "timezone": zone.key,
        "municipalities": list(report.municipality_ids),
        **figures,
        "names": await names(db, report.municipality_ids, agent_ids=list(figures["by_agent"])),
    }
    response = web.json_response(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _export_name(report: ReportRequest, suffix: str) -> str:
    return f"consultations_{report.first:%Y%m%d}-{report.last:%Y%m%d}.{suffix}"


async def _audit(request: web.Request, staff: StaffRecord, fmt: str, report: ReportRequest, count: int) -> None:
    detail = {
        "format": fmt,
        "rows": count,
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "municipalities": list(report.municipality_ids),
    }
    await AuditLog(request.app[keys.DATABASE]).write(
        f"staff:{staff.username}", "records.export", detail, datetime.now(UTC)
    )


async def _export_rows(request: web.Request, report: ReportRequest, zone: ZoneInfo) -> AsyncIterator[dict[str, Any]]:
    """The CLI export's rows for the report's days and towns, narrowed by its route, channel, booth and place
    filters (the export rows name booths, so a place filter keeps the booths standing there)."""
    where = _filter(report, zone)
    booths_at_place: set[str] | None = None
    if report.place_id is not None:
        booths_at_place = await booths_in_place(request.app[keys.DATABASE], report.municipality_ids, report.place_id)
    rows = request.app[keys.RECORDS].export_rows(
        since=where.since,
        until=where.until,
        municipality_ids=list(report.municipality_ids),
        short_abandon_s=request.app[keys.SETTINGS].short_abandon_s,
    )
    async for row in rows:
        if (
            (report.route is None or row["route"] == report.route)
            and (report.channel is None or row["channel"] == report.channel)
            and (report.booth_id is None or row["booth_id"] == report.booth_id)
            and (booths_at_place is None or row["booth_id"] in booths_at_place)
        ):
            yield row


async def api_csv(request: web.Request) -> web.StreamResponse:
    """The CLI export's rows for the caller's towns: UTF-8 with a BOM, local times, optional Japanese headers."""
    try:
        staff = await _reporter(request)
        report = _parse(request, staff)
    except _Refused as refused:
        return refused.response
    zone = report_zone(request.app, report.municipality_ids)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{_export_name(report, "csv")}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    rows = Counted(_export_rows(request, report, zone))
    options = ExportOptions(
        zone=zone,
        headers=report.headers,
        bom=True,
        formula_guard=True,
        route_names=_route_names(request.app, report.municipality_ids),
        municipality_names=await _town_names(request.app, report.municipality_ids),
    )
    async for chunk in csv_chunks(rows, options):
        await response.write(chunk)
    await _audit(request, staff, "csv", report, rows.count)
    await response.write_eof()
    return response


def _route_names(app: web.Application, municipality_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Each town's own Japanese route names (an export with Japanese headers shows 介護・お年寄り, not the code)."""
    names: dict[str, dict[str, str]] = {}
    for m in municipality_ids:
        triage = app[keys.TRIAGES].get(m)
        if triage is not None:
            town = triage.engine.kb.municipality
            names[m] = {route: town.route_name(route, "ja") for route in ROUTE_IDS}
    return names


async def _town_names(app: web.Application, municipality_ids: Iterable[str]) -> dict[str, str]:
    """Each town's Japanese name (an export with Japanese headers shows 汐見町, not ``shiomi``)."""
    wanted = set(municipality_ids)
    return {town.id: town.name_ja for town in await Municipalities(app[keys.DATABASE]).list() if town.id in wanted}


async def api_xlsx(request: web.Request) -> web.StreamResponse:
    try:
        staff = await _reporter(request)
        report = _parse(request, staff)
    except _Refused as refused:
        return refused.response
    zone = report_zone(request.app, report.municipality_ids)
    rows = [row async for row in _export_rows(request, report, zone)]
    routes = _route_names(request.app, report.municipality_ids)
    towns = await _town_names(request.app, report.municipality_ids)
    with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as target:
        await asyncio.to_thread(
            write_xlsx, rows, target, zone=zone, headers=report.headers, route_names=routes, municipality_names=towns
        )
        target.seek(0)
        body = await asyncio.to_thread(target.read)
    await _audit(request, staff, "xlsx", report, len(rows))
    return web.Response(
        body=body,
        headers={
            "Content-Type": XLSX_TYPE,
            "Content-Disposition": f'attachment; filename="{_export_name(report, "xlsx")}"',
            "Cache-Control": "no-store",
        },
    )


async def reports_page(request: web.Request) -> web.StreamResponse:
    language = ui.pick_language(request)
    found = await _session(request)
    if found is None:
        raise web.HTTPFound("/login" if language == DEFAULT_LANGUAGE else f"/login?lang={language}")
    staff, csrf_token = found
    if staff.role not in REPORT_ROLES:
        return await ui.render(
            request,
            "message.html",
            language=language,
            status=403,
            context={"heading_key": "reports.forbidden.heading", "message_key": "reports.forbidden.message"},
        )
    municipality_ids = tuple(sorted(staff.municipality_ids))
    zone = report_zone(request.app, municipality_ids)
    today = datetime.now(zone).date()
    labels = await names(request.app[keys.DATABASE], municipality_ids, agent_ids=[])
    return await ui.render(
        request,
        "reports.html",
        language=language,
        context={
            "staff_name": staff.display_name,
            "staff_pages": pages_for(staff.role),
            "csrf_token": csrf_token,  # the ログアウト form, as on the console, supervisor and admin pages
            "today": today.isoformat(),
            "timezone": zone.key,
            "routes": ROUTE_IDS,
            "municipalities": municipality_ids,
            "places": labels["places"],
            "booths": labels["booths"],
        },
    )
