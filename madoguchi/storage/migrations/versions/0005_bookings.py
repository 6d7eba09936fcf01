"""Bookings: the booked times, a capacity counter per slot, and cancelled sailings.

Revision ID: 0005_bookings
Revises: 0003_consultation_participants
Create Date: 2026-12-06

``booking_slots`` is what makes double booking impossible across processes: a booking raises ``taken`` with
``UPDATE … SET taken = taken + 1 WHERE … AND taken < :capacity`` in the transaction that inserts the booking
(see ``madoguchi.storage.bookings``). Written by hand to match ``madoguchi.storage.models``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from madoguchi.storage.models import JSONValue, UTCDateTime

revision: str = "0005_bookings"
down_revision: str | None = "0003_consultation_participants"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk_municipality(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["municipality_id"], ["municipalities.id"], name=op.f(f"fk_{table}_municipality_id_municipalities")
    )


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("municipality_id", sa.String(64), nullable=False),
        sa.Column("route", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("desk", sa.String(80), nullable=False),
        sa.Column("place", sa.String(80), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("end_at", UTCDateTime(), nullable=False),
        sa.Column("name_kana", sa.String(64), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ferry_line", sa.String(80), nullable=True),
        sa.Column("ferry_arrive", sa.String(5), nullable=True),
        sa.Column("ferry_leave", sa.String(5), nullable=True),
        sa.Column("notice", JSONValue, nullable=True),
        sa.Column("booked_by", sa.String(80), nullable=False),
        sa.Column("consultation_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('booked', 'checked_in', 'no_show', 'cancelled', 'done')", name=op.f("ck_bookings_status")
        ),
        sa.CheckConstraint("mode IN ('booth', 'counter', 'video')", name=op.f("ck_bookings_mode")),
        _fk_municipality("bookings"),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_bookings")),
    )
    op.create_index(op.f("ix_bookings_municipality_id_start_at"), "bookings", ["municipality_id", "start_at"])
    op.create_index(op.f("ix_bookings_status_start_at"), "bookings", ["status", "start_at"])
    op.create_index(
        op.f("ix_bookings_municipality_id_ferry_line_start_at"),
        "bookings",
        ["municipality_id", "ferry_line", "start_at"],
    )
    op.create_table(
        "booking_slots",
        sa.Column("municipality_id", sa.String(64), nullable=False),
        sa.Column("desk", sa.String(80), nullable=False),
        sa.Column("place", sa.String(80), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        _fk_municipality("booking_slots"),
        sa.PrimaryKeyConstraint("municipality_id", "desk", "place", "start_at", name=op.f("pk_booking_slots")),
    )
    op.create_index(op.f("ix_booking_slots_municipality_id_start_at"), "booking_slots", ["municipality_id", "start_at"])
    op.create_table(
        "sailing_cancellations",
        sa.Column("municipality_id", sa.String(64), nullable=False),
        sa.Column("line", sa.String(80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("at", sa.String(5), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_sailing_cancellations_direction")),
        _fk_municipality("sailing_cancellations"),
        sa.PrimaryKeyConstraint(
            "municipality_id", "line", "day", "direction", "at", name=op.f("pk_sailing_cancellations")
        ),
    )


def downgrade() -> None:
    op.drop_table("sailing_cancellations")
    op.drop_index(op.f("ix_booking_slots_municipality_id_start_at"), table_name="booking_slots")
    op.drop_table("booking_slots")
    op.drop_index(op.f("ix_bookings_municipality_id_ferry_line_start_at"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_status_start_at"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_municipality_id_start_at"), table_name="bookings")
    op.drop_table("bookings")
