"""Booking codes of 12 digits (session 13): ``consultations.booking`` widened from 8 to 12 characters.

Revision ID: 0016_codes13_booking_code_width
Revises: 0015_chat10_staff_latin_name
Create Date: 2026-12-07

``bookings.code`` is ``String(16)`` since 0005 and needs nothing. PostgreSQL alters the column's type. SQLite cannot
change a column's type in place, and rebuilding ``consultations`` would drop 0007's report-rollup triggers, so there
the codes move to a new column of the new width, the old one is dropped and the new one renamed (SQLite's own ADD,
DROP and RENAME COLUMN; no trigger watches ``booking``). Going down, a 12-digit code cannot fit: the cases that came
with one lose their ``booking`` (the reports then count them as walk-ins) before the column shrinks.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_codes13_booking_code_width"
down_revision: str | None = "0015_chat10_staff_latin_name"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _resize(sa.String(8), sa.String(12))


def downgrade() -> None:
    op.execute("UPDATE consultations SET booking = NULL WHERE length(booking) > 8")
    _resize(sa.String(12), sa.String(8))


def _resize(old: sa.String, new: sa.String) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("consultations", "booking", type_=new, existing_type=old, existing_nullable=True)
        return
    with op.batch_alter_table("consultations", recreate="never") as batch:
        batch.add_column(sa.Column("booking_resized", new, nullable=True))
    op.execute("UPDATE consultations SET booking_resized = booking")
    with op.batch_alter_table("consultations", recreate="never") as batch:
        batch.drop_column("booking")
    with op.batch_alter_table("consultations", recreate="never") as batch:
        batch.alter_column("booking_resized", new_column_name="booking", existing_type=new, existing_nullable=True)
