"""Retention: consultation records and transcripts are kept for a set period, then deleted for good.

A town may keep what residents told it only as long as it needs to (個人情報保護法: 保有の制限, and the
保存期間 its own 文書管理規程 sets for case files). Each municipality sets its period in its
``municipality.yaml`` (``retention_years``), or the deployment's default applies
(``MADOGUCHI_RETENTION_YEARS``, 5 years: the usual class for routine case files, and the limitation period of
a municipality's money claims, 地方自治法 第236条, which a consultation record may have to document).

A record is past its period when it finished (closed, abandoned or interrupted) before its municipality's cutoff;
a case still open is never purged, however old. Purging deletes the consultation and every row that belongs to
it (events, chat lines, and any other table that refers to a consultation), in one transaction. The audit log
is kept: it records who purged or read what, not what residents said.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table, and_, delete, false, func, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from madoguchi.storage.db import Database
from madoguchi.storage.errors import InvalidValue
from madoguchi.storage.models import FINISHED_STATES, Base, Consultation

DEFAULT_RETENTION_YEARS = 5


def years_before(moment: datetime, years: int) -> datetime:
    """The same calendar day ``years`` earlier (29 February becomes the 28th in a year without one)."""
    if moment.tzinfo is None:
        raise InvalidValue("a retention cutoff needs a timezone-aware time")
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def _tables_of_a_consultation() -> list[tuple[Table, Column[str]]]:
    """Every table with a column that refers to ``consultations.id`` (read from the schema, so a table added
    later — participants, quality stats — is purged with its consultation without anyone remembering to)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == Consultation.__tablename__ for fk in column.foreign_keys):
                found.append((table, column))
    return found


@dataclass(frozen=True)
class PurgePlan:
    """What a purge deletes: records that finished before ``cutoffs[municipality]`` (``default`` for others)."""

    default: datetime
    cutoffs: Mapping[str, datetime] = field(default_factory=dict)

    def condition(self) -> ColumnElement[bool]:
        finished_at = func.coalesce(Consultation.closed_at, Consultation.updated_at)
        named = list(self.cutoffs.items())
        per_town = [and_(Consultation.municipality_id == town, finished_at < cutoff) for town, cutoff in named]
        others = and_(Consultation.municipality_id.not_in([town for town, _ in named]), finished_at < self.default)
        return and_(Consultation.state.in_(FINISHED_STATES), or_(false(), *per_town, others))


@dataclass(frozen=True)
class PurgeCounts:
    """Rows deleted (or, in a dry run, that would be) per table; ``consultations`` first."""

    rows: Mapping[str, int]

    @property
    def consultations(self) -> int:
        return self.rows.get(Consultation.__tablename__, 0)


async def purge(db: Database, plan: PurgePlan, *, dry_run: bool = False) -> PurgeCounts:
    """Delete every record past its retention period with all its rows, in one transaction; count them.

    On SQLite the deleted rows are overwritten (``secure_delete``) and the write-ahead log is emptied afterwards,
    so their text does not linger in free pages of the file. PostgreSQL's ``VACUUM`` (autovacuum) reclaims them.
    """
    doomed = select(Consultation.id).where(plan.condition())
    children = _tables_of_a_consultation()
    rows: dict[str, int] = {}
    sqlite = db.engine.dialect.name == "sqlite"
    async with db.read() if dry_run else db.transaction() as session:
        rows[Consultation.__tablename__] = int(
            await session.scalar(select(func.count()).select_from(doomed.subquery())) or 0
        )
        for table, column in children:
            count = await session.scalar(select(func.count()).select_from(table).where(column.in_(doomed)))
            rows[table.name] = rows.get(table.name, 0) + int(count or 0)
        if not dry_run and rows[Consultation.__tablename__]:
            if sqlite:
                await session.execute(text("PRAGMA secure_delete=ON"))
            for table, column in children:
                await session.execute(delete(table).where(column.in_(doomed)))
            await session.execute(delete(Consultation).where(plan.condition()))
    if sqlite and not dry_run and rows[Consultation.__tablename__]:
        async with db.engine.connect() as connection:  # outside any transaction, or SQLite refuses it
            driver: Any = (await connection.get_raw_connection()).driver_connection
            await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return PurgeCounts(rows)
