"""When each booth was last found connected, kept in the database so the supervisors' booth list still says it
after a restart or when the booth is held by another server process.

Revision ID: 0013_office9_booth_last_seen
Revises: 0012_counter6_place_names
Create Date: 2026-12-07

Nullable: a booth never seen connected (or seen only before this) has none.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from madoguchi.storage.models import UTCDateTime

revision: str = "0013_office9_booth_last_seen"
down_revision: str | None = "0012_counter6_place_names"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("booths", recreate="never") as batch:
        batch.add_column(sa.Column("last_seen_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("booths", recreate="never") as batch:
        batch.drop_column("last_seen_at")
