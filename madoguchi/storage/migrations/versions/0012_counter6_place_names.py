"""A place's name in the other page languages and its reading in romaji, so a kiosk shown in English, Vietnamese
or Nepali names its post office or 公民館 in that language instead of only in Japanese.

Revision ID: 0012_counter6_place_names
Revises: 0011_link_quality
Create Date: 2026-12-06

Nullable: places written before this have only their Japanese name (``name``), which stays the fallback.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from madoguchi.storage.models import JSONValue

revision: str = "0012_counter6_place_names"
down_revision: str | None = "0011_link_quality"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("places", recreate="never") as batch:
        batch.add_column(sa.Column("names", JSONValue, nullable=True))
        batch.add_column(sa.Column("reading", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("places", recreate="never") as batch:
        batch.drop_column("reading")
        batch.drop_column("names")
