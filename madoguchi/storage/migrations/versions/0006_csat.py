"""The resident's one-tap answer after a call or chat (good, ok, bad, skip), kept with the consultation.

Revision ID: 0006_csat
Revises: 0005_bookings
Create Date: 2026-12-06

Nullable: older cases and residents who walked away have none.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_csat"
down_revision: str | None = "0005_bookings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultations") as batch:
        batch.add_column(sa.Column("csat", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consultations") as batch:
        batch.drop_column("csat")
