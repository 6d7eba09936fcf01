"""A booth's display name in the other page languages, so a kiosk shown in English, Vietnamese or Nepali (and a
console in the agent's language) names the booth in that language instead of only in Japanese.

Revision ID: 0017_booth16_booth_names
Revises: 0016_codes13_booking_code_width
Create Date: 2026-12-08

Nullable: booths written before this have only their Japanese name (``name``), which stays required and the
fallback for every language without its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from madoguchi.storage.models import JSONValue

revision: str = "0017_booth16_booth_names"
down_revision: str | None = "0016_codes13_booking_code_width"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("booths", recreate="never") as batch:
        batch.add_column(sa.Column("names", JSONValue, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("booths", recreate="never") as batch:
        batch.drop_column("names")
