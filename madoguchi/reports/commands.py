"""``madoguchi reports rollup``: build the reports' stored daily rollups ahead of the first report.

A report builds missing or changed days itself (``rollups.py``); after a bulk import or a restore the first
report of a year would pay for a year of rows, so this command does it beforehand, at a quiet hour.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from madoguchi.reports.kpis import KpiSettings
from madoguchi.reports.rollups import refresh
from madoguchi.settings import Settings
from madoguchi.storage.db import open_database
from madoguchi.storage.errors import StorageError
from madoguchi.storage.municipalities import Municipalities


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-12-01: {text!r}") from None


async def reports_rollup(args: argparse.Namespace, settings: Settings) -> int:
    zone = ZoneInfo(settings.timezone)
    # yesterday in the town's zone, not the machine's: at 00:30 JST a UTC server's "today" is still the day before
    last = args.to or (datetime.now(zone).date() - timedelta(days=1))
    first = args.from_ or (last - timedelta(days=365))
    if last < first:
        print("madoguchi: error: --to is before --from", file=sys.stderr)
        return 2
    kpi = KpiSettings(
        zone=zone,
        short_abandon_s=settings.short_abandon_s,
        target_s=settings.service_level_target_s,
        route_targets=dict(settings.service_level_targets),
    )
    try:
        db = await open_database(settings.effective_database_url)
    except StorageError as error:
        print(f"madoguchi: error: {error}", file=sys.stderr)
        return 2
    try:
        known = [m.id for m in await Municipalities(db).list()]
        if args.municipality is not None and args.municipality not in known:
            print(f"madoguchi: error: unknown municipality {args.municipality!r}", file=sys.stderr)
            return 2
        towns = [args.municipality] if args.municipality else known
        rebuilt = await refresh(db, towns, first, last, kpi)
    finally:
        await db.close()
    print(f"rollups {first}..{last} ({zone.key}) for {', '.join(towns) or 'no municipality'}: {rebuilt} day(s) built")
    return 0


def register(subparsers: Any) -> None:
    """Add ``reports`` to ``madoguchi``."""
    group = subparsers.add_parser("reports", help="the reports' stored daily rollups")
    reports = group.add_subparsers(dest="reports_command", required=True)
    rollup = reports.add_parser("rollup", help="build missing or changed days ahead of the first report")
    rollup.add_argument("--from", dest="from_", type=_day, help="first day (default: a year before --to)")
    rollup.add_argument("--to", type=_day, help="last day (default: yesterday)")
    rollup.add_argument("--municipality", help="one municipality (default: all)")
    rollup.set_defaults(handler=reports_rollup)
