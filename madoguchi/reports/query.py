"""Reads the consultation rows a report needs: only its columns, its date range and the caller's municipalities.

Why a query of its own rather than ``ConsultationRecords.export_rows``: a report over a year reads hundreds of
thousands of rows, so it asks the database for the dozen columns the KPIs use (no notes, summaries or
transcripts), filters in SQL on the indexed ``(municipality_id, requested_at)``, and streams the result. The
one figure not on the consultation row — when a web chat was handed from the bot to a person — comes from that
case's ``handoff`` event (the first one), looked up by index for chat rows only.

Scoping is not optional: every read names the municipalities the caller may see, and an empty set reads nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Float, Select, case, cast, func, literal, null, select, text, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from madoguchi.reports.kpis import Columns, ConsultationRow
from madoguchi.storage.db import Database
from madoguchi.storage.models import Booth, Consultation, ConsultationEvent, Place, Staff, UTCDateTime

_BATCH = 5000


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Which consultations a report covers: requested in ``[since, until)`` and in ``municipality_ids``."""

    since: datetime
    until: datetime
    municipality_ids: Collection[str]
    route: str | None = None
    place_id: str | None = None
    booth_id: str | None = None
    channel: str | None = None


CSAT_RATINGS: Final = {"good": 3.0, "ok": 2.0, "bad": 1.0}
"""The resident's one-tap answer as a rating (3 best); ``skip`` and no answer are no rating."""


def _satisfaction_column() -> Any:
    """The resident's answer (``csat``) as a number, NULL when they skipped or gave none."""
    return case(
        *((Consultation.csat == answer, literal(value)) for answer, value in CSAT_RATINGS.items()), else_=null()
    )


def _handed_off_at() -> Any:
    return type_coerce(_queued_at(), UTCDateTime())


def _queued_at() -> Any:
    first_handoff = (
        select(func.min(ConsultationEvent.at))
        .where(ConsultationEvent.consultation_id == Consultation.id, ConsultationEvent.kind == "handoff")
        .scalar_subquery()
    )
    return case((Consultation.channel == "booth", Consultation.requested_at), else_=first_handoff)


def report_query(where: ReportFilter) -> Select[Any]:
    """The rows as :class:`ConsultationRow` values (datetimes)."""
    return _filtered(
        select(
            Consultation.id,
            Consultation.municipality_id,
            Consultation.channel,
            Consultation.route,
            Consultation.state,
            Consultation.requested_at,
            _handed_off_at(),
            Consultation.answered_at,
            Consultation.ended_at,
            Consultation.wrapped_up_at,
            Consultation.closed_at,
            Consultation.booth_id,
            Booth.place_id,
            Consultation.agent_id,
            _satisfaction_column(),
            Consultation.end_reason,
            Consultation.talked_before_s,
        ),
        where,
    )


def _epoch(column: Any, dialect: str) -> ColumnElement[float]:
    """UTC epoch seconds as a float, computed by the database: a year of rows then crosses the wire as plain
    numbers, with no datetime object made per cell."""
    if dialect == "sqlite":  # stored as naive UTC text
        return (func.julianday(column) - literal(2440587.5)) * literal(86400.0)
    return cast(func.extract("epoch", column), Float)


def columns_query(where: ReportFilter, dialect: str) -> Select[Any]:
    """The same rows as :func:`report_query`, column by column in :class:`Columns` order, times as epochs."""
    no_key = literal("")
    columns: list[Any] = [
        Consultation.channel,
        Consultation.route,
        Consultation.state,
        func.coalesce(Consultation.booth_id, no_key),
        func.coalesce(Booth.place_id, no_key),
        func.coalesce(Consultation.agent_id, no_key),
        _epoch(Consultation.requested_at, dialect),
        _epoch(_queued_at(), dialect),
        _epoch(Consultation.answered_at, dialect),
        _epoch(Consultation.ended_at, dialect),
        _epoch(Consultation.wrapped_up_at, dialect),
        _epoch(Consultation.closed_at, dialect),
        cast(_satisfaction_column(), Float),
        func.coalesce(Consultation.end_reason, no_key),
        cast(Consultation.talked_before_s, Float),
    ]
    return _filtered(select(*columns), where)


