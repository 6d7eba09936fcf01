"""The booking code a consultation came with (a resident who booked and checked in), for the reports' wait of
booked against walk-in residents.

Revision ID: 0010_consultation_booking
Revises: 0009_callbacks
Create Date: 2026-12-06

Nullable: walk-ins and older cases have none. Both ways alter the table in place (``recreate="never"``:
SQLite's own ADD/DROP COLUMN), because rebuilding ``consultations`` on SQLite would drop 0007's report-rollup
triggers.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_consultation_booking"
down_revision: str | None = "0009_callbacks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultations", recreate="never") as batch:
        batch.add_column(sa.Column("booking", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consultations", recreate="never") as batch:
        batch.drop_column("booking")
