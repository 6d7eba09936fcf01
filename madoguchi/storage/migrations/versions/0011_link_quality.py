"""Each side's link-quality summary of a call (RTT, loss, jitter, freezes, worst ladder step, seconds per step),
kept with the consultation so the town sees which booths have bad links.

Revision ID: 0011_link_quality
Revises: 0010_consultation_booking
Create Date: 2026-12-06

Nullable: chats, older cases and calls that ended before the first summary have none.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from madoguchi.storage.models import JSONValue

revision: str = "0011_link_quality"
down_revision: str | None = "0010_consultation_booking"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultations", recreate="never") as batch:
        batch.add_column(sa.Column("link_quality", JSONValue, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consultations", recreate="never") as batch:
        batch.drop_column("link_quality")
