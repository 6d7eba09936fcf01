"""The booking code a consultation came with (a resident who booked and checked in), for the reports' wait of
booked against walk-in residents.

Revision ID: 0008_consultation_booking
Revises: 0006_csat
Create Date: 2026-12-06

Nullable: walk-ins and older cases have none. (Chains after 0006_csat; another branch may add 0007 — re-chain
``down_revision`` to the newest head when merging.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_consultation_booking"
down_revision: str | None = "0006_csat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultations") as batch:
        batch.add_column(sa.Column("booking", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consultations") as batch:
        batch.drop_column("booking")
