"""Opening hours an admin set on /admin, per municipality (the municipality file's are the default).

Revision ID: 0008_opening_hours
Revises: 0007_report_rollups
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from madoguchi.storage.models import JSONValue, UTCDateTime

revision: str = "0008_opening_hours"
down_revision: str | None = "0007_report_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opening_hours",
        sa.Column("municipality_id", sa.String(64), nullable=False),
        sa.Column("spec", JSONValue, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipalities.id"], name=op.f("fk_opening_hours_municipality_id_municipalities")
        ),
        sa.PrimaryKeyConstraint("municipality_id", name=op.f("pk_opening_hours")),
    )


def downgrade() -> None:
    op.drop_table("opening_hours")