def _filtered(query: Select[Any], where: ReportFilter) -> Select[Any]:
    query = query.outerjoin(Booth, Consultation.booth_id == Booth.id).where(
        Consultation.municipality_id.in_(list(where.municipality_ids)),
        Consultation.requested_at >= where.since,
        Consultation.requested_at < where.until,
    )
    if where.route is not None:
        query = query.where(Consultation.route == where.route)
    if where.channel is not None:
        query = query.where(Consultation.channel == where.channel)
    if where.booth_id is not None:
        query = query.where(Consultation.booth_id == where.booth_id)
    if where.place_id is not None:
        query = query.where(Booth.place_id == where.place_id)
    return query


def _rows(raw: Any) -> Iterator[ConsultationRow]:
    for values in raw:
        rating = values[14]
        yield ConsultationRow(
            id=values[0],
            municipality_id=values[1],
            channel=values[2],
            route=values[3],
            state=values[4],
            requested_at=values[5],
            queued_at=values[6],
            answered_at=values[7],
            ended_at=values[8],
            wrapped_up_at=values[9],
            closed_at=values[10],
            booth_id=values[11],
            place_id=values[12],
            agent_id=values[13],
            satisfaction=None if rating is None else float(rating),
            end_reason=values[15],
            talked_before_s=values[16],
        )


async def read_rows(db: Database, where: ReportFilter) -> list[ConsultationRow]:
    """Every consultation the filter covers, in no particular order (the KPIs do not need one)."""
    if not where.municipality_ids:
        return []
    rows: list[ConsultationRow] = []
    async with db.read() as session:
        result = await session.stream(report_query(where).execution_options(yield_per=_BATCH))
        async for partition in result.partitions():
            rows.extend(_rows(partition))
    return rows


async def read_columns(db: Database, where: ReportFilter) -> Columns:
    """The consultations the filter covers as columns (what :func:`~madoguchi.reports.kpis.compute` reads
    fastest): one round of the query, transposed without a Python object per consultation."""
    if not where.municipality_ids:
        return empty_columns()
    async with db.read() as session:
        return await columns_in(session, where, db.dialect)


def empty_columns() -> Columns:
    return Columns(*([] for _ in Columns.__dataclass_fields__))


async def columns_in(session: AsyncSession, where: ReportFilter, dialect: str) -> Columns:
    """:func:`read_columns` inside a session the caller holds (the rollup builder reads under its lock)."""
    if dialect == "postgresql":
        # JIT compiling this plain scan costs more than it saves (measured: 30 days 2.0 s with, 0.9 s without)
        await session.execute(text("SET LOCAL jit = off"))
    # through the Core connection: the ORM's row loading would cost more than the query itself
    connection = await session.connection()
    rows = (await connection.execute(columns_query(where, dialect))).all()
    if not rows:
        return empty_columns()
    return Columns(*(list(column) for column in zip(*rows, strict=True)))


async def names(
    db: Database, municipality_ids: Collection[str], *, agent_ids: Collection[str]
) -> dict[str, dict[str, str]]:
    """Display names for a report's keys: the towns' places and booths, and the agents it mentions."""
    scope = list(municipality_ids)
    async with db.read() as session:
        places = (await session.execute(select(Place.id, Place.name).where(Place.municipality_id.in_(scope)))).all()
        booths = (await session.execute(select(Booth.id, Booth.name).where(Booth.municipality_id.in_(scope)))).all()
        agents = (
            (await session.execute(select(Staff.id, Staff.display_name).where(Staff.id.in_(list(agent_ids))))).all()
            if agent_ids
            else []
        )
    return {
        "places": {str(i): str(n) for i, n in places},
        "booths": {str(i): str(n) for i, n in booths},
        "agents": {str(i): str(n) for i, n in agents},
    }


async def booths_in_place(db: Database, municipality_ids: Collection[str], place_id: str) -> set[str]:
    query = select(Booth.id).where(Booth.place_id == place_id, Booth.municipality_id.in_(list(municipality_ids)))
    async with db.read() as session:
        return {str(booth_id) for booth_id in (await session.scalars(query)).all()}
